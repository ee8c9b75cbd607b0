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
options:
  definition:
    description: The objects, each with C(apiVersion), C(kind) and C(metadata.name). Written to a private 0600 file
      on the node for kubectl and removed after. Exactly one of O(definition) and O(src) is given.
    type: list
    elements: dict
  src:
    description: A manifest file already on the node (YAML or JSON, several documents allowed), for large upstream
      manifests such as CustomResourceDefinitions.
    type: path
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
    description: The server-side dry run of C(kubectl diff); objects whose CustomResourceDefinition is not in the
      cluster yet are reported as to be created.
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
    src: /var/lib/caas/calico/crds.yaml

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
kubectl_diff:
  description: What differed, as C(kubectl diff) shows it (diff mode shows the same).
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import argument_spec
from ansible_collections.caas.platform.plugins.module_utils.kubectl import (
    KubectlError, ManifestFile, list_document, server_side_apply)


def main():
    spec = argument_spec('kubectl', 'cluster', 'api_wait')
    spec.update(definition=dict(type='list', elements='dict'), src=dict(type='path'),
                field_manager=dict(type='str', default='caas-platform'),
                force_conflicts=dict(type='bool', default=False))
    module = AnsibleModule(argument_spec=spec, mutually_exclusive=[('definition', 'src')],
                           required_one_of=[('definition', 'src')], supports_check_mode=True)
    params = module.params
    try:
        if params['src']:
            if not os.path.isfile(params['src']):
                module.fail_json(msg='src %s is not a file on this node' % params['src'])
            changed, diff, names = server_side_apply(module, params['kubectl_path'], params['kubeconfig'], params['src'],
                                                     params['field_manager'], params['force_conflicts'],
                                                     module.check_mode)
        else:
            with ManifestFile(list_document(params['definition'])) as path:
                changed, diff, names = server_side_apply(module, params['kubectl_path'], params['kubeconfig'], path,
                                                         params['field_manager'], params['force_conflicts'],
                                                         module.check_mode)
    except (KubectlError, ValueError) as error:
        module.fail_json(msg=str(error))
    result = dict(changed=changed, resources=names, kubectl_diff=diff)
    if module._diff and diff:
        result['diff'] = dict(prepared=diff)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
