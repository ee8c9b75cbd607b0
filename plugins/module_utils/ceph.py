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
"""

from __future__ import annotations

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
    try:
        return json.loads(stdout)
    except ValueError:
        raise CommandError('ceph status did not answer JSON: %s' % stdout.strip()[-500:])
