# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_name
short_description: The name a host registers as a Kubernetes node
version_added: 0.1.0
description:
  - Takes a host's variables (C(hostvars[name])) and returns its C(caas_node_name), else the first label of its
    inventory name; the one rule for node names (docs/inventory.md), also what the kubelet's certificate
    requests carry (C(system:node:<name>)).
options:
  _input:
    description: The host's variables.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The node names of the workers
  ansible.builtin.debug:
    msg: "{{ groups['workers'] | map('extract', hostvars) | map('caas.platform.node_name') | list }}"
"""

RETURN = r"""
_value:
  description: A lower-case DNS label.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils import node_identity


def node_name(host_vars):
    if not hasattr(host_vars, 'get'):
        raise AnsibleFilterError('node_name expects a host\'s variables (hostvars[name]), got %r' % (host_vars,))
    if not host_vars.get('inventory_hostname'):
        raise AnsibleFilterError('node_name: the variables have no inventory_hostname (pass hostvars[name])')
    return node_identity.node_name(host_vars)


class FilterModule(object):
    def filters(self):
        return {'node_name': node_name}
