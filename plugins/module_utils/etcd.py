# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared code of the etcd_member and etcd_snapshot modules: running etcdctl and etcdutl (v3 API) and
reading their JSON output.

What etcdctl 3.5 prints, and this code relies on:
  - ``-w json`` member IDs, cluster IDs and the leader are decimal uint64 numbers; the table output and every
    etcdctl argument use them in hexadecimal (``%x``), so they are turned into hex strings here.
  - Fields are omitted when empty or false: a member that was added but has not started has no ``name`` and no
    ``clientURLs``; ``isLearner`` is only there when true.
  - Errors are a line ``Error: <message>`` on stderr, after any number of client log lines (JSON); a Go panic
    or fault is a ``panic:`` or ``fatal error:`` line followed by a stack trace.
  - ``member promote -w json`` promotes and then crashes (a nil pointer in etcdctl 3.5's JSON printer), so
    promote runs with the default output.
  - ``endpoint health`` answers for every endpoint and exits 1 when one is unhealthy; a learner always answers
    "rpc not supported for learner" to it. ``endpoint status`` leaves out the endpoints it cannot reach, with a
    ``Failed to get the status of endpoint`` line on stderr each.
  - ``snapshot save`` takes exactly one endpoint and appends the sha256 of the database to the file (32 bytes
    after the last 512-byte boundary), which ``etcdutl snapshot restore`` checks but ``snapshot status`` does not.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import time

ETCD_DEFAULT_ENDPOINT = 'https://127.0.0.1:2379'
HASH_SIZE = 32  # sha256 appended by `etcdctl snapshot save`
RESTORE_MARKER = os.path.join('member', 'caas-restore.json')

# Transient refusals of etcd's strict reconfiguration check: worth waiting for.
LEARNER_NOT_READY = 'can only promote a learner member which is in sync with leader'
CLUSTER_NOT_READY = 'etcdserver: unhealthy cluster'  # a voting member connected for less than 5 s


class EtcdError(Exception):
    """etcdctl or etcdutl failed; the message is theirs."""


def connection_argument_spec():
    """The options that say how to reach etcd, shared by the modules."""
    return dict(
        endpoints=dict(type='list', elements='str', default=[ETCD_DEFAULT_ENDPOINT]),
        cacert=dict(type='path'),
        cert=dict(type='path'),
        key=dict(type='path', no_log=True),
        etcdctl_path=dict(type='str', default='etcdctl'),
        timeout=dict(type='int', default=5),
    )


def hex_id(number):
    """A member, cluster or leader ID as etcdctl's table output and arguments spell it."""
    return '%x' % int(number)


def _loads(text, what):
    try:
        return json.loads(text)
    except ValueError:
        raise EtcdError('%s printed no JSON: %s' % (what, (text or '').strip()[:500] or '(nothing)'))


def member(raw):
    """One member of `member list -w json` (or of `member add`'s answer) in the modules' terms."""
    return dict(
        id=hex_id(raw['ID']),
        name=raw.get('name', ''),
        peer_urls=list(raw.get('peerURLs') or []),
        client_urls=list(raw.get('clientURLs') or []),
        is_learner=bool(raw.get('isLearner', False)),
        started=bool(raw.get('name')),
    )


def parse_member_list(text):
    """`etcdctl member list -w json` (also `member add` and `member remove`): cluster ID and members."""
    data = _loads(text, 'etcdctl member list')
    header = data.get('header') or {}
    return dict(cluster_id=hex_id(header['cluster_id']) if 'cluster_id' in header else None,
                members=[member(raw) for raw in data.get('members') or []])


def parse_member_add(text):
    """`etcdctl member add -w json`: the new member and every member, the new one included."""
    data = _loads(text, 'etcdctl member add')
    return member(data['member']), [member(raw) for raw in data.get('members') or []]


def parse_endpoint_status(text):
    """`etcdctl endpoint status -w json`: one dict per endpoint that answered."""
    out = []
    for item in _loads(text or '[]', 'etcdctl endpoint status'):
        status = item.get('Status') or {}
        header = status.get('header') or {}
        out.append(dict(
            endpoint=item.get('Endpoint'),
            member_id=hex_id(header['member_id']) if 'member_id' in header else None,
            leader=hex_id(status['leader']) if status.get('leader') else None,
            version=status.get('version'),
            db_size=status.get('dbSize'),
            db_size_in_use=status.get('dbSizeInUse'),
            revision=header.get('revision'),
            raft_term=status.get('raftTerm'),
            raft_index=status.get('raftIndex'),
            raft_applied_index=status.get('raftAppliedIndex'),
            is_learner=bool(status.get('isLearner', False)),
            errors=list(status.get('errors') or []),
        ))
    return out


def parse_endpoint_health(text):
    """`etcdctl endpoint health -w json`: one dict per endpoint, healthy or not."""
    return [dict(endpoint=item.get('endpoint'), health=bool(item.get('health')), took=item.get('took'),
                 error=item.get('error'))
            for item in _loads(text or '[]', 'etcdctl endpoint health')]


def parse_snapshot_status(text):
    """`etcdutl snapshot status -w json`; the hash in hex, as the table output shows it."""
    data = _loads(text, 'etcdutl snapshot status')
    return dict(hash='%x' % data['hash'], revision=data['revision'], total_keys=data['totalKey'],
                total_size=data['totalSize'])


def tool_message(stdout, stderr):
    """What etcdctl or etcdutl said was wrong, without their client log lines and stack traces."""
    lines = [line.strip() for line in ((stderr or '') + '\n' + (stdout or '')).splitlines() if line.strip()]
    said = [line for line in lines if line.startswith('Error:') or line.startswith('Failed to get the status')]
    if said:
        return '; '.join(line[len('Error:'):].strip() if line.startswith('Error:') else line for line in said)
    crash = [line for line in lines if line.startswith(('panic:', 'fatal error:', 'unexpected fault address'))]
    if crash:
        return 'crashed: ' + '; '.join(crash)
    plain = [line for line in lines if not line.startswith('{')]
    return (plain or lines or ['(no output)'])[-1]


def initial_cluster(members, name, member_id=None, peer_urls=None):
    """ETCD_INITIAL_CLUSTER for member `name`, as `etcdctl member add` prints it: name=peer URL for every member,
    the new member (member_id, not yet started so nameless) under `name`; peer_urls adds it when not in members."""
    pairs, seen = [], False
    for item in members:
        own = item['id'] == member_id or (peer_urls and not item['name'] and set(item['peer_urls']) == set(peer_urls))
        seen = seen or own
        for url in item['peer_urls']:
            pairs.append('%s=%s' % (name if own else item['name'], url))
    if not seen and peer_urls:
        pairs.extend('%s=%s' % (name, url) for url in peer_urls)
    return ','.join(pairs)


def find_member(members, name=None, peer_urls=None):
    """(the member that is `name`, what stops `name` with `peer_urls` from being added or None).

    A member is `name` when it has that name, or when it has not started yet (no name) and has exactly these
    peer URLs. A name with other peer URLs, or a peer URL of another member, is a conflict."""
    wanted = set(peer_urls or [])
    for item in members:
        if name and item['name'] == name:
            if wanted and set(item['peer_urls']) != wanted:
                return item, ('member %s (%s) already exists with peer URLs %s, not %s: remove it first '
                              '(state=absent) or give its peer URLs'
                              % (name, item['id'], ','.join(item['peer_urls']), ','.join(sorted(wanted))))
            return item, None
    for item in members:
        shared = wanted & set(item['peer_urls'])
        if not shared:
            continue
        if not item['name'] and set(item['peer_urls']) == wanted:
            return item, None
        owner = item['name'] or 'a member that has not started yet'
        return None, ('peer URL %s already belongs to %s (%s), not to %s'
                      % (','.join(sorted(shared)), owner, item['id'], name or 'the member asked for'))
    return None, None


def quorum(voters):
    return voters // 2 + 1


def removal_problem(members, target, healthy_ids):
    """(kind, message) of why removing `target` would be wrong ('last' or 'quorum'), or (None, None). healthy_ids: IDs of the voting members that answered
    `endpoint health`. The last member can never be removed; a removal that leaves fewer healthy voters than the
    new quorum is refused (the caller may force it)."""
    if len(members) <= 1:
        return 'last', 'member %s (%s) is the last member of the cluster: it cannot be removed' % (
            target['name'] or '(not started)', target['id'])
    if target['is_learner']:
        return None, None
    voters = [item for item in members if not item['is_learner']]
    after = [item for item in voters if item['id'] != target['id']]
    healthy_after = [item for item in after if item['id'] in healthy_ids]
    needed = quorum(len(after))
    if len(healthy_after) >= needed:
        return None, None
    unhealthy = ['%s (%s)' % (item['name'] or '(not started)', item['id']) for item in after
                 if item['id'] not in healthy_ids]
    return 'quorum', ('removing member %s (%s) would leave %d healthy of %d voting members, below the quorum of %d; '
                      'unhealthy: %s. Bring them back first, or set force=true'
                      % (target['name'] or '(not started)', target['id'], len(healthy_after), len(after), needed,
                         ', '.join(unhealthy) or 'none'))


def member_lines(members):
    """Members as text lines, for diffs."""
    return ''.join('%s %s peer_urls=%s%s\n' % (item['name'] or '(not started)', item['id'],
                                               ','.join(item['peer_urls']), ' learner' if item['is_learner'] else '')
                   for item in sorted(members, key=lambda m: (m['name'], m['peer_urls'])))


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b''):
            digest.update(block)
    return digest.hexdigest()


