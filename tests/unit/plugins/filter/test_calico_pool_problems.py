# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.calico_pool_problems import calico_pool_problems

POD_CIDR = '10.244.0.0/16'


def pool(**fields):
    return dict({'name': 'default-ipv4', 'cidr': '10.244.0.0/16', 'block_size': 26, 'encapsulation': 'VXLAN'},
                **fields)


def cluster_pool(name='default-ipv4', cidr='10.244.0.0/16', block_size=26):
    """An item of `kubectl get ippools.crd.projectcalico.org -o json`."""
    return {'apiVersion': 'crd.projectcalico.org/v1', 'kind': 'IPPool', 'metadata': {'name': name},
            'spec': {'cidr': cidr, 'blockSize': block_size, 'vxlanMode': 'Always', 'ipipMode': 'Never'}}


def test_the_default_pool_is_good():
    assert calico_pool_problems([pool()], POD_CIDR, 'vxlan') == []


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
    problems = calico_pool_problems([pool(**fields)], POD_CIDR, 'vxlan')
    assert len(problems) == 1 and words in problems[0], problems
    assert problems[0].startswith('calico_ip_pools[0]')


def test_bgp_encapsulations_are_fine_with_bird():
    assert calico_pool_problems([pool(encapsulation='IPIPCrossSubnet')], POD_CIDR, 'bird') == []


def test_pools_together_unique_names_and_no_overlap_unless_disabled():
    pools = [pool(cidr='10.244.0.0/17'), pool(cidr='10.244.64.0/18', name='second')]
    assert 'overlap' in calico_pool_problems(pools, POD_CIDR, 'vxlan')[0]
    pools[0]['disabled'] = True  # moving pods from the old pool to the new one
    assert calico_pool_problems(pools, POD_CIDR, 'vxlan') == []
    twins = [pool(cidr='10.244.0.0/17'), pool(cidr='10.244.128.0/17')]
    assert calico_pool_problems(twins, POD_CIDR, 'vxlan') == [
        'calico_ip_pools has 2 pools named default-ipv4 (entries 0, 1); give each pool its own name.']


def test_no_pool_and_an_unknown_backend_are_refused():
    assert 'calico_ip_pools is empty' in calico_pool_problems([], POD_CIDR, 'vxlan')[0]
    assert "calico_network_backend 'ebpf' is not vxlan or bird." in calico_pool_problems([pool()], POD_CIDR, 'ebpf')


def test_a_running_pool_keeps_its_cidr_and_block_size():
    assert calico_pool_problems([pool()], POD_CIDR, 'vxlan', [cluster_pool()]) == []
    changed = calico_pool_problems([pool(cidr='10.244.0.0/17')], POD_CIDR, 'vxlan', [cluster_pool()])
    assert len(changed) == 1
    assert changed[0].startswith('IP pool default-ipv4 has cidr 10.244.0.0/16 in the cluster and 10.244.0.0/17 in '
                                 "calico_ip_pools: Calico cannot change a pool's cidr")
    assert 'set disabled: true on default-ipv4' in changed[0]
    assert "Calico cannot change a pool's block_size" in calico_pool_problems(
        [pool(block_size=27)], POD_CIDR, 'vxlan', [cluster_pool()])[0]


def test_what_calico_can_change_and_new_pools_pass_on_a_running_cluster():
    pools = [pool(encapsulation='VXLANCrossSubnet', nat_outgoing=False, disabled=True),
             pool(name='second', cidr='10.244.128.0/17')]
    assert calico_pool_problems(pools, POD_CIDR, 'vxlan', [cluster_pool(cidr='10.244.0.0/17')]) == [
        'IP pool default-ipv4 has cidr 10.244.0.0/17 in the cluster and 10.244.0.0/16 in calico_ip_pools: Calico '
        "cannot change a pool's cidr (pods hold addresses from it). Put 10.244.0.0/17 back, or add a pool with the "
        'new value under another name, set disabled: true on default-ipv4, recreate the pods that hold its '
        'addresses, then delete it (docs/network.md, "Moving pods to a new pool").']
    pools[0]['cidr'] = '10.244.0.0/17'
    assert calico_pool_problems(pools, POD_CIDR, 'vxlan', [cluster_pool(cidr='10.244.0.0/17')]) == []


def test_something_else_than_a_list_of_pools_is_refused():
    with pytest.raises(AnsibleFilterError, match='expects a list of pools'):
        calico_pool_problems({'name': 'x'}, POD_CIDR, 'vxlan')
