# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.rook_ceph_device_problems import rook_ceph_device_problems
from ansible_collections.caas.platform.plugins.filter.rook_ceph_problems import rook_ceph_problems
from ansible_collections.caas.platform.plugins.filter.rook_ceph_removal_problems import rook_ceph_removal_problems

NODES = ['cp1', 'worker1', 'worker2', 'worker3']


def settings(**fields):
    return dict({'mon_count': 3, 'mgr_count': 1, 'replicas': 3, 'failure_domain': 'zone',
                 'default_storage_class': 'ceph-block', 'allow_loop_devices': False,
                 'storage_classes': {'block': 'ceph-block', 'filesystem': 'cephfs', 'bucket': 'ceph-bucket'}}, **fields)


def host(name, zone, devices=None, **fields):
    return dict({'inventory_hostname': name, 'caas_zone': zone,
                 'rook_ceph_osd_devices': devices if devices is not None
                 else [{'path': '/dev/disk/by-id/wwn-0x5000c500a1b2c3-' + name}]}, **fields)


THREE_ZONES = [host('worker1', 'zone-a'), host('worker2', 'zone-b'), host('worker3', 'zone-c')]


def test_three_hosts_in_three_zones_are_good():
    assert rook_ceph_problems(settings(), THREE_ZONES, NODES) == []


@pytest.mark.parametrize('fields, hosts, words', [
    ({'mon_count': 2}, THREE_ZONES, ['rook_ceph_mon_count is 2', 'odd']),
    ({'mon_count': 5}, THREE_ZONES, ['rook_ceph_mon_count is 5', '3 hosts']),
    ({'mon_count': '3'}, THREE_ZONES, ['rook_ceph_mon_count is \'3\'']),
    ({'replicas': 3}, [host('worker1', 'zone-a'), host('worker2', 'zone-a'), host('worker3', 'zone-b')],
     ['rook_ceph_replicas is 3', 'span 2 zones', 'rook_ceph_failure_domain: host']),
    ({'replicas': 0}, THREE_ZONES, ['rook_ceph_replicas is 0']),
    ({'probe_timeout_seconds': 0}, THREE_ZONES, ['rook_ceph_probe_timeout_seconds is 0', 'from 1 to 600']),
    ({'probe_timeout_seconds': '60'}, THREE_ZONES, ['rook_ceph_probe_timeout_seconds is \'60\'']),
    ({'default_storage_class': 'ceph-bucket'}, THREE_ZONES, ['rook_ceph_default_storage_class is \'ceph-bucket\'']),
    ({'storage_classes': {'block': 'ceph', 'filesystem': 'ceph', 'bucket': 'b'}, 'default_storage_class': 'ceph'},
     THREE_ZONES, ['repeat']),
    ({}, [host('worker1', 'zone-a', []), *THREE_ZONES[1:]], ['rook_ceph_osd_devices of worker1 is []']),
    ({}, [host('worker1', 'zone-a', [{'path': '/dev/sdb'}]), *THREE_ZONES[1:]],
     ['/dev/sdb is not a stable path', '/dev/disk/by-id/']),
    ({}, [host('worker1', 'zone-a', [{'path': '/dev/loop3'}]), *THREE_ZONES[1:]],
     ['/dev/loop3 is a loop device', 'rook_ceph_allow_loop_devices']),
    ({'allow_loop_devices': True}, [host('worker1', 'zone-a', [{'path': '/dev/loop3', 'wipe': True}]), *THREE_ZONES[1:]],
     ['never wiped']),
    ({}, [host('worker1', 'zone-a', [{'path': '/dev/disk/by-id/x', 'wipe': 'yes'}]), *THREE_ZONES[1:]],
     ['wipe of /dev/disk/by-id/x is \'yes\'']),
    ({}, [host('worker1', 'zone-a', [{'path': '/dev/disk/by-id/x'}, {'path': '/dev/disk/by-id/x'}]),
          *THREE_ZONES[1:]], ['listed twice']),
    ({}, [host('lb1', 'zone-a'), *THREE_ZONES[1:], host('worker1', 'zone-a')], ['lb1 is in the storage group but is '
                                                                                'no Kubernetes node']),
])
def test_refusals_name_the_variable_and_the_fix(fields, hosts, words):
    problems = ' '.join(rook_ceph_problems(settings(**fields), hosts, NODES))
    for word in words:
        assert word in problems, problems


def test_loop_devices_pass_in_a_lab():
    hosts = [host('worker1', 'zone-a', [{'path': '/dev/loop3'}]), host('worker2', 'zone-a', [{'path': '/dev/loop4'}])]
    assert rook_ceph_problems(settings(allow_loop_devices=True, mon_count=1, replicas=2, failure_domain='host'),
                              hosts, NODES) == []


def test_no_storage_host_is_refused():
    assert 'storage group has no hosts' in rook_ceph_problems(settings(), [], NODES)[0]


