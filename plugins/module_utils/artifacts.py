# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Artifacts from the files repository and the registry mirror, checked while they stream.

Shared by the artifact_install and artifact_check modules:

- HTTPS reads (ansible.module_utils.urls) that hash what they read, chunk by chunk: a 100 MB binary is
  never held in memory;
- the sha256 of tar(.gz) members, read from the same stream;
- the manifest digest of an image on the registry mirror, resolved to one linux platform;
- the messages: each names the artifact (name and version), the URL, what was found and what was
  expected, and the fix.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import posixpath
import re
import socket
import ssl
import tarfile
import tempfile
import urllib.error
from urllib.parse import unquote, urlencode, urlsplit

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

CHUNK = 1024 * 1024
SHA256 = re.compile(r'^[0-9a-f]{64}$')
DIGEST = re.compile(r'^sha256:[0-9a-f]{64}$')
MANIFEST_LIMIT = 4 * 1024 * 1024

OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
MANIFEST_ACCEPT = ', '.join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)

PUBLISH = 'publish it again from the offline bundle (playbooks/artifacts_publish.yml) or correct artifacts/manifest.yml'
NEVER_LOCKED = ('it was never built or locked. Build it (scripts/lab build, for the lab) or lock it from a vetted '
                'offline bundle')
NOTHING_INSTALLED = 'Nothing was installed.'
STATUSES = ('ok', 'missing', 'mismatch', 'unreachable', 'unlocked')


class ArtifactError(Exception):
    """A problem with one artifact. str() is the whole message: artifact, URL, found, expected, fix.

    status is one of missing, mismatch, unreachable, unlocked."""

    def __init__(self, message, status='unreachable', found=None, expected=None):
        super().__init__(message)
        self.status = status
        self.found = found
        self.expected = expected


class FetchError(Exception):
    """An HTTP(S) request that failed, before the artifact it was for is named.

    kind: http (the server answered with code), tls (certificate or handshake), network (no answer)."""

    def __init__(self, url, reason, code=None, kind='network'):
        super().__init__(reason)
        self.url = url
        self.reason = reason
        self.code = code
        self.kind = kind


def normalize_sha256(value):
    """The lowercase hex sha256 in value, or None when value is not 64 hex digits."""
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value if SHA256.match(value) else None


def per_arch(value, arch):
    """A checksum given per architecture (a dict) or for the one architecture (a string)."""
    if isinstance(value, dict):
        return value.get(arch)
    return value


def member_key(name):
    """A tar member name as it compares: ./bin/x, bin/x and /bin/x are one member."""
    return posixpath.normpath('/' + name).lstrip('/')


def safe_basename(url):
    """The file name a URL ends with, made safe for a cache file name."""
    name = posixpath.basename(unquote(urlsplit(url).path)) or 'artifact'
    return re.sub(r'[^A-Za-z0-9._+-]', '_', name)


class Artifact(object):
    """One artifact as the messages name it: '<kind> <name> <version>' at url; path is what the server must serve."""

    def __init__(self, name, version, url, path=None, kind='artifact', setting='caas_files_repo_url',
                 ca_path=None):
        self.name = name
        self.version = version
        self.url = url
        self.path = path or unquote(urlsplit(url).path).lstrip('/')
        self.kind = kind
        self.setting = setting
        self.ca_path = ca_path

    @property
    def label(self):
        return '%s %s %s' % (self.kind, self.name, self.version)

    def error(self, status, what, fix, found=None, expected=None, url=None):
        return ArtifactError('%s: %s %s. %s' % (self.label, url or self.url, what, fix), status, found, expected)

    def unreachable(self, error, verb='cannot be downloaded', serves=None):
        """The message for a failed request: HTTP 404 is 'missing', anything else 'unreachable'."""
        serves = serves or 'the files repository serves %s' % self.path
        return self.error('missing' if error.code == 404 else 'unreachable', '%s: %s' % (verb, error.reason),
                          fetch_fix(error, self.setting, serves, self.ca_path), found=error.reason, url=error.url)

    def mismatch(self, found, expected):
        return self.error('mismatch', 'has sha256 %s, the artifact manifest expects %s' % (found, expected),
                          'The files repository holds a different file than the manifest: %s.' % PUBLISH,
                          found=found, expected=expected)


