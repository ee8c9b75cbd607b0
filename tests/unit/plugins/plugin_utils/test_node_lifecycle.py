# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.node_removal_problems import node_removal_problems
from ansible_collections.caas.platform.plugins.filter.nodes_to_add import nodes_to_add
from ansible_collections.caas.platform.plugins.filter.replacement_problems import replacement_problems
from ansible_collections.caas.platform.plugins.filter.reset_problems import reset_problems
from ansible_collections.caas.platform.plugins.filter.restore_problems import restore_problems

GROUPS = {'all': ['cp1', 'cp2', 'cp3', 'worker1', 'worker2', 'worker4', 'etcd1', 'lb1'],
          'control_plane': ['cp1', 'cp2', 'cp3'], 'workers': ['worker1', 'worker2'], 'etcd': ['etcd1'],
          'lb': ['lb1'], 'storage': ['worker1']}
HOSTVARS = {host: {'inventory_hostname': host} for host in GROUPS['all']}


def nodes(*not_ready, extra=()):
    names = ['cp1', 'cp2', 'cp3', 'worker1', 'worker2', *extra]
    return [{'name': name, 'ready': name not in not_ready, 'control_plane': name.startswith('cp')} for name in names]


def test_hosts_the_cluster_lacks_are_added_in_inventory_order():
    groups = dict(GROUPS, control_plane=['cp1', 'cp4', 'cp2', 'cp3'], workers=['worker1', 'worker4', 'worker2'])
    hostvars = dict(HOSTVARS, cp4={'inventory_hostname': 'cp4.dc1.example', 'caas_node_name': 'cp4'},
                    worker4={'inventory_hostname': 'worker4.dc1.example'})
    registered = [n['name'] for n in nodes()]
    assert nodes_to_add(registered, groups, hostvars) == {'control_plane': ['cp4'], 'workers': ['worker4']}
    assert nodes_to_add(registered + ['cp4', 'worker4'], groups, hostvars) == {'control_plane': [], 'workers': []}
    with pytest.raises(AnsibleFilterError):
        nodes_to_add('cp1', groups, hostvars)


def test_a_worker_out_of_its_groups_may_go():
    assert node_removal_problems('worker4', GROUPS, 'worker4', nodes(extra=['worker4']), True, 'external') == []
    # Not a node (any more): only the reset is left to do.
    assert node_removal_problems('worker4', GROUPS, 'worker4', nodes(), True, 'external') == []


@pytest.mark.parametrize('host, cluster, ha, topology, words', [
    ('', nodes(), True, 'external', ['remove_node is not set']),
    ('worker9', nodes(), True, 'external', ['worker9 is not a host of the inventory']),
    ('worker2', nodes(), True, 'external', ['still in the group workers', 'take it out of workers']),
    ('worker1', nodes(), True, 'external', ['still in the group workers', 'group storage', 'storage_remove_host.yml']),
    ('cp3', nodes(), True, 'external', ['still in the group control_plane']),
])
def test_the_inventory_is_edited_first(host, cluster, ha, topology, words):
    message = ' '.join(node_removal_problems(host, GROUPS, host, cluster, ha, topology))
    assert all(word in message for word in words), message


def test_control_plane_removals_keep_the_ha_policy_and_the_quorum():
    groups = dict(GROUPS, control_plane=['cp1', 'cp2'])
    assert node_removal_problems('cp3', groups, 'cp3', nodes(), True, 'external') == []
    # HA needs two Ready control-plane nodes after it.
    message = ' '.join(node_removal_problems('cp3', groups, 'cp3', nodes('cp2'), True, 'external'))
    assert '1 Ready control-plane node(s) (cp1)' in message and 'caas_control_plane_ha needs 2' in message
    assert node_removal_problems('cp3', groups, 'cp3', nodes('cp2'), False, 'external') == []
    # Stacked: 4 members -> 3 left, 2 of them must be healthy.
    four = nodes(extra=['cp4'])
    groups = dict(GROUPS, all=GROUPS['all'] + ['cp4'])
    assert node_removal_problems('cp4', groups, 'cp4', [dict(n, ready=n['name'] != 'cp3') for n in four], True,
                                 'stacked') == []
    message = ' '.join(node_removal_problems('cp4', groups, 'cp4',
                                             [dict(n, ready=n['name'] not in ('cp2', 'cp3')) for n in four], True,
                                             'stacked'))
    assert 'the 3 stacked etcd members left need 2 healthy' in message


def test_the_last_ready_worker_stays():
    groups = dict(GROUPS, workers=['worker1'], storage=[])
    message = ' '.join(node_removal_problems('worker2', groups, 'worker2', nodes('worker1'), True, 'external'))
    assert 'worker2 is the last Ready worker' in message


def test_a_lost_control_plane_host_is_replaced_when_the_others_carry_on():
    assert replacement_problems('cp3', GROUPS, 'cp3', nodes('cp3'), 'external') == []
    assert replacement_problems('cp3', GROUPS, 'cp3', [n for n in nodes() if n['name'] != 'cp3'], 'external') == []
    # Stacked: the two members left hold the quorum of two once the lost one is removed.
    assert replacement_problems('cp3', GROUPS, 'cp3', nodes('cp3'), 'stacked') == []
    # Five members, two lost: the three left hold the quorum (3 of 4) while the first lost one is replaced.
    five = nodes('cp4', 'cp5', extra=['cp4', 'cp5'])
    assert replacement_problems('cp4', dict(GROUPS, control_plane=['cp1', 'cp2', 'cp3', 'cp4', 'cp5']), 'cp4', five,
                                'stacked') == []


