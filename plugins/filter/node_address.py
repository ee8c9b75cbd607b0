# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_address
short_description: The address other hosts reach a host at
version_added: 0.1.0
description:
  - Takes a host's variables (C(hostvars[name])) and returns its C(caas_node_ip), else its C(ansible_host), else
    its inventory name; the one rule every role uses for node addresses (docs/inventory.md).
options:
  _input:
    description: The host's variables.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The client URLs of the etcd hosts
  ansible.builtin.debug:
    msg: "{{ groups['etcd'] | map('extract', hostvars) | map('caas.platform.node_address')
             | map('regex_replace', '^(.*)$', 'https://\\1:2379') | list }}"
"""

RETURN = r"""
_value:
  description: An IP address or a host name.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils import node_identity


def node_address(host_vars):
    if not hasattr(host_vars, 'get'):
        raise AnsibleFilterError('node_address expects a host\'s variables (hostvars[name]), got %r' % (host_vars,))
    if not host_vars.get('inventory_hostname'):
        raise AnsibleFilterError('node_address: the variables have no inventory_hostname (pass hostvars[name])')
    return node_identity.node_address(host_vars)


class FilterModule(object):
    def filters(self):
        return {'node_address': node_address}
