#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: artifact_install
short_description: Download artifacts from the files repository, verify their sha256 and install them
version_added: 0.1.0
description:
  - Installs a binary, or members of a C(.tar.gz) archive, from the files repository, after checking the download
    against the sha256 of the artifact manifest. A checksum mismatch or a failed download fails the task
    B(before) any destination is touched, so a running service keeps its binary.
  - One artifact (O(name), O(version), O(url), O(sha256)), or several in one run (O(artifacts), the entries of the
    C(caas.platform.artifacts) lookup). With several, every one is verified and staged before any destination is
    written, and a re-run makes one remote run for all of them instead of one each.
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
    description:
      - The artifact's name in the artifact manifest, for messages (for example C(containerd)).
      - Exactly one of O(name) and O(artifacts) is given; O(name) goes with O(version), O(url) and O(sha256).
    type: str
  version:
    description: The artifact's version, for messages.
    type: str
  url:
    description: Where to download it, C(<files repository>/<upstream host>/<path>).
    type: str
  sha256:
    description:
      - The sha256 of the whole download, 64 hexadecimal digits, from the artifact manifest.
      - Anything else is refused before anything is done.
    type: str
  artifacts:
    description:
      - Several artifacts, each a dict with C(name), C(version), C(url), C(sha256) and C(members) as the
        P(caas.platform.artifacts#lookup) lookup returns them (other keys are ignored).
      - A plain binary (no C(members)) is installed in its directory under the artifact's name; an archive's members
        under their base names. The directory is O(install_dirs[name]), else O(install_dir).
    type: list
    elements: dict
  install_dirs:
    description: With O(artifacts), artifact name to the directory it is installed in, where it is not O(install_dir).
    type: dict
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
    description:
      - With O(members) as a list, the directory each member is installed in, under its base name.
      - With O(artifacts), the directory of each artifact that O(install_dirs) does not name.
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

- name: Install runc, kubectl and crictl in one run, runc in /usr/local/sbin
  caas.platform.artifact_install:
    artifacts: "{{ query('caas.platform.artifacts', 'runc', 'kubectl', 'crictl', kind='file',
                   kubernetes_version=caas_kubernetes_version, files_repo_url=caas_files_repo_url) }}"
    install_dir: /usr/local/bin
    install_dirs:
      runc: /usr/local/sbin
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
  returned: when O(name) is given
  type: str
  sample: /var/cache/caas-platform/artifacts/5d2a...e1-containerd-2.3.7-linux-amd64.tar.gz
downloaded:
  description: Whether an artifact was read from the files repository in this run (in check mode, streamed and hashed
    without being stored).
  returned: always
  type: bool
artifacts:
  description: With O(artifacts), each artifact's C(name), C(version), C(cached) path, C(downloaded), its destinations
    (C(paths)) and those C(installed) in this run.
  returned: when O(artifacts) is given
  type: list
  elements: dict
  sample: [{name: runc, version: 1.4.3, cached: /var/cache/caas-platform/artifacts/e1b3...d1-runc.amd64,
            downloaded: false, paths: [/usr/local/sbin/runc], installed: []}]
