# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The figures ceph_health and ceph_osd work from, on real answers of Ceph 18.2.7 run by Rook (saved in fixtures/):
`ceph status` of the molecule platform scenario, healthy and coming up; `ceph osd tree`, `osd df`, `osd metadata`
and `osd safe-to-destroy` of the lab (three zones, racks, one OSD per storage host on a loop device)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ansible_collections.caas.platform.plugins.module_utils.ceph import (
    ceph_argv, fill_after, host_osds, not_safe, osd_device, parse_json, parse_status, prepare_job_name, summarize,
    unmet)
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


def fixture(name):
    return json.loads((FIXTURES / f'{name}.json').read_text())


def test_a_hosts_osds_are_found_under_its_bucket_whatever_lies_above():
    tree = fixture('ceph_osd_tree')        # root > zone > rack > host > osd
    assert host_osds(tree, 'worker1') == [{'id': 0, 'name': 'osd.0', 'up': True, 'in': True}]
    assert sorted(osd['id'] for host in ('worker1', 'worker2', 'worker3') for osd in host_osds(tree, host)) == [0, 1, 2]
    assert host_osds(tree, 'cp1') is None
    # An out OSD has reweight 0; a stopped one is down.
    for node in tree['nodes']:
        if node.get('name') == 'osd.0':
            node.update(reweight=0, status='down')
    assert host_osds(tree, 'worker1') == [{'id': 0, 'name': 'osd.0', 'up': False, 'in': False}]


def test_osds_that_still_serve_are_not_safe_to_destroy_and_ceph_says_why():
    answer = (FIXTURES / 'ceph_osd_safe_to_destroy_active.json').read_text()
    assert not_safe(0, answer, '', [0, 1]) == ([0, 1], 'placement groups still active on osd.0, osd.1')
    assert not_safe(0, json.dumps({'safe_to_destroy': [0], 'active': [1], 'missing_stats': [], 'stored_pgs': []}),
                    '', [0, 1]) == ([1], 'placement groups still active on osd.1')
    assert not_safe(0, json.dumps({'safe_to_destroy': [0, 1], 'active': [], 'missing_stats': [],
                                   'stored_pgs': []}), '', [0, 1]) == ([], '')
    # A release that answers "not now" with an exit code and its reason on stderr.
    assert not_safe(16, '', 'Error EBUSY: OSD(s) 3 have 33 pgs currently mapped to them\n', [3]) == (
        [3], 'Error EBUSY: OSD(s) 3 have 33 pgs currently mapped to them')
    with pytest.raises(CommandError, match=r'safe-to-destroy failed \(rc=1\): error connecting'):
        not_safe(1, '', 'error connecting to the cluster', [3])


def test_the_fill_after_a_host_leaves():
    df = fixture('ceph_osd_df')             # three 10 GiB OSDs
    used = sum(n['kb_used'] for n in df['nodes'])
    assert fill_after(df, []) == pytest.approx(used / df['summary']['total_kb'])
    assert fill_after(df, [0]) == pytest.approx(used / (df['summary']['total_kb'] * 2 / 3))
    assert fill_after(df, [0, 1, 2]) == float('inf')
    # An OSD already out holds nothing: its capacity does not count.
    df['nodes'][1]['reweight'] = 0
    assert fill_after(df, [0]) == pytest.approx(used / (df['summary']['total_kb'] / 3))


def test_the_device_of_an_osd():
    assert osd_device(fixture('ceph_osd_metadata_loop')) == '/dev/loop1'
    assert osd_device({'bluestore_bdev_dev_node': '/dev/sdb', 'device_paths':
                       'sdb=/dev/disk/by-path/pci-0000:00:10.0-scsi-0:0:1:0,sdc=/dev/disk/by-path/x'}) == \
        '/dev/disk/by-path/pci-0000:00:10.0-scsi-0:0:1:0'


def test_what_is_not_json_names_the_command():
    with pytest.raises(CommandError, match='ceph osd tree did not answer JSON: nope'):
        parse_json('nope', 'osd tree')


def test_rooks_name_of_a_hosts_preparation_job():
    assert prepare_job_name('cp1') == 'rook-ceph-osd-prepare-cp1'
    long = 'storage-host-0001.rack-a01.zone-a.dc1.example.com'
    assert prepare_job_name(long) == 'rook-ceph-osd-prepare-' + hashlib.sha256(long.encode()).hexdigest()[:32]
