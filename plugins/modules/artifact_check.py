#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: artifact_check
short_description: Check a files repository and a registry mirror against the artifact manifest
version_added: 0.1.0
description:
  - Reads, and never changes, every listed binary from the files repository and every listed image from the
    registry mirror, and compares each with the sha256 or manifest digest the artifact manifest pins.
  - Checks B(all) of them before it reports, then fails when any is missing, different, unreachable or unlocked
    (has no checksum), listing each problem with its fix.
  - Files are downloaded and hashed as they stream (nothing is stored). Images are resolved to their C(linux/<arch>)
    manifest when the tag points at an index or manifest list.
options:
  files_repo_url:
    description:
      - Base URL of the files repository (C(caas_files_repo_url)); a file is read at C(<files_repo_url>/<path>).
      - Needed for files that have no O(files[].url).
    type: str
    default: ''
  registry_mirror:
    description:
      - The registry mirror, C(host:port) (C(caas_registry_mirror)), which stores images under their upstream names.
        Needed when O(images) is not empty.
    type: str
    default: ''
  ca_path:
    description: PEM file of the CA that signed the files repository's and the mirror's certificates. Unset means the
      system trust store.
    type: path
  validate_certs:
    description: Verify the certificates. Only turn this off in a lab.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for a server to connect or send data.
    type: int
    default: 30
  arch:
    description: The CPU architecture whose checksums and images are checked, as in file names.
    type: str
    default: amd64
  verify_content:
    description:
      - C(true) downloads and hashes each file (and reads the members of archives that list them); for images, reads
        the platform manifest, checks that its config is for C(linux/<arch>) and that the mirror holds its blobs.
      - C(false) only checks that each file exists (C(HEAD)), comparing its C(Content-Length) with O(files[].size)
        when given, and reads each image's tag manifest only.
    type: bool
    default: true
  files:
    description:
      - The binaries, as the artifact manifest lists them. The output of the P(caas.platform.artifacts#lookup) lookup
        can be passed as it is.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The artifact's name.
        type: str
        required: true
      version:
        description: The artifact's version.
        type: str
        required: true
      path:
        description: The upstream host and path, which the files repository mirrors; C({arch}) is replaced by O(arch).
        type: str
        required: true
      sha256:
        description: The sha256, per architecture (C({amd64, <hex>})) or for O(arch) alone. Null means unlocked.
        type: raw
      url:
        description: The full URL; when set, it is read instead of C(<files_repo_url>/<path>).
        type: str
      members:
        description: Archive members that must be in the archive, as regular files (with O(verify_content)).
        type: list
        elements: str
        default: []
      size:
        description: The size in bytes, compared with C(Content-Length) when O(verify_content=false).
        type: int
      layer:
        description: Ignored; accepted so that the lookup's output can be passed as it is.
        type: str
  images:
    description:
      - The images, as the artifact manifest lists them. The output of the P(caas.platform.artifacts#lookup) lookup
        with C(kind=image) can be passed as it is.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: The image's name in the artifact manifest.
        type: str
        required: true
      image:
        description: The upstream repository, for example C(registry.k8s.io/kube-apiserver).
        type: str
        required: true
      tag:
        description: The tag.
        type: str
        required: true
      digest:
        description:
          - The manifest digest, per architecture (C({amd64, sha256:<hex>})) or for O(arch) alone. Null means unlocked.
          - The digest of the C(linux/<arch>) manifest, or of the index the tag points at, both match.
        type: raw
      layer:
        description: Ignored; accepted so that the lookup's output can be passed as it is.
        type: str
      reference:
        description: Ignored; accepted so that the lookup's output can be passed as it is.
        type: str
      mirror_reference:
        description: Ignored; the reference is always C(<registry_mirror>/<image>:<tag>).
        type: str
      pinned:
        description: Ignored; accepted so that the lookup's output can be passed as it is.
        type: str
author:
  - caas.platform maintainers (@caas-platform)
extends_documentation_fragment:
  - caas.platform.attributes.read_only
attributes:
  platform:
    support: full
    platforms: posix
    description: Any host that can reach the files repository and the mirror, the controller included.
seealso:
  - module: caas.platform.artifact_install
  - plugin: caas.platform.artifacts
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: The files repository and the mirror serve what the artifact manifest pins
  caas.platform.artifact_check:
    files_repo_url: "{{ caas_files_repo_url }}"
    registry_mirror: "{{ caas_registry_mirror }}"
    ca_path: /etc/ssl/certs/caas-ca.pem
    files: "{{ query('caas.platform.artifacts', kubernetes_version=caas_kubernetes_version) }}"
    images: "{{ query('caas.platform.artifacts', kind='image', kubernetes_version=caas_kubernetes_version) }}"

- name: Only that everything is there, without downloading it
  caas.platform.artifact_check:
    files_repo_url: https://files.dc1.example.com/files
    registry_mirror: registry.dc1.example.com:5000
    verify_content: false
    files:
      - name: runc
        version: 1.4.3
        path: github.com/opencontainers/runc/releases/download/v1.4.3/runc.{arch}
        sha256: {amd64: e1b3c0f5d7a9b2c4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0d1}
    images:
      - name: pause
        image: registry.k8s.io/pause
        tag: 3.10.2
        digest: {amd64: "sha256:0f4e2a9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f"}
"""

RETURN = r"""
results:
  description: One entry per file, then per image, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: C(file) or C(image).
      type: str
    name:
      description: The artifact's name.
      type: str
    version:
      description: The artifact's version (the tag, for an image).
      type: str
    url:
      description: The URL read (a file, or the image's tag manifest).
      type: str
    reference:
      description: For an image, C(<registry_mirror>/<image>:<tag>).
      type: str
    status:
      description: C(ok), C(missing), C(mismatch), C(unreachable) or C(unlocked) (no checksum in the manifest).
      type: str
    found:
      description: What was found, the sha256 or digest when it could be read, or the error.
      type: raw
    expected:
      description: The sha256 or digest the artifact manifest pins.
      type: str
    msg:
      description: The problem and its fix; empty when C(ok).
      type: str
  sample:
    - {kind: file, name: runc, version: 1.4.3, status: ok, msg: '',
       url: 'https://files.dc1.example.com/files/github.com/opencontainers/runc/releases/download/v1.4.3/runc.amd64',
       found: e1b3c0f5d7a9b2c4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0d1,
       expected: e1b3c0f5d7a9b2c4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0d1}
counts:
  description: How many artifacts have each status, and C(total).
  returned: always
  type: dict
  sample: {ok: 18, missing: 1, mismatch: 0, unreachable: 0, unlocked: 0, total: 19}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils import artifacts as af


def check_file(client, item, params):
    arch = params['arch']
    path = item['path'].format(arch=arch)
    if item.get('url'):
        url = item['url'].format(arch=arch)
    else:
        url = '%s/%s' % (params['files_repo_url'].rstrip('/'), path.lstrip('/'))
    artifact = af.Artifact(item['name'], item['version'], url, path=path, ca_path=params['ca_path'])
    raw = af.per_arch(item.get('sha256'), arch)
    expected = af.normalize_sha256(raw)
    result = dict(kind='file', name=item['name'], version=item['version'], url=url, status='ok', found=None,
                  expected=expected, msg='')
    try:
        if params['verify_content']:
            found, _size, _hashes, member_error = af.fetch(client, artifact, item.get('members') or None)
            result['found'] = found
            if expected is not None and found != expected:
                raise artifact.mismatch(found, expected)
            if member_error:
                raise member_error
        else:
            result['found'] = exists(client, artifact, item.get('size'))
    except af.ArtifactError as exc:
        result.update(status=exc.status, msg=str(exc))
        if exc.found is not None and result['found'] is None:
            result['found'] = exc.found
        return result
    if expected is None:
        served = (' The files repository serves sha256 %s: if that is the vetted file, lock it in artifacts/manifest.yml.'
                  % result['found']) if params['verify_content'] else ''
        result.update(status='unlocked', msg='%s: %s has %s for %s in the artifact manifest: %s.%s' % (
            artifact.label, url, 'sha256 %r, not 64 hexadecimal digits,' % raw if raw is not None else 'no sha256',
            arch, af.NEVER_LOCKED, served))
    return result


def exists(client, artifact, size):
    """'present (N bytes)' when the file is there (HEAD, or GET when HEAD is refused); checks size if known."""
    try:
        try:
            response = client.open(artifact.url, method='HEAD')
        except af.FetchError as exc:
            if exc.code not in (405, 501):
                raise
            response = client.open(artifact.url)
        length = response.headers.get('Content-Length')
        response.close()
    except af.FetchError as exc:
        raise artifact.unreachable(exc, 'cannot be read')
    length = int(length) if length and length.isdigit() else None
    if size is not None and length is not None and length != size:
        raise artifact.error('mismatch', 'is %d bytes long, the artifact manifest expects %d' % (length, size),
                             'The files repository holds a different file than the manifest: %s.' % af.PUBLISH,
                             found=length, expected=size)
    return 'present (%s bytes)' % (length if length is not None else 'unknown')


def check_image(client, item, params):
    arch, mirror = params['arch'], af.mirror_host(params['registry_mirror'])
    reference = '%s/%s:%s' % (mirror, item['image'], item['tag'])
    url = af.manifest_url(mirror, item['image'], item['tag'])
    artifact = af.Artifact(item['name'], item['tag'], url, path='%s:%s' % (item['image'], item['tag']), kind='image',
                           setting='caas_registry_mirror', ca_path=params['ca_path'])
    raw = af.per_arch(item.get('digest'), arch)
    expected = raw.strip().lower() if isinstance(raw, str) and af.DIGEST.match(raw.strip().lower()) else None
    result = dict(kind='image', name=item['name'], version=item['tag'], url=url, reference=reference, status='ok',
                  found=None, expected=expected, msg='')
    try:
        resolved = af.resolve_image(client, mirror, item['image'], item['tag'], arch, artifact,
                                    params['verify_content'])
    except af.ArtifactError as exc:
        result.update(status=exc.status, found=exc.found, msg=str(exc))
        return result
    result['found'] = resolved['digest']
    problem = None
    if expected is None:
        problem = artifact.error(
            'unlocked', '(%s) has %s for %s in the artifact manifest: %s' % (
                reference, 'digest %r, not sha256:<64 hex>,' % raw if raw is not None else 'no digest', arch,
                af.NEVER_LOCKED),
            'The mirror serves %s for linux/%s: if that is the vetted image, lock it in artifacts/manifest.yml.'
            % (resolved['digest'], arch))
    elif expected not in (resolved['digest'], resolved['index_digest']):
        found = resolved['digest'] + (' (index %s)' % resolved['index_digest'] if resolved['index_digest'] else '')
        problem = artifact.error(
            'mismatch', '(%s) resolves to %s for linux/%s, the artifact manifest expects %s' % (
                reference, found, arch, expected),
            'The mirror holds a different image than the manifest: %s.' % af.PUBLISH.replace('it again', 'the image again'))
    if problem is not None:
        result.update(status=problem.status, msg=str(problem))
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files_repo_url=dict(type='str', default=''),
            registry_mirror=dict(type='str', default=''),
            ca_path=dict(type='path'),
            validate_certs=dict(type='bool', default=True),
            timeout=dict(type='int', default=30),
            arch=dict(type='str', default='amd64'),
            verify_content=dict(type='bool', default=True),
            files=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                version=dict(type='str', required=True),
                path=dict(type='str', required=True),
                sha256=dict(type='raw'),
                url=dict(type='str'),
                members=dict(type='list', elements='str', default=[]),
                size=dict(type='int'),
                layer=dict(type='str'),
            )),
            images=dict(type='list', elements='dict', default=[], options=dict(
                name=dict(type='str', required=True),
                image=dict(type='str', required=True),
                tag=dict(type='str', required=True),
                digest=dict(type='raw'),
                layer=dict(type='str'),
                reference=dict(type='str'),
                mirror_reference=dict(type='str'),
                pinned=dict(type='str'),
            )),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if any(not item.get('url') for item in params['files']) and not params['files_repo_url']:
        module.fail_json(msg='files_repo_url is empty and some files have no url: set files_repo_url '
                         '(caas_files_repo_url), for example https://files.dc1.example.com/files')
    if params['images'] and not af.mirror_host(params['registry_mirror']):
        module.fail_json(msg='registry_mirror is empty: set it (caas_registry_mirror) to the mirror\'s host:port, '
                         'for example registry.dc1.example.com:5000')
    client = af.Client(params['ca_path'], params['validate_certs'], params['timeout'])
    results = [check_file(client, item, params) for item in params['files']]
    results += [check_image(client, item, params) for item in params['images']]
    counts = dict((status, sum(1 for r in results if r['status'] == status)) for status in af.STATUSES)
    counts['total'] = len(results)
    problems = [r['msg'] for r in results if r['status'] != 'ok']
    if problems:
        module.fail_json(msg='%d of %d artifacts are not as the artifact manifest pins them:\n%s' % (
            len(problems), len(results), '\n'.join('- %s' % p for p in problems)),
            results=results, counts=counts, changed=False)
    module.exit_json(changed=False, results=results, counts=counts,
                     msg='%d artifacts checked: each is as the artifact manifest pins it' % len(results))


if __name__ == '__main__':
    main()
