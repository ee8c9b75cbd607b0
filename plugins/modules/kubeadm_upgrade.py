#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kubeadm_upgrade
short_description: Plan and apply kubeadm upgrades of a cluster and its nodes
version_added: 0.1.0
description:
  - C(plan) reports the cluster's version and what C(kubeadm upgrade plan) offers, and changes nothing.
  - C(apply) upgrades the cluster's control plane to O(version) on the first control-plane node
    (C(kubeadm upgrade apply)). Nothing is done when the cluster's configuration (the C(kubeadm-config) ConfigMap)
    and this node's kube-apiserver already run O(version).
  - C(node) upgrades the node it runs on (C(kubeadm upgrade node)) after C(apply) ran on the first control-plane
    node, a control-plane node's static pods or a worker's kubelet configuration. Nothing is done on a
    control-plane node whose kube-apiserver manifest already runs the cluster's version, nor on a worker whose
    kubelet already reports it.
  - A downgrade and a skipped minor (1.34 to 1.36) are refused before anything changes. Errors carry kubeadm's
    own message.
options:
  action:
    description: What to do.
    type: str
    choices: [plan, apply, node]
    required: true
  version:
    description:
      - The Kubernetes version to upgrade to (C(1.36.3)). Required with O(action=apply).
      - With O(action=plan), the version to plan for; without it kubeadm looks the latest release up on the internet,
        which an air-gapped site cannot reach.
    type: str
  etcd_upgrade:
    description: Let kubeadm upgrade a stacked etcd (C(--etcd-upgrade)); set false with external etcd.
    type: bool
    default: true
  certificate_renewal:
    description: Let kubeadm renew the certificates of the components it upgrades (C(--certificate-renewal)).
    type: bool
    default: true
  node_name:
    description: With O(action=node) on a worker, the node's name in the cluster.
    type: str
  ignore_preflight_errors:
    description: kubeadm's preflight checks whose errors are only reported (C(--ignore-preflight-errors)), as
      C(kubeadm init) and C(join) were given them (C(SystemVerification) on a host that runs cgroup v1).
    type: list
    elements: str
    default: []
  patches:
    description:
      - The directory of kubeadm's patches (C(--patches)) for O(action=apply) and O(action=node) on a control-plane
        node. The control_plane role writes them there (the images by digest). kubeadm keeps no record of the
        patches an init or join used, and an upgrade without them would name the images by tag again.
    type: path
extends_documentation_fragment:
  - caas.platform.kubeadm
  - caas.platform.kubeadm.node
  - caas.platform.kubeadm.kubectl
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the cluster's and the node's versions, makes the same refusals, and runs kubeadm with
      C(--dry-run) to report what it would change.
  diff_mode:
    support: full
    description: The version before and after.
  platform:
    support: full
    platforms: posix
    description: A node of a kubeadm cluster, with the new version's kubeadm installed.
notes:
  - Upgrade one minor at a time, control plane first (C(apply) on one node, C(node) on the others, one at a time),
    then the workers, each drained first; install the new kubelet after C(node) and restart it.
seealso:
  - name: Upgrading kubeadm clusters
    description: The order of an upgrade.
    link: https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-upgrade/
"""

EXAMPLES = r"""
- name: What can the cluster be upgraded to?
  caas.platform.kubeadm_upgrade:
    action: plan
  register: plan

- name: Upgrade the control plane (first control-plane node)
  caas.platform.kubeadm_upgrade:
    action: apply
    version: "1.36.3"
    etcd_upgrade: false
  when: inventory_hostname == groups['control_plane'][0]

- name: Upgrade the other nodes, one at a time
  caas.platform.kubeadm_upgrade:
    action: node
    node_name: "{{ inventory_hostname }}"
"""

RETURN = r"""
cluster_version:
  description: The version in the cluster's ClusterConfiguration before the task.
  returned: always
  type: str
  sample: v1.35.4
node_version:
  description: This node's version before the task (its kube-apiserver image tag, or a worker's kubelet version).
  returned: always
  type: str
  sample: v1.35.4
plan:
  description: C(kubeadm upgrade plan -o json)'s answer; empty when there is nothing to upgrade.
  returned: when O(action=plan)
  type: dict
stdout_lines:
  description: kubeadm's output, when it ran (with C(--dry-run) in check mode).
  returned: when kubeadm ran
  type: list
  elements: str
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError, argument_spec, run
from ansible_collections.caas.platform.plugins.module_utils.kubeadm import cluster_configuration_version, json_stream, \
    manifest_image_tag, minor_of
from ansible_collections.caas.platform.plugins.module_utils.kubectl import kubectl_json


