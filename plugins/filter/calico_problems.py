# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: calico_problems
short_description: What keeps the calico role from installing Calico, and what a running cluster cannot take
version_added: 0.1.0
description:
  - Takes the role's settings by name and what the cluster runs, and returns one message per problem, each naming
    the setting, the bad value and the fix; an empty list when there is none, so that the role refuses them before it
    changes anything.
  - The IP pools C(calico_ip_pools) alone (name, IPv4 CIDR inside C(calico_pod_cidr), block size, an encapsulation
    C(calico_network_backend) can carry) and together (unique names, no two enabled pools overlapping); with
    O(cluster_pools), what Calico cannot change on a pool that exists, its CIDR and block size (pods hold addresses
    from them).
  - C(calico_mtu) (0 detects it, else at least 1000), and with O(cluster_mtu) a lower MTU than the cluster runs with,
    unless C(calico_allow_mtu_decrease).
  - C(calico_api_host) a node of the group C(calico_control_plane_group), and every C(calico_bgp_peers) entry named.
options:
  _input:
    description: The settings, by name (every one named above).
    type: dict
    required: true
  control_plane_hosts:
    description: The hosts of the group C(calico_control_plane_group).
    type: list
    elements: str
    required: true
  cluster_pools:
    description: The IPPool objects the cluster has (the items of C(kubectl get ippools.crd.projectcalico.org -o json)).
    type: list
    elements: dict
    default: []
  cluster_mtu:
    description: The C(veth_mtu) of the cluster's C(calico-config) ConfigMap; empty before Calico's first install.
    type: str
    default: ''
"""

EXAMPLES = r"""
- name: Refuse settings Calico cannot run with, and changes the running cluster cannot take
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
    quiet: true
  vars:
    problems: >-
      {{ {'calico_ip_pools': calico_ip_pools, 'calico_pod_cidr': caas_pod_cidr, 'calico_network_backend': 'vxlan',
          'calico_mtu': 0, 'calico_api_host': groups['kube_control_plane'][0],
          'calico_control_plane_group': 'kube_control_plane'}
         | caas.platform.calico_problems(control_plane_hosts=groups['kube_control_plane']) }}
"""

RETURN = r"""
_value:
  description: One message per problem, naming the setting, the value and the fix.
  type: list
  elements: str
"""

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.calico_pools import pool_problems
from ansible_collections.caas.platform.plugins.plugin_utils.settings import whole_number

PEER_NAME = re.compile(r'^[a-z0-9][-a-z0-9.]*$')
DIGITS = re.compile(r'^[0-9]+$')
# Below this no tunnel carries a full IPv4 packet of a pod; 0 asks calico-node to detect it.
MIN_MTU = 1000


def mtu_problems(settings, cluster_mtu):
    mtu = whole_number(settings.get('calico_mtu')) if DIGITS.match(str(settings.get('calico_mtu'))) else None
    if mtu is None or not (mtu == 0 or mtu >= MIN_MTU):
        return ['calico_mtu %s must be 0 (detect) or a number of at least %d.' % (settings.get('calico_mtu'), MIN_MTU)]
    old = whole_number(cluster_mtu)
    if old is None or old == mtu or settings.get('calico_allow_mtu_decrease') or (old > 0 and mtu > old):
        return []
    return ['calico_mtu %d lowers the MTU the cluster runs with (%d, 0 is detected): running pods keep the larger MTU '
            'until they are recreated and large packets between them and new pods are dropped. Set '
            'calico_allow_mtu_decrease: true to apply it, then recreate the workloads (docs/network.md).' % (mtu, old)]


def calico_problems(settings, control_plane_hosts, cluster_pools=None, cluster_mtu=''):
    if not hasattr(settings, 'get'):
        raise AnsibleFilterError('calico_problems expects the settings by name, a dict; got %r' % (settings,))
    pools = settings.get('calico_ip_pools')
    if not isinstance(pools, list) or not all(isinstance(p, dict) for p in pools):
        raise AnsibleFilterError('calico_problems expects calico_ip_pools a list of pools (dicts), got %r' % (pools,))
    problems = pool_problems(pools, settings.get('calico_pod_cidr'), settings.get('calico_network_backend'),
                             cluster_pools or None)
    problems.extend(mtu_problems(settings, cluster_mtu))
    api_host = settings.get('calico_api_host')
    if api_host not in control_plane_hosts:
        problems.append('calico_api_host %s is not in the group %s; name a control-plane node.'
                        % (api_host, settings.get('calico_control_plane_group')))
    peers = settings.get('calico_bgp_peers') or []
    if not all(PEER_NAME.match(str(peer.get('name') or '')) for peer in peers):
        problems.append('calico_bgp_peers: every peer needs a name (lower-case letters, digits, "-", ".").')
    return problems


class FilterModule(object):
    def filters(self):
        return {'calico_problems': calico_problems}