def embedded_hash_problem(path):
    """What is wrong with the sha256 `etcdctl snapshot save` appends to a snapshot, or None when it matches."""
    size = os.path.getsize(path)
    if size % 512 != HASH_SIZE:
        return ('it does not end with the sha256 that etcdctl snapshot save appends (size %d is not 32 bytes past a '
                '512-byte boundary): truncated, or a copy of a data directory\'s db file' % size)
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        left = size - HASH_SIZE
        while left:
            block = handle.read(min(left, 1024 * 1024))
            if not block:
                return 'it could not be read to the end'
            digest.update(block)
            left -= len(block)
        embedded = handle.read(HASH_SIZE)
    if digest.digest() != embedded:
        return ('its content does not match the sha256 etcdctl snapshot save appended to it (%s, content %s): '
                'it is corrupt' % (embedded.hex(), digest.hexdigest()))
    return None


def snapshot_files(directory, pattern):
    """The regular files of directory matching the glob pattern, newest first (modification time, then name)."""
    paths = [path for path in glob.glob(os.path.join(directory, pattern)) if os.path.isfile(path)
             and not os.path.islink(path)]
    return sorted(paths, key=lambda path: (os.path.getmtime(path), path), reverse=True)


def read_marker(data_dir):
    try:
        with open(os.path.join(data_dir, RESTORE_MARKER)) as handle:
            return json.load(handle)
    except (IOError, OSError, ValueError):
        return None