def version_tuple(version):
    match = re.match(r'^v?(\d+)\.(\d+)\.(\d+)', version or '')
    return tuple(int(x) for x in match.groups()) if match else None


def step_refusal(current, target):
    """Why going from current to target is not one kubeadm upgrade step, or None."""
    now, then = version_tuple(current), version_tuple(target)
    if now is None or then is None:
        return None
    if then < now:
        return 'version %s is older than the cluster (%s): kubeadm does not downgrade' % (target, current)
    if then[1] > now[1] + 1:
        return ('version %s skips a minor: the cluster runs %s; upgrade to 1.%d first (one minor at a time)'
                % (target, current, now[1] + 1))
    return None


def cluster_version(module, kubeconfig):
    config = kubectl_json(module, module.params['kubectl_path'], kubeconfig,
                          ['get', 'configmap', 'kubeadm-config', '-n', 'kube-system'])
    return cluster_configuration_version(config)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **argument_spec('kubeadm', 'node', 'kubectl'),
            action=dict(type='str', choices=['plan', 'apply', 'node'], required=True),
            version=dict(type='str'),
            etcd_upgrade=dict(type='bool', default=True),
            certificate_renewal=dict(type='bool', default=True),
            node_name=dict(type='str'),
            patches=dict(type='path'),
            ignore_preflight_errors=dict(type='list', elements='str', default=[]),
        ),
        required_if=[('action', 'apply', ['version'])],
        supports_check_mode=True,
    )
    params = module.params
    kdir = params['kubernetes_dir']
    admin = os.path.join(kdir, 'admin.conf')
    apiserver_tag = manifest_image_tag(os.path.join(kdir, 'manifests', 'kube-apiserver.yaml'))
    kubeconfig = admin if apiserver_tag else os.path.join(kdir, 'kubelet.conf')
    target = None
    if params['version']:
        try:
            minor_of(params['version'])
        except ValueError as exc:
            module.fail_json(msg='version: %s' % exc)
        target = 'v' + params['version'].lstrip('v')
    try:
        current = cluster_version(module, kubeconfig)
        flags = ['--etcd-upgrade=%s' % str(params['etcd_upgrade']).lower(),
                 '--certificate-renewal=%s' % str(params['certificate_renewal']).lower()]
        if params['patches']:
            flags += ['--patches', params['patches']]
        preflight = ['--ignore-preflight-errors=' + ','.join(params['ignore_preflight_errors'])] \
            if params['ignore_preflight_errors'] else []
        if params['action'] == 'plan':
            # Without a version kubeadm asks the internet for the latest release (dl.k8s.io): give one.
            _rc, stdout, _stderr = run(module, [params['kubeadm_path'], 'upgrade', 'plan'] + ([target] if target else [])
                                       + ['-o', 'json', '--kubeconfig', admin])
            answer = json_stream(stdout)
            module.exit_json(changed=False, cluster_version=current, node_version=apiserver_tag or '',
                             plan=answer[0] if answer else {})

        if params['action'] == 'apply':
            if not apiserver_tag:
                module.fail_json(msg='action=apply runs on a control-plane node; this host has no kube-apiserver '
                                     'manifest under %s/manifests' % kdir)
            reason = step_refusal(current, target)
            if reason:
                module.fail_json(msg='version: ' + reason, cluster_version=current)
            node_version = apiserver_tag
            done = current == target and apiserver_tag == target
            argv = [params['kubeadm_path'], 'upgrade', 'apply', target, '--yes', '--kubeconfig', admin] + flags + preflight
        else:
            if apiserver_tag:
                node_version = apiserver_tag
                target = target or current
                done = apiserver_tag == current
            else:
                name = params['node_name']
                if not name:
                    module.fail_json(msg='node_name is required with action=node on a worker')
                node = kubectl_json(module, params['kubectl_path'], kubeconfig, ['get', 'node', name])
                node_version = node.get('status', {}).get('nodeInfo', {}).get('kubeletVersion', '')
                target = target or current
                done = node_version == current
            if target != current:
                module.fail_json(msg='version: %s, but the cluster runs %s: run action=apply on the first '
                                     'control-plane node first' % (target, current), cluster_version=current)
            argv = [params['kubeadm_path'], 'upgrade', 'node'] + (flags if apiserver_tag else []) + preflight
        result = dict(changed=not done, cluster_version=current, node_version=node_version)
        if module._diff:
            result['diff'] = dict(before='version: %s\n' % node_version, after='version: %s\n' % target)
        if done:
            module.exit_json(**result)
        if module.check_mode:
            argv.append('--dry-run')
        _rc, stdout, _stderr = run(module, argv)
        result['stdout_lines'] = stdout.splitlines()
    except CommandError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
