#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: artifact_install
short_description: Download one artifact from the files repository, verify its sha256 and install it
version_added: 0.1.0
description:
  - Installs a binary, or members of a C(.tar.gz) archive, from the files repository, after checking the download
    against the sha256 of the artifact manifest. A checksum mismatch or a failed download fails the task
    B(before) any destination is touched, so a running service keeps its binary.
  - The download streams to disk while it is hashed (binaries are up to 100 MB; none is held in memory) and the
    verified file is kept in O(cache_dir) as C(<sha256>-<file name>). A re-run whose cache holds the file, or whose
    destination already holds the right binary, downloads nothing.
  - The sha256 of an archive's members is recorded beside the verified archive (C(<sha256>-<file name>.members.json));
    a re-run whose destinations all match it does not read the archive again. A destination that differs sends the
    run back to the archive, verified before anything is written.
  - Each destination is compared by sha256 with the artifact (or the archive member); only those that differ are
    written, each through a temporary file beside it and an atomic rename, once every one of them is staged.
options:
  name:
    description: The artifact's name in the artifact manifest, for messages (for example C(containerd)).
    type: str
    required: true
  version:
    description: The artifact's version, for messages.
    type: str
    required: true
  url:
    description: Where to download it, C(<files repository>/<upstream host>/<path>).
    type: str
    required: true
  sha256:
    description:
      - The sha256 of the whole download, 64 hexadecimal digits, from the artifact manifest.
      - Anything else is refused before anything is done.
    type: str
    required: true
  dest:
    description: For a plain binary, the file to install it as.
    type: path
  members:
    description:
      - 'For a C(.tar.gz) or C(.tgz) archive, archive member path to destination file, for example
        C({"bin/containerd": "/usr/local/bin/containerd"}).'
      - Or a list of archive member paths (what the C(caas.platform.artifacts) lookup returns as C(members)), with
        O(install_dir), each installed there under its base name.
      - Member paths compare without a leading C(./).
      - One of O(dest) and O(members) is required.
    type: raw
  install_dir:
    description: With O(members) as a list, the directory each member is installed in, under its base name.
    type: path
  mode:
    description: The mode of each destination, as an octal string.
    type: str
    default: '0755'
  owner:
    description: The owner of each destination.
    type: str
    default: root
  group:
    description: The group of each destination.
    type: str
    default: root
  cache_dir:
    description:
      - Where verified downloads are kept, as C(<sha256>-<file name>).
      - When a new download is kept, the other versions of the same file name are removed.
    type: path
    default: /var/cache/caas-platform/artifacts
  ca_path:
    description: PEM file of the CA that signed the files repository's certificate. Unset means the system trust store.
    type: path
  validate_certs:
    description: Verify the files repository's certificate. Only turn this off in a lab.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the files repository to connect or send data.
    type: int
    default: 30
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description:
      - Writes nothing, not even the cache. When the cache does not hold the artifact, it is downloaded and hashed
        in a stream without being stored, so the report of what would change, and a checksum refusal, are the truth.
  diff_mode:
    support: full
    description: Shows the sha256 (and mode, owner, group) of each changed destination before and after.
  platform:
    support: full
    platforms: posix
    description: Any POSIX host.
notes:
  - Take O(url), O(sha256) and the member paths from the artifact manifest with the P(caas.platform.artifacts#lookup)
    lookup.
seealso:
  - module: caas.platform.artifact_check
  - plugin: caas.platform.artifacts
    plugin_type: lookup
"""

EXAMPLES = r"""
- name: Install runc, a plain binary
  caas.platform.artifact_install:
    name: runc
    version: 1.4.3
    url: https://files.dc1.example.com/files/github.com/opencontainers/runc/releases/download/v1.4.3/runc.amd64
    sha256: e1b3c0f5d7a9b2c4e6f8a0b1c3d5e7f9a2b4c6d8e0f1a3b5c7d9e2f4a6b8c0d1
    dest: /usr/local/sbin/runc
    ca_path: /etc/ssl/certs/caas-ca.pem

- name: Install containerd's binaries from its archive, as the artifact manifest pins it
  vars:
    containerd: "{{ query('caas.platform.artifacts', 'containerd', kubernetes_version=caas_kubernetes_version,
                    files_repo_url=caas_files_repo_url) | first }}"
  caas.platform.artifact_install:
    name: containerd
    version: "{{ containerd.version }}"
    url: "{{ containerd.url }}"
    sha256: "{{ containerd.sha256 }}"
    members:
      bin/containerd: /usr/local/bin/containerd
      bin/containerd-shim-runc-v2: /usr/local/bin/containerd-shim-runc-v2
      bin/ctr: /usr/local/bin/ctr
    ca_path: /etc/ssl/certs/caas-ca.pem

