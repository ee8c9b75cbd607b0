# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The artifacts module_utils against real servers: an HTTPS files server in a thread (certificate from a CA made
here) and, when Debian's docker-registry and skopeo are installed, a real registry with images pushed by skopeo.

The servers and the content builders are imported by the artifact_install and artifact_check module tests."""

from __future__ import annotations

import datetime
import functools
import gzip
import hashlib
import io
import ipaddress
import json
import os
import random
import shutil
import socket
import ssl
import subprocess
import tarfile
import threading
import time
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ansible_collections.caas.platform.plugins.module_utils import artifacts as af

REGISTRY_BIN = '/usr/bin/docker-registry'
SKOPEO_BIN = shutil.which('skopeo') or '/usr/bin/skopeo'
NEEDS_REGISTRY = pytest.mark.skipif(
    not (os.access(REGISTRY_BIN, os.X_OK) and os.access(SKOPEO_BIN, os.X_OK)),
    reason='needs Debian\'s docker-registry and skopeo (apt-get install docker-registry skopeo; scripts/bootstrap '
           'installs them)')

RUNC_PATH = 'github.com/opencontainers/runc/releases/download/v1.4.3/runc.amd64'
CONTAINERD_PATH = 'github.com/containerd/containerd/releases/download/v2.3.7/containerd-2.3.7-linux-amd64.tar.gz'
CNI_PATH = 'github.com/containernetworking/plugins/releases/download/v1.9.1/cni-plugins-linux-amd64-v1.9.1.tgz'


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# PKI


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(common_name):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def make_pki(directory):
    """A CA, a server certificate for 127.0.0.1 and localhost signed by it, and an unrelated CA.

    Returns paths: ca (PEM), cert, key, other_ca, cert_dir (ca.crt only, for skopeo --dest-cert-dir)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca = _ca('caas.platform test CA')
    _other_key, other = _ca('an unrelated CA')
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name('127.0.0.1')).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName('localhost'),
                                                        x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = dict(ca=directory / 'ca.pem', cert=directory / 'server.crt', key=directory / 'server.key',
                 other_ca=directory / 'other-ca.pem', cert_dir=directory / 'certs.d')
    paths['ca'].write_bytes(_pem(ca))
    paths['other_ca'].write_bytes(_pem(other))
    paths['cert'].write_bytes(_pem(cert))
    paths['key'].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    paths['cert_dir'].mkdir(exist_ok=True)
    (paths['cert_dir'] / 'ca.crt').write_bytes(_pem(ca))
    return dict((k, str(v)) for k, v in paths.items())


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


# The HTTPS files server


class _Handler(SimpleHTTPRequestHandler):
    """Serves the docroot; routes (path prefix -> callable(handler)) answer first; every request is logged."""

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def log_request(self, code='-', size='-'):
        self.server.access_log.append((self.command, self.path.split('?')[0], int(getattr(code, 'value', code))))

    def _route(self):
        for prefix, route in self.server.routes.items():
            if self.path.startswith(prefix):
                route(self)
                return True
        return False

    def do_GET(self):
        if not self._route():
            super().do_GET()

    def do_HEAD(self):
        if not self._route():
            super().do_HEAD()

    def answer(self, code, body=b'', headers=None):
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)


class FilesServer(object):
    """A real HTTPS server on 127.0.0.1 serving root, in a thread. log lists (method, path, status)."""

    def __init__(self, root, pki, routes=None):
        self.root = Path(root)
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Handler, directory=str(root)))
        self.httpd.daemon_threads = True
        self.httpd.access_log = []
        self.httpd.routes = routes or {}
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(pki['cert'], pki['key'])
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = 'https://127.0.0.1:%d' % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs=dict(poll_interval=0.1), daemon=True)
        self.thread.start()

    @property
    def log(self):
        return self.httpd.access_log

    def publish(self, path, data):
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return '%s/%s' % (self.url, path)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def binary(size, seed):
    return random.Random(seed).randbytes(size)


