# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One rule for the interface a VIP joins: the one that holds the node address."""

from __future__ import annotations

import subprocess

import pytest

from ansible_collections.caas.platform.plugins.filter.address_interface import address_interface
from ansible_collections.caas.platform.plugins.filter.ipv4_addresses import ipv4_addresses

# `ip -o -4 addr show` of a lab control-plane host holding the VIP, and of a host with a VLAN interface.
LAB_HOST = [
    '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
    '2: eth0    inet 10.250.0.21/24 brd 10.250.0.255 scope global eth0\\       valid_lft forever preferred_lft forever',
    '2: eth0    inet 10.250.0.10/32 scope global eth0\\       valid_lft forever preferred_lft forever',
]
VLAN_HOST = ['5: bond0.120@bond0    inet 10.20.0.21/22 brd 10.20.3.255 scope global bond0.120\\       valid_lft forever']


@pytest.mark.parametrize('lines, address, interface', [
    (LAB_HOST, '10.250.0.21', 'eth0'),
    (LAB_HOST, '10.250.0.10', 'eth0'),
    (LAB_HOST, '10.250.0.2', ''),       # a prefix of another address is not that address
    (VLAN_HOST, '10.20.0.21', 'bond0.120'),
    ([], '10.250.0.21', ''),
])
def test_the_interface_holding_the_address(lines, address, interface):
    assert address_interface(lines, address) == interface


def test_on_this_machine():
    """The real `ip` output of the machine the tests run on: its loopback is lo."""
    lines = subprocess.run(['ip', '-o', '-4', 'addr', 'show'], check=True, capture_output=True,
                           text=True).stdout.splitlines()
    assert address_interface(lines, '127.0.0.1') == 'lo'


def test_the_addresses_a_refusal_lists():
    assert ipv4_addresses(LAB_HOST) == ['127.0.0.1/8', '10.250.0.21/24', '10.250.0.10/32']
    assert ipv4_addresses(VLAN_HOST) == ['10.20.0.21/22']
    assert ipv4_addresses(['garbage', '']) == []
