# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The figures ceph_health returns, from real answers of `ceph status --format json` (Ceph 18.2.7 run by Rook in the
molecule platform scenario, saved in fixtures/): a healthy cluster, and one that is coming up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.caas.platform.plugins.module_utils.ceph import ceph_argv, parse_status, summarize, unmet
from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError

FIXTURES = Path(__file__).parent / 'fixtures'


def status(name):
    return json.loads((FIXTURES / f'ceph_status_{name}.json').read_text())


def test_a_healthy_cluster():
    summary = summarize(status('healthy'))
    assert summary['health'] == 'HEALTH_OK' and summary['checks'] == {}
    assert summary['osds']['count'] == summary['osds']['up'] == summary['osds']['in'] == 2
    assert summary['pgs']['count'] > 0 and summary['pgs']['active_clean'] == summary['pgs']['count']
    assert summary['mons']['quorum'] == ['a'] and summary['mgr_available']
    assert summary['capacity']['total_bytes'] > summary['capacity']['avail_bytes'] > 0
    assert unmet(summary, min_osds_up=2) == []
    assert unmet(summary, min_osds_up=3) == ['2 of 2 OSDs are up and 2 in; 3 wanted']


def test_a_cluster_coming_up_says_what_is_missing():
    summary = summarize(status('starting'))
    problems = unmet(summary, min_osds_up=2)
    assert summary['health'] != 'HEALTH_OK'
    assert problems and problems[0].startswith('Ceph reports %s (' % summary['health'])
    # Ceph's own check messages, not a code.
    assert any(check['message'] in problems[0] for check in summary['checks'].values())
    assert unmet(summary, health='HEALTH_ERR', min_osds_up=0, pgs_active_clean=False) == []


def test_releases_before_quincy_nest_the_osdmap():
    nested = dict(status('healthy'))
    nested['osdmap'] = {'osdmap': nested['osdmap']}
    assert summarize(nested)['osds'] == summarize(status('healthy'))['osds']


def test_what_is_not_json_is_the_clis_own_message():
    with pytest.raises(CommandError, match='ceph status did not answer JSON: .*monclient'):
        parse_status('2026-12-03T21:00:00.000+0000 7f00 -1 monclient(hunting): authenticate timed out\n')


def test_the_command_runs_in_the_operators_pod_with_its_admin_configuration():
    argv = ceph_argv(['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf'], 'rook-ceph', ['status'])
    assert argv[:9] == ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', '-n', 'rook-ceph', 'exec',
                        'deploy/rook-ceph-operator', '-c', 'rook-ceph-operator']
    assert argv[argv.index('--conf') + 1] == '/var/lib/rook/rook-ceph/rook-ceph.config'
    assert argv[argv.index('--keyring') + 1] == '/var/lib/rook/rook-ceph/client.admin.keyring'
    assert argv[-3:] == ['status', '--format', 'json']
