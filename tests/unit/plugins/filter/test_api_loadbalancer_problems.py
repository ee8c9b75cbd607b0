# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The api_loadbalancer role's own check, and the rules it shares with the inventory contract."""

from __future__ import annotations

import ipaddress

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.api_loadbalancer_problems import api_loadbalancer_problems
from ansible_collections.caas.platform.plugins.plugin_utils import api_endpoint

GOOD = {
    'mode': 'haproxy_keepalived', 'vip': '10.20.0.10', 'port': 6443, 'node_network': '10.20.0.0/22',
    'vrrp_router_id': 51, 'vrrp_password': 'k8s-vrrp', 'vrrp_auth_type': 'PASS', 'hosts': ['lb1', 'lb2'],
    'lb_addresses': ['10.20.0.5', '10.20.0.6'], 'this_host': 'lb1', 'interface': '', 'backend_ca_file': '',
    'backends': [{'name': 'cp1', 'address': '10.20.0.21'}, {'name': 'cp2', 'address': '10.20.0.22'}],
}


def problems(**changes):
    return api_loadbalancer_problems(dict(GOOD, **changes))


def test_good_settings_have_no_problem():
    assert problems() == []
    # A port or router id templated from a string is read as its number.
    assert problems(port='6443', vrrp_router_id='51') == []


@pytest.mark.parametrize('changes, expected', [
    ({'vip': '192.0.2.10'}, "api_loadbalancer_vip (caas_api_vip) = '192.0.2.10': is outside caas_node_network "
                            "10.20.0.0/22; a VRRP VIP moves between hosts of that network only. Fix: choose an "
                            "unused host address of 10.20.0.0/22."),
    ({'vip': '10.20.3.255'}, 'is the network or broadcast address of 10.20.0.0/22'),
    ({'vip': 'api.example'}, "api_loadbalancer_vip (caas_api_vip) = 'api.example': is not an IPv4 address"),
    ({'vip': '10.20.0.5'}, 'is the address of lb host lb1'),
    ({'node_network': '10.20.0.0/33'}, 'is not an IPv4 network'),
    ({'vrrp_router_id': 300}, 'api_loadbalancer_vrrp_router_id (caas_api_vrrp_router_id) = 300: is not a VRRP'),
    ({'port': 70000}, 'api_loadbalancer_port (caas_api_port) = 70000: is not a TCP port'),
    ({'vrrp_password': ''}, 'api_loadbalancer_vrrp_password: is empty'),
    ({'vrrp_password': 'longer-than-8'}, 'api_loadbalancer_vrrp_password: has 13 characters'),
    ({'vrrp_password': 'a b'}, 'api_loadbalancer_vrrp_password: has a character keepalived would not read'),
    ({'vrrp_auth_type': 'MD5'}, "api_loadbalancer_vrrp_auth_type = 'MD5': is not a VRRP authentication"),
    ({'hosts': ['lb1'], 'lb_addresses': ['10.20.0.5']}, "api_loadbalancer_hosts (the lb group) = ['lb1']: has fewer"),
    ({'this_host': 'cp1'}, "inventory_hostname = 'cp1': is not in api_loadbalancer_hosts"),
    ({'lb_addresses': ['10.20.0.5', 'lb2.example']}, "the node address of lb host lb2 (caas_node_ip, else "
                                                     "ansible_host) = 'lb2.example': is not an IPv4 address"),
    ({'lb_addresses': ['10.20.0.5', '10.30.0.6']}, 'the node address of lb host lb2 = \'10.30.0.6\': is outside'),
    ({'lb_addresses': ['10.20.0.5', '10.20.0.5']}, 'are not distinct'),
    ({'backends': []}, 'api_loadbalancer_backends = []: is empty'),
    ({'backends': [{'name': 'cp 1', 'address': '10.20.0.21'}]}, 'is not {name, address}'),
    ({'backends': [{'name': 'cp1', 'address': '10.20.0.6'}]}, 'haproxy would send the API to itself'),
    ({'backend_ca_file': '/nonexistent/ca.crt'}, "= '/nonexistent/ca.crt': is no file on the controller"),
    ({'interface': 'eth0; rm'}, "api_loadbalancer_interface = 'eth0; rm': is not an interface name"),
    ({'mode': 'kube_vip'}, "api_loadbalancer_mode (caas_api_lb_mode) = 'kube_vip': is not haproxy_keepalived"),
])
def test_each_problem_names_the_variable_its_value_and_the_fix(changes, expected):
    found = problems(**changes)
    assert len(found) == 1, found
    assert expected in found[0]
    assert '. Fix: ' in found[0]


def test_the_vrrp_password_is_never_shown():
    for password in ('sec ret', 'secret-too-long'):
        assert not any(password in problem for problem in problems(vrrp_password=password))


def test_settings_missing_are_a_programming_error():
    with pytest.raises(AnsibleFilterError, match='without vip'):
        api_loadbalancer_problems({key: value for key, value in GOOD.items() if key != 'vip'})


def test_the_contract_and_the_role_share_the_vip_rule():
    network = ipaddress.ip_network('198.51.100.0/24')
    assert api_endpoint.vip_problem(ipaddress.ip_address('198.51.100.10'), network, 'VRRP') is None
    assert api_endpoint.vip_problem(ipaddress.ip_address('198.51.100.255'), network, 'VRRP')[0].startswith(
        'is the network or broadcast address')
    assert api_endpoint.port_problem(True) and api_endpoint.router_id_problem('51')
