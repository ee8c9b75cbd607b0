# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: control_plane_problems
short_description: What keeps the control_plane role from building the control plane, each with its fix
version_added: 0.1.0
description:
  - Takes the role's settings by name and the run's hosts, and returns one message per problem (empty when there is
    none), so that the role refuses them before it changes anything.
  - The settings C(control_plane_etcd_topology) (stacked or external), C(control_plane_encryption_provider) (aescbc or
    secretbox), the three C(control_plane_pod_security_*) levels, C(control_plane_endpoint) (host:port) and the audit
    log's limits (at least 1).
  - The run (O(play_hosts)) has every node of the group C(control_plane_group), unless new nodes join through
    C(control_plane_join_through), a running node of the group outside the run; stacked etcd needs an odd number of
    control-plane nodes; external etcd a group C(control_plane_etcd_group) that is not empty.
  - With O(encryption_checksums), the one encryption key - nodes whose encryption configurations differ are refused
    (Secrets written through one API server could not be read through another), and so is a
    C(control_plane_encryption_provider) other than O(encryption_provider), the one the running cluster encrypts with.
options:
  _input:
    description: The settings, by name (every one named above).
    type: dict
    required: true
  control_plane_hosts:
    description: The hosts of the group C(control_plane_group).
    type: list
    elements: str
    required: true
  play_hosts:
    description: The hosts of the run (C(ansible_play_hosts_all)).
    type: list
    elements: str
    required: true
  etcd_hosts:
    description: The hosts of the group C(control_plane_etcd_group) (external etcd).
    type: list
    elements: str
    default: []
  encryption_holders:
    description: The control-plane nodes that have an encryption configuration.
    type: list
    elements: str
    default: []
  encryption_checksums:
    description: The distinct sha256 of the encryption configurations the nodes have (and the node new nodes join
      through); empty when no node has one.
    type: list
    elements: str
    default: []
  encryption_provider:
    description: The first provider of the encryption configuration the nodes have; empty when no node has one.
    type: str
    default: ''
  encryption_config:
    description: The path of the API server's encryption configuration on the nodes, for the message.
    type: str
    default: encryption.yaml
"""

EXAMPLES = r"""
- name: Refuse settings the control plane cannot be built with, and a run on part of it
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
    quiet: true
  vars:
    problems: >-
      {{ {'control_plane_etcd_topology': control_plane_etcd_topology, 'control_plane_group': 'kube_control_plane'}
         | caas.platform.control_plane_problems(control_plane_hosts=groups['kube_control_plane'],
                                               play_hosts=ansible_play_hosts_all) }}
"""

RETURN = r"""
_value:
  description: One message per problem, naming the setting or the hosts, the value and the fix.
  type: list
  elements: str
"""

import re

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.settings import whole_number

PSA_LEVELS = ('privileged', 'baseline', 'restricted')
PSA_SETTINGS = ('control_plane_pod_security_enforce', 'control_plane_pod_security_audit',
                'control_plane_pod_security_warn')
AUDIT_LIMITS = ('control_plane_audit_log_maxage', 'control_plane_audit_log_maxbackup', 'control_plane_audit_log_maxsize')
ENDPOINT = re.compile(r'^[^:]+:[0-9]+$')
FIX = 'Fix it in group_vars (docs/kubernetes.md).'


def setting_problems(settings):
    problems = []
    topology = settings.get('control_plane_etcd_topology')
    if topology not in ('stacked', 'external'):
        problems.append('control_plane_etcd_topology is %r: it must be stacked or external. %s' % (topology, FIX))
    provider = settings.get('control_plane_encryption_provider')
    if provider not in ('aescbc', 'secretbox'):
        problems.append('control_plane_encryption_provider is %r: it must be aescbc or secretbox. %s' % (provider, FIX))
    for name in PSA_SETTINGS:
        if settings.get(name) not in PSA_LEVELS:
            problems.append('%s is %r: it must be one of %s. %s' % (name, settings.get(name), ', '.join(PSA_LEVELS), FIX))
    endpoint = str(settings.get('control_plane_endpoint') or '')
    if not ENDPOINT.match(endpoint):
        problems.append('control_plane_endpoint is %r: it must be host:port (the API VIP and its port). %s'
                        % (endpoint, FIX))
    for name in AUDIT_LIMITS:
        if (whole_number(settings.get(name)) or 0) < 1:
            problems.append('%s is %r: it must be a whole number of at least 1. %s' % (name, settings.get(name), FIX))
    return problems


def run_problems(settings, control_plane_hosts, play_hosts, etcd_hosts):
    problems = []
    group = settings.get('control_plane_group')
    missing = [host for host in control_plane_hosts if host not in play_hosts]
    join_through = settings.get('control_plane_join_through') or ''
    if missing and join_through not in missing:
        problems.append(
            'The control plane is built with every node of the group %r in the run: %s missing (unreachable or left '
            'out by --limit). Fix: run on the whole group, or let new nodes join through a running node of the group '
            'outside the run, control_plane_join_through (is %r; playbooks/scale.yml sets it).'
            % (group, ', '.join(missing), join_through))
    topology = settings.get('control_plane_etcd_topology')
    if topology == 'stacked' and len(control_plane_hosts) % 2 == 0:
        problems.append('With stacked etcd the group %r needs an odd number of nodes (has %d): etcd keeps a quorum of a '
                        'majority. Fix: add or remove one node, or use external etcd.' % (group, len(control_plane_hosts)))
    if topology == 'external' and not etcd_hosts:
        problems.append('control_plane_etcd_topology is external but the group %r (control_plane_etcd_group) has no '
                        'hosts. Fix: put the etcd members in that group of the inventory (docs/etcd.md).'
                        % settings.get('control_plane_etcd_group'))
    return problems


def encryption_problems(settings, holders, checksums, provider, config):
    if len(set(checksums)) > 1:
        return ['The control-plane nodes %s have different %s files: Secrets encrypted through one API server cannot '
                'be read through another. Nothing was changed. Keep the file of the node that has run longest, copy it '
                'to the others (0600 root), restart their API servers, then run this again (docs/kubernetes.md, '
                'encryption at rest).' % (', '.join(holders), config)]
    wanted = settings.get('control_plane_encryption_provider')
    if provider and provider != wanted:
        return ['control_plane_encryption_provider is %s, but the cluster encrypts Secrets with %s. Changing it is a key '
                'rotation (every Secret rewritten), not a setting: keep %s, or rotate as docs/kubernetes.md says.'
                % (wanted, provider, provider)]
    return []


def control_plane_problems(settings, control_plane_hosts, play_hosts, etcd_hosts=None, encryption_holders=None,
                           encryption_checksums=None, encryption_provider='', encryption_config='encryption.yaml'):
    if not hasattr(settings, 'get'):
        raise AnsibleFilterError('control_plane_problems expects the settings by name, a dict; got %r' % (settings,))
    return (setting_problems(settings)
            + run_problems(settings, list(control_plane_hosts), list(play_hosts), list(etcd_hosts or []))
            + encryption_problems(settings, list(encryption_holders or []), list(encryption_checksums or []),
                                  encryption_provider or '', encryption_config))


class FilterModule(object):
    def filters(self):
        return {'control_plane_problems': control_plane_problems}
