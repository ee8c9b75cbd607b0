#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kubectl_apply
short_description: Put Kubernetes objects into the cluster by server-side apply, changed only when they differ
version_added: 0.1.0
description:
  - Runs on a control-plane node with kubectl and C(admin.conf); needs nothing but kubectl there (no Python client).
  - Asks the API server first (C(kubectl diff --server-side)); applies (C(kubectl apply --server-side)) only when the
    dry run says something would change, so a second run reports no change.
  - Fields are owned by O(field_manager); fields other managers set (controllers, defaults) are left alone.
  - A diff or apply that fails the way a restarting or just-joined API server makes it fail (a refused connection, no
    answer in time) is tried again for up to O(api_wait) seconds; other errors are reported at once. Server-side
    apply of the same objects is idempotent, so a repeated apply changes nothing more.
  - Errors carry kubectl's own message.
  - In one run, in this order, what a layer's install needs - one remote run instead of one per step - O(src) (an
    upstream release's files; the CustomResourceDefinitions it created are waited for until the API server serves
    them), O(definition), O(delete), then O(wait).
options:
  definition:
    description:
      - The objects, each with C(apiVersion), C(kind) and C(metadata.name). Written to a private 0600 file on the node
        for kubectl and removed after.
      - Applied after O(src), so they may be of the kinds O(src) defines. At least one of O(definition) and O(src) is
        given.
    type: list
    elements: dict
  src:
    description:
      - Manifest files already on the node (YAML or JSON, several documents allowed), for large upstream manifests
        such as CustomResourceDefinitions. Applied together, before O(definition).
    type: list
    elements: path
  delete:
    description:
      - Cluster-scoped objects to delete when the cluster has them, each C(<resource>.<group>/<name>) as
        C(kubectl get -o name) prints it (what the settings no longer name). Deleted after the apply; a server-side
        dry run in check mode. Changed when one was there.
    type: list
    elements: str
    default: []
  wait:
    description:
      - What to wait for after the apply and the delete, in turn, each up to O(wait_timeout) seconds. Not in check mode.
      - A workload is waited for until it has rolled out (C(kubectl rollout status)); with C(for), until
        C(kubectl wait --for) is met.
    type: list
    elements: dict
    default: []
    suboptions:
      resource:
        description: C(<kind>/<name>) (C(daemonset/calico-node)), or a resource alone (C(nodes)) for every object of
          it (with C(for) only).
        type: str
        required: true
      namespace:
        description: The namespace of a namespaced resource.
        type: str
      for:
        description: What C(kubectl wait --for) waits for (C(condition=Ready), C(jsonpath={.status.phase}=Ready)).
        type: str
  wait_timeout:
    description: Seconds each of O(wait) may take.
    type: int
    default: 300
  field_manager:
    description: The server-side apply field manager that owns the fields given.
    type: str
    default: caas-platform
  force_conflicts:
    description: Take over fields another field manager owns (for objects a controller created with defaults that
      the platform manages from then on).
    type: bool
    default: false
extends_documentation_fragment:
  - caas.platform.kubeadm.kubectl
  - caas.platform.kubeadm.cluster
  - caas.platform.kubeadm.api_wait
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: The server-side dry run of C(kubectl diff) and C(kubectl delete); objects whose
      CustomResourceDefinition is not in the cluster yet are reported as to be created. Nothing is waited for.
  diff_mode:
    support: full
    description: C(kubectl diff)'s unified diff (Secret values masked by kubectl).
  platform:
    support: full
    platforms: posix
    description: A node with kubectl and a kubeconfig.
seealso:
  - module: caas.platform.kubeadm_init
"""

EXAMPLES = r"""
- name: The CustomResourceDefinitions of the release, from the files repository
  caas.platform.kubectl_apply:
    src: [/var/lib/caas/calico/crds.yaml]