- name: Install every member of the artifact the manifest lists, under its base name
  vars:
    etcd: "{{ query('caas.platform.artifacts', 'etcd', files_repo_url=caas_files_repo_url) | first }}"
  caas.platform.artifact_install:
    name: etcd
    version: "{{ etcd.version }}"
    url: "{{ etcd.url }}"
    sha256: "{{ etcd.sha256 }}"
    members: "{{ etcd.members }}"
    install_dir: /usr/local/bin
"""

RETURN = r"""
installed:
  description: The destinations whose content was written (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [/usr/local/bin/containerd, /usr/local/bin/ctr]
attributes_changed:
  description: The destinations whose mode, owner or group was (or would be) changed.
  returned: always
  type: list
  elements: str
  sample: []
sha256:
  description: The sha256 of the content of each destination, as installed.
  returned: always
  type: dict
  sample: {/usr/local/bin/ctr: 0c1d5b9c3a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d}
cached:
  description:
    - The path of the verified download in O(cache_dir).
    - Not created when every destination already held the right binary, nor in check mode.
  returned: always
  type: str
  sample: /var/cache/caas-platform/artifacts/5d2a...e1-containerd-2.3.7-linux-amd64.tar.gz
downloaded:
  description: Whether the artifact was read from the files repository in this run (in check mode, streamed and hashed
    without being stored).
  returned: always
  type: bool
"""

import os
import posixpath
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils import artifacts as af


def refuse(module, msg):
    module.fail_json(msg=msg, changed=False)


def targets_of(module):
    """[(dest, member or None)] from dest or members, checked."""
    params = module.params
    if params['dest']:
        targets = [(params['dest'], None)]
    elif params['members']:
        members = params['members']
        if isinstance(members, list):
            if not params['install_dir']:
                refuse(module, 'members is a list: give install_dir, the directory to install them in')
            members = dict((str(m), os.path.join(params['install_dir'], posixpath.basename(str(m)))) for m in members)
        elif not isinstance(members, dict):
            refuse(module, 'members is %r: give a dict (archive member -> destination) or a list with install_dir'
                   % (members,))
        elif params['install_dir']:
            refuse(module, 'install_dir goes with members given as a list, not as a dict')
        targets = []
        for member, dest in members.items():
            if not isinstance(dest, str) or not dest:
                refuse(module, 'members: %s maps to %r; map each archive member to a destination path' % (member, dest))
            targets.append((dest, str(member)))
    else:
        refuse(module, 'give dest (a plain binary) or members (archive member -> destination)')
    for dest, _member in targets:
        if not os.path.isabs(dest):
            refuse(module, 'destination %s is not an absolute path' % dest)
        if os.path.isdir(dest):
            refuse(module, 'destination %s is a directory: name the file to install' % dest)
    dests = [dest for dest, _member in targets]
    twice = sorted(set(d for d in dests if dests.count(d) > 1))
    if twice:
        refuse(module, 'members install more than one member to %s' % ', '.join(twice))
    return targets


def obtain(module, client, artifact, want, cached, members):
    """The verified content: (cached path or None in check mode, member hashes, downloaded). Fails on a bad download."""
    check_mode = module.check_mode
    if os.path.isfile(cached):
        got, _size, hashes, member_error = af.file_sha256(cached, artifact, members)
        if got == want:
            if member_error:
                raise member_error
            return cached, hashes, False
        # A damaged cache entry: downloaded again below.
        if not check_mode:
            os.unlink(cached)
    cache_dir = os.path.dirname(cached)
    if check_mode:
        got, _size, hashes, member_error = af.fetch(client, artifact, members)
        tmp = None
    else:
        if not os.path.isdir(cache_dir):
            os.makedirs(cache_dir, 0o755)
        tmp, got, _size, hashes, member_error = af.download(client, artifact, cache_dir, members)
    if got != want:
        if tmp:
            os.unlink(tmp)
        raise artifact.mismatch(got, want)
    if tmp:
        # Verified: kept, even when the members list is wrong (that is the manifest's fault, not the file's).
        os.chmod(tmp, 0o644)
        os.rename(tmp, cached)
        af.prune_cache(cache_dir, cached)
    if member_error:
        raise member_error
    return (cached if tmp else None), hashes, True


def install(module, cached, to_write, content, mode):
    """Stage every destination in to_write beside itself, check each, then move them all in place."""
    staged = {}
    try:
        plain = [dest for dest, member in to_write if member is None]
        for dest in plain:
            with open(cached, 'rb') as source:
                staged[dest] = af.stage(source, dest, mode)
        archive = dict((member, dest) for dest, member in to_write if member is not None)
        if archive:
            staged.update(af.stage_members(cached, archive, mode))
        for dest, _member in to_write:
            if dest not in staged or staged[dest][1] != content[dest]:
                raise ValueError('%s staged with sha256 %s, expected %s (the cache changed while it was read)'
                                 % (dest, staged[dest][1] if dest in staged else 'nothing', content[dest]))
    except Exception as exc:  # pylint: disable=broad-except
        af.discard(tmp for tmp, _sha in staged.values())
        module.fail_json(msg='artifact %s %s: could not stage %s from %s beside its destination: %s. Check that the '
                         'destination directory is writable and has room. %s' % (
                             module.params['name'], module.params['version'], ', '.join(d for d, _m in to_write),
                             cached, exc, af.NOTHING_INSTALLED))
    for dest, _member in to_write:
        module.atomic_move(staged[dest][0], dest)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            version=dict(type='str', required=True),
            url=dict(type='str', required=True),
            sha256=dict(type='str', required=True),
            dest=dict(type='path'),
            members=dict(type='raw'),
            install_dir=dict(type='path'),
            mode=dict(type='str', default='0755'),
            owner=dict(type='str', default='root'),
            group=dict(type='str', default='root'),
            cache_dir=dict(type='path', default='/var/cache/caas-platform/artifacts'),
            ca_path=dict(type='path'),
            validate_certs=dict(type='bool', default=True),
            timeout=dict(type='int', default=30),
        ),
        mutually_exclusive=[('dest', 'members')],
        supports_check_mode=True,
    )
    params = module.params
    label = 'artifact %s %s' % (params['name'], params['version'])
    want = af.normalize_sha256(params['sha256'])
    if want is None:
        refuse(module, '%s: sha256 %r is not a sha256 (64 hexadecimal digits). Give the artifact\'s sha256 from '
               'artifacts/manifest.yml; a null there means the artifact was never built or locked: build it (scripts/lab '
               'build, for the lab) or lock it from a vetted offline bundle. Nothing was installed.'
               % (label, params['sha256']))
    if not re.match(r'^[0-7]{3,4}$', params['mode']):
        refuse(module, '%s: mode %r is not an octal mode such as "0755"' % (label, params['mode']))
    mode = int(params['mode'], 8)
    targets = targets_of(module)
    members = [member for _dest, member in targets if member is not None]

    artifact = af.Artifact(params['name'], params['version'], params['url'], ca_path=params['ca_path'])
    client = af.Client(params['ca_path'], params['validate_certs'], params['timeout'])
    cached = os.path.join(params['cache_dir'], '%s-%s' % (want, af.safe_basename(params['url'])))

    current = dict((dest, af.current_sha256(dest)) for dest, _member in targets)
    downloaded = False
    index = af.read_member_index(cached) if members else None
    if index is not None and all(member in index and current[dest] == index[member] for dest, member in targets):
        # Every member is installed as it was verified: the archive need not be read (decompressed) again.
        source, hashes = None, dict((member, {'sha256': index[member]}) for member in members)
    elif members or current[targets[0][0]] != want:
        try:
            source, hashes, downloaded = obtain(module, client, artifact, want, cached, members)
        except af.ArtifactError as exc:
            module.fail_json(msg='%s %s' % (exc, af.NOTHING_INSTALLED), changed=False, status=exc.status,
                             found=exc.found, expected=exc.expected, url=params['url'])
        except (IOError, OSError) as exc:
            msg = ('%s: cannot keep the download of %s in %s: %s. Check that the cache directory is writable and has '
                   'room. %s' % (label, params['url'], params['cache_dir'], exc, af.NOTHING_INSTALLED))
            module.fail_json(msg=msg, changed=False)
        if members and source and not module.check_mode:
            af.write_member_index(source, hashes)
    else:
        source, hashes = None, {}
    content = dict((dest, hashes[member]['sha256'] if member else want) for dest, member in targets)
    to_write = [(dest, member) for dest, member in targets if current[dest] != content[dest]]

    if to_write and not module.check_mode:
        install(module, source, to_write, content, mode)

    installed = [dest for dest, _member in to_write]
    attributes_changed, diffs = [], []
    for dest, _member in targets:
        diff = {'before': {'sha256': current[dest] or 'absent'}, 'after': {'sha256': content[dest]},
                'before_header': dest, 'after_header': dest}
        attrs = False
        if os.path.lexists(dest):
            args = module.load_file_common_arguments(dict(path=dest, mode=params['mode'], owner=params['owner'],
                                                          group=params['group']))
            # A new file's mode before this run is not news: its diff is its sha256.
            attrs = module.set_fs_attributes_if_different(args, False, diff if current[dest] else None)
            if attrs and dest not in installed:
                attributes_changed.append(dest)
        if dest in installed or attrs:
            diffs.append(diff)

    result = dict(changed=bool(installed or attributes_changed), installed=installed,
                  attributes_changed=attributes_changed, sha256=content, cached=cached, downloaded=downloaded)
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