def fetch_fix(error, setting, serves, ca_path=None):
    """What to do about a failed request, by what failed."""
    parts = urlsplit(error.url)
    host = parts.netloc
    if error.code == 404:
        return 'Check %s and that %s.' % (setting, serves)
    if error.code in (401, 403):
        return ('%s refuses to serve it without credentials: the nodes read anonymously, so %s must point at a '
                'repository that allows anonymous GET and HEAD.' % (host, setting))
    if error.code:
        return '%s answered with an error: check its log and that %s, then run again.' % (host, serves)
    if error.kind == 'tls' and 'certificate' in str(error.reason).lower():
        return ('Check that ca_path (%s) holds the CA that signed the certificate of %s and that the certificate names '
                '%s.' % (ca_path or 'unset: the system trust store', host, parts.hostname))
    if error.kind == 'tls':
        return ('The TLS handshake with %s failed: check that %s names its HTTPS port and that it serves TLS 1.2 or '
                'newer.' % (host, setting))
    return ('Check %s and that %s is reachable from this host (address, port, firewall, proxy and no_proxy).'
            % (setting, host))


def _bearer_challenge(header):
    """realm, service and scope of a 'WWW-Authenticate: Bearer ...' header, or None."""
    if not header or not header.strip().lower().startswith('bearer '):
        return None
    return dict((k.lower(), v) for k, v in re.findall(r'(\w+)="([^"]*)"', header))


class Client(object):
    """HTTPS requests with one TLS setting; a host that did not answer once is not asked again.

    Registries that want an anonymous bearer token (Harbor, Artifactory, Nexus) get one asked for."""

    def __init__(self, ca_path=None, validate_certs=True, timeout=30):
        self.ca_path = ca_path
        self.validate_certs = validate_certs
        self.timeout = timeout
        self._down = {}
        self._tokens = {}

    def open(self, url, method='GET', headers=None, _auth=True):
        """The response object (a file-like) of a 2xx answer; raises FetchError otherwise."""
        headers = dict(headers or {})
        netloc = urlsplit(url).netloc
        if netloc in self._down:
            down = self._down[netloc]
            raise FetchError(url, down.reason, down.code, down.kind)
        scope_key = None
        challenge = None
        for key, token in self._tokens.items():
            if url.startswith(key):
                headers['Authorization'] = 'Bearer %s' % token
                scope_key = key
        try:
            return open_url(url, method=method, headers=headers, ca_path=self.ca_path,
                            validate_certs=self.validate_certs, timeout=self.timeout, decompress=False,
                            http_agent='caas.platform', unredirected_headers=['Authorization'])
        except urllib.error.HTTPError as exc:
            code, reason = exc.code, str(exc)
            challenge = _bearer_challenge(exc.headers.get('WWW-Authenticate') if exc.headers else None)
            exc.close()
            if not (code == 401 and _auth and challenge and challenge.get('realm') and scope_key is None):
                raise FetchError(url, reason, code, 'http')
        except urllib.error.URLError as exc:
            raise self._failed(url, exc.reason)
        except (UrlsConnectionError, http.client.HTTPException, socket.timeout, OSError, ValueError) as exc:
            raise self._failed(url, exc)
        # An anonymous bearer token for this repository, then the same request again.
        self._tokens[self._token_key(url)] = self._token(url, challenge)
        return self.open(url, method, headers, _auth=False)

    def _failed(self, url, reason):
        tls = isinstance(reason, ssl.SSLError) or 'CERTIFICATE' in str(reason).upper() or '[SSL' in str(reason)
        error = FetchError(url, str(reason) or type(reason).__name__, None, 'tls' if tls else 'network')
        self._down[urlsplit(url).netloc] = error
        return error

    @staticmethod
    def _token_key(url):
        match = re.match(r'^(https?://[^/]+/v2/.+?/)(manifests|blobs)/', url)
        return match.group(1) if match else url

    def _token(self, url, challenge):
        query = dict((k, challenge[k]) for k in ('service', 'scope') if challenge.get(k))
        token_url = challenge['realm'] + ('?' + urlencode(query) if query else '')
        response = self.open(token_url, _auth=False)
        try:
            body = read_limited(response, token_url, MANIFEST_LIMIT)
            document = json.loads(body.decode('utf-8'))
            return document.get('token') or document['access_token']
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise FetchError(url, 'HTTP Error 401: Unauthorized, and %s gave no token for anonymous reads' % token_url,
                             401, 'http')