def tar_gz(entries):
    """A .tar.gz of entries: name -> bytes (a file), None (a directory) or ('link', target) (a symlink)."""
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode='wb', mtime=0) as zipped, tarfile.open(fileobj=zipped, mode='w') as archive:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if data is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                archive.addfile(info)
            elif isinstance(data, tuple):
                info.type, info.linkname = tarfile.SYMTYPE, data[1]
                archive.addfile(info)
            else:
                info.size, info.mode = len(data), 0o755
                archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def content():
    """The files a files repository serves in these tests: runc, a containerd archive and a CNI archive (./ names)."""
    runc = binary(3 * 1024 * 1024 + 123, 'runc')
    containerd = {'bin/': None, 'bin/containerd': binary(2 * 1024 * 1024 + 7, 'containerd'),
                  'bin/containerd-shim-runc-v2': binary(300000, 'shim'), 'bin/ctr': binary(200000, 'ctr'),
                  'bin/link': ('link', 'containerd')}
    cni = {'./': None, './bridge': binary(100000, 'bridge'), './loopback': binary(50000, 'loopback')}
    return {RUNC_PATH: runc, CONTAINERD_PATH: tar_gz(containerd), CNI_PATH: tar_gz(cni),
            'members': dict(containerd=containerd, cni=cni)}


# The registry


def _blob(layout, data):
    digest = sha256(data)
    (layout / 'blobs' / 'sha256' / digest).write_bytes(data)
    return {'digest': 'sha256:' + digest, 'size': len(data)}


