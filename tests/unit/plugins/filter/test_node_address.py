# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.node_address import node_address


@pytest.mark.parametrize('host_vars, address', [
    ({'caas_node_ip': '10.0.2.11', 'ansible_host': '192.0.2.11', 'inventory_hostname': 'cp1'}, '10.0.2.11'),
    ({'ansible_host': '192.0.2.11', 'inventory_hostname': 'cp1'}, '192.0.2.11'),
    ({'caas_node_ip': '', 'ansible_host': '192.0.2.11', 'inventory_hostname': 'cp1'}, '192.0.2.11'),
    ({'inventory_hostname': 'cp1.dc1.example'}, 'cp1.dc1.example'),
])
def test_the_node_ip_wins_then_the_ssh_address_then_the_name(host_vars, address):
    assert node_address(host_vars) == address


def test_something_else_than_host_variables_is_refused():
    with pytest.raises(AnsibleFilterError, match='expects a host'):
        node_address('cp1')
    with pytest.raises(AnsibleFilterError, match='no inventory_hostname'):
        node_address({})


def test_the_contract_and_the_filters_read_the_same_rule():
    from ansible_collections.caas.platform.plugins.filter.node_name import node_name
    from ansible_collections.caas.platform.plugins.plugin_utils.node_identity import address_source
    host_vars = {'ansible_host': '192.0.2.11', 'inventory_hostname': 'cp1.dc1.example'}
    assert address_source(host_vars, 'cp1.dc1.example') == ('ansible_host', '192.0.2.11')
    assert address_source({}, 'cp1') == ('inventory_hostname', 'cp1')
    assert node_name(host_vars) == 'cp1'
    assert node_name(dict(host_vars, caas_node_name='wk-a1')) == 'wk-a1'
