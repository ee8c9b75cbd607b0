# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: replacement_problems
short_description: What keeps a lost control-plane host from being replaced now
version_added: 0.1.0
description:
  - Takes the inventory name of the lost control-plane host (C(replace_node)) and returns one message per problem;
    an empty list when playbooks/replace_control_plane.yml may start.
  - The new host takes the lost one's place in the inventory, so the name must be in the group control_plane. The
    node must not be Ready (a Ready node is not lost), and another control-plane node must be Ready.
  - With stacked etcd the Ready control-plane nodes left must make a quorum of the members left once the lost one
    is removed; a lost quorum is restored from a snapshot instead (restore_problems).
options:
  _input:
    description: The inventory name of the lost host.
    type: str
    required: true
  topology:
    description: C(caas_etcd_topology).
    type: str
    required: true
extends_documentation_fragment:
  - caas.platform.node_lifecycle
  - caas.platform.node_lifecycle.node
"""

EXAMPLES = r"""
- name: Refuse a replacement that cannot start
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: >-
      {{ replace_node | caas.platform.replacement_problems(groups, hostvars[replace_node] | caas.platform.node_name,
         cluster.nodes, caas_etcd_topology) }}
"""

RETURN = r"""
_value:
  description: One message per problem.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.node_lifecycle import replacement_problems as problems


def replacement_problems(host, groups, node_name, nodes, topology):
    if not hasattr(groups, 'get') or not isinstance(nodes, list):
        raise AnsibleFilterError('replacement_problems expects the inventory groups and the cluster\'s nodes')
    return problems(host, groups, node_name, nodes, topology)


class FilterModule(object):
    def filters(self):
        return {'replacement_problems': replacement_problems}