- name: The CRDs, a DaemonSet that uses them, a peer the settings dropped, and the rollout
  caas.platform.kubectl_apply:
    src: [/var/lib/caas/calico/crds.yaml]
    definition: "{{ lookup('ansible.builtin.template', 'calico-components.yaml.j2') | from_yaml_all | list }}"
    delete: [bgppeer.crd.projectcalico.org/rack-2-tor]
    wait:
      - {resource: daemonset/calico-node, namespace: kube-system}
      - {resource: nodes, for: condition=Ready}

- name: An IP pool
  caas.platform.kubectl_apply:
    definition:
      - apiVersion: crd.projectcalico.org/v1
        kind: IPPool
        metadata:
          name: pods
        spec:
          cidr: 10.244.0.0/16
          blockSize: 26
          vxlanMode: Always
          ipipMode: Never
          natOutgoing: true
          nodeSelector: all()
"""

RETURN = r"""
resources:
  description: The objects kubectl applied (C(kind.group/name)); empty when nothing differed or in check mode.
  returned: always
  type: list
  elements: str
  sample: [ippool.crd.projectcalico.org/pods]
deleted:
  description: The objects of O(delete) that were deleted (or would be, in check mode).
  returned: always
  type: list
  elements: str
kubectl_diff:
  description: What differed, as C(kubectl diff) shows it, and what was deleted (diff mode shows the same).
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import argument_spec
from ansible_collections.caas.platform.plugins.module_utils.kubectl import (
    KubectlError, ManifestFile, delete_present, list_document, server_side_apply, wait_established, wait_for)


def apply_all(module):
    """(changed, diff text, names applied) of src, then definition."""
    params = module.params
    kubectl, kubeconfig = params['kubectl_path'], params['kubeconfig']

    def apply(path):
        return server_side_apply(module, kubectl, kubeconfig, path, params['field_manager'],
                                 params['force_conflicts'], module.check_mode)

    changed, diffs, names = False, [], []
    if params['src']:
        for path in params['src']:
            if not os.path.isfile(path):
                module.fail_json(msg='src %s is not a file on this node' % path)
        changed, diff, names = apply(params['src'])
        diffs.append(diff)
        # The kinds they define must be served before definition's objects of those kinds are applied.
        wait_established(module, kubectl, kubeconfig, names, params['wait_timeout'])
    if params['definition']:
        with ManifestFile(list_document(params['definition'])) as path:
            more, diff, applied = apply(path)
        changed, names = changed or more, names + applied
        diffs.append(diff)
    return changed, ''.join(diffs), names


def main():
    spec = argument_spec('kubectl', 'cluster', 'api_wait')
    spec.update(definition=dict(type='list', elements='dict'), src=dict(type='list', elements='path'),
                field_manager=dict(type='str', default='caas-platform'),
                force_conflicts=dict(type='bool', default=False),
                delete=dict(type='list', elements='str', default=[]),
                wait=dict(type='list', elements='dict', default=[], options=dict(
                    resource=dict(type='str', required=True), namespace=dict(type='str'), **{'for': dict(type='str')})),
                wait_timeout=dict(type='int', default=300))
    module = AnsibleModule(argument_spec=spec, required_one_of=[('definition', 'src')], supports_check_mode=True)
    params = module.params
    try:
        changed, diff, names = apply_all(module)
        deleted = delete_present(module, params['kubectl_path'], params['kubeconfig'], params['delete'],
                                 module.check_mode)
        if not module.check_mode:
            wait_for(module, params['kubectl_path'], params['kubeconfig'], params['wait'], params['wait_timeout'])
    except (KubectlError, ValueError) as error:
        module.fail_json(msg=str(error))
    diff += ''.join('deleted %s\n' % name for name in deleted)
    result = dict(changed=changed or bool(deleted), resources=names, deleted=deleted, kubectl_diff=diff)
    if module._diff and diff:
        result['diff'] = dict(prepared=diff)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
