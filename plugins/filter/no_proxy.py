# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: no_proxy
short_description: The NO_PROXY list of a cluster host
version_added: 0.1.0
description:
  - Takes a host's variables (C(hostvars[inventory_hostname])) and returns what must never go through the data
    center's proxy, the same list the inventory validation reports; C(caas_no_proxy) plus the node, pod and
    service networks, the API VIP, the registry mirror and files repository hosts, C(localhost), C(127.0.0.1),
    C(.svc) and the cluster domain.
options:
  _input:
    description: The host's variables; only its C(caas_*) settings are read.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: NO_PROXY for containerd
  ansible.builtin.debug:
    msg: "{{ hostvars[inventory_hostname] | caas.platform.no_proxy | join(',') }}"
"""

RETURN = r"""
_value:
  description: Hosts, domains, addresses and CIDRs, without duplicates, in a stable order.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.inventory_contract import KNOWN_SETTINGS, effective_no_proxy


def no_proxy(host_vars):
    if not hasattr(host_vars, 'get'):
        raise AnsibleFilterError(f'no_proxy expects a host\'s variables (a dict), not {type(host_vars).__name__}')
    return effective_no_proxy({name: host_vars[name] for name in KNOWN_SETTINGS if name in host_vars})


class FilterModule:
    def filters(self):
        return {'no_proxy': no_proxy}
