# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ipv4_addresses
short_description: A host's IPv4 addresses with their prefix length, from C(ip -o -4 addr show)
version_added: 0.1.0
description:
  - What a refusal lists when no interface holds the address a VIP should join (api_loadbalancer and
    control_plane roles), read by the same rule as P(caas.platform.address_interface#filter).
options:
  _input:
    description: The lines of C(ip -o -4 addr show) on the host.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: The host's addresses
  ansible.builtin.debug:
    msg: "{{ addrs.stdout_lines | caas.platform.ipv4_addresses | join(', ') }}"  # 127.0.0.1/8, 10.250.0.21/24
"""

RETURN = r"""
_value:
  description: Each address as C(ADDRESS/PREFIX), in the order C(ip) lists them.
  type: list
  elements: str
"""

from ansible_collections.caas.platform.plugins.plugin_utils.ip_addr import ipv4_entries


def ipv4_addresses(lines):
    return [cidr for _interface, cidr in ipv4_entries(lines)]


class FilterModule(object):
    def filters(self):
        return {'ipv4_addresses': ipv4_addresses}