class Etcdctl(object):
    """etcdctl with the module's connection options; every method raises EtcdError with etcdctl's message."""

    def __init__(self, module, params=None):
        self.module = module
        params = params or module.params
        self.params = params
        path = params['etcdctl_path']
        self.binary = path if os.sep in path else module.get_bin_path(path)
        if not self.binary or not os.access(self.binary, os.X_OK):
            module.fail_json(msg='etcdctl not found or not executable: %s (set etcdctl_path)' % path)
        # A conflicting ETCDCTL_* variable of the environment would override or clash with our flags.
        for name in [name for name in os.environ if name.startswith('ETCDCTL_')]:
            del os.environ[name]

    def base(self, endpoints=None, command_timeout=True):
        args = [self.binary, '--endpoints=%s' % ','.join(endpoints or self.params['endpoints']),
                '--dial-timeout=%ds' % self.params['timeout']]
        if command_timeout:
            args.append('--command-timeout=%ds' % self.params['timeout'])
        for option in ('cacert', 'cert', 'key'):
            if self.params.get(option):
                args.append('--%s=%s' % (option, self.params[option]))
        return args

    def run(self, args, endpoints=None, check=True, command_timeout=True):
        rc, out, err = self.module.run_command(self.base(endpoints, command_timeout) + args,
                                               environ_update={'ETCDCTL_API': '3'})
        if check and rc != 0:
            raise EtcdError('etcdctl %s failed: %s' % (' '.join(args[:2]), tool_message(out, err)))
        return rc, out, err

    def member_list(self):
        return parse_member_list(self.run(['member', 'list', '-w', 'json'])[1])

    def run_waiting(self, args, wait, transient):
        """run, retried for `wait` seconds while etcd answers with one of the transient messages."""
        deadline = time.time() + wait
        while True:
            rc, out, err = self.run(args, check=False)
            if rc == 0:
                return out
            message = tool_message(out, err)
            if not any(text in message for text in transient) or time.time() >= deadline:
                raise EtcdError('etcdctl %s failed: %s' % (' '.join(args[:2]), message))
            time.sleep(1)

    def member_add(self, name, peer_urls, learner, wait=0):
        args = ['member', 'add', name, '--peer-urls=%s' % ','.join(peer_urls), '-w', 'json']
        if learner:
            args.append('--learner')
        return parse_member_add(self.run_waiting(args, wait, [CLUSTER_NOT_READY]))

    def member_remove(self, member_id, wait=0):
        return parse_member_list(self.run_waiting(['member', 'remove', member_id, '-w', 'json'], wait,
                                                  [CLUSTER_NOT_READY]))

    def member_promote(self, member_id, wait=0):
        """Promote a learner, waiting while it catches up with the leader. Not -w json: etcdctl 3.5 crashes."""
        self.run_waiting(['member', 'promote', member_id], wait, [LEARNER_NOT_READY, CLUSTER_NOT_READY])

    def endpoint_health(self, endpoints):
        if not endpoints:
            return []
        rc, out, err = self.run(['endpoint', 'health', '-w', 'json'], endpoints=endpoints, check=False)
        if not out.strip():
            raise EtcdError('etcdctl endpoint health failed: %s' % tool_message(out, err))
        return parse_endpoint_health(out)

    def endpoint_status(self, endpoints):
        """Status of the endpoints that answer, and {endpoint: etcdctl's error} of those that do not."""
        if not endpoints:
            return [], {}
        rc, out, err = self.run(['endpoint', 'status', '-w', 'json'], endpoints=endpoints, check=False)
        failed = {}
        for line in err.splitlines():
            found = re.match(r'Failed to get the status of endpoint (\S+) \((.*)\)$', line.strip())
            if found:
                failed[found.group(1)] = found.group(2)
        if rc != 0 and not out.strip() and not failed:
            raise EtcdError('etcdctl endpoint status failed: %s' % tool_message(out, err))
        return parse_endpoint_status(out if out.strip() else '[]'), failed

    def snapshot_save(self, endpoint, path, seconds):
        """Save a snapshot of one endpoint. etcdctl waits for ever on an endpoint that does not answer when it has no
        --command-timeout, and that timeout bounds the whole download: ask the endpoint for its status first, then
        give the download its own limit."""
        statuses, failed = self.endpoint_status([endpoint])
        if not statuses:
            raise EtcdError('etcdctl endpoint status failed: %s' % (failed.get(endpoint) or 'no answer'))
        args = ['snapshot', 'save', path, '--command-timeout=%ds' % seconds]
        self.run(args, endpoints=[endpoint], command_timeout=False)