def running(mons=3, nodes=None):
    return {'mon': {'count': mons}, 'storage': {'nodes': nodes if nodes is not None else [
        {'name': h['inventory_hostname'], 'devices': [{'name': d['path']} for d in h['rook_ceph_osd_devices']]}
        for h in THREE_ZONES]}}


def test_the_running_cluster_as_asked_is_good():
    assert rook_ceph_problems(settings(), THREE_ZONES, NODES, running()) == []


def test_fewer_monitors_than_running_are_refused():
    problems = ' '.join(rook_ceph_problems(settings(mon_count=1), THREE_ZONES, NODES, running(mons=3)))
    assert 'rook_ceph_mon_count is 1 but the cluster runs 3 monitors' in problems


def test_an_osd_device_or_host_taken_away_is_refused():
    fewer_devices = [host('worker1', 'zone-a', [{'path': '/dev/disk/by-id/other'}]), *THREE_ZONES[1:]]
    problems = ' '.join(rook_ceph_problems(settings(), fewer_devices, NODES, running()))
    assert '/dev/disk/by-id/wwn-0x5000c500a1b2c3-worker1 of worker1 carries an OSD' in problems
    cluster = running(nodes=[*running()['storage']['nodes'], {'name': 'worker4', 'devices': [{'name': '/dev/x'}]}])
    problems = ' '.join(rook_ceph_problems(settings(), THREE_ZONES, NODES, cluster))
    assert 'The storage host worker4 runs OSDs but is no longer in the storage group' in problems
    assert 'playbooks/storage_remove_host.yml -e rook_ceph_remove_host=' in problems


def test_a_host_the_removal_playbook_takes_away_is_no_problem():
    cluster = running(nodes=[*running()['storage']['nodes'], {'name': 'worker4', 'devices': [{'name': '/dev/x'}]}])
    assert rook_ceph_problems(settings(leaving_nodes=['worker4']), THREE_ZONES, NODES, cluster) == []
    # Only the host named: another one missing is still refused.
    problems = ' '.join(rook_ceph_problems(settings(leaving_nodes=['worker4']), THREE_ZONES[:2] + [], NODES, cluster))
    assert 'The storage host worker3 runs OSDs but is no longer in the storage group' in problems


@pytest.mark.parametrize('name, storage, words', [
    (None, [], 'rook_ceph_remove_host is None: name the storage host to remove'),
    ('', [], "rook_ceph_remove_host is '': name the storage host to remove"),
    ('worker9', [], "rook_ceph_remove_host is 'worker9', which is not in the inventory"),
    ('worker3', ['worker1', 'worker2', 'worker3'], 'which is still in the storage group: take it out of the group'),
])
def test_a_removal_that_cannot_start_is_refused(name, storage, words):
    problems = rook_ceph_removal_problems(name, ['worker1', 'worker2', 'worker3', 'cp1'], storage)
    assert len(problems) == 1 and words in problems[0], problems


def test_a_removal_that_may_start():
    assert rook_ceph_removal_problems('worker3', ['worker1', 'worker2', 'worker3'], ['worker1', 'worker2']) == []
    with pytest.raises(AnsibleFilterError):
        rook_ceph_removal_problems('worker3', 'worker1', [])


def test_a_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError):
        rook_ceph_problems(settings(), 'worker1', NODES)


def lsblk(device='/dev/loop3', **fields):
    node = dict({'name': device, 'path': device, 'type': 'loop', 'fstype': None, 'pttype': None,
                 'mountpoints': [None]}, **fields)
    return {'item': {'path': device}, 'stdout': json.dumps({'blockdevices': [node]})}


@pytest.mark.parametrize('result, words', [
    (lsblk(), []),
    (lsblk(fstype='ceph_bluestore'), []),
    (lsblk(fstype='ext4'), ['holds a ext4 filesystem', 'wipe: true']),
    (lsblk(pttype='gpt', children=[{'name': '/dev/loop3p1', 'fstype': 'xfs', 'mountpoints': [None]}]),
     ['a gpt partition table', '1 partitions']),
    (lsblk(children=[{'name': '/dev/loop3p1', 'fstype': 'xfs', 'mountpoints': ['/srv']}]), ['mounted at /srv']),
    ({'item': {'path': '/dev/disk/by-id/gone'}, 'stdout': ''}, ['no block device lsblk knows']),
])
def test_devices_that_hold_data_are_refused(result, words):
    problems = ' '.join(rook_ceph_device_problems([result], 'worker1'))
    assert all(word in problems for word in words), problems
    assert bool(problems) == bool(words)


def test_wipe_true_accepts_a_device_with_a_filesystem_but_never_a_mounted_one():
    result = lsblk(fstype='ext4')
    result['item']['wipe'] = True
    assert rook_ceph_device_problems([result], 'worker1') == []
    mounted = lsblk(fstype='ext4', mountpoints=['/data'])
    mounted['item']['wipe'] = True
    assert 'mounted at /data' in rook_ceph_device_problems([mounted], 'worker1')[0]