def read_limited(response, url, limit):
    """The whole body of a small document (a manifest, a token), refusing more than limit bytes."""
    try:
        body = response.read(limit + 1)
    except (http.client.HTTPException, socket.timeout, OSError) as exc:
        raise FetchError(url, 'the answer broke off: %s' % (exc or type(exc).__name__))
    finally:
        response.close()
    if len(body) > limit:
        raise FetchError(url, 'the answer is larger than %d bytes' % limit, None, 'http')
    return body


class HashingReader(object):
    """A file-like over a stream that hashes and counts every byte read through it, and can copy them to sink."""

    def __init__(self, raw, url, sink=None):
        self.raw = raw
        self.url = url
        self.sink = sink
        self.hash = hashlib.sha256()
        self.size = 0

    def read(self, size=CHUNK):
        if size is None or size < 0:
            size = CHUNK
        try:
            data = self.raw.read(size)
        except (http.client.HTTPException, socket.timeout, OSError) as exc:
            raise FetchError(self.url, 'the download broke off after %d bytes: %s'
                             % (self.size, exc or type(exc).__name__))
        self.hash.update(data)
        self.size += len(data)
        if self.sink is not None:
            self.sink.write(data)
        return data

    def drain(self):
        while self.read(CHUNK):
            pass

    def hexdigest(self):
        return self.hash.hexdigest()


def _hash_member(handle):
    digest = hashlib.sha256()
    size = 0
    for data in iter(lambda: handle.read(CHUNK), b''):
        digest.update(data)
        size += len(data)
    return digest.hexdigest(), size


def scan(reader, artifact, members=None):
    """Read reader to its end; returns (sha256, size, member hashes, member error).

    With members (archive member paths), the stream is also read as a tar(.gz) archive and each member's
    sha256 and size returned as {member: {'sha256', 'size'}}. A member that is missing or not a regular
    file, or a stream that is no tar archive, gives an ArtifactError as member error instead of raising:
    the caller judges the whole file's sha256 first, the more telling fault."""
    hashes = {}
    member_error = None
    if members:
        wanted = dict((member_key(m), m) for m in members)
        seen = []
        try:
            with tarfile.open(fileobj=reader, mode='r|*') as archive:
                for info in archive:
                    key = member_key(info.name)
                    if info.isfile():
                        seen.append(info.name)
                    if key not in wanted:
                        continue
                    if not info.isfile():
                        raise ArtifactError('member %s is a %s, not a regular file' % (
                            info.name, 'link' if info.issym() or info.islnk() else 'directory or device'))
                    sha, size = _hash_member(archive.extractfile(info))
                    hashes[wanted[key]] = {'sha256': sha, 'size': size}
        except FetchError:
            raise
        except ArtifactError as exc:
            member_error = artifact.error('mismatch', 'has %s' % exc, 'The artifact manifest names members the archive '
                                          'does not hold as files: correct its members list for this version.')
        except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
            member_error = artifact.error('mismatch', 'is not a tar archive (%s)' % exc,
                                          'Archive members apply to .tar.gz and .tgz files only: install a plain '
                                          'binary with dest, or correct the URL.')
        missing = [m for m in members if m not in hashes]
        if missing and member_error is None:
            listed = ', '.join(seen[:30]) + (', ...' if len(seen) > 30 else '')
            member_error = artifact.error(
                'mismatch', 'has no member %s (its files are %s)' % (', '.join(missing), listed or 'none'),
                'The members list names files this archive does not hold: correct it (artifacts/manifest.yml) for '
                'this version.', found=sorted(hashes), expected=list(members))
    reader.drain()
    return reader.hexdigest(), reader.size, hashes, member_error


