# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.calico_problems import calico_problems

POD_CIDR = '10.244.0.0/16'
CONTROL_PLANE = ['cp1', 'cp2', 'cp3']


def settings(**changes):
    """The role's defaults on the lab, with changes."""
    return dict({'calico_ip_pools': [pool()], 'calico_pod_cidr': POD_CIDR, 'calico_network_backend': 'vxlan',
                 'calico_mtu': 0, 'calico_allow_mtu_decrease': False, 'calico_api_host': 'cp1',
                 'calico_control_plane_group': 'kube_control_plane', 'calico_bgp_peers': []}, **changes)


def pool_problems(pools, backend, cluster_pools=None):
    return calico_problems(settings(calico_ip_pools=pools, calico_network_backend=backend), CONTROL_PLANE,
                           cluster_pools=cluster_pools)


def pool(**fields):
    return dict({'name': 'default-ipv4', 'cidr': '10.244.0.0/16', 'block_size': 26, 'encapsulation': 'VXLAN'},
                **fields)


def cluster_pool(name='default-ipv4', cidr='10.244.0.0/16', block_size=26):
    """An item of `kubectl get ippools.crd.projectcalico.org -o json`."""
    return {'apiVersion': 'crd.projectcalico.org/v1', 'kind': 'IPPool', 'metadata': {'name': name},
            'spec': {'cidr': cidr, 'blockSize': block_size, 'vxlanMode': 'Always', 'ipipMode': 'Never'}}


def test_the_default_pool_is_good():
    assert pool_problems([pool()], 'vxlan') == []


@pytest.mark.parametrize('fields, words', [
    ({'name': 'Default_Pool'}, "name 'Default_Pool' is not a DNS subdomain name"),
    ({'cidr': '10.244.0.1/16'}, "cidr '10.244.0.1/16' is not an IPv4 network with its host bits zero"),
    ({'cidr': 'fd00::/64'}, 'IPv6 pools are not supported yet'),
    ({'cidr': '10.245.0.0/16'}, "outside the cluster's pod network caas_pod_cidr 10.244.0.0/16"),
    ({'block_size': 33}, 'block_size 33 must be a number from 20 to 32'),
    ({'block_size': '26'}, "block_size '26' must be a number"),
    ({'cidr': '10.244.0.0/28', 'block_size': 26}, 'block_size 26 is larger than the pool 10.244.0.0/28'),
    ({'encapsulation': 'GRE'}, "encapsulation 'GRE' is not one of VXLAN, VXLANCrossSubnet"),
    ({'encapsulation': 'IPIP'}, 'encapsulation IPIP needs BGP'),
    ({'encapsulation': 'None'}, 'encapsulation None needs BGP'),
    ({'nat_outgoing': 'yes'}, "nat_outgoing 'yes' must be true or false"),
])
def test_each_bad_value_is_named_with_its_fix(fields, words):
    problems = pool_problems([pool(**fields)], 'vxlan')
    assert len(problems) == 1 and words in problems[0], problems
    assert problems[0].startswith('calico_ip_pools[0]')


def test_bgp_encapsulations_are_fine_with_bird():
    assert pool_problems([pool(encapsulation='IPIPCrossSubnet')], 'bird') == []


def test_pools_together_unique_names_and_no_overlap_unless_disabled():
    pools = [pool(cidr='10.244.0.0/17'), pool(cidr='10.244.64.0/18', name='second')]
    assert 'overlap' in pool_problems(pools, 'vxlan')[0]
    pools[0]['disabled'] = True  # moving pods from the old pool to the new one
    assert pool_problems(pools, 'vxlan') == []
    twins = [pool(cidr='10.244.0.0/17'), pool(cidr='10.244.128.0/17')]
    assert pool_problems(twins, 'vxlan') == [
        'calico_ip_pools has 2 pools named default-ipv4 (entries 0, 1); give each pool its own name.']


def test_no_pool_and_an_unknown_backend_are_refused():
    assert 'calico_ip_pools is empty' in pool_problems([], 'vxlan')[0]
    assert "calico_network_backend 'ebpf' is not vxlan or bird." in pool_problems([pool()], 'ebpf')


def test_a_running_pool_keeps_its_cidr_and_block_size():
    assert pool_problems([pool()], 'vxlan', [cluster_pool()]) == []
    changed = pool_problems([pool(cidr='10.244.0.0/17')], 'vxlan', [cluster_pool()])
    assert len(changed) == 1
    assert changed[0].startswith('IP pool default-ipv4 has cidr 10.244.0.0/16 in the cluster and 10.244.0.0/17 in '
                                 "calico_ip_pools: Calico cannot change a pool's cidr")
    assert 'set disabled: true on default-ipv4' in changed[0]
    assert "Calico cannot change a pool's block_size" in pool_problems([pool(block_size=27)], 'vxlan', [cluster_pool()])[0]


