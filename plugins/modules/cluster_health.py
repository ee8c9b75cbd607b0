#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_health
short_description: Read in one round trip what the health report needs of a Kubernetes cluster
version_added: 0.1.0
description:
  - Reads, and changes nothing, with three kubectl calls on a control-plane node. The first lists the nodes, the
    certificate signing requests, and the pods, DaemonSets and Deployments of C(kube-system); the second reads the
    API server's version; the third its C(/readyz?verbose) checks.
  - Returns them summarized for the C(caas.platform.health_report) filter. That is each node's readiness, kubelet
    version, pressure conditions and cordon; the control-plane components (static pods) per node; the pending CSRs;
    the rollout of each DaemonSet and Deployment.
options:
  namespace:
    description: The namespace of the control-plane pods and the platform's own workloads (Calico, CoreDNS).
    type: str
    default: kube-system
extends_documentation_fragment:
  - caas.platform.attributes.read_only
  - caas.platform.kubeadm.kubectl
  - caas.platform.kubeadm.cluster
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  platform:
    support: full
    platforms: posix
    description: A control-plane node with kubectl and a kubeconfig.
seealso:
  - module: caas.platform.host_health
  - module: caas.platform.ceph_health
"""

EXAMPLES = r"""
- name: Read the cluster
  caas.platform.cluster_health:
  become: true
  register: cluster
"""

RETURN = r"""
server_version:
  description: The API server's version (C(gitVersion)).
  returned: always
  type: str
  sample: v1.36.3
readyz:
  description: The API server's readiness.
  returned: always
  type: dict
  contains:
    ok:
      description: Whether every check passed.
      type: bool
    failed:
      description: The checks that did not pass, or kubectl's message.
      type: list
      elements: str
nodes:
  description: One entry per node, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The node's name.
      type: str
    ready:
      description: Whether its Ready condition is True.
      type: bool
    kubelet_version:
      description: The kubelet's version.
      type: str
    control_plane:
      description: Whether it has the control-plane role label.
      type: bool
    unschedulable:
      description: Whether it is cordoned.
      type: bool
    cordoned_by:
      description: Who cordoned it and why (the C(caas.platform/cordoned-by) annotation of M(caas.platform.node_drain)), or null.
      type: str
    pressure:
      description: The pressure conditions that are True (C(MemoryPressure), C(DiskPressure), C(PIDPressure)).
      type: list
      elements: str
components:
  description: The control-plane static pods (label C(tier=control-plane)), one entry per pod.
  returned: always
  type: list
  elements: dict
  contains:
    node:
      description: Its node.
      type: str
    component:
      description: C(kube-apiserver), C(kube-controller-manager), C(kube-scheduler) or C(etcd).
      type: str
    ready:
      description: Whether the pod is Ready.
      type: bool
    version:
      description: The version its image's tag names.
      type: str
    restarts:
      description: Restarts of its container.
      type: int
workloads:
  description: The DaemonSets and Deployments of O(namespace), and how many of their pods are ready.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: DaemonSet or Deployment.
      type: str
    name:
      description: Its name.
      type: str
    desired:
      description: Pods wanted.
      type: int
    ready:
      description: Pods ready and of the current revision (for a Deployment, available ones).
      type: int
pending_csrs:
  description: Certificate signing requests neither approved nor denied.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The request.
      type: str
    username:
      description: Who asked.
      type: str
    signer:
      description: The signer it asks for.
      type: str
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError, argument_spec, run
from ansible_collections.caas.platform.plugins.module_utils.kubectl import base_argv
from ansible_collections.caas.platform.plugins.module_utils.nodes import summarize_components, summarize_nodes


def summarize_workloads(items):
    workloads = []
    for item in items:
        status = item.get('status') or {}
        if item['kind'] == 'DaemonSet':
            desired, ready = status.get('desiredNumberScheduled', 0), status.get('numberReady', 0)
            ready = min(ready, status.get('updatedNumberScheduled', ready))
        else:
            desired, ready = (item.get('spec') or {}).get('replicas', 1), status.get('availableReplicas', 0)
            ready = min(ready, status.get('updatedReplicas', ready))
        workloads.append({'kind': item['kind'], 'name': item['metadata']['name'], 'desired': desired, 'ready': ready})
    return sorted(workloads, key=lambda w: (w['kind'], w['name']))


def pending_csrs(items):
    pending = []
    for item in items:
        if any(c.get('type') in ('Approved', 'Denied', 'Failed') for c in (item.get('status') or {}).get('conditions') or []):
            continue
        spec = item.get('spec') or {}
        pending.append({'name': item['metadata']['name'], 'username': spec.get('username'),
                        'signer': spec.get('signerName')})
    return sorted(pending, key=lambda csr: csr['name'])


def readyz(rc, stdout, stderr):
    """The API server's failed checks from /readyz?verbose (lines '[-]name failed: ...')."""
    failed = [line[3:].split(' ', 1)[0] for line in (stdout + '\n' + stderr).splitlines() if line.startswith('[-]')]
    if rc != 0 and not failed:
        failed = [(stderr or stdout).strip() or 'kubectl exited %d' % rc]
    return {'ok': rc == 0 and not failed, 'failed': failed}


def read(module):
    kubectl = base_argv(module.params['kubectl_path'], module.params['kubeconfig'])
    listing = run(module, kubectl + ['get', 'nodes,certificatesigningrequests,pods,daemonsets,deployments',
                                     '-n', module.params['namespace'], '-o', 'json'])[1]
    items = json.loads(listing).get('items') or []
    by_kind = {}
    for item in items:
        by_kind.setdefault(item.get('kind'), []).append(item)
    version = run(module, kubectl + ['get', '--raw', '/version'])[1]
    rc, ready_out, ready_err = run(module, kubectl + ['get', '--raw', '/readyz?verbose'], check_rc=False)
    return {
        'server_version': json.loads(version).get('gitVersion'),
        'readyz': readyz(rc, ready_out, ready_err),
        'nodes': summarize_nodes(by_kind.get('Node', [])),
        'components': summarize_components(by_kind.get('Pod', [])),
        'workloads': summarize_workloads(by_kind.get('DaemonSet', []) + by_kind.get('Deployment', [])),
        'pending_csrs': pending_csrs(by_kind.get('CertificateSigningRequest', [])),
    }


def main():
    spec = argument_spec('kubectl', 'cluster')
    spec.update(namespace=dict(type='str', default='kube-system'))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    try:
        summary = read(module)
    except (CommandError, ValueError) as error:
        module.fail_json(msg='the cluster could not be read: %s' % error)
    module.exit_json(changed=False, **summary)


if __name__ == '__main__':
    main()
