# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: upgrade_plan
short_description: Whether the cluster may be upgraded to a release now, and which nodes are still to upgrade
version_added: 0.1.0
description:
  - Takes what the preflight of playbooks/upgrade.yml read and returns the refusals (each naming what is wrong and
    the fix) and the inventory hosts still to upgrade.
  - Refused are a version the artifact manifest does not pin, a downgrade, or a skipped minor. So are components
    or kubelets outside the version skew, nodes that are missing or not Ready, and an unhealthy etcd member. When
    there is work to do, so are certificates ending within O(cert_min_days), requests for APIs the target removes,
    and pods whose dry-run eviction the server refused.
  - A node is done when its kubelet (and on a control-plane node each static pod) runs the target and the
    upgrade's own cordon (RV(_value.reason)) is gone, so a second run continues where one stopped.
options:
  _input:
    description: The caas.platform.upgrade_state module's answer.
    type: dict
    required: true
  target:
    description: The release to upgrade to (C(caas_kubernetes_version)).
    type: str
    required: true
  groups:
    description: The inventory's groups.
    type: dict
    required: true
  node_names:
    description: The node name of each host of the groups control_plane and workers.
    type: dict
    required: true
  releases:
    description: 'The artifact manifest''s pinned release of each minor (C({"1.35": "1.35.4"})).'
    type: dict
    required: true
  etcd:
    description: The caas.platform.etcd_member module's C(listed) answer, or null when etcd did not answer.
    type: dict
  certificates:
    description: Each control-plane host's certificates, as caas.platform.kubeadm_certs returns them.
    type: dict
    required: true
  drain:
    description: The caas.platform.node_drain module's C(nodes) of a C(checked) run over every node.
    type: dict
    required: true
  cert_min_days:
    description: Days a certificate must still be valid.
    type: int
    default: 30
  allow_removed_apis:
    description: Do not refuse requests for APIs the target removes.
    type: bool
    default: false
  artifacts_problem:
    description: The caas.platform.artifact_check module's message when the release's files or images are missing
      or differ; empty when they are served as the manifest pins them.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Plan the upgrade
  ansible.builtin.set_fact:
    upgrade: >-
      {{ state | caas.platform.upgrade_plan(caas_kubernetes_version, groups, names, releases, etcd, certs,
                                            drain.nodes) }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    problems:
      description: Why the upgrade must not start; empty when it may.
      type: list
      elements: str
    apply:
      description: Whether C(kubeadm upgrade apply) is still to run (the cluster's configuration is not at the target).
      type: bool
    control_plane:
      description: The control-plane hosts still to upgrade, in inventory order.
      type: list
      elements: str
    workers:
      description: The workers still to upgrade, in inventory order.
      type: list
      elements: str
    from:
      description: The cluster's version before.
      type: str
    to:
      description: The target, as C(v1.36.3).
      type: str
    reason:
      description: The value of the C(caas.platform/cordoned-by) annotation of the upgrade's drains (C(upgrade v1.36.3)).
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.upgrade import upgrade_plan as plan


def upgrade_plan(state, target, groups, node_names, releases, etcd, certificates, drain, cert_min_days=30,
                 allow_removed_apis=False, artifacts_problem=''):
    for name, value in (('the upgrade_state answer', state), ('groups', groups), ('node_names', node_names),
                        ('releases', releases), ('certificates', certificates), ('drain', drain)):
        if not hasattr(value, 'get'):
            raise AnsibleFilterError('upgrade_plan expects %s as a dict' % name)
    return plan(state, str(target), groups, node_names, releases, etcd if hasattr(etcd, 'get') else None,
                certificates, drain, int(cert_min_days), bool(allow_removed_apis), str(artifacts_problem or ''))


class FilterModule(object):
    def filters(self):
        return {'upgrade_plan': upgrade_plan}
