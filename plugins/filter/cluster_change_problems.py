# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: cluster_change_problems
short_description: Settings a running cluster cannot take, from its kubeadm ClusterConfiguration
version_added: 0.1.0
description:
  - Compares the inventory's networks with those the running cluster was built with (the C(ClusterConfiguration)
    of the C(kubeadm-config) ConfigMap). A new pod network, Service network or cluster domain cannot be set on a
    running cluster by re-running the playbooks - Services, Pods, certificates and DNS names carry the old ones -
    so each difference is refused, naming the variable, the value, the running one and the fix.
  - A C(caas_kubernetes_version) other than the cluster's C(kubernetesVersion) is refused too; a new release is
    an upgrade (playbooks/upgrade.yml), which drains each node before its kubelet is replaced.
  - An empty input (no cluster yet) gives no problem.
options:
  _input:
    description: The C(ClusterConfiguration) document, as YAML text or data; empty when no cluster runs.
    type: raw
    required: true
  settings:
    description: C(caas_pod_cidr), C(caas_service_cidr), C(caas_cluster_domain) and C(caas_kubernetes_version) of the
      inventory.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse settings the running cluster cannot take
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: >-
      {{ cluster_configuration | caas.platform.cluster_change_problems({'caas_pod_cidr': caas_pod_cidr,
         'caas_service_cidr': caas_service_cidr, 'caas_cluster_domain': caas_cluster_domain | default('cluster.local'),
         'caas_kubernetes_version': caas_kubernetes_version}) }}
"""

RETURN = r"""
_value:
  description: One sentence per setting the running cluster cannot take; empty when there is none.
  type: list
  elements: str
"""

import ipaddress

import yaml
from ansible.errors import AnsibleFilterError

# The inventory's setting, the ClusterConfiguration's field under networking, how a change is done instead.
RULES = (
    ('caas_pod_cidr', 'podSubnet', 'a network', 'a new pod network is a migration of every Pod (docs/network.md)'),
    ('caas_service_cidr', 'serviceSubnet', 'a network',
     'a new Service network renumbers every Service and the API server certificate'),
    ('caas_cluster_domain', 'dnsDomain', 'a name', 'a new cluster domain renames every Service in DNS'),
)


def _same(kind, wanted, running):
    if kind == 'a network':
        try:
            return ipaddress.ip_network(str(wanted), strict=False) == ipaddress.ip_network(str(running), strict=False)
        except ValueError:
            return False
    return str(wanted).rstrip('.') == str(running).rstrip('.')


def cluster_change_problems(cluster_configuration, settings):
    if not cluster_configuration:
        return []
    if isinstance(cluster_configuration, str):
        try:
            cluster_configuration = yaml.safe_load(cluster_configuration)
        except yaml.YAMLError as error:
            raise AnsibleFilterError('cluster_change_problems: the ClusterConfiguration is not YAML: %s' % error)
    if not isinstance(cluster_configuration, dict) or not isinstance(settings, dict):
        raise AnsibleFilterError('cluster_change_problems expects a ClusterConfiguration and a dict of settings')
    networking = cluster_configuration.get('networking') or {}
    problems = []
    for variable, field, kind, why in RULES:
        running, wanted = networking.get(field), settings.get(variable)
        if running and wanted and not _same(kind, wanted, running):
            problems.append('%s = %r: the running cluster was built with %s (kubeadm-config, networking.%s); %s, '
                            'not a setting. Fix: set %s back to %s. Nothing was changed.'
                            % (variable, str(wanted), running, field, why, variable, running))
    running, wanted = cluster_configuration.get('kubernetesVersion'), settings.get('caas_kubernetes_version')
    if running and wanted and str(running).lstrip('v') != str(wanted).lstrip('v'):
        problems.append('caas_kubernetes_version = %r: the running cluster runs %s (kubeadm-config, kubernetesVersion); '
                        'a new release is an upgrade, node by node with drains, not a setting. Fix: run '
                        'playbooks/upgrade.yml with it (one minor at a time), or set caas_kubernetes_version back to '
                        '%s. Nothing was changed.' % (str(wanted), running, str(running).lstrip('v')))
    return problems


class FilterModule(object):
    def filters(self):
        return {'cluster_change_problems': cluster_change_problems}
