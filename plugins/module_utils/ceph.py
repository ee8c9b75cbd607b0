# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a Rook-managed Ceph cluster from a control-plane node: the ceph CLI run in the Rook operator's pod
(``kubectl exec``), with the admin configuration and keyring the operator keeps, and its answer made into the
figures a playbook waits on.

What Ceph (Reef, 18.2) and Rook (1.18) do, and this code relies on:
  - Rook's operator writes ``/var/lib/rook/<namespace>/<namespace>.config`` and ``client.admin.keyring`` beside it
    once it has created the cluster's mons; the operator image has the ceph CLI.
  - ``ceph status --format json`` gives ``health.status`` (HEALTH_OK, HEALTH_WARN, HEALTH_ERR) and ``health.checks``
    (name -> severity, summary.message), ``quorum_names``, ``monmap.num_mons``, ``osdmap`` (num_osds, num_up_osds,
    num_in_osds; nested once more in releases before Quincy), ``pgmap`` (num_pgs, pgs_by_state, bytes_total,
    bytes_used, bytes_avail), ``mgrmap.available``.
  - ``ceph osd tree --format json`` lists the CRUSH buckets and OSDs as ``nodes`` (id, name, type, children; an
    OSD has status up/down and reweight, 0 when it is out). Rook names a host bucket after the node's
    ``kubernetes.io/hostname`` label.
  - ``ceph osd safe-to-destroy <ids> --format json`` answers ``{"safe_to_destroy": [...], "active": [...],
    "missing_stats": [...], "stored_pgs": [...]}`` (exit 0: Reef lists OSDs that still serve under "active"); a
    release may instead exit EBUSY (16) or EAGAIN (11) with its reason on stderr.
  - ``ceph osd purge <id> --yes-i-really-mean-it`` removes an OSD from CRUSH, auth and the OSD map, and refuses
    (without --force) one that is not safe to destroy.
  - Rook names a host's OSD preparation Job ``rook-ceph-osd-prepare-<host>``, or with the first 16 bytes of the
    host's sha256 in hex instead of the host when the name would pass 53 characters.
  - ``ceph osd df --format json`` gives each OSD's ``kb`` and ``kb_used`` (``nodes``) and the sums (``summary``:
    ``total_kb``, ``total_kb_used``).
  - ``ceph osd metadata <id> --format json`` names the OSD's device (``bluestore_bdev_dev_node``) and, for disks,
    its stable paths (``device_paths``: "sdb=/dev/disk/by-path/...,...").
"""

from __future__ import annotations

import hashlib
import json

from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError

HEALTH_ORDER = ('HEALTH_OK', 'HEALTH_WARN', 'HEALTH_ERR')


def operator_paths(namespace):
    """The admin configuration and keyring Rook's operator keeps for the cluster of namespace."""
    base = '/var/lib/rook/%s/' % namespace
    return base + namespace + '.config', base + 'client.admin.keyring'


def ceph_argv(kubectl_argv, namespace, args):
    """kubectl exec into the operator's pod running ``ceph <args> --format json``."""
    conf, keyring = operator_paths(namespace)
    return list(kubectl_argv) + ['-n', namespace, 'exec', 'deploy/rook-ceph-operator', '-c', 'rook-ceph-operator',
                                 '--', 'ceph', '--conf', conf, '--keyring', keyring, '--name', 'client.admin',
                                 '--connect-timeout', '15'] + list(args) + ['--format', 'json']


def summarize(status):
    """The figures of ``ceph status --format json`` a playbook needs."""
    health = status.get('health', {})
    osdmap = status.get('osdmap', {})
    osdmap = osdmap.get('osdmap', osdmap)           # nested before Quincy
    pgmap = status.get('pgmap', {})
    states = dict((s['state_name'], s['count']) for s in pgmap.get('pgs_by_state', []))
    return {
        'health': health.get('status', 'HEALTH_ERR'),
        'checks': dict((name, {'severity': check.get('severity'),
                               'message': check.get('summary', {}).get('message', ''),
                               'muted': bool(check.get('muted', False))})
                       for name, check in sorted(health.get('checks', {}).items())),
        'fsid': status.get('fsid', ''),
        'mons': {'count': status.get('monmap', {}).get('num_mons', len(status.get('quorum_names', []))),
                 'quorum': sorted(status.get('quorum_names', []))},
        'mgr_available': bool(status.get('mgrmap', {}).get('available', False)),
        'osds': {'count': osdmap.get('num_osds', 0), 'up': osdmap.get('num_up_osds', 0),
                 'in': osdmap.get('num_in_osds', 0)},
        'pgs': {'count': pgmap.get('num_pgs', 0), 'active_clean': states.get('active+clean', 0),
                'states': states},
        'capacity': {'total_bytes': pgmap.get('bytes_total', 0), 'used_bytes': pgmap.get('bytes_used', 0),
                     'avail_bytes': pgmap.get('bytes_avail', 0)},
    }