def fetch(client, artifact, members=None, sink=None):
    """Stream artifact.url to its end (copied to sink if given): (sha256, size, member hashes, member error)."""
    try:
        response = client.open(artifact.url)
    except FetchError as exc:
        raise artifact.unreachable(exc)
    try:
        return scan(HashingReader(response, artifact.url, sink), artifact, members)
    except FetchError as exc:
        raise artifact.unreachable(exc)
    finally:
        response.close()


def download(client, artifact, directory, members=None):
    """Stream artifact.url into a new temporary file in directory: (path, sha256, size, member hashes, member error).

    The caller verifies, then renames or removes the file; on any failure here it is removed."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.caas-download-')
    try:
        with os.fdopen(fd, 'wb') as sink:
            result = fetch(client, artifact, members, sink)
            sink.flush()
            os.fsync(sink.fileno())
    except BaseException:
        os.unlink(tmp)
        raise
    return (tmp,) + result


def file_sha256(path, artifact=None, members=None):
    """(sha256, size, member hashes, member error) of a local file, read in chunks."""
    artifact = artifact or Artifact(os.path.basename(path), '', path)
    with open(path, 'rb') as handle:
        return scan(HashingReader(handle, path), artifact, members)


def current_sha256(path):
    """The sha256 of the regular file at path, or None when there is no file there."""
    if not os.path.isfile(path):
        return None
    with open(path, 'rb') as handle:
        reader = HashingReader(handle, path)
        reader.drain()
    return reader.hexdigest()


def stage(source, dest, mode=None):
    """Copy the stream source into a new temporary file beside dest: (temporary path, sha256).

    Nothing happens to dest; the caller moves the file over it once every file it installs is staged."""
    directory = os.path.dirname(dest) or '.'
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.caas-')
    try:
        with os.fdopen(fd, 'wb') as sink:
            reader = HashingReader(source, dest, sink)
            reader.drain()
            sink.flush()
            os.fsync(sink.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp, reader.hexdigest()


def stage_members(archive_path, targets, mode=None):
    """Extract archive members beside their destinations: {member: dest} -> {dest: (temporary path, sha256)}.

    A member that appears twice in the archive is taken from its last copy, as tar itself would. On failure,
    every temporary file is removed."""
    wanted = dict((member_key(member), dest) for member, dest in targets.items())
    staged = {}
    try:
        with tarfile.open(archive_path, mode='r|*') as archive:
            for info in archive:
                dest = wanted.get(member_key(info.name))
                if dest is None or not info.isfile():
                    continue
                if dest in staged:
                    os.unlink(staged.pop(dest)[0])
                staged[dest] = stage(archive.extractfile(info), dest, mode)
    except BaseException:
        discard(tmp for tmp, _sha in staged.values())
        raise
    return staged


def discard(paths):
    for path in paths:
        try:
            os.unlink(path)
        except OSError:
            pass


# Beside a cached archive: the sha256 of its members, recorded when the archive was verified.
MEMBER_INDEX_SUFFIX = '.members.json'


def read_member_index(cached):
    """{member: sha256} recorded when the cached archive was verified, or None (no archive, no or a stale index).

    With it a re-run compares the installed files with their members without reading the archive again; any
    installed file that differs sends the run back to the archive, which is verified before anything is written.
    """
    try:
        size = os.path.getsize(cached)
        with open(cached + MEMBER_INDEX_SUFFIX, 'r') as handle:
            index = json.load(handle)
    except (IOError, OSError, ValueError):
        return None
    if not isinstance(index, dict) or index.get('archive_size') != size or not isinstance(index.get('members'), dict):
        return None
    return index['members']


def write_member_index(cached, hashes):
    """Record the sha256 of the verified archive's members beside it (atomically, 0644)."""
    directory = os.path.dirname(cached) or '.'
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.caas-')
    with os.fdopen(fd, 'w') as handle:
        json.dump({'archive_size': os.path.getsize(cached),
                   'members': dict((member, found['sha256']) for member, found in hashes.items())}, handle)
    os.chmod(tmp, 0o644)
    os.rename(tmp, cached + MEMBER_INDEX_SUFFIX)


