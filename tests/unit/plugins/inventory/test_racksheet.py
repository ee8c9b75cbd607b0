# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The racksheet inventory plugin, loaded by Ansible's own InventoryManager from files on disk."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.inventory.manager import InventoryManager
from ansible.plugins.loader import inventory_loader
from ansible.vars.manager import VariableManager
from ansible.parsing.dataloader import DataLoader

from ansible_collections.caas.platform.plugins.plugin_utils import inventory_contract

SHEET = """name,address,roles,zone,rack,node_ip
dc1-lb-a1,10.20.0.11,lb,zone-a,a07,
dc1-lb-b1,10.20.0.12,lb,zone-b,b07,
dc1-cp-a1,10.20.0.21,control_plane,zone-a,a07,
dc1-cp-b1,10.20.0.22,control_plane,zone-b,b07,
dc1-cp-c1,10.20.0.23,control_plane,zone-c,c07,

dc1-wk-c3,mgmt-wk-c3.dc1.example.com,workers;artifacts,zone-c,c09,10.20.1.33
"""
CLUSTER = """caas_cluster_name: dc1
caas_kubernetes_version: "1.36.3"
caas_node_network: 10.20.0.0/22
caas_pod_cidr: 10.128.0.0/16
caas_service_cidr: 10.129.0.0/16
caas_api_vip: 10.20.0.10
caas_ntp_servers: [ntp1.dc1.example.com]
"""


def load(tmp_path, sheet):
    (tmp_path / 'hosts.csv').write_text(sheet)
    source = tmp_path / 'dc1.racksheet.yml'
    source.write_text('plugin: caas.platform.racksheet\nsheet: hosts.csv\n')
    (tmp_path / 'group_vars').mkdir(exist_ok=True)
    (tmp_path / 'group_vars' / 'all.yml').write_text(CLUSTER)
    return InventoryManager(loader=DataLoader(), sources=[str(source)])


def test_groups_and_host_settings(tmp_path):
    inventory = load(tmp_path, SHEET)
    groups = inventory.get_groups_dict()
    assert groups['control_plane'] == ['dc1-cp-a1', 'dc1-cp-b1', 'dc1-cp-c1']
    assert groups['workers'] == ['dc1-wk-c3'] and groups['artifacts'] == ['dc1-wk-c3']
    assert sorted(groups['zone_zone_a']) == ['dc1-cp-a1', 'dc1-lb-a1'] and groups['rack_c09'] == ['dc1-wk-c3']
    host = inventory.get_host('dc1-wk-c3').get_vars()
    assert host['ansible_host'] == 'mgmt-wk-c3.dc1.example.com' and host['caas_node_ip'] == '10.20.1.33'
    assert host['caas_zone'] == 'zone-c' and host['caas_rack'] == 'c09'
    assert 'caas_node_ip' not in inventory.get_host('dc1-cp-a1').get_vars()


def test_a_sheet_inventory_meets_the_contract(tmp_path):
    """With the cluster settings of group_vars/all beside it, as Ansible's variable manager reads them."""
    inventory = load(tmp_path, SHEET)
    variables = VariableManager(loader=DataLoader(), inventory=inventory)
    groups = inventory.get_groups_dict()
    hostvars = {name: variables.get_vars(host=inventory.get_host(name)) for name in groups['all']}
    problems, facts = inventory_contract.validate(groups, hostvars)
    assert problems == [] and facts['node_ips']['dc1-wk-c3'] == '10.20.1.33'


@pytest.mark.parametrize('sheet, message', [
    ('name,address,roles,zone\ncp1,10.0.0.1,control_plane,zone-a\n', 'the header lacks the column(s) rack'),
    ('name,address,roles,zone,rack\ncp1,10.0.0.1,master,zone-a,a1\n', 'line 2: unknown role(s) master for host cp1'),
    ('name,address,roles,zone,rack\ncp1,10.0.0.1,workers,zone-a,a1\ncp1,10.0.0.2,workers,zone-b,b1\n',
     'line 3: host cp1 is already on line 2'),
    ('name,address,roles,zone,rack\ncp1,10.0.0.1,workers,,a1\n', 'line 2: the cell "zone" is empty'),
])
def test_bad_sheets_are_refused_naming_the_line(tmp_path, sheet, message):
    (tmp_path / 'hosts.csv').write_text(sheet)
    source = tmp_path / 'dc1.racksheet.yml'
    source.write_text('plugin: caas.platform.racksheet\nsheet: hosts.csv\n')
    plugin = inventory_loader.get('caas.platform.racksheet')
    assert plugin.verify_file(str(source))
    with pytest.raises(AnsibleError, match=message.replace('(', r'\(').replace(')', r'\)')):
        plugin.parse(InventoryData(), DataLoader(), str(source))