def write_oci_layout(layout, tag, architectures=('amd64',), index=False):
    """A minimal valid OCI image layout: per architecture one gzip layer, a config and a manifest; with index, an
    image index over them. Returns {'manifests': {arch: digest}, 'index': digest or None, 'blobs': [digests]}."""
    layout = Path(layout)
    (layout / 'blobs' / 'sha256').mkdir(parents=True, exist_ok=True)
    (layout / 'oci-layout').write_text(json.dumps({'imageLayoutVersion': '1.0.0'}))
    manifests, descriptors, blobs = {}, [], []
    for arch in architectures:
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode='w') as archive:
            data = ('caas.platform test image %s:%s for linux/%s\n' % (layout.name, tag, arch)).encode()
            info = tarfile.TarInfo('hello')
            info.size, info.mtime = len(data), 1700000000
            archive.addfile(info, io.BytesIO(data))
        layer = _blob(layout, gzip.compress(raw.getvalue(), mtime=0))
        config = _blob(layout, json.dumps({
            'architecture': arch, 'os': 'linux', 'config': {'Cmd': ['/hello']},
            'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + sha256(raw.getvalue())]}}, sort_keys=True).encode())
        manifest = _blob(layout, json.dumps({
            'schemaVersion': 2, 'mediaType': af.OCI_MANIFEST,
            'config': dict(config, mediaType='application/vnd.oci.image.config.v1+json'),
            'layers': [dict(layer, mediaType='application/vnd.oci.image.layer.v1.tar+gzip')]}, sort_keys=True).encode())
        manifests[arch] = manifest['digest']
        blobs += [layer['digest'], config['digest']]
        descriptors.append(dict(manifest, mediaType=af.OCI_MANIFEST, platform={'architecture': arch, 'os': 'linux'}))
    if index:
        top = dict(_blob(layout, json.dumps({'schemaVersion': 2, 'mediaType': af.OCI_INDEX,
                                             'manifests': descriptors}, sort_keys=True).encode()),
                   mediaType=af.OCI_INDEX)
    else:
        top = dict(descriptors[0])
        top.pop('platform')
    top['annotations'] = {'org.opencontainers.image.ref.name': tag}
    (layout / 'index.json').write_text(json.dumps({'schemaVersion': 2, 'manifests': [top]}))
    return {'manifests': manifests, 'index': top['digest'] if index else None, 'blobs': blobs}


class Registry(object):
    """Debian's docker-registry on 127.0.0.1:<free port> with TLS, storage in a temporary directory, no auth."""

    def __init__(self, directory, pki):
        self.directory = Path(directory)
        self.pki = pki
        self.port = free_port()
        self.mirror = '127.0.0.1:%d' % self.port
        self.storage = self.directory / 'storage'
        config = self.directory / 'config.yml'
        # YAML is a superset of JSON.
        config.write_text(json.dumps({
            'version': 0.1, 'log': {'level': 'error'},
            'storage': {'filesystem': {'rootdirectory': str(self.storage)}, 'delete': {'enabled': False}},
            'http': {'addr': self.mirror, 'secret': 'caas-test', 'tls': {'certificate': pki['cert'], 'key': pki['key']}},
        }))
        self.log = open(self.directory / 'registry.log', 'wb')
        self.process = subprocess.Popen([REGISTRY_BIN, 'serve', str(config)], stdout=self.log, stderr=subprocess.STDOUT)
        context = ssl.create_default_context(cafile=pki['ca'])
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen('https://%s/v2/' % self.mirror, context=context, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError('docker-registry did not start: %s'
                                       % (self.directory / 'registry.log').read_text())
                time.sleep(0.2)

    def push(self, image, tag, architectures=('amd64',), index=False):
        """Writes an OCI layout and pushes it with skopeo to <mirror>/<image>:<tag>; returns write_oci_layout's dict."""
        layout = self.directory / ('layout-%s-%s' % (image.replace('/', '_'), tag))
        shutil.rmtree(layout, ignore_errors=True)
        written = write_oci_layout(layout, tag, architectures, index)
        command = [SKOPEO_BIN, '--insecure-policy', 'copy', '--quiet', '--dest-cert-dir', self.pki['cert_dir']]
        if index:
            command.append('--all')
        command += ['oci:%s:%s' % (layout, tag), 'docker://%s/%s:%s' % (self.mirror, image, tag)]
        subprocess.run(command, check=True, capture_output=True, timeout=60,
                       env=dict(os.environ, HOME=str(self.directory), TMPDIR=str(self.directory)))
        return written

    def remove_blob(self, digest):
        hexdigest = digest.split(':', 1)[1]
        shutil.rmtree(self.storage / 'docker' / 'registry' / 'v2' / 'blobs' / 'sha256' / hexdigest[:2] / hexdigest)

    def close(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


# Fixtures of this file (the module tests make their own from the helpers above)


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp('pki'))


@pytest.fixture(scope='module')
def files(tmp_path_factory, pki):
    served = content()
    server = FilesServer(tmp_path_factory.mktemp('docroot'), pki)
    for path in (RUNC_PATH, CONTAINERD_PATH, CNI_PATH):
        server.publish('files/' + path, served[path])
    server.content = served
    yield server
    server.close()


@pytest.fixture(scope='module')
def registry(tmp_path_factory, pki):
    if not (os.access(REGISTRY_BIN, os.X_OK) and os.access(SKOPEO_BIN, os.X_OK)):
        pytest.skip('needs Debian\'s docker-registry and skopeo (apt-get install docker-registry skopeo)')
    server = Registry(tmp_path_factory.mktemp('registry'), pki)
    yield server
    server.close()


def artifact(url, name='runc', version='1.4.3', ca_path=None):
    return af.Artifact(name, version, url, ca_path=ca_path)


# Files


def test_fetch_hashes_what_it_streams(files, pki):
    url = '%s/files/%s' % (files.url, RUNC_PATH)
    sink = io.BytesIO()
    got, size, members, member_error = af.fetch(af.Client(pki['ca']), artifact(url), sink=sink)
    assert got == sha256(files.content[RUNC_PATH]) and size == len(files.content[RUNC_PATH])
    assert members == {} and member_error is None and sink.getvalue() == files.content[RUNC_PATH]


def test_download_leaves_a_temporary_file_for_the_caller(files, pki, tmp_path):
    url = '%s/files/%s' % (files.url, RUNC_PATH)
    tmp, got, size, _members, _error = af.download(af.Client(pki['ca']), artifact(url), str(tmp_path))
    assert os.path.dirname(tmp) == str(tmp_path) and os.path.basename(tmp).startswith('.caas-download-')
    assert Path(tmp).read_bytes() == files.content[RUNC_PATH] and got == af.current_sha256(tmp)


def test_archive_members_hashed_from_the_stream(files, pki):
    url = '%s/files/%s' % (files.url, CONTAINERD_PATH)
    members = files.content['members']['containerd']
    got, _size, hashes, member_error = af.fetch(af.Client(pki['ca']), artifact(url, 'containerd', '2.3.7'),
                                                ['bin/containerd', './bin/ctr'])
    assert member_error is None and got == sha256(files.content[CONTAINERD_PATH])
    assert hashes == {'bin/containerd': {'sha256': sha256(members['bin/containerd']),
                                         'size': len(members['bin/containerd'])},
                      './bin/ctr': {'sha256': sha256(members['bin/ctr']), 'size': len(members['bin/ctr'])}}
    # ./bridge in the archive is bridge in a members list, and the other way round
    cni = files.content['members']['cni']
    _got, _size, hashes, member_error = af.fetch(af.Client(pki['ca']), artifact(
        '%s/files/%s' % (files.url, CNI_PATH), 'cni-plugins', '1.9.1'), ['bridge', './loopback'])
    assert member_error is None and hashes['bridge']['sha256'] == sha256(cni['./bridge'])
    assert hashes['./loopback']['sha256'] == sha256(cni['./loopback'])


def test_missing_member_and_link_member_are_reported_after_the_whole_hash(files, pki):
    url = '%s/files/%s' % (files.url, CONTAINERD_PATH)
    got, _size, _hashes, member_error = af.fetch(af.Client(pki['ca']), artifact(url, 'containerd', '2.3.7'),
                                                 ['bin/containerd', 'bin/runc'])
    assert got == sha256(files.content[CONTAINERD_PATH])
    assert member_error.status == 'mismatch'
    assert str(member_error).startswith('artifact containerd 2.3.7: %s has no member bin/runc (its files are '
                                        'bin/containerd, bin/containerd-shim-runc-v2, bin/ctr). The members list names '
                                        'files this archive does not hold' % url)
    _got, _size, _hashes, member_error = af.fetch(af.Client(pki['ca']), artifact(url, 'containerd', '2.3.7'),
                                                  ['bin/link'])
    assert 'has member bin/link is a link, not a regular file' in str(member_error)
    _got, _size, _hashes, member_error = af.fetch(af.Client(pki['ca']), artifact(
        '%s/files/%s' % (files.url, RUNC_PATH)), ['runc'])
    assert 'is not a tar archive' in str(member_error) and 'install a plain binary with dest' in str(member_error)


def test_404_names_the_artifact_the_url_and_the_fix(files, pki):
    url = '%s/files/dl.k8s.io/release/v1.36.3/bin/linux/amd64/kubelet' % files.url
    with pytest.raises(af.ArtifactError) as caught:
        af.fetch(af.Client(pki['ca']), af.Artifact('kubelet', '1.36.3', url, path='dl.k8s.io/release/v1.36.3/bin/linux/'
                                                   'amd64/kubelet'))
    assert caught.value.status == 'missing'
    # Python's http.server words its 404 'File not found'
    assert str(caught.value) == (
        'artifact kubelet 1.36.3: %s cannot be downloaded: HTTP Error 404: File not found. Check caas_files_repo_url and '
        'that the files repository serves dl.k8s.io/release/v1.36.3/bin/linux/amd64/kubelet.' % url)


def test_mismatch_message():
    url = 'https://repo/files/' + CONTAINERD_PATH
    error = af.Artifact('containerd', '2.3.7', url).mismatch('a' * 64, 'b' * 64)
    assert error.status == 'mismatch' and (error.found, error.expected) == ('a' * 64, 'b' * 64)
    assert str(error) == (
        'artifact containerd 2.3.7: %s has sha256 %s, the artifact manifest expects %s. The files repository holds a '
        'different file than the manifest: publish it again from the offline bundle (playbooks/artifacts_publish.yml) '
        'or correct artifacts/manifest.yml.' % (url, 'a' * 64, 'b' * 64))


def test_certificate_from_another_ca_is_refused_with_the_ca_fix(files, pki):
    url = '%s/files/%s' % (files.url, RUNC_PATH)
    with pytest.raises(af.ArtifactError) as caught:
        af.fetch(af.Client(pki['other_ca']), artifact(url, ca_path=pki['other_ca']))
    message = str(caught.value)
    assert caught.value.status == 'unreachable' and 'CERTIFICATE_VERIFY_FAILED' in message
    assert 'Check that ca_path (%s) holds the CA that signed the certificate of 127.0.0.1:%d' % (
        pki['other_ca'], files.port) in message
    # validate_certs=false reads it anyway (a lab only)
    got, _size, _members, _error = af.fetch(af.Client(None, validate_certs=False), artifact(url))
    assert got == sha256(files.content[RUNC_PATH])


def test_a_host_that_does_not_answer_is_asked_once():
    port = free_port()
    client = af.Client(timeout=5)
    messages = []
    for name in ('kubeadm', 'kubelet'):
        url = 'https://127.0.0.1:%d/files/dl.k8s.io/%s' % (port, name)
        with pytest.raises(af.ArtifactError) as caught:
            af.fetch(client, af.Artifact(name, '1.36.3', url))
        assert caught.value.status == 'unreachable'
        messages.append(str(caught.value))
    assert 'Connection refused' in messages[0] and 'Connection refused' in messages[1]
    assert messages[0].endswith('Check caas_files_repo_url and that 127.0.0.1:%d is reachable from this host '
                                '(address, port, firewall, proxy and no_proxy).' % port)
    assert list(client._down) == ['127.0.0.1:%d' % port]


def test_cache_pruning_keeps_other_names(tmp_path):
    keep = tmp_path / ('%s-kubelet' % ('1' * 64))
    old = tmp_path / ('%s-kubelet' % ('2' * 64))
    other = tmp_path / ('%s-kubeadm' % ('3' * 64))
    stray = tmp_path / 'kubelet'
    for path in (keep, old, other, stray):
        path.write_bytes(b'x')
    assert af.prune_cache(str(tmp_path), str(keep)) == [str(old)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([keep.name, other.name, 'kubelet'])


def test_stage_members_extracts_beside_each_destination(files, tmp_path):
    archive = tmp_path / 'containerd.tar.gz'
    archive.write_bytes(files.content[CONTAINERD_PATH])
    members = files.content['members']['containerd']
    staged = af.stage_members(str(archive), {'./bin/containerd': str(tmp_path / 'bin' / 'containerd'),
                                             'bin/ctr': str(tmp_path / 'ctr')}, 0o750)
    assert sorted(staged) == [str(tmp_path / 'bin' / 'containerd'), str(tmp_path / 'ctr')]
    for dest, (tmp, got) in staged.items():
        assert os.path.dirname(tmp) == os.path.dirname(dest) and not os.path.exists(dest)
        assert oct(os.stat(tmp).st_mode & 0o7777) == '0o750'
    tmp, got = staged[str(tmp_path / 'bin' / 'containerd')]
    assert got == sha256(members['bin/containerd']) and Path(tmp).read_bytes() == members['bin/containerd']


# Registry


def test_bearer_token_for_anonymous_reads(tmp_path, pki):
    """A registry that wants an anonymous bearer token (Harbor, Artifactory) gets one asked for."""
    manifest = json.dumps({'schemaVersion': 2, 'mediaType': af.OCI_MANIFEST, 'config': {}, 'layers': []}).encode()
    asked = []

    def token(handler):
        asked.append(handler.path)
        handler.answer(200, json.dumps({'token': 'anonymous-token'}).encode(), {'Content-Type': 'application/json'})

    def v2(handler):
        if handler.headers.get('Authorization') != 'Bearer anonymous-token':
            handler.answer(401, b'{}', {'WWW-Authenticate': 'Bearer realm="%s/token",service="harbor",scope="'
                                        'repository:registry.k8s.io/pause:pull"' % server.url})
        else:
            handler.answer(200, manifest, {'Content-Type': af.OCI_MANIFEST})

    server = FilesServer(tmp_path, pki, routes={'/token': token, '/v2/': v2})
    try:
        client = af.Client(pki['ca'])
        image = af.Artifact('pause', '3.10.2', '', kind='image', setting='caas_registry_mirror')
        resolved = af.resolve_image(client, '127.0.0.1:%d' % server.port, 'registry.k8s.io/pause', '3.10.2', 'amd64',
                                    image, verify_content=False)
        assert resolved['digest'] == 'sha256:' + sha256(manifest) and resolved['index_digest'] is None
        assert asked == ['/token?service=harbor&scope=repository%3Aregistry.k8s.io%2Fpause%3Apull']
        # the token is kept for the repository: the next read asks for none
        af.resolve_image(client, '127.0.0.1:%d' % server.port, 'registry.k8s.io/pause', '3.10.2', 'amd64', image, False)
        assert len(asked) == 1
    finally:
        server.close()


@NEEDS_REGISTRY
def test_registry_single_manifest_and_index(registry):
    single = registry.push('registry.k8s.io/pause', '3.10.2')
    multi = registry.push('registry.k8s.io/kube-apiserver', 'v1.36.3', ('amd64', 'arm64'), index=True)
    client = af.Client(registry.pki['ca'])
    image = af.Artifact('pause', '3.10.2', '', kind='image', setting='caas_registry_mirror')
    for verify in (False, True):
        resolved = af.resolve_image(client, registry.mirror, 'registry.k8s.io/pause', '3.10.2', 'amd64', image, verify)
        assert resolved['digest'] == single['manifests']['amd64'] and resolved['index_digest'] is None
        resolved = af.resolve_image(client, registry.mirror, 'registry.k8s.io/kube-apiserver', 'v1.36.3', 'arm64',
                                    image, verify)
        assert resolved['digest'] == multi['manifests']['arm64'] and resolved['index_digest'] == multi['index']
    with pytest.raises(af.ArtifactError) as caught:
        af.resolve_image(client, registry.mirror, 'registry.k8s.io/kube-apiserver', 'v1.36.3', 's390x', image)
    assert caught.value.status == 'missing'
    assert 'is an index without a linux/s390x image (it has linux/amd64, linux/arm64)' in str(caught.value)
    with pytest.raises(af.ArtifactError) as caught:
        af.resolve_image(client, registry.mirror, 'registry.k8s.io/pause', '3.10.2', 'arm64', image)
    assert caught.value.status == 'mismatch' and 'is an image for linux/amd64, not linux/arm64' in str(caught.value)
    with pytest.raises(af.ArtifactError) as caught:
        af.resolve_image(client, registry.mirror, 'registry.k8s.io/pause', '9.9', 'amd64', image)
    assert caught.value.status == 'missing' and str(caught.value) == (
        'image pause 3.10.2: https://%s/v2/registry.k8s.io/pause/manifests/9.9 cannot be read: HTTP Error 404: Not '
        'Found. Check caas_registry_mirror and that the mirror holds registry.k8s.io/pause:9.9 (publish it from the '
        'offline bundle, playbooks/artifacts_publish.yml).' % registry.mirror)


def test_plain_http_behind_an_https_url_is_a_handshake_failure(tmp_path):
    plain = ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(_Handler, directory=str(tmp_path)))
    plain.access_log, plain.routes = [], {}
    thread = threading.Thread(target=plain.serve_forever, kwargs=dict(poll_interval=0.1), daemon=True)
    thread.start()
    try:
        url = 'https://127.0.0.1:%d/files/%s' % (plain.server_address[1], RUNC_PATH)
        with pytest.raises(af.ArtifactError) as caught:
            af.fetch(af.Client(timeout=5), artifact(url))
    finally:
        plain.shutdown()
        plain.server_close()
    assert caught.value.status == 'unreachable' and 'cannot be downloaded: [SSL' in str(caught.value)
    assert str(caught.value).endswith('The TLS handshake with 127.0.0.1:%d failed: check that caas_files_repo_url names '
                                      'its HTTPS port and that it serves TLS 1.2 or newer.' % plain.server_address[1])
