# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: node_path
author: caas.platform maintainers (@caas-platform)
short_description: Where a Kubernetes node keeps the files several roles read
description:
  - Returns the path of each named file, so that the roles that write a node's files (kubernetes_node, and kubeadm
    through control_plane and workers) and the roles that read them name each one in one place.
  - C(kubelet_kubeconfig) is the kubelet's kubeconfig kubeadm writes when the node joins (C(/etc/kubernetes/kubelet.conf)).
  - C(kubelet_config) is the cluster's KubeletConfiguration the kubernetes_node role writes, which kubeadm's
    configurations point at (C(/etc/kubernetes/caas/kubelet-config.yaml)).
  - C(kubelet_serving_cert) is the kubelet's serving certificate once its request is approved
    (C(/var/lib/kubelet/pki/kubelet-server-current.pem)).
  - Fails naming the known names for any other.
options:
  _terms:
    description: Names of the files.
    type: list
    elements: str
    required: true
notes:
  - Runs on the controller and reads nothing.
'''

EXAMPLES = r'''
- name: Read the kubelet's kubeconfig and serving certificate
  caas.platform.certificate_state:
    files: "{{ query('caas.platform.node_path', 'kubelet_kubeconfig', 'kubelet_serving_cert') }}"
'''

RETURN = r'''
_list:
  description: The path of each named file, in the order of the names.
  type: list
  elements: str
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

NODE_PATHS = {
    'kubelet_kubeconfig': '/etc/kubernetes/kubelet.conf',
    'kubelet_config': '/etc/kubernetes/caas/kubelet-config.yaml',
    'kubelet_serving_cert': '/var/lib/kubelet/pki/kubelet-server-current.pem',
}


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        unknown = [term for term in terms if term not in NODE_PATHS]
        if unknown:
            raise AnsibleLookupError('caas.platform.node_path knows no %s: the names are %s'
                                     % (', '.join(map(repr, unknown)), ', '.join(sorted(NODE_PATHS))))
        return [NODE_PATHS[term] for term in terms]