def unmet(summary, health='HEALTH_OK', min_osds_up=0, pgs_active_clean=True):
    """What keeps the cluster from the state asked for, one sentence each (empty: it is there)."""
    problems = []
    if HEALTH_ORDER.index(summary['health']) > HEALTH_ORDER.index(health):
        checks = '; '.join('%s: %s' % (name, check['message']) for name, check in summary['checks'].items()
                           if not check['muted'])
        problems.append('Ceph reports %s (%s)' % (summary['health'], checks or 'no check named'))
    if summary['osds']['up'] < min_osds_up or summary['osds']['in'] < min_osds_up:
        problems.append('%d of %d OSDs are up and %d in; %d wanted' % (
            summary['osds']['up'], summary['osds']['count'], summary['osds']['in'], min_osds_up))
    if pgs_active_clean and summary['pgs']['active_clean'] < summary['pgs']['count']:
        others = ', '.join('%d %s' % (count, state) for state, count in sorted(summary['pgs']['states'].items())
                           if state != 'active+clean')
        problems.append('%d of %d placement groups are active+clean (%s)' % (
            summary['pgs']['active_clean'], summary['pgs']['count'], others))
    return problems


def parse_status(stdout):
    """The JSON of ``ceph status``; CommandError when it is not JSON (the CLI's own message is)."""
    return parse_json(stdout, 'status')


# Exit codes of a Ceph command that answered "not now" rather than failed (errno EAGAIN, EBUSY).
NOT_NOW = (11, 16)


def parse_json(stdout, command):
    """The JSON a ceph command answered; CommandError when it is not JSON (the CLI's own message is)."""
    try:
        return json.loads(stdout)
    except ValueError:
        raise CommandError('ceph %s did not answer JSON: %s' % (command, stdout.strip()[-500:]))


def host_osds(tree, host):
    """The OSDs under the CRUSH host bucket `host` of ``ceph osd tree``: [{id, name, up, in}] by id; None when the
    tree has no such host."""
    nodes = dict((node['id'], node) for node in tree.get('nodes', []))
    bucket = next((node for node in nodes.values() if node.get('type') == 'host' and node.get('name') == host), None)
    if bucket is None:
        return None
    osds = [nodes[child] for child in bucket.get('children', []) if child in nodes and nodes[child].get('type') == 'osd']
    return [{'id': osd['id'], 'name': osd['name'], 'up': osd.get('status') == 'up',
             'in': float(osd.get('reweight', 0)) > 0} for osd in sorted(osds, key=lambda o: o['id'])]


def not_safe(rc, stdout, stderr, ids):
    """The ids of ``ceph osd safe-to-destroy <ids>`` that are not safe yet, and Ceph's reason (empty when all are);
    CommandError when the command failed for another reason."""
    if rc not in (0,) + NOT_NOW:
        raise CommandError('ceph osd safe-to-destroy failed (rc=%d): %s' % (rc, (stderr or stdout).strip()[-500:]))
    try:
        answer = json.loads(stdout) if stdout.strip() else {}
    except ValueError:
        answer = {}
    waiting = sorted(set(ids) - set(answer.get('safe_to_destroy', [])))
    if not waiting:
        return [], ''
    said = [line.strip() for line in (stderr or '').splitlines() if line.strip()]
    for key, meaning in (('active', 'placement groups still active on'), ('stored_pgs', 'placement groups stored on'),
                         ('missing_stats', 'no statistics yet from')):
        if answer.get(key):
            said.append('%s %s' % (meaning, ', '.join('osd.%s' % i for i in answer[key])))
    return waiting, '; '.join(said) or 'Ceph has not said why'


def osd_device(metadata):
    """The device an OSD's data is on, as its host names it: the stable path when Ceph knows one
    (``device_paths``), else the device node."""
    node = metadata.get('bluestore_bdev_dev_node', '')
    paths = dict(entry.split('=', 1) for entry in (metadata.get('device_paths') or '').split(',') if '=' in entry)
    name = node.rsplit('/', 1)[-1]
    return paths.get(name) or node


def fill_after(df, leaving):
    """The share of the other OSDs' capacity the data would use once the OSDs `leaving` are out (1.0 and more: it
    would not fit), from ``ceph osd df``."""
    nodes = df.get('nodes', [])
    used = sum(node.get('kb_used', 0) for node in nodes)
    # Out already (reweight 0): their capacity holds nothing.
    remaining = sum(node.get('kb', 0) for node in nodes
                    if node.get('id') not in leaving and float(node.get('reweight', 1)) > 0)
    return float('inf') if remaining <= 0 else used / float(remaining)


def prepare_job_name(host):
    """The name of Rook's OSD preparation Job for a CRUSH host."""
    prefix = 'rook-ceph-osd-prepare-'
    if len(prefix + host) > 53:
        host = hashlib.sha256(host.encode()).hexdigest()[:32]
    return prefix + host
