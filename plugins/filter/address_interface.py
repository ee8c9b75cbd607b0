# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: address_interface
short_description: The network interface that holds an IPv4 address, from C(ip -o -4 addr show)
version_added: 0.1.0
description:
  - The one rule for where a VIP is announced. The keepalived VIP (api_loadbalancer role) and the kube-vip VIP
    (control_plane role) join the interface that holds the host's node address.
  - A VLAN interface's C(NAME@PARENT) is given as C(NAME).
options:
  _input:
    description: The lines of C(ip -o -4 addr show) on the host.
    type: list
    elements: str
    required: true
  address:
    description: The address to look for (the node address).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The interface of the node address
  ansible.builtin.debug:
    msg: "{{ addrs.stdout_lines | caas.platform.address_interface('10.250.0.21') }}"  # eth0
"""

RETURN = r"""
_value:
  description: The interface name; empty when no interface holds the address.
  type: str
"""

from ansible_collections.caas.platform.plugins.plugin_utils.ip_addr import ipv4_entries


def address_interface(lines, address):
    wanted = str(address).strip()
    for interface, cidr in ipv4_entries(lines):
        if cidr.split('/')[0] == wanted:
            return interface
    return ''


class FilterModule(object):
    def filters(self):
        return {'address_interface': address_interface}
