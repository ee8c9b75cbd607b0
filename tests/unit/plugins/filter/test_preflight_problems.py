# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.preflight_problems import merge_profiles, preflight_problems

NODE = {
    'cpu': {'count': 4, 'model': 'AMD EPYC'},
    'memory': {'total_mb': 8000, 'swap_total_mb': 0},
    'filesystems_free_gb': {'/var/lib/etcd': 50.0, '/var/lib/containerd': 50.0},
    'kernel': {
        'release': '6.1.0-28-amd64',
        'modules': {'br_netfilter': 'loadable', 'overlay': 'loaded', 'vxlan': 'builtin', 'ip_vs': 'missing'},
    },
    'cgroup_version': 'v2',
    'os': {'name': 'debian12', 'pretty_name': 'Debian GNU/Linux 12 (bookworm)'},
    'addresses': ['127.0.0.1', '10.20.0.21'],
    'time': {'clock_state': 'ok', 'daemons': ['chronyd']},
    'listening': [{'protocol': 'tcp', 'address': '0.0.0.0', 'port': 22, 'pid': 1, 'process': 'sshd'}],
}
PROFILES = {
    'control_plane': {'min_cpus': 2, 'min_memory_mb': 1700, 'min_free_gb': {'/var/lib/etcd': 10},
                      'kernel_modules': ['br_netfilter', 'overlay'], 'ports': [6443, 2379]},
    'workers': {'min_cpus': 1, 'min_memory_mb': 1024, 'min_free_gb': {'/var/lib/containerd': 20},
                'kernel_modules': ['vxlan'], 'ports': ['10250']},
}
SETTINGS = {'node_os': 'debian12', 'node_ip': '10.20.0.21', 'allow_cgroup_v1': False, 'require_time_sync': True,
            'port_owners': {'6443': ['kube-apiserver', 'haproxy'], 2379: ['etcd']}}


def problems(node=None, groups=('control_plane',), settings=None):
    return preflight_problems(node or NODE, list(groups), PROFILES, dict(SETTINGS, **(settings or {})))


def changed(**paths):
    node = copy.deepcopy(NODE)
    for path, value in paths.items():
        target = node
        keys = path.split('__')
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return node


def test_a_good_node_has_no_problems():
    assert problems() == []


def test_profiles_merge_to_the_strictest():
    merged = merge_profiles(['control_plane', 'workers', 'other'], PROFILES)
    assert merged['min_cpus'] == 2 and merged['min_memory_mb'] == 1700
    assert merged['kernel_modules'] == ['br_netfilter', 'overlay', 'vxlan']
    assert merged['ports'] == [6443, 2379, 10250]
    assert merged['groups'] == ['control_plane', 'workers']


@pytest.mark.parametrize('node, settings, expected', [
    (changed(cpu__count=1), {}, '1 CPUs, below the 2 a control_plane host needs'),
    (changed(memory__total_mb=900), {}, '900 MiB of memory, below the 1700 MiB'),
    (changed(filesystems_free_gb={'/var/lib/etcd': 3.5}), {}, '3.5 GiB free on the filesystem of /var/lib/etcd'),
    (changed(kernel__modules={'br_netfilter': 'missing', 'overlay': 'loaded'}), {},
     'kernel feature br_netfilter is missing in kernel 6.1.0-28-amd64'),
    (changed(cgroup_version='hybrid'), {}, 'the host runs cgroup hybrid'),
    (changed(os={'name': 'ubuntu2204', 'pretty_name': 'Ubuntu 22.04.4 LTS'}), {},
     'the host runs Ubuntu 22.04.4 LTS (ubuntu2204) but the inventory declares debian12'),
    (NODE, {'node_ip': '10.20.0.99'}, 'node address 10.20.0.99 is on none of the host\'s interfaces'),
    (changed(time={'clock_state': 'unsynchronized', 'daemons': []}), {}, 'the clock is not synchronized'),
    (changed(listening=[{'protocol': 'tcp', 'address': '::', 'port': 6443, 'pid': 77, 'process': 'nginx'}]), {},
     'TCP port 6443 is taken by nginx (pid 77)'),
])
def test_each_minimum_is_reported_with_its_setting(node, settings, expected):
    found = problems(node, settings=settings)
    assert len(found) == 1 and expected in found[0] and 'Fix:' in found[0], found


def test_platform_owners_may_hold_their_ports():
    node = changed(listening=[{'protocol': 'tcp', 'address': '::', 'port': 6443, 'pid': 7, 'process': 'kube-apiserver'},
                              {'protocol': 'tcp', 'address': '10.20.0.21', 'port': 2379, 'pid': 8, 'process': 'etcd'}])
    assert problems(node) == []


def test_one_message_per_port_and_process_across_tcp_and_tcp6():
    socket = {'protocol': 'tcp', 'port': 10250, 'pid': 9, 'process': 'node_exporter'}
    node = changed(listening=[dict(socket, address='0.0.0.0'), dict(socket, address='::')])
    assert len(problems(node, groups=['workers'])) == 1


def test_switches_relax_checks():
    node = changed(cgroup_version='v1', time={'clock_state': 'unsynchronized', 'daemons': []})
    assert problems(node, settings={'allow_cgroup_v1': True, 'require_time_sync': False}) == []


def test_a_running_time_daemon_is_enough_while_it_syncs():
    assert problems(changed(time={'clock_state': 'unsynchronized', 'daemons': ['chronyd']})) == []


def test_rejects_what_is_not_node_facts():
    with pytest.raises(AnsibleFilterError, match='expects the caas_node fact'):
        preflight_problems({'foo': 1}, ['workers'], PROFILES, SETTINGS)
