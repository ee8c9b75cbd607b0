# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.kubelet_serving_csrs import kubelet_serving_csrs
from ansible_collections.caas.platform.plugins.filter.node_name import node_name

HOSTS = [
    # Registered under its caas_node_name, not its inventory name.
    {'inventory_hostname': 'rack7-srv12.dc1.example.com', 'caas_node_name': 'wk-a1', 'caas_node_ip': '10.20.1.11'},
    {'inventory_hostname': 'wk-b1.dc1.example.com', 'ansible_host': '10.20.1.21'},
]


def result(name, user, sans):
    return {'item': {'metadata': {'name': name}, 'spec': {'username': user}}, 'subject_alt_name': sans}


def test_node_name_is_caas_node_name_else_the_short_inventory_name():
    assert [node_name(h) for h in HOSTS] == ['wk-a1', 'wk-b1']
    with pytest.raises(AnsibleFilterError):
        node_name('wk-a1')


def test_requests_naming_only_their_own_node_are_approved():
    results = [
        result('csr-1', 'system:node:wk-a1', ['DNS:wk-a1', 'IP:10.20.1.11']),
        result('csr-2', 'system:node:wk-b1', ['DNS:wk-b1', 'IP:10.20.1.21']),
        # The inventory name is not what the kubelet registers as.
        result('csr-3', 'system:node:rack7-srv12', ['DNS:rack7-srv12', 'IP:10.20.1.11']),
        # Asks for another node's address.
        result('csr-4', 'system:node:wk-a1', ['DNS:wk-a1', 'IP:10.20.1.21']),
        # Not a node of these hosts.
        result('csr-5', 'system:node:intruder', ['DNS:intruder']),
    ]
    assert kubelet_serving_csrs(results, HOSTS) == ['csr-1', 'csr-2']


def test_bad_input_is_an_error():
    with pytest.raises(AnsibleFilterError):
        kubelet_serving_csrs({}, HOSTS)
