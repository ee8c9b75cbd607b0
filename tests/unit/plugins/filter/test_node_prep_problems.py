# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.node_prep_problems import node_prep_problems

SETTINGS = {'ntp_servers': ['10.20.0.5'], 'ntp_serve': False, 'firewall': True, 'node_network': '10.20.0.0/24',
            'kubernetes': True, 'manage_etc_hosts': False, 'node_ip': '10.20.0.21', 'node_name': 'cp1'}
NODE = {'kernel': {'release': '6.1.0-28-amd64', 'modules': {'br_netfilter': 'loadable', 'overlay': 'builtin'}},
        'resolved': {'cp1': ['10.20.0.21']}}


def test_a_good_host_has_no_problems():
    assert node_prep_problems(SETTINGS, NODE) == []
    # The NTP server of the site itself needs no other; a managed /etc/hosts needs no DNS.
    assert node_prep_problems(dict(SETTINGS, ntp_servers=[], ntp_serve=True, manage_etc_hosts='true'),
                              dict(NODE, resolved={})) == []


def test_every_problem_is_named_with_its_fix():
    node = {'kernel': {'release': '6.1.0', 'modules': {'vxlan': 'missing', 'br_netfilter': 'unknown', 'overlay': 'loaded'}},
            'resolved': {'cp1': ['10.20.0.99']}}
    problems = node_prep_problems(dict(SETTINGS, ntp_servers=[], node_network=''), node)
    assert len(problems) == 4
    assert problems[0].startswith('node_prep_ntp_servers (caas_ntp_servers) = []: nodes need their clocks in step')
    assert problems[1].startswith('caas_node_network is unset: the host firewall opens')
    assert problems[2] == ('node_prep_kernel_modules: kernel 6.1.0 lacks br_netfilter, vxlan. Fix: install a kernel that '
                           'provides them (module or built in).')
    assert problems[3] == ('cp1 resolves to 10.20.0.99, not the node address 10.20.0.21. Fix: correct DNS, or set '
                           'node_prep_manage_etc_hosts: true.')


def test_hosts_that_are_no_kubernetes_nodes_skip_the_kernel_check():
    node = dict(NODE, kernel={'release': '6.1.0', 'modules': {'vxlan': 'missing'}})
    assert node_prep_problems(dict(SETTINGS, kubernetes=False), node) == []
    assert node_prep_problems(dict(SETTINGS, firewall=False, node_network=''), NODE) == []


def test_a_name_that_resolves_to_nothing_says_so():
    assert node_prep_problems(SETTINGS, dict(NODE, resolved={'cp1': []}))[0].startswith('cp1 resolves to nothing')


def test_bad_input_is_named():
    with pytest.raises(AnsibleFilterError, match='as dicts'):
        node_prep_problems(SETTINGS, None)
