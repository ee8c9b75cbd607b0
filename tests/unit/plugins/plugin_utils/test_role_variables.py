# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' variables checked for the whole site, against the collection's real argument specs and
site.yml; the corpus under tests/inventories/bad covers each refusal end to end through ansible-playbook."""

from __future__ import annotations

import pytest

from ansible_collections.caas.platform.plugins.plugin_utils import inventory_contract as contract
from ansible_collections.caas.platform.plugins.plugin_utils import role_variables

from ansible_collections.caas.platform.tests.unit.plugins.plugin_utils.test_inventory_contract import inventory


@pytest.fixture(scope='module')
def specs():
    return role_variables.load_role_specs()


def test_every_role_has_its_spec_and_site_runs_them(specs):
    assert {'calico', 'control_plane', 'etcd', 'kubernetes_node', 'node_prep', 'os_hardening', 'preflight',
            'workers', 'artifacts_server', 'container_runtime', 'api_loadbalancer'} <= set(specs)
    # Unconditional layers name their groups; guarded ones (etcd, api_loadbalancer, calico) check themselves.
    assert specs['artifacts_server'].groups == {'artifacts'}
    assert specs['workers'].groups == {'workers'}
    assert specs['os_hardening'].groups == {'lb', 'control_plane', 'etcd', 'workers', 'artifacts'}
    assert specs['calico'].groups == set()


def test_required_from_inventory_only_where_the_defaults_leave_it_empty(specs):
    assert specs['artifacts_server'].required_from_inventory == ['artifacts_server_tls_cert_file',
                                                                 'artifacts_server_tls_key_file']
    # Filled from caas_* settings by the role's defaults.
    assert specs['workers'].required_from_inventory == []


def test_the_inputs_of_day_2_playbooks_are_role_variables_too(specs):
    # -e etcd_replace_member=etcd3 (playbooks/etcd_replace_member.yml) passes the site's validation.
    assert 'etcd_replace_member' in specs['etcd'].options
    assert 'etcd_restore_snapshot' in specs['etcd'].options
    assert not specs['etcd'].options['etcd_replace_member'].get('required')


def test_longest_prefix_owns_the_variable(specs):
    assert role_variables.role_of('kubernetes_node_max_pods', specs).name == 'kubernetes_node'
    assert role_variables.role_of('control_plane_bind_port', specs).name == 'control_plane'
    assert role_variables.role_of('caas_pod_cidr', specs) is None


@pytest.mark.parametrize('name, value, spec, reason', [
    ('x', 'false', {'type': 'bool'}, 'must be a boolean'),
    ('x', 1, {'type': 'bool'}, 'must be a boolean'),
    ('x', 1.3, {'type': 'str'}, 'YAML read a number'),
    ('x', True, {'type': 'str'}, 'YAML read a boolean'),
    ('x', 'a,b', {'type': 'list'}, 'must be a YAML list'),
    ('x', ['a=b'], {'type': 'dict'}, 'must be a YAML mapping'),
    ('x[0].on', 'yes', {'type': 'list', 'elements': 'dict', 'options': {'on': {'type': 'bool'}}}, 'must be a boolean'),
])
def test_yaml_typings_ansible_would_coerce_are_refused(name, value, spec, reason):
    problems = role_variables.typing_problems('x', [{'on': value}] if name.startswith('x[') else value, spec)
    assert len(problems) == 1 and problems[0][0] == name and reason in problems[0][2]


@pytest.mark.parametrize('value', [True, False, None])
def test_real_booleans_and_unset_values_pass(value):
    assert role_variables.typing_problems('x', value, {'type': 'bool'}) == []


def test_problems_shared_by_every_host_are_reported_once(specs):
    groups, hostvars = inventory()
    for host in hostvars:
        hostvars[host]['calico_mtu'] = 'large'
    hostvars['w1']['kubernetes_node_max_pod'] = 200
    problems = role_variables.check(hostvars, groups, specs)
    by_variable = {p[0]: p for p in problems}
    assert by_variable['calico_mtu'][4] is None
    assert by_variable['kubernetes_node_max_pod'][4] == 'w1'
    assert 'did you mean kubernetes_node_max_pods?' in by_variable['kubernetes_node_max_pod'][3]


def test_near_miss_of_a_role_variable_is_refused_and_other_names_pass(specs):
    groups, hostvars = inventory()
    hostvars['w1'].update(calcio_mtu=1400, site_owner='team-a', ansible_user='ops')
    problems = role_variables.check(hostvars, groups, specs)
    assert [(p[0], p[3]) for p in problems] == [('calcio_mtu', 'did you mean calico_mtu? rename it')]


def test_good_role_variables_pass(specs):
    groups, hostvars = inventory()
    for host in hostvars:
        hostvars[host].update(calico_mtu=1400, calico_wireguard_enabled=True, workers_node_labels={'tier': 'web'},
                              calico_ip_pools=[{'name': 'a', 'cidr': '10.128.0.0/17', 'nat_outgoing': True}])
    problems, _facts = contract.validate(groups, hostvars, specs)
    assert problems == []


def refused(specs, **settings):
    groups, hostvars = inventory()
    for host in hostvars:
        hostvars[host].update(settings)
    problems, _facts = contract.validate(groups, hostvars, specs)
    return problems


def test_cross_layer_rules(specs):
    assert [p.variable for p in refused(specs, calico_ip_pools=[{'name': 'a', 'cidr': '10.200.0.0/16'}])] == \
        ['calico_ip_pools']
    assert [p.variable for p in refused(specs, control_plane_oidc_issuer_url='http://sso.example.com')] == \
        ['control_plane_oidc_issuer_url', 'control_plane_oidc_ca_file']
    assert refused(specs, control_plane_oidc_issuer_url='https://sso.example.com/realms/k8s',
                   control_plane_oidc_ca_file='/etc/pki/sso-ca.crt') == []
    assert [p.variable for p in refused(specs, caas_registry_mirror='10.129.0.5:5000')] == ['caas_registry_mirror']
    assert [p.value for p in refused(specs, caas_api_port=10257)] == [10257]
    assert 'etcd (peers)' in refused(specs, caas_api_port=9380, etcd_peer_port=9380)[0].reason


def test_a_pool_the_spec_refuses_is_not_reported_twice(specs):
    problems = refused(specs, calico_ip_pools=[{'name': 'a'}])
    assert len(problems) == 1 and 'missing required arguments: cidr' in problems[0].reason


@pytest.mark.parametrize('entry, fix', [
    ('.dc1.example.com', None), ('*.dc1.example.com', None), ('registry.local:5000', None), ('10.0.0.0/8', None),
    ('10.20.0.5', None), ('10.1.2.0/16', 'write 10.1.0.0/16'), ('Reg.Local', 'write reg.local'),
    ('http://x.example.com', 'list bare entries'), ('a b', 'list bare entries'), ('*', 'leave caas_http_proxy'),
])
def test_no_proxy_entries_in_canonical_form(entry, fix):
    problem = contract.no_proxy_entry_problem(entry)
    assert (problem is None) if fix is None else fix in problem[1]


def kube_vip_problems(specs, **settings):
    groups, hostvars = inventory()
    groups['lb'] = []
    for host in hostvars:
        hostvars[host].update(caas_api_lb_mode='kube_vip', **settings)
    problems, _facts = contract.validate(groups, {h: v for h, v in hostvars.items() if not h.startswith('lb')},
                                         specs)
    return problems


def test_kube_vip_needs_the_api_servers_port(specs):
    assert kube_vip_problems(specs) == []
    problems = kube_vip_problems(specs, caas_api_port=8443)
    assert [(p.variable, p.value) for p in problems] == [('caas_api_port', 8443)]
    assert 'control_plane_bind_port 6443' in problems[0].reason and 'set caas_api_port to 6443' in problems[0].fix
    assert kube_vip_problems(specs, caas_api_port=8443, control_plane_bind_port=8443) == []
