# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: reset_problems
short_description: What keeps playbooks/reset.yml from resetting hosts
version_added: 0.1.0
description:
  - Takes the hosts to reset (C(reset_hosts)) and returns one message per problem; an empty list when the reset may
    start.
  - Hosts of the groups etcd, lb and artifacts are refused (reset.yml resets Kubernetes nodes).
  - Without C(reset_confirm) set to the cluster's name it refuses hosts that are still nodes of the running cluster
    (they may run workloads; playbooks/remove_node.yml drains and deletes them first), the whole control plane, a
    reset when no control-plane node answers, and deleting data instead of moving it aside.
options:
  _input:
    description: The inventory hosts to reset.
    type: list
    elements: str
    required: true
  nodes:
    description: The cluster's nodes (the cluster_health module's C(nodes)), or none when no control-plane node
      answered.
    type: list
    elements: dict
    required: true
  cluster_name:
    description: C(caas_cluster_name).
    type: str
    required: true
  confirm:
    description: C(reset_confirm).
    type: str
    required: true
  delete_data:
    description: C(reset_delete_data).
    type: bool
    required: true
extends_documentation_fragment:
  - caas.platform.node_lifecycle
  - caas.platform.node_lifecycle.hostvars
"""

EXAMPLES = r"""
- name: Refuse a reset that could lose a workload or the cluster, before anything changes
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: >-
      {{ reset_hosts | caas.platform.reset_problems(groups, hostvars, cluster.nodes | default(none),
         caas_cluster_name, reset_confirm, reset_delete_data) }}
"""

RETURN = r"""
_value:
  description: One message per problem.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.node_identity import node_name
from ansible_collections.caas.platform.plugins.plugin_utils.node_lifecycle import reset_problems as problems


def reset_problems(targets, groups, hostvars, nodes, cluster_name, confirm, delete_data):
    if not isinstance(targets, list) or not hasattr(groups, 'get'):
        raise AnsibleFilterError('reset_problems expects a list of hosts and the inventory groups')
    inventory = set(groups.get('all') or [])
    names = {host: node_name(hostvars[host], host) for host in targets if host in inventory}
    return problems(targets, groups, names, nodes, str(cluster_name), str(confirm or ''), bool(delete_data))


class FilterModule(object):
    def filters(self):
        return {'reset_problems': reset_problems}