"""

import os
import posixpath
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils import artifacts as af


def refuse(module, msg):
    module.fail_json(msg=msg, changed=False)


def requested(module):
    """[(name, version, url, sha256, dest, members, install_dir)]: the one artifact of name, or each of artifacts."""
    params = module.params
    if params['artifacts'] is None:
        return [(params['name'], params['version'], params['url'], params['sha256'], params['dest'],
                 params['members'], params['install_dir'])]
    if not params['artifacts']:
        refuse(module, 'artifacts is empty: give the artifacts to install (what the caas.platform.artifacts lookup '
               'returns)')
    install_dirs = params['install_dirs'] or {}
    wanted = []
    for index, entry in enumerate(params['artifacts']):
        lacking = [key for key in ('name', 'version', 'url', 'sha256') if not entry.get(key)]
        if lacking:
            refuse(module, 'artifacts[%d] (%s) has no %s: give the entries the caas.platform.artifacts lookup returns'
                   % (index, entry.get('name', 'unnamed'), ', '.join(lacking)))
        name = str(entry['name'])
        directory = install_dirs.get(name, params['install_dir'])
        if not directory:
            refuse(module, 'artifact %s: give install_dir, or install_dirs[%s], the directory to install it in'
                   % (name, name))
        members = entry.get('members') or None
        # A plain binary goes in the directory under the artifact's name; an archive's members under their base names.
        dest = None if members else os.path.join(directory, name)
        wanted.append((name, str(entry['version']), str(entry['url']), str(entry['sha256']), dest, members,
                       directory if members else None))
    return wanted


def targets_of(module, label, dest, members, install_dir):
    """[(dest, member or None)] from dest or members, checked."""
    if dest:
        targets = [(dest, None)]
    elif members:
        if isinstance(members, list):
            if not install_dir:
                refuse(module, '%s: members is a list: give install_dir, the directory to install them in' % label)
            members = dict((str(m), os.path.join(install_dir, posixpath.basename(str(m)))) for m in members)
        elif not isinstance(members, dict):
            refuse(module, '%s: members is %r: give a dict (archive member -> destination) or a list with install_dir'
                   % (label, members))
        elif install_dir:
            refuse(module, '%s: install_dir goes with members given as a list, not as a dict' % label)
        targets = []
        for member, member_dest in members.items():
            if not isinstance(member_dest, str) or not member_dest:
                refuse(module, '%s: members: %s maps to %r; map each archive member to a destination path'
                       % (label, member, member_dest))
            targets.append((member_dest, str(member)))
    else:
        refuse(module, '%s: give dest (a plain binary) or members (archive member -> destination)' % label)
    for target, _member in targets:
        if not os.path.isabs(target):
            refuse(module, '%s: destination %s is not an absolute path' % (label, target))
        if os.path.isdir(target):
            refuse(module, '%s: destination %s is a directory: name the file to install' % (label, target))
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


class Plan(object):
    """One artifact: its destinations, what each holds now and should hold, and the verified source to write from."""

    def __init__(self, module, client, name, version, url, sha256, dest, members, install_dir):
        params = module.params
        self.label = 'artifact %s %s' % (name, version)
        self.name, self.version = name, version
        want = af.normalize_sha256(sha256)
        if want is None:
            refuse(module, '%s: sha256 %r is not a sha256 (64 hexadecimal digits). Give the artifact\'s sha256 from '
                   'artifacts/manifest.yml; a null there means the artifact was never built or locked: build it '
                   '(scripts/lab build, for the lab) or lock it from a vetted offline bundle. Nothing was installed.'
                   % (self.label, sha256))
        self.targets = targets_of(module, self.label, dest, members, install_dir)
        member_names = [member for _dest, member in self.targets if member is not None]
        self.cached = os.path.join(params['cache_dir'], '%s-%s' % (want, af.safe_basename(url)))
        self.current = dict((target, af.current_sha256(target)) for target, _member in self.targets)
        self.downloaded = False
        index = af.read_member_index(self.cached) if member_names else None
        if index is not None and all(member in index and self.current[target] == index[member]
                                     for target, member in self.targets):
            # Every member is installed as it was verified: the archive need not be read (decompressed) again.
            self.source, hashes = None, dict((member, {'sha256': index[member]}) for member in member_names)
        elif member_names or self.current[self.targets[0][0]] != want:
            artifact = af.Artifact(name, version, url, ca_path=params['ca_path'])
            try:
                self.source, hashes, self.downloaded = obtain(module, client, artifact, want, self.cached, member_names)
            except af.ArtifactError as exc:
                module.fail_json(msg='%s %s' % (exc, af.NOTHING_INSTALLED), changed=False, status=exc.status,
                                 found=exc.found, expected=exc.expected, url=url)
            except (IOError, OSError) as exc:
                module.fail_json(msg='%s: cannot keep the download of %s in %s: %s. Check that the cache directory '
                                 'is writable and has room. %s' % (self.label, url, params['cache_dir'], exc,
                                                                   af.NOTHING_INSTALLED), changed=False)
            if member_names and self.source and not module.check_mode:
                af.write_member_index(self.source, hashes)
        else:
            self.source, hashes = None, {}
        self.content = dict((target, hashes[member]['sha256'] if member else want) for target, member in self.targets)
        self.to_write = [(target, member) for target, member in self.targets
                         if self.current[target] != self.content[target]]


def stage(plan, mode, staged):
    """Stage every destination of the plan beside itself (into staged: dest -> (temporary file, sha256)), checked."""
    for dest in [dest for dest, member in plan.to_write if member is None]:
        with open(plan.source, 'rb') as source:
            staged[dest] = af.stage(source, dest, mode)
    archive = dict((member, dest) for dest, member in plan.to_write if member is not None)
    if archive:
        staged.update(af.stage_members(plan.source, archive, mode))
    for dest, _member in plan.to_write:
        if dest not in staged or staged[dest][1] != plan.content[dest]:
            raise ValueError('%s staged with sha256 %s, expected %s (the cache changed while it was read)'
                             % (dest, staged[dest][1] if dest in staged else 'nothing', plan.content[dest]))


def install(module, plans, mode):
    """Stage every destination of every plan, then move them all in place: one that cannot be staged writes none."""
    staged = {}
    for plan in plans:
        try:
            stage(plan, mode, staged)
        except Exception as exc:  # pylint: disable=broad-except
            af.discard(tmp for tmp, _sha in staged.values())
            module.fail_json(msg='%s: could not stage %s from %s beside its destination: %s. Check that the '
                             'destination directory is writable and has room. %s' % (
                                 plan.label, ', '.join(d for d, _m in plan.to_write), plan.source, exc,
                                 af.NOTHING_INSTALLED))
    for plan in plans:
        for dest, _member in plan.to_write:
            module.atomic_move(staged[dest][0], dest)


def set_attributes(module, plan, diffs):
    """Mode, owner and group of each destination; the destinations whose attributes changed."""
    params = module.params
    changed = []
    for dest, _member in plan.targets:
        diff = {'before': {'sha256': plan.current[dest] or 'absent'}, 'after': {'sha256': plan.content[dest]},
                'before_header': dest, 'after_header': dest}
        attrs = False
        if os.path.lexists(dest):
            args = module.load_file_common_arguments(dict(path=dest, mode=params['mode'], owner=params['owner'],
                                                          group=params['group']))
            # A new file's mode before this run is not news: its diff is its sha256.
            attrs = module.set_fs_attributes_if_different(args, False, diff if plan.current[dest] else None)
            if attrs and (dest, _member) not in plan.to_write:
                changed.append(dest)
        if (dest, _member) in plan.to_write or attrs:
            diffs.append(diff)
    return changed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str'),
            version=dict(type='str'),
            url=dict(type='str'),
            sha256=dict(type='str'),
            dest=dict(type='path'),
            members=dict(type='raw'),
            install_dir=dict(type='path'),
            artifacts=dict(type='list', elements='dict'),
            install_dirs=dict(type='dict'),
            mode=dict(type='str', default='0755'),
            owner=dict(type='str', default='root'),
            group=dict(type='str', default='root'),
            cache_dir=dict(type='path', default='/var/cache/caas-platform/artifacts'),
            ca_path=dict(type='path'),
            validate_certs=dict(type='bool', default=True),
            timeout=dict(type='int', default=30),
        ),
        mutually_exclusive=[('dest', 'members'), ('name', 'artifacts'), ('dest', 'artifacts'),
                            ('members', 'artifacts'), ('install_dirs', 'name')],
        required_one_of=[('name', 'artifacts')],
        required_together=[('name', 'version', 'url', 'sha256')],
        supports_check_mode=True,
    )
    params = module.params
    if not re.match(r'^[0-7]{3,4}$', params['mode']):
        refuse(module, 'mode %r is not an octal mode such as "0755"' % (params['mode'],))
    mode = int(params['mode'], 8)
    wanted = requested(module)
    client = af.Client(params['ca_path'], params['validate_certs'], params['timeout'])
    # Every artifact is verified (downloaded, or read from the cache) before any destination is written.
    plans = [Plan(module, client, *entry) for entry in wanted]
    dests = [dest for plan in plans for dest, _member in plan.targets]
    twice = sorted(set(d for d in dests if dests.count(d) > 1))
    if twice:
        refuse(module, 'more than one artifact or member would be installed as %s' % ', '.join(twice))

    if not module.check_mode:
        install(module, [plan for plan in plans if plan.to_write], mode)

    diffs = []
    installed = [dest for plan in plans for dest, _member in plan.to_write]
    attributes_changed = [dest for plan in plans for dest in set_attributes(module, plan, diffs)]
    sha256 = dict((dest, sha) for plan in plans for dest, sha in plan.content.items())
    result = dict(changed=bool(installed or attributes_changed), installed=installed,
                  attributes_changed=attributes_changed, sha256=sha256,
                  downloaded=any(plan.downloaded for plan in plans))
    if params['artifacts'] is None:
        result['cached'] = plans[0].cached
    else:
        result['artifacts'] = [dict(name=plan.name, version=plan.version, cached=plan.cached, downloaded=plan.downloaded,
                                    paths=[dest for dest, _member in plan.targets],
                                    installed=[dest for dest, _member in plan.to_write]) for plan in plans]
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
