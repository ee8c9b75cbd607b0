# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory contract's checks on plain data; the corpus under tests/inventories covers each refusal
end to end through ansible-playbook."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.caas.platform.plugins.plugin_utils import inventory_contract as contract

CLUSTER = {
    'caas_cluster_name': 'dc1', 'caas_kubernetes_version': 'v1.35.4', 'caas_node_os': 'debian12',
    'caas_node_network': '10.20.0.0/24', 'caas_pod_cidr': '10.128.0.0/16', 'caas_service_cidr': '10.129.0.0/16',
    'caas_api_vip': '10.20.0.10', 'caas_registry_mirror': 'registry.dc1.example.com:5000',
    'caas_no_proxy': ['.dc1.example.com'], 'caas_ntp_servers': ['10.20.0.5'],
}
HOSTS = {
    'lb1': ('lb', '10.20.0.11', 'zone-a'), 'lb2': ('lb', '10.20.0.12', 'zone-b'),
    'cp1': ('control_plane', '10.20.0.21', 'zone-a'), 'cp2': ('control_plane', '10.20.0.22', 'zone-b'),
    'cp3': ('control_plane', '10.20.0.23', 'zone-c'), 'w1': ('workers', '10.20.0.31', 'zone-a'),
}


def inventory():
    groups = {'all': list(HOSTS), 'ungrouped': []}
    hostvars = {}
    for host, (group, address, zone) in HOSTS.items():
        groups.setdefault(group, []).append(host)
        hostvars[host] = dict(CLUSTER, ansible_host=address, caas_zone=zone, caas_rack=zone[-1] + '01')
    return groups, hostvars


def test_good_inventory_gives_cluster_facts():
    problems, facts = contract.validate(*inventory())
    assert problems == []
    assert facts['kubernetes_version'] == '1.35.4' and facts['kubernetes_minor'] == '1.35'
    assert facts['api_endpoint'] == '10.20.0.10:6443'
    assert facts['node_ips']['cp2'] == '10.20.0.22'


def test_no_proxy_adds_the_cluster_networks_vip_and_mirror_once():
    _problems, facts = contract.validate(*inventory())
    no_proxy = facts['no_proxy']
    assert no_proxy[0] == '.dc1.example.com'
    for entry in ('10.20.0.0/24', '10.128.0.0/16', '10.129.0.0/16', '10.20.0.10', 'registry.dc1.example.com',
                  '.svc', '.cluster.local', 'localhost'):
        assert no_proxy.count(entry) == 1


def test_all_problems_are_reported_at_once():
    groups, hostvars = inventory()
    for host in hostvars:
        hostvars[host]['caas_pod_cidr'] = '10.129.0.0/16'
        hostvars[host]['caas_api_port'] = 0
    problems, facts = contract.validate(groups, hostvars)
    assert facts == {}
    assert {p.variable for p in problems} == {'caas_service_cidr', 'caas_api_port'}


def test_problem_text_names_variable_value_and_fix():
    problem = contract.Problem('caas_api_vip', '10.0.0.1', 'is outside caas_node_network', 'choose another', 'cp1')
    assert str(problem) == "caas_api_vip (host cp1) = '10.0.0.1': is outside caas_node_network. Fix: choose another."


def test_single_node_control_plane_is_allowed_without_ha():
    groups, hostvars = inventory()
    groups['control_plane'] = ['cp1']
    for host in ('cp2', 'cp3'):
        del hostvars[host]
    for values in hostvars.values():
        values['caas_control_plane_ha'] = False
    assert contract.validate(groups, hostvars)[0] == []


def test_external_etcd_allows_two_control_plane_hosts():
    groups, hostvars = inventory()
    groups['control_plane'] = ['cp1', 'cp2']
    del hostvars['cp3']
    for index, zone in enumerate(('zone-a', 'zone-b', 'zone-c'), 1):
        groups.setdefault('etcd', []).append(f'etcd{index}')
        hostvars[f'etcd{index}'] = dict(CLUSTER, ansible_host=f'10.20.0.5{index}', caas_zone=zone, caas_rack='r1')
    for values in hostvars.values():
        values['caas_etcd_topology'] = 'external'
    assert contract.validate(groups, hostvars)[0] == []


def test_external_mode_vip_may_sit_outside_node_network():
    groups, hostvars = inventory()
    groups['lb'] = []
    for host in ('lb1', 'lb2'):
        del hostvars[host]
    for values in hostvars.values():
        values.update(caas_api_lb_mode='external', caas_api_vip='192.0.2.80')
    assert contract.validate(groups, hostvars)[0] == []


def test_failure_domain_policy_none_accepts_one_zone():
    groups, hostvars = inventory()
    for values in hostvars.values():
        values.update(caas_zone='zone-a', caas_failure_domain_policy='none')
    assert contract.validate(groups, hostvars)[0] == []


def test_rack_policy_checks_racks():
    groups, hostvars = inventory()
    for values in hostvars.values():
        values.update(caas_rack='r1', caas_failure_domain_policy='rack')
    problems, _facts = contract.validate(groups, hostvars)
    assert [p.variable for p in problems] == ['caas_rack', 'caas_rack']  # control_plane and lb


def test_caas_node_ip_wins_over_a_dns_ansible_host():
    groups, hostvars = inventory()
    hostvars['w1'].update(ansible_host='mgmt-w1.dc1.example.com', caas_node_ip='10.20.0.31')
    problems, facts = contract.validate(groups, hostvars)
    assert problems == [] and facts['node_ips']['w1'] == '10.20.0.31'


@pytest.mark.parametrize('url, valid', [
    ('https://files.dc1.example.com/k8s', True), ('http://10.0.0.5:8080', True),
    ('https://files.dc1.example.com:0/', False), ('https:///path', False), ('file:///srv/files', False),
])
def test_files_repo_urls(url, valid):
    groups, hostvars = inventory()
    for values in hostvars.values():
        values['caas_files_repo_url'] = url
    problems, _facts = contract.validate(groups, hostvars)
    assert (problems == []) is valid


def test_known_settings_cover_defaults_and_required():
    assert set(contract.DEFAULTS) <= contract.KNOWN_SETTINGS
    assert set(contract.REQUIRED) <= contract.KNOWN_SETTINGS


def test_inventory_is_not_mutated():
    groups, hostvars = inventory()
    before = copy.deepcopy(hostvars)
    contract.validate(groups, hostvars)
    assert hostvars == before


def test_external_etcd_is_checked_even_without_control_plane_hosts():
    groups, hostvars = inventory()
    groups['control_plane'] = []
    groups['etcd'] = ['cp1', 'cp2']
    for values in hostvars.values():
        values['caas_etcd_topology'] = 'external'
    problems = contract.validate(groups, hostvars)[0]
    assert [p.reason for p in problems if p.variable == 'control_plane'] == ['the group has no hosts']
    assert any(p.variable == 'etcd' and p.value == 2 and 'at least 3 members' in p.reason for p in problems), problems