def prune_cache(directory, keep):
    """Remove the other cached versions of keep's file (<sha256>-<same name>, and their member index) from
    directory; returns them."""
    name = os.path.basename(keep)
    suffix = name[65:]
    removed = []
    for entry in os.listdir(directory):
        base = entry[:-len(MEMBER_INDEX_SUFFIX)] if entry.endswith(MEMBER_INDEX_SUFFIX) else entry
        if base != name and base[65:] == suffix and base[64:65] == '-' and SHA256.match(base[:64]):
            path = os.path.join(directory, entry)
            try:
                if os.path.isfile(path):
                    os.unlink(path)
                    removed.append(path)
            except OSError:
                pass  # another run's business; the cache only grows
    return removed


# Registry mirror


def manifest_url(mirror, repository, reference):
    return 'https://%s/v2/%s/manifests/%s' % (mirror_host(mirror), repository, reference)


def mirror_host(mirror):
    """host:port of a mirror given with or without https://."""
    return re.sub(r'^https?://', '', mirror or '').rstrip('/')


def _platforms(document):
    return ['%s/%s%s' % ((m.get('platform') or {}).get('os', '?'), (m.get('platform') or {}).get('architecture', '?'),
                         '/' + m['platform']['variant'] if (m.get('platform') or {}).get('variant') else '')
            for m in document.get('manifests') or []]


