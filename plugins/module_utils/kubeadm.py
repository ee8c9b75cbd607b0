# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared code of the kubeadm_* modules: running kubeadm and kubectl, reading what a node already is, writing
kubeadm configuration files, and the few computations kubeadm itself does not print (the CA's public key hash).

What kubeadm (1.31+) does, and this code relies on:
  - Errors end with ``To see the stack trace of this error execute with --v=5 or higher`` on stderr, after the
    error line (``error execution phase <phase>: ...``, or a bare message) and its ``[ERROR <Check>]`` lines.
  - ``--config`` cannot be mixed with most flags (``can not mix '--config' with arguments [...]``): secrets
    such as the join token and the certificate key therefore go into the configuration file.
  - Configuration files are YAML documents separated by ``---``; JSON is YAML, so each document is written here as
    one line of JSON and nothing beyond the standard library is needed on the node.
  - ``token list -o json`` prints one JSON object per token, one after the other, not a list.
  - A node's state is its files: ``/etc/kubernetes/kubelet.conf`` once it has joined (or was initialised),
    ``/etc/kubernetes/manifests/kube-apiserver.yaml`` on a control-plane node, ``admin.conf`` on a node made by
    ``init`` or ``join --control-plane``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tempfile

KUBERNETES_DIR = '/etc/kubernetes'
CONTROL_PLANE_COMPONENTS = ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler')
STACK_TRACE_HINT = 'To see the stack trace of this error'

# kubeadm's configuration API by Kubernetes minor: v1beta4 from 1.31 (v1beta3 is refused from 1.34).
CONFIG_API_VERSIONS = ((31, 'kubeadm.k8s.io/v1beta4'), (22, 'kubeadm.k8s.io/v1beta3'))


def argument_spec(*parts):
    """The options the kubeadm modules share, as the caas.platform.kubeadm doc fragment documents them: kubeadm_path,
    and kubernetes_dir ('node'), kubectl_path ('kubectl'), kubeconfig ('cluster')."""
    spec = dict(kubeadm_path=dict(type='path', default='/usr/local/bin/kubeadm'))
    if 'node' in parts:
        spec['kubernetes_dir'] = dict(type='path', default=KUBERNETES_DIR)
    if 'kubectl' in parts:
        spec['kubectl_path'] = dict(type='path', default='/usr/local/bin/kubectl')
    if 'cluster' in parts:
        spec['kubeconfig'] = dict(type='path', default='/etc/kubernetes/admin.conf')
    return spec


class KubeadmError(Exception):
    """kubeadm or kubectl failed; the message is theirs."""


def minor_of(version):
    """The minor of a Kubernetes version ('1.36.3', 'v1.36.3', '1.36')."""
    match = re.match(r'^v?1\.(\d+)(\.\d+)?([-+].*)?$', str(version))
    if not match:
        raise ValueError('%r is not a Kubernetes version (1.MINOR.PATCH)' % (version,))
    return int(match.group(1))


def config_api_version(version):
    """The kubeadm configuration apiVersion the given Kubernetes version reads."""
    minor = minor_of(version)
    for first_minor, api_version in CONFIG_API_VERSIONS:
        if minor >= first_minor:
            return api_version
    raise ValueError('Kubernetes 1.%d is older than any kubeadm configuration API this collection writes' % minor)


def parse_duration(text):
    """Seconds in a Go duration such as '1h30m', '20m', '45s' or '0'."""
    text = str(text).strip()
    if text == '0':
        return 0
    parts = re.findall(r'(\d+)(h|m|s)', text)
    if not parts or ''.join(n + u for n, u in parts) != text:
        raise ValueError('%r is not a duration such as 1h, 30m or 1h30m' % (text,))
    return sum(int(n) * {'h': 3600, 'm': 60, 's': 1}[u] for n, u in parts)


# What kubeadm prints that unlocks the cluster: a bootstrap token (also inside a join command) and the
# certificate key that decrypts the uploaded control-plane keys. Never returned, never in a message.
SECRET_PATTERNS = (
    (re.compile(r'\b[a-z0-9]{6}\.[a-z0-9]{16}\b'), '<bootstrap token>'),
    (re.compile(r'\b[0-9a-f]{64}\b'), '<certificate key>'),
)


def redact(text):
    """kubeadm's text with its bootstrap tokens and certificate keys replaced by placeholders."""
    for pattern, placeholder in SECRET_PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


def kubeadm_message(stdout, stderr):
    """kubeadm's own error, without the stack-trace hint; the last lines of stdout when stderr is empty."""
    lines = [line.rstrip() for line in (stderr or '').splitlines()
             if line.strip() and STACK_TRACE_HINT not in line]
    if not lines:
        lines = [line.rstrip() for line in (stdout or '').splitlines() if line.strip()][-10:]
    # The error and its [ERROR ...] lines; warnings and klog lines (I1121 10:45:07.123456 ...) say nothing more.
    errors = [line for line in lines if re.match(r'^\s*(error|\[ERROR|fatal)', line, re.I)]
    if not errors:
        errors = [line for line in lines if not re.match(r'^([IW]\d{4} |\s*\[WARNING)', line)]
    return redact('\n'.join(errors or lines)) or '(no message)'


def run(module, argv, check_rc=True, environ=None):
    """Run kubeadm or kubectl; raise KubeadmError carrying its own message when it fails."""
    rc, stdout, stderr = module.run_command(argv, environ_update=environ or {})
    if rc != 0 and check_rc:
        raise KubeadmError('%s failed (rc=%d): %s' % (' '.join(os.path.basename(a) if i == 0 else a
                                                               for i, a in enumerate(argv[:3])),
                                                      rc, kubeadm_message(stdout, stderr)))
    return rc, stdout, stderr


def json_stream(text):
    """Every JSON value in text, in order (``kubeadm token list -o json`` prints several, one after the other)."""
    decoder, position, values = json.JSONDecoder(), 0, []
    text = text or ''
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return values
        value, position = decoder.raw_decode(text, position)
        values.append(value)


def node_state(kubernetes_dir=KUBERNETES_DIR):
    """What the node already is, from the files kubeadm leaves."""
    def exists(*parts):
        return os.path.exists(os.path.join(kubernetes_dir, *parts))

    manifests = [c for c in CONTROL_PLANE_COMPONENTS if exists('manifests', c + '.yaml')]
    return dict(
        joined=exists('kubelet.conf'),
        admin_kubeconfig=exists('admin.conf'),
        control_plane_manifests=manifests,
        stacked_etcd=exists('manifests', 'etcd.yaml'),
        control_plane=len(manifests) == len(CONTROL_PLANE_COMPONENTS) and exists('admin.conf'),
        ca_certificate=exists('pki', 'ca.crt'),
    )


def render_documents(documents):
    """A kubeadm configuration file: each document one JSON line, separated as YAML documents are."""
    return '---\n'.join(json.dumps(doc, sort_keys=True) + '\n' for doc in documents)


def check_documents(documents, kubernetes_version, required_kinds):
    """Refuse documents kubeadm would misread: a missing kind, or a kubeadm document at the wrong API version."""
    expected = config_api_version(kubernetes_version)
    kinds = []
    for index, doc in enumerate(documents):
        if not isinstance(doc, dict) or not doc.get('kind') or not doc.get('apiVersion'):
            raise ValueError('config document %d has no kind or apiVersion' % index)
        if doc['apiVersion'].startswith('kubeadm.k8s.io/') and doc['apiVersion'] != expected:
            raise ValueError('config document %s is at %s, but Kubernetes %s reads %s: render it at %s'
                             % (doc['kind'], doc['apiVersion'], kubernetes_version, expected, expected))
        kinds.append(doc['kind'])
    missing = [kind for kind in required_kinds if kind not in kinds]
    if missing:
        raise ValueError('config has no %s document' % ', '.join(missing))
    return kinds


class PrivateFile(object):
    """Text written 0600 as `name` in a private temporary directory (prefix), removed on exit: kubeadm and kubectl
    inputs may hold a bootstrap token, a certificate key or Secrets."""

    def __init__(self, text, prefix, name):
        self.text, self.prefix, self.name = text, prefix, name
        self.directory = None
        self.path = None

    def __enter__(self):
        self.directory = tempfile.mkdtemp(prefix=self.prefix)
        self.path = os.path.join(self.directory, self.name)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write(self.text)
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.directory, ignore_errors=True)
        return False


