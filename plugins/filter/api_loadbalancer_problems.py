# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: api_loadbalancer_problems
short_description: What is wrong with the api_loadbalancer role's settings
version_added: 0.1.0
description:
  - The api_loadbalancer role's check of its own variables before it changes anything (it can run without the
    site's validation). The rules of the VIP, the port and the VRRP router id are those the inventory contract
    applies to the C(caas_*) settings (C(plugins/plugin_utils/api_endpoint.py)).
  - Each problem names the variable, its value (never the VRRP password's) and the fix.
options:
  _input:
    description:
      - The role's settings, without the C(api_loadbalancer_) prefix - C(mode), C(vip), C(port), C(node_network),
        C(vrrp_router_id), C(vrrp_password), C(vrrp_auth_type), C(hosts), C(backends), C(backend_ca_file),
        C(interface) - and C(lb_addresses) (the node address of each of C(hosts)) and C(this_host).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse bad settings before changing anything
  ansible.builtin.fail:
    msg: "api_loadbalancer refuses these settings: {{ __api_loadbalancer_problems | join(' | ') }}"
  when: __api_loadbalancer_problems | length > 0
"""

RETURN = r"""
_value:
  description: One sentence per problem; empty when all is well.
  type: list
  elements: str
"""

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.api_endpoint import loadbalancer_problems

SETTINGS = ('mode', 'vip', 'port', 'node_network', 'vrrp_router_id', 'vrrp_password', 'vrrp_auth_type', 'hosts',
            'lb_addresses', 'this_host', 'backends', 'backend_ca_file', 'interface')


def api_loadbalancer_problems(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError('api_loadbalancer_problems expects a dict of the role\'s settings')
    missing = [key for key in SETTINGS if key not in settings]
    if missing:
        raise AnsibleFilterError('api_loadbalancer_problems: settings without ' + ', '.join(missing))
    # Plain values (Ansible hands over its own str, int and list types): the messages show them as YAML would.
    return loadbalancer_problems(json.loads(json.dumps(dict(settings), default=str)))


class FilterModule(object):
    def filters(self):
        return {'api_loadbalancer_problems': api_loadbalancer_problems}