def get_manifest(client, mirror, repository, reference):
    """(document, media type, digest, digest of the body, url) of a manifest on the mirror.

    digest is the registry's Docker-Content-Digest, or the sha256 of the body when it sends none."""
    url = manifest_url(mirror, repository, reference)
    response = client.open(url, headers={'Accept': MANIFEST_ACCEPT})
    header = response.headers.get('Docker-Content-Digest')
    content_type = (response.headers.get('Content-Type') or '').split(';')[0].strip()
    body = read_limited(response, url, MANIFEST_LIMIT)
    computed = 'sha256:' + hashlib.sha256(body).hexdigest()
    try:
        document = json.loads(body.decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(url, 'the manifest is not JSON: %s' % exc, None, 'http')
    if not isinstance(document, dict):
        raise FetchError(url, 'the manifest is not a JSON object', None, 'http')
    media_type = document.get('mediaType') or content_type
    if media_type not in INDEX_TYPES and 'manifests' in document and 'layers' not in document:
        media_type = OCI_INDEX
    return document, media_type, header or computed, computed, url


def resolve_image(client, mirror, image, tag, arch, artifact, verify_content=True):
    """The image's manifest digest for linux/arch on the mirror.

    Returns {'digest': platform manifest digest, 'index_digest': digest of the index or list the tag points at
    (None for a single manifest), 'media_type', 'url'}. With verify_content, the platform manifest is read and
    hashed, its config must name linux/arch, and the mirror must hold its config and layer blobs."""
    serves = 'the mirror holds %s:%s (publish it from the offline bundle, playbooks/artifacts_publish.yml)' % (image, tag)
    try:
        document, media_type, digest, computed, url = get_manifest(client, mirror, image, tag)
    except FetchError as exc:
        raise artifact.unreachable(exc, 'cannot be read', serves)
    if verify_content and digest != computed:
        raise artifact.error('mismatch', 'answers Docker-Content-Digest %s for a manifest whose sha256 is %s'
                             % (digest, computed), 'The mirror serves a manifest other than the one it names: '
                             '%s.' % PUBLISH.replace('it again', 'the image again'), found=computed, url=url)
    index_digest = None
    if media_type in INDEX_TYPES:
        index_digest = digest
        entries = [m for m in document.get('manifests') or []
                   if (m.get('platform') or {}).get('os') == 'linux' and (m.get('platform') or {}).get('architecture') == arch]
        if not entries:
            raise artifact.error('missing', 'is an index without a linux/%s image (it has %s)'
                                 % (arch, ', '.join(_platforms(document)) or 'no images'),
                                 'Publish the image for linux/%s to the mirror from the offline bundle '
                                 '(playbooks/artifacts_publish.yml).' % arch, found=_platforms(document), url=url)
        digest = entries[0].get('digest')
        if verify_content:
            try:
                document, media_type, _header, computed, url = get_manifest(client, mirror, image, digest)
            except FetchError as exc:
                raise artifact.unreachable(exc, 'cannot be read', 'the mirror holds the linux/%s manifest %s of %s:%s '
                                           '(publish the image again from the offline bundle, '
                                           'playbooks/artifacts_publish.yml)' % (arch, digest, image, tag))
            if computed != digest:
                raise artifact.error('mismatch', 'has sha256 %s, its index names it %s' % (computed, digest),
                                     'The mirror holds a damaged image: %s.' % PUBLISH.replace('it again', 'the image again'),
                                     found=computed, expected=digest, url=url)
    if verify_content:
        _verify_blobs(client, mirror, image, tag, arch, document, artifact, url)
    return {'digest': digest, 'index_digest': index_digest, 'media_type': media_type, 'url': url}


def _verify_blobs(client, mirror, image, tag, arch, document, artifact, url):
    base = 'https://%s/v2/%s/blobs/' % (mirror_host(mirror), image)
    config = document.get('config') or {}
    republish = 'Publish the image again from the offline bundle (playbooks/artifacts_publish.yml).'
    if config.get('digest'):
        try:
            body = read_limited(client.open(base + config['digest']), base + config['digest'], MANIFEST_LIMIT)
        except FetchError as exc:
            raise artifact.error('missing' if exc.code == 404 else 'unreachable', 'lacks the config blob %s of %s:%s: %s'
                                 % (config['digest'], image, tag, exc.reason), republish, url=url)
        if 'sha256:' + hashlib.sha256(body).hexdigest() != config['digest']:
            raise artifact.error('mismatch', 'serves a config blob that does not hash to %s' % config['digest'],
                                 republish, url=url)
        try:
            platform = json.loads(body.decode('utf-8'))
        except (ValueError, UnicodeDecodeError):
            platform = {}
        if not isinstance(platform, dict):
            platform = {}
        found = '%s/%s' % (platform.get('os'), platform.get('architecture'))
        if platform.get('architecture') and found != 'linux/%s' % arch:
            raise artifact.error('mismatch', 'is an image for %s, not linux/%s' % (found, arch),
                                 'Publish the linux/%s image (or the multi-platform index) to the mirror from the '
                                 'offline bundle (playbooks/artifacts_publish.yml).' % arch, found=found,
                                 expected='linux/%s' % arch, url=url)
    for layer in document.get('layers') or []:
        if not layer.get('digest') or layer.get('urls'):
            continue
        try:
            client.open(base + layer['digest'], method='HEAD').close()
        except FetchError as exc:
            raise artifact.error('missing' if exc.code == 404 else 'unreachable', 'lacks the layer blob %s of %s:%s: %s'
                                 % (layer['digest'], image, tag, exc.reason), republish, url=url)