class Etcdutl(object):
    """etcdutl (offline tools on snapshots and data dirs)."""

    def __init__(self, module, path):
        self.module = module
        self.binary = path if os.sep in path else module.get_bin_path(path)
        if not self.binary or not os.access(self.binary, os.X_OK):
            module.fail_json(msg='etcdutl not found or not executable: %s (set etcdutl_path)' % path)

    def run(self, args):
        rc, out, err = self.module.run_command([self.binary] + args)
        if rc != 0:
            raise EtcdError('etcdutl %s failed: %s' % (' '.join(args[:2]), tool_message(out, err)))
        return out, err

    def snapshot_status(self, path):
        return parse_snapshot_status(self.run(['snapshot', 'status', path, '-w', 'json'])[0])

    def snapshot_restore(self, path, data_dir, name, initial_cluster, peer_urls, token, bump_revision=0):
        args = ['snapshot', 'restore', path, '--data-dir', data_dir, '--name', name,
                '--initial-cluster', initial_cluster, '--initial-advertise-peer-urls', ','.join(peer_urls)]
        if token:
            args.extend(['--initial-cluster-token', token])
        if bump_revision:
            # Watchers (kube-apiserver's informers) never see revisions go back; their caches start over.
            args.extend(['--bump-revision', str(bump_revision), '--mark-compacted'])
        self.run(args)


def verify_snapshot(etcdutl, path, sha256=None):
    """Check a snapshot file before anything uses it; returns its facts, raises EtcdError naming the file."""
    if not os.path.isfile(path):
        raise EtcdError('snapshot %s does not exist or is not a file' % path)
    actual = file_sha256(path)
    if sha256 and actual != sha256.lower():
        raise EtcdError('snapshot %s has sha256 %s, expected %s' % (path, actual, sha256.lower()))
    problem = embedded_hash_problem(path)
    if problem:
        raise EtcdError('snapshot %s is not usable: %s' % (path, problem))
    try:
        status = etcdutl.snapshot_status(path)
    except EtcdError as exc:
        raise EtcdError('snapshot %s is not a readable etcd snapshot: %s' % (path, exc))
    status.update(path=path, sha256=actual, size=os.path.getsize(path))
    return status
