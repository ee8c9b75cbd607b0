# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_removal_problems
short_description: What keeps a node from being removed from the cluster now
version_added: 0.1.0
description:
  - Takes the inventory name of the host to remove (C(remove_node)) and returns one message per problem, each naming
    the variable, the bad value and the fix; an empty list when playbooks/remove_node.yml may start.
  - The inventory is edited first, so the host must be in it but out of the groups control_plane, workers and
    storage. A control-plane node is not removed when the Ready control-plane nodes left would be fewer than the
    HA policy needs (2 with C(caas_control_plane_ha)), or, with stacked etcd, fewer than the quorum of the members
    left; a worker is not removed when it is the last Ready one.
options:
  _input:
    description: The inventory name of the host to remove.
    type: str
    required: true
  ha:
    description: C(caas_control_plane_ha).
    type: bool
    required: true
  topology:
    description: C(caas_etcd_topology), C(stacked) or C(external).
    type: str
    required: true
extends_documentation_fragment:
  - caas.platform.node_lifecycle
  - caas.platform.node_lifecycle.node
"""

EXAMPLES = r"""
- name: Refuse a removal that would break the cluster, before anything changes
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: >-
      {{ remove_node | caas.platform.node_removal_problems(groups, hostvars[remove_node] | caas.platform.node_name,
         cluster.nodes, caas_control_plane_ha, caas_etcd_topology) }}
"""

RETURN = r"""
_value:
  description: One message per problem.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.node_lifecycle import removal_problems


def node_removal_problems(host, groups, node_name, nodes, ha, topology):
    if not hasattr(groups, 'get') or not isinstance(nodes, list):
        raise AnsibleFilterError('node_removal_problems expects the inventory groups and the cluster\'s nodes')
    return removal_problems(host, groups, node_name, nodes, bool(ha), topology)


class FilterModule(object):
    def filters(self):
        return {'node_removal_problems': node_removal_problems}