@pytest.mark.parametrize('host, cluster, topology, words', [
    ('', nodes(), 'external', ['replace_node is not set']),
    ('worker1', nodes(), 'external', ['not in the group control_plane']),
    ('cp3', nodes(), 'external', ['cp3 is Ready, so it is not lost', 'remove_node.yml']),
    ('cp3', nodes('cp1', 'cp2', 'cp3'), 'external', ['no other control-plane node is Ready']),
    ('cp3', nodes('cp2', 'cp3'), 'stacked', ['1 Ready control-plane node(s) (cp1)', 'fewer than the 2',
                                             'quorum is lost', 'restore_control_plane.yml']),
    ('cp3', nodes('cp1', 'cp2', 'cp3'), 'stacked', ['no other control-plane node is Ready', 'restore_control_plane.yml']),
])
def test_replacements_refused(host, cluster, topology, words):
    message = ' '.join(replacement_problems(host, GROUPS, host, cluster, topology))
    assert all(word in message for word in words), message


def test_a_removed_node_may_be_reset():
    assert reset_problems(['worker4'], GROUPS, HOSTVARS, nodes(), 'lab', '', False) == []


@pytest.mark.parametrize('targets, cluster, confirm, delete, words', [
    ([], nodes(), '', False, ['reset_hosts is empty']),
    (['nohost'], nodes(), '', False, ['nohost, not in the inventory']),
    (['etcd1', 'lb1'], nodes(), 'lab', False, ['etcd1 (etcd), lb1 (lb)', 'Kubernetes nodes only']),
    (['worker1'], nodes(), '', False, ['worker1 is still registered', 'remove_node.yml', 'reset_confirm=lab']),
    (['cp1', 'cp2', 'cp3'], nodes(), '', False, ['every host of the group control_plane', 'reset_confirm=lab']),
    (['worker4'], None, '', False, ['No control-plane node answered']),
    (['worker4'], nodes(), 'lba', True, ['reset_delete_data is true', 'reset_confirm=lab']),
])
def test_resets_refused_without_the_cluster_name(targets, cluster, confirm, delete, words):
    message = ' '.join(reset_problems(targets, GROUPS, HOSTVARS, cluster, 'lab', confirm, delete))
    assert all(word in message for word in words), message


def test_the_cluster_name_confirms_a_whole_reset():
    assert reset_problems(['cp1', 'cp2', 'cp3', 'worker1', 'worker2'], GROUPS, HOSTVARS, None, 'lab', 'lab', True) == []


def etcd_listing(*healthy, members=('cp1', 'cp2', 'cp3')):
    return {'members': [{'name': m, 'is_learner': False} for m in members],
            'endpoints': [{'name': m, 'healthy': m in healthy, 'is_learner': False} for m in members]}


def test_a_lost_quorum_is_restored_when_confirmed():
    # etcd did not answer (a lost quorum fails the linearizable member list), or answered with too few healthy.
    assert restore_problems('cp1', GROUPS, 'stacked', 'lab', 'lab', True, None) == []
    assert restore_problems('cp1', GROUPS, 'stacked', 'lab', 'lab', True, etcd_listing('cp1')) == []


@pytest.mark.parametrize('host, topology, confirm, snapshot, etcd, words', [
    ('cp1', 'external', 'lab', True, None, ['caas_etcd_topology is external', 'etcd_restore.yml']),
    ('worker1', 'stacked', 'lab', True, None, ['restore_host=worker1 is not a host of the group control_plane']),
    ('', 'stacked', 'lab', True, None, ['restore_host=(empty)']),
    ('cp1', 'stacked', 'lab', False, None, ['restore_snapshot is not a file']),
    ('cp1', 'stacked', 'lab', True, etcd_listing('cp1', 'cp2'),
     ['holds its quorum (2 of 3 members healthy: cp1, cp2)', 'replace_control_plane.yml']),
    ('cp1', 'stacked', '', True, None, ["restore_confirm is ''", '-e restore_confirm=lab']),
    ('cp1', 'stacked', 'prod', False, etcd_listing('cp1', 'cp2', 'cp3'),
     ['restore_snapshot is not a file', 'holds its quorum (3 of 3', "restore_confirm is 'prod'"]),
])
def test_restores_refused(host, topology, confirm, snapshot, etcd, words):
    message = ' '.join(restore_problems(host, GROUPS, topology, 'lab', confirm, snapshot, etcd))
    assert all(word in message for word in words), message


def test_restore_problems_wants_groups_and_a_listing():
    with pytest.raises(AnsibleFilterError):
        restore_problems('cp1', ['cp1'], 'stacked', 'lab', 'lab', True, None)
    with pytest.raises(AnsibleFilterError):
        restore_problems('cp1', GROUPS, 'stacked', 'lab', 'lab', True, ['cp1'])
