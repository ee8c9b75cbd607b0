# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: calico_pool_problems
short_description: What is wrong with Calico IP pool settings, and what a running cluster cannot take
version_added: 0.1.0
description:
  - Takes C(calico_ip_pools) (a list of C(name), C(cidr), C(block_size), C(encapsulation), ...) and returns one
    message per problem, each naming the pool, the bad value and the fix; an empty list when the pools are good.
  - Checks each pool alone (name, IPv4 CIDR inside the cluster's pod network, block size, encapsulation the
    routing backend can carry) and the pools together (unique names, no two enabled pools overlapping).
  - With O(cluster_pools) (the items of C(kubectl get ippools.crd.projectcalico.org -o json)), also refuses what
    Calico cannot change on a pool that exists, its CIDR and block size (pods hold addresses from them).
options:
  _input:
    description: The pools (C(calico_ip_pools)).
    type: list
    elements: dict
    required: true
  pod_cidr:
    description: The cluster's pod network (C(caas_pod_cidr)); every pool lies inside it.
    type: str
    required: true
  backend:
    description: C(calico_network_backend), C(vxlan) or C(bird).
    type: str
    required: true
  cluster_pools:
    description: The IPPool objects the cluster has.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Refuse bad pools before anything changes
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ calico_ip_pools | caas.platform.calico_pool_problems(caas_pod_cidr, 'vxlan') }}"
"""

RETURN = r"""
_value:
  description: One message per problem.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.calico_pools import pool_problems


def calico_pool_problems(pools, pod_cidr, backend, cluster_pools=None):
    if not isinstance(pools, list) or not all(isinstance(p, dict) for p in pools):
        raise AnsibleFilterError('calico_pool_problems expects a list of pools (dicts), got %r' % (pools,))
    return pool_problems(pools, pod_cidr, backend, cluster_pools)


class FilterModule(object):
    def filters(self):
        return {'calico_pool_problems': calico_pool_problems}