class ConfigFile(PrivateFile):
    """A kubeadm configuration file (render_documents) as a PrivateFile."""

    def __init__(self, documents):
        super(ConfigFile, self).__init__(render_documents(documents), 'caas-kubeadm-', 'kubeadm.yaml')


# -- the discovery hash: sha256 of the CA certificate's SubjectPublicKeyInfo (RFC 7469 pinning) --

def _der_element(data, offset):
    """(tag, start of content, end of content) of the DER element at offset."""
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7f
        length = int.from_bytes(data[offset:offset + count], 'big')
        offset += count
    return tag, offset, offset + length


def pem_to_der(pem):
    body = re.search(r'-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----', pem, re.S)
    if not body:
        raise ValueError('no PEM certificate found')
    return base64.b64decode(''.join(body.group(1).split()))


def ca_cert_hash(pem):
    """``sha256:<hex>`` of the certificate's public key, as kubeadm's --discovery-token-ca-cert-hash wants it."""
    der = pem_to_der(pem)
    _tag, certificate, _end = _der_element(der, 0)
    _tag, position, _end = _der_element(der, certificate)  # tbsCertificate
    fields = []
    while len(fields) < 7:
        tag, start, end = _der_element(der, position)
        fields.append((tag, position, end))
        position = end
    # [0] version is optional: without it, the SubjectPublicKeyInfo is the sixth field, not the seventh.
    spki = fields[6] if fields[0][0] == 0xa0 else fields[5]
    return 'sha256:' + hashlib.sha256(der[spki[1]:spki[2]]).hexdigest()


def kubectl_json(module, kubectl, kubeconfig, args):
    """kubectl's JSON answer."""
    _rc, stdout, _stderr = run(module, [kubectl, '--kubeconfig', kubeconfig] + list(args) + ['-o', 'json'])
    return json.loads(stdout)


def manifest_image_tag(path):
    """The image tag of a static pod manifest (the version a control-plane component runs), or None."""
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        match = re.search(r'^\s*image:\s*["\']?\S+?:(v?[0-9][^\s"\']*)', handle.read(), re.M)
    return match.group(1) if match else None
