# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: nodes_to_add
short_description: The inventory's control-plane and worker hosts the cluster does not have yet
version_added: 0.1.0
description:
  - Takes the names of the cluster's nodes and returns, per group (C(control_plane), C(workers)), the inventory hosts
    whose node name (the node_name filter's) is not among them, in inventory order. playbooks/scale.yml adds them.
options:
  _input:
    description: The names of the nodes the cluster has (the cluster_health module's C(nodes[].name)).
    type: list
    elements: str
    required: true
extends_documentation_fragment:
  - caas.platform.node_lifecycle
  - caas.platform.node_lifecycle.hostvars
"""

EXAMPLES = r"""
- name: Find the hosts to add
  ansible.builtin.set_fact:
    scale_new: "{{ cluster.nodes | map(attribute='name') | caas.platform.nodes_to_add(groups, hostvars) }}"
"""

RETURN = r"""
_value:
  description: The hosts to add.
  type: dict
  contains:
    control_plane:
      description: New control-plane hosts.
      type: list
      elements: str
    workers:
      description: New workers.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.node_identity import node_name
from ansible_collections.caas.platform.plugins.plugin_utils.node_lifecycle import NODE_GROUPS, nodes_to_add as plan


def nodes_to_add(registered, groups, hostvars):
    if not isinstance(registered, list) or not hasattr(groups, 'get'):
        raise AnsibleFilterError('nodes_to_add expects the list of the cluster\'s node names and the inventory groups')
    hosts = {host for group in NODE_GROUPS for host in groups.get(group) or []}
    return plan(registered, groups, {host: node_name(hostvars[host], host) for host in hosts})


class FilterModule(object):
    def filters(self):
        return {'nodes_to_add': nodes_to_add}
