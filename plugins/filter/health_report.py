# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: health_report
short_description: Judge what the health playbook read, one line per problem with what to do
version_added: 0.1.0
description:
  - Takes what C(caas.platform.cluster_health) read of the cluster and C(caas.platform.host_health) of each host,
    and optionally the results of C(caas.platform.artifact_check) and C(caas.platform.ceph_health), and returns
    every problem with its area, its subject and the fix, for C(playbooks/health.yml) to render.
  - "Problems: the API server's failing readiness checks; an inventory host that is not a node; a node not Ready,
    under pressure, cordoned, or with a kubelet outside the version skew policy; a control-plane static pod missing
    or not Ready; a kube-system DaemonSet or Deployment with pods not ready; a pending CSR; a certificate expired or
    inside the renewal window; an etcd member without a leader, not one leader among the members, a database near
    its quota, no or an old snapshot; no or an old CIS scan, or one with a FAIL; an artifact missing or altered; Ceph not HEALTH_OK; a
    host unreachable."
options:
  _input:
    description: The registered result of C(caas.platform.cluster_health) (a failed one is reported as a problem).
    type: dict
    required: true
  hosts:
    description: Per inventory host, its registered C(caas.platform.host_health) result (or the unreachable or failed one).
    type: dict
    required: true
  artifacts:
    description: The registered C(caas.platform.artifact_check) result; not judged when omitted.
    type: dict
  ceph:
    description: The registered C(caas.platform.ceph_health) result; not judged when omitted.
    type: dict
  settings:
    description: Thresholds and what the inventory expects.
    type: dict
    default: {}
    suboptions:
      cert_renew_days:
        description: A certificate that ends within this many days is due (C(caas_cert_renew_days)).
        type: int
        default: 120
      etcd_snapshot_max_age_hours:
        description: The newest etcd snapshot may be this old.
        type: int
        default: 24
      cis_max_age_days:
        description: The last CIS scan may be this old.
        type: int
        default: 30
      etcd_db_quota_warn_ratio:
        description: A database above this share of its quota is a problem.
        type: float
        default: 0.8
      etcd_topology:
        description: C(stacked) (etcd is a control-plane static pod) or C(external).
        type: str
        default: stacked
      etcd_hosts:
        description: Inventory hosts running an etcd member, for the one-leader check.
        type: list
        elements: str
        default: []
      kubernetes_hosts:
        description: Inventory host to Kubernetes node name, for every host that must be a node.
        type: dict
        default: {}
"""

EXAMPLES = r"""
- name: Judge
  ansible.builtin.set_fact:
    health: >-
      {{ cluster | caas.platform.health_report(hosts=dict(groups.all | map('extract', hostvars, 'health_host')),
                                                settings={'cert_renew_days': 120}) }}
"""

RETURN = r"""
_value:
  description: The judgement.
  type: dict
  contains:
    problems:
      description: One entry per problem, each with C(area), C(subject), C(problem) and C(fix).
      type: list
      elements: dict
    healthy:
      description: No problem.
      type: bool
    counts:
      description: Hosts, nodes and certificates read, and problems found.
      type: dict
    soonest_certificate:
      description: The certificate that ends first (its host's entry), or null.
      type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.health import DEFAULT_SETTINGS, report


def health_report(cluster, hosts, artifacts=None, ceph=None, settings=None):
    if not isinstance(hosts, dict):
        raise AnsibleFilterError('health_report: hosts must be a dict of inventory host to its host_health result')
    unknown = sorted(set(settings or {}) - set(DEFAULT_SETTINGS))
    if unknown:
        raise AnsibleFilterError('health_report: unknown settings %s; known: %s'
                                 % (', '.join(unknown), ', '.join(sorted(DEFAULT_SETTINGS))))
    return report(cluster, hosts, artifacts=artifacts, ceph=ceph, settings=settings)


class FilterModule:
    def filters(self):
        return {'health_report': health_report}