def test_what_calico_can_change_and_new_pools_pass_on_a_running_cluster():
    pools = [pool(encapsulation='VXLANCrossSubnet', nat_outgoing=False, disabled=True),
             pool(name='second', cidr='10.244.128.0/17')]
    assert pool_problems(pools, 'vxlan', [cluster_pool(cidr='10.244.0.0/17')]) == [
        'IP pool default-ipv4 has cidr 10.244.0.0/17 in the cluster and 10.244.0.0/16 in calico_ip_pools: Calico '
        "cannot change a pool's cidr (pods hold addresses from it). Put 10.244.0.0/17 back, or add a pool with the "
        'new value under another name, set disabled: true on default-ipv4, recreate the pods that hold its '
        'addresses, then delete it (docs/network.md, "Moving pods to a new pool").']
    pools[0]['cidr'] = '10.244.0.0/17'
    assert pool_problems(pools, 'vxlan', [cluster_pool(cidr='10.244.0.0/17')]) == []


def test_something_else_than_a_list_of_pools_is_refused():
    with pytest.raises(AnsibleFilterError, match='expects calico_ip_pools a list of pools'):
        pool_problems({'name': 'x'}, 'vxlan')
    with pytest.raises(AnsibleFilterError, match='expects the settings by name'):
        calico_problems(['calico_mtu'], CONTROL_PLANE)


@pytest.mark.parametrize('mtu', [0, 1000, 1450, '1400'])
def test_a_detected_or_large_enough_mtu_passes(mtu):
    assert calico_problems(settings(calico_mtu=mtu), CONTROL_PLANE) == []


@pytest.mark.parametrize('mtu', [999, -1, 'auto', ' 1400', 1400.5])
def test_an_mtu_neither_detected_nor_large_enough_is_refused(mtu):
    assert calico_problems(settings(calico_mtu=mtu), CONTROL_PLANE) == [
        'calico_mtu %s must be 0 (detect) or a number of at least 1000.' % mtu]


@pytest.mark.parametrize('cluster_mtu, mtu', [('', 1400), ('1400', 1400), ('1400', 1450), ('0', 0)])
def test_the_same_a_larger_or_a_first_mtu_passes_on_a_running_cluster(cluster_mtu, mtu):
    assert calico_problems(settings(calico_mtu=mtu), CONTROL_PLANE, cluster_mtu=cluster_mtu) == []


@pytest.mark.parametrize('cluster_mtu, mtu', [('1450', 1400), ('1400', 0), ('0', 1400)])
def test_a_lower_mtu_or_a_change_to_or_from_detection_is_refused_unless_allowed(cluster_mtu, mtu):
    problems = calico_problems(settings(calico_mtu=mtu), CONTROL_PLANE, cluster_mtu=cluster_mtu)
    assert problems == ['calico_mtu %d lowers the MTU the cluster runs with (%s, 0 is detected): running pods keep the '
                        'larger MTU until they are recreated and large packets between them and new pods are dropped. '
                        'Set calico_allow_mtu_decrease: true to apply it, then recreate the workloads '
                        '(docs/network.md).' % (mtu, cluster_mtu)]
    assert calico_problems(settings(calico_mtu=mtu, calico_allow_mtu_decrease=True), CONTROL_PLANE,
                           cluster_mtu=cluster_mtu) == []


def test_the_api_host_must_be_a_control_plane_node():
    assert calico_problems(settings(calico_api_host='worker1'), CONTROL_PLANE) == [
        'calico_api_host worker1 is not in the group kube_control_plane; name a control-plane node.']


@pytest.mark.parametrize('peer', [{}, {'name': ''}, {'name': 'ToR-1'}, {'name': '-tor'}])
def test_every_bgp_peer_needs_a_name_kubernetes_takes(peer):
    peers = [{'name': 'tor-1.dc1'}, peer]
    assert calico_problems(settings(calico_bgp_peers=peers), CONTROL_PLANE) == [
        'calico_bgp_peers: every peer needs a name (lower-case letters, digits, "-", ".").']


def test_problems_of_several_settings_come_together():
    problems = calico_problems(settings(calico_ip_pools=[], calico_mtu=10, calico_api_host='lb1'), CONTROL_PLANE)
    assert [p.split(' ')[0] for p in problems] == ['calico_ip_pools', 'calico_mtu', 'calico_api_host']
