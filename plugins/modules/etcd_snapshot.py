#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: etcd_snapshot
short_description: Save, verify, restore and prune etcd v3 snapshots
version_added: 0.1.0
description:
  - C(saved) takes a snapshot with C(etcdctl snapshot save) from the first of O(endpoints) that answers, into a
    temporary file beside O(path), verifies it, and only then renames it to O(path) with mode C(0600). A valid
    snapshot already at O(path) is kept unless O(force=true).
  - C(verified) checks a snapshot and changes nothing. It fails, naming the file and what is wrong, when the file
    is missing, its sha256 is not O(sha256), the sha256 C(etcdctl snapshot save) appended to it does not match its
    content (a truncated or corrupt file), or C(etcdutl snapshot status) cannot read it.
  - C(restored) verifies the snapshot the same way, then runs C(etcdutl snapshot restore) into a new data
    directory O(data_dir), through a temporary directory beside it that is renamed once the restore has succeeded.
    A marker file C(member/caas-restore.json) in the data directory records the snapshot's sha256 and the
    settings; a re-run with the same snapshot and settings changes nothing. Any other non-empty O(data_dir) is
    refused.
  - C(pruned) keeps the O(keep) newest files (by modification time) matching O(pattern) in O(directory) and removes
    the older ones.
options:
  state:
    description: What to do; see the description.
    type: str
    choices: [saved, verified, restored, pruned]
    required: true
  path:
    description: The snapshot file. Required with O(state=saved), O(state=verified) and O(state=restored).
    type: path
  sha256:
    description: With O(state=verified) or O(state=restored), the sha256 the snapshot file must have.
    type: str
  force:
    description: With O(state=saved), take a new snapshot even when O(path) already holds a valid one.
    type: bool
    default: false
  data_dir:
    description: With O(state=restored), the new data directory. It must not exist, be empty, or hold this restore.
    type: path
  name:
    description: With O(state=restored), the member name the restored data directory is for (etcd's C(--name)).
    type: str
  initial_advertise_peer_urls:
    description: With O(state=restored), that member's peer URLs.
    type: list
    elements: str
  initial_cluster:
    description:
      - With O(state=restored), every member of the restored cluster as name=peer URL, comma-separated.
      - Defaults to O(name)=O(initial_advertise_peer_urls), a single-member cluster.
    type: str
  initial_cluster_token:
    description: With O(state=restored), the token of the restored cluster (etcdutl's default when unset).
    type: str
  bump_revision:
    description:
      - With O(state=restored), raise the restored revision by this much and mark it compacted (etcdutl's
        C(--bump-revision) and C(--mark-compacted), etcdutl 3.5.8 or newer); 0 leaves the revision as saved.
      - For a Kubernetes cluster's etcd use a large value, such as 1000000000, so that kube-apiserver's watches
        never see a revision go back and their caches start over.
    type: int
    default: 0
  directory:
    description: With O(state=pruned), the directory of the snapshots.
    type: path
  pattern:
    description: With O(state=pruned), the glob the snapshot files match, in O(directory) only.
    type: str
    default: '*.db'
  keep:
    description: With O(state=pruned), how many of the newest snapshots to keep, at least 1.
    type: int
  endpoints:
    description: With O(state=saved), the client URLs to take the snapshot from; the first that answers is used.
    type: list
    elements: str
    default: ['https://127.0.0.1:2379']
  etcdutl_path:
    description: The etcdutl binary, a name looked up in the PATH or a path.
    type: str
    default: etcdutl
  timeout:
    description: Seconds etcdctl waits for an endpoint to answer before the snapshot is taken.
    type: int
    default: 5
  save_timeout:
    description: Seconds the download of the snapshot may take (etcdctl C(--command-timeout) of C(snapshot save)).
    type: int
    default: 900
extends_documentation_fragment:
  - caas.platform.etcd
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Verifies what it would use, and reports whether it would save, restore or remove, without doing it.
  diff_mode:
    support: none
    description: Returns no diff; RV(removed) lists what O(state=pruned) removes.
  platform:
    support: full
    platforms: posix
    description: Any POSIX host with etcdctl and etcdutl 3.5 or newer.
notes:
  - C(total_keys) is what C(etcdutl snapshot status) counts, every key of the database, etcd's own included.
  - Start etcd on a restored data directory with the same O(name), O(initial_advertise_peer_urls),
    O(initial_cluster) and O(initial_cluster_token), and C(--initial-cluster-state new).
seealso:
  - module: caas.platform.etcd_member
  - name: etcd disaster recovery
    description: Snapshots and restoring a cluster from one.
    link: https://etcd.io/docs/v3.5/op-guide/recovery/
"""

EXAMPLES = r"""
- name: Snapshot etcd
  caas.platform.etcd_snapshot:
    state: saved
    path: /var/backups/etcd/etcd-{{ now(utc=true, fmt='%Y%m%dT%H%M%SZ') }}.db
    endpoints: [https://127.0.0.1:2379]
    cacert: /etc/etcd/pki/ca.crt
    cert: /etc/etcd/pki/admin.crt
    key: /etc/etcd/pki/admin.key
  register: snapshot

- name: Keep the 14 newest
  caas.platform.etcd_snapshot:
    state: pruned
    directory: /var/backups/etcd
    pattern: etcd-*.db
    keep: 14

- name: Check a copied snapshot before it is used
  caas.platform.etcd_snapshot:
    state: verified
    path: /var/tmp/etcd-restore.db
    sha256: "{{ snapshot.sha256 }}"

- name: Restore it into a new data directory for etcd1
  caas.platform.etcd_snapshot:
    state: restored
    path: /var/tmp/etcd-restore.db
    sha256: "{{ snapshot.sha256 }}"
    data_dir: /var/lib/etcd-restored
    name: etcd1
    initial_advertise_peer_urls: [https://10.0.1.11:2380]
    initial_cluster: etcd1=https://10.0.1.11:2380,etcd2=https://10.0.1.12:2380,etcd3=https://10.0.1.13:2380
    initial_cluster_token: etcd-restored-1
"""

RETURN = r"""
path:
  description: The snapshot file.
  returned: when O(state) is C(saved), C(verified) or C(restored)
  type: str
  sample: /var/backups/etcd/etcd-20260101T000000Z.db
size:
  description: Its size in bytes (in check mode of C(saved), of the snapshot already there, if any).
  returned: when O(state) is C(saved), C(verified) or C(restored), and there is a snapshot
  type: int
  sample: 24608
sha256:
  description: Its sha256.
  returned: when O(state) is C(saved), C(verified) or C(restored), and there is a snapshot
  type: str
  sample: 6117a9090640b15a579cb8771546bb4cd465b218f83a8aad9ccedbe1816f20d4
revision:
  description: The etcd revision it holds, from C(etcdutl snapshot status).
  returned: when O(state) is C(saved), C(verified) or C(restored), and there is a snapshot
  type: int
  sample: 4
total_keys:
  description: The number of keys of its database, from C(etcdutl snapshot status).
  returned: when O(state) is C(saved), C(verified) or C(restored), and there is a snapshot
  type: int
  sample: 14
total_size:
  description: The size of its database, from C(etcdutl snapshot status).
  returned: when O(state) is C(saved), C(verified) or C(restored), and there is a snapshot
  type: int
  sample: 24576
hash:
  description: etcd's hash of its database, from C(etcdutl snapshot status), in hexadecimal.
  returned: when O(state) is C(saved), C(verified) or C(restored), and there is a snapshot
  type: str
  sample: dfebddf3
endpoint:
  description: The endpoint the snapshot was taken from.
  returned: when O(state=saved) and a snapshot was taken
  type: str
  sample: https://127.0.0.1:2379
data_dir:
  description: The restored data directory.
  returned: when O(state=restored)
  type: str
  sample: /var/lib/etcd-restored
marker:
  description: What the restore marker file of O(data_dir) records.
  returned: when O(state=restored)
  type: dict
  sample: {sha256: 6117a9090640b15a579cb8771546bb4cd465b218f83a8aad9ccedbe1816f20d4, name: etcd1,
           initial_cluster: etcd1=https://10.0.1.11:2380, initial_advertise_peer_urls: [https://10.0.1.11:2380],
           initial_cluster_token: etcd-restored-1, snapshot: /var/tmp/etcd-restore.db, revision: 4}
kept:
  description: The snapshots kept, newest first.
  returned: when O(state=pruned)
  type: list
  elements: str
  sample: [/var/backups/etcd/etcd-20260102T000000Z.db]
removed:
  description: The snapshots removed (or that would be, in check mode).
  returned: when O(state=pruned)
  type: list
  elements: str
  sample: [/var/backups/etcd/etcd-20251231T000000Z.db]
"""

import json
import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.etcd import (
    RESTORE_MARKER, EtcdError, Etcdctl, Etcdutl, connection_argument_spec, read_marker, snapshot_files,
    verify_snapshot)


def saved(module, etcdutl):
    params = module.params
    path = params['path']
    if os.path.exists(path) and not params['force']:
        try:
            return dict(changed=False, **verify_snapshot(etcdutl, path))
        except EtcdError as exc:
            module.warn('%s; taking a new snapshot in its place' % exc)
    if module.check_mode:
        return dict(changed=True, path=path)
    ctl = Etcdctl(module)
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o700)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.%s.caas-' % os.path.basename(path))
    os.close(fd)
    errors = []
    try:
        for endpoint in params['endpoints']:
            try:
                ctl.snapshot_save(endpoint, tmp, params['save_timeout'])
            except EtcdError as exc:
                errors.append('%s: %s' % (endpoint, exc))
                continue
            os.chmod(tmp, 0o600)
            try:
                facts = verify_snapshot(etcdutl, tmp)
            except EtcdError as exc:
                raise EtcdError('the snapshot taken from %s for %s failed its check, %s is unchanged: %s'
                                % (endpoint, path, path, exc))
            os.rename(tmp, path)
            facts['path'] = path
            return dict(changed=True, endpoint=endpoint, **facts)
        raise EtcdError('no snapshot of %s could be taken: %s' % (path, '; '.join(errors)))
    finally:
        for leftover in (tmp, tmp + '.part'):
            if os.path.exists(leftover):
                os.unlink(leftover)


def restored(module, etcdutl):
    params = module.params
    data_dir = params['data_dir'].rstrip(os.sep) or os.sep
    facts = verify_snapshot(etcdutl, params['path'], params['sha256'])
    marker = dict(sha256=facts['sha256'], name=params['name'],
                  initial_cluster=params['initial_cluster'] or ','.join(
                      '%s=%s' % (params['name'], url) for url in params['initial_advertise_peer_urls']),
                  initial_advertise_peer_urls=params['initial_advertise_peer_urls'],
                  initial_cluster_token=params['initial_cluster_token'], snapshot=params['path'],
                  revision=facts['revision'], bump_revision=params['bump_revision'])
    result = dict(facts, data_dir=data_dir, marker=marker)
    if os.path.exists(data_dir) and (not os.path.isdir(data_dir) or os.listdir(data_dir)):
        found = read_marker(data_dir)
        if found is None:
            module.fail_json(msg='%s exists and is not an empty directory: refusing to restore into it; give a new '
                                 'data_dir' % data_dir, **facts)
        settings = ('sha256', 'name', 'initial_cluster', 'initial_advertise_peer_urls', 'initial_cluster_token',
                    'bump_revision')
        different = [key for key in settings if (found.get(key) or None) != (marker[key] or None)]
        if different:
            module.fail_json(msg='%s already holds a restore with other %s (snapshot %s, sha256 %s): refusing to '
                                 'restore over it; give a new data_dir' % (
                                     data_dir, ', '.join(different), found.get('snapshot'), found.get('sha256')),
                             **facts)
        result.update(changed=False, marker=found)
        return result
    if module.check_mode:
        result['changed'] = True
        return result
    parent = os.path.dirname(data_dir) or '.'
    if not os.path.isdir(parent):
        os.makedirs(parent, 0o755)
    tmp = tempfile.mkdtemp(dir=parent, prefix='.%s.caas-restore-' % os.path.basename(data_dir))
    try:
        etcdutl.snapshot_restore(params['path'], tmp, params['name'], marker['initial_cluster'],
                                 params['initial_advertise_peer_urls'], params['initial_cluster_token'],
                                 params['bump_revision'])
        with open(os.path.join(tmp, RESTORE_MARKER), 'w') as handle:
            json.dump(marker, handle, indent=2, sort_keys=True)
            handle.write('\n')
        os.chmod(tmp, 0o700)
        if os.path.isdir(data_dir):
            os.rmdir(data_dir)  # empty, checked above
        os.rename(tmp, data_dir)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
    result['changed'] = True
    return result


def pruned(module):
    params = module.params
    if params['keep'] < 1:
        module.fail_json(msg='keep must be at least 1, not %d: pruned never removes every snapshot' % params['keep'])
    if not os.path.isdir(params['directory']):
        module.fail_json(msg='%s is not a directory' % params['directory'])
    files = snapshot_files(params['directory'], params['pattern'])
    kept, removed = files[:params['keep']], files[params['keep']:]
    if not module.check_mode:
        for path in removed:
            os.unlink(path)
    return dict(changed=bool(removed), kept=kept, removed=removed)


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        state=dict(type='str', choices=['saved', 'verified', 'restored', 'pruned'], required=True),
        path=dict(type='path'),
        sha256=dict(type='str'),
        force=dict(type='bool', default=False),
        data_dir=dict(type='path'),
        name=dict(type='str'),
        initial_advertise_peer_urls=dict(type='list', elements='str'),
        initial_cluster=dict(type='str'),
        initial_cluster_token=dict(type='str', no_log=False),
        bump_revision=dict(type='int', default=0),
        directory=dict(type='path'),
        pattern=dict(type='str', default='*.db'),
        keep=dict(type='int'),
        save_timeout=dict(type='int', default=900),
        etcdutl_path=dict(type='str', default='etcdutl'),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[('state', 'saved', ('path',)),
                     ('state', 'verified', ('path',)),
                     ('state', 'restored', ('path', 'data_dir', 'name', 'initial_advertise_peer_urls')),
                     ('state', 'pruned', ('directory', 'keep'))],
        supports_check_mode=True,
    )
    state = module.params['state']
    if state == 'pruned':
        module.exit_json(**pruned(module))
    etcdutl = Etcdutl(module, module.params['etcdutl_path'])
    try:
        if state == 'saved':
            result = saved(module, etcdutl)
        elif state == 'verified':
            result = dict(changed=False, **verify_snapshot(etcdutl, module.params['path'], module.params['sha256']))
        else:
            result = restored(module, etcdutl)
    except EtcdError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
