# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: node_prep_problems
short_description: Why the node_prep role must refuse a host, each reason with its fix
version_added: 0.1.0
description:
  - Takes the node_prep role's settings and the node's read (the C(caas_node) fact of M(caas.platform.node_facts))
    and returns one message per problem (empty when there is none), so that the role refuses the host in one task
    before it changes anything.
  - No NTP server and no NTP service of its own; a host firewall without the node network to open the cluster's
    ports to; on a Kubernetes node, a kernel without one of the kernel modules; a node name that does not resolve
    to the node address when the role does not manage C(/etc/hosts).
options:
  _input:
    description:
      - The settings, by name without the C(node_prep_) prefix - C(ntp_servers), C(ntp_serve), C(firewall),
        C(node_network), C(kubernetes), C(manage_etc_hosts), C(node_ip) and C(node_name).
    type: dict
    required: true
  node:
    description: The node's read (C(caas_node)), with C(kernel) and C(resolved).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse a host the role cannot prepare
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ {'ntp_servers': [], 'ntp_serve': false} | caas.platform.node_prep_problems(caas_node) }}"
"""

RETURN = r"""
_value:
  description: One message per problem, naming the variable, the bad value and the fix.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean


def _bool(value):
    return boolean(value, strict=False)


def node_prep_problems(settings, node):
    if not hasattr(settings, 'get') or not hasattr(node, 'get'):
        raise AnsibleFilterError('node_prep_problems expects the settings and the node read as dicts; got %r, %r'
                                 % (settings, node))
    problems = []
    if not settings.get('ntp_servers') and not _bool(settings.get('ntp_serve', False)):
        problems.append('node_prep_ntp_servers (caas_ntp_servers) = %s: nodes need their clocks in step (etcd, '
                        "certificates). Fix: set caas_ntp_servers in group_vars/all to your data center's NTP servers."
                        % (settings.get('ntp_servers'),))
    if _bool(settings.get('firewall', False)) and not settings.get('node_network'):
        problems.append('caas_node_network is unset: the host firewall opens etcd, the kubelet and the artifacts host to '
                        'the node network only, and would otherwise have to open them to every address. Fix: set '
                        'caas_node_network in group_vars/all to the CIDR the nodes share (docs/inventory.md), or '
                        'node_prep_firewall to false.')
    kernel = node.get('kernel') or {}
    missing = sorted(name for name, state in (kernel.get('modules') or {}).items() if state in ('missing', 'unknown'))
    if _bool(settings.get('kubernetes', True)) and missing:
        problems.append('node_prep_kernel_modules: kernel %s lacks %s. Fix: install a kernel that provides them (module '
                        'or built in).' % (kernel.get('release'), ', '.join(missing)))
    name, address = settings.get('node_name'), settings.get('node_ip')
    resolved = (node.get('resolved') or {}).get(name) or []
    if not _bool(settings.get('manage_etc_hosts', False)) and address not in resolved:
        problems.append('%s resolves to %s, not the node address %s. Fix: correct DNS, or set '
                        'node_prep_manage_etc_hosts: true.' % (name, resolved[0] if resolved else 'nothing', address))
    return problems


class FilterModule(object):
    def filters(self):
        return {'node_prep_problems': node_prep_problems}
