# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: kubeadm_join_configuration
short_description: The kubeadm JoinConfiguration of a node, for caas.platform.kubeadm_join
version_added: 0.1.0
description:
  - The one place the JoinConfiguration is built, for workers and control-plane nodes alike. It has no
    C(apiVersion) (C(caas.platform.kubeadm_join) sets the one the Kubernetes version reads) and no token or
    certificate key (the module's C(no_log) options carry them).
options:
  _input:
    description: The node - C(name), C(ip) (the kubelet's C(--node-ip)), optionally C(labels) (a dict, the
      kubelet's C(--node-labels)) and C(ignore_preflight_errors) (a list).
    type: dict
    required: true
  endpoint:
    description: The API endpoint the node joins through, C(host:port).
    type: str
    required: true
  ca_cert_hashes:
    description: The pins of the cluster CA's public key (C(sha256:<hex>)).
    type: list
    elements: str
    required: true
  control_plane:
    description:
      - For a control-plane node, its API server's C(advertise_address) and C(bind_port), and optionally
        C(patches_dir), the directory of kubeadm's patches for its static pods (the control_plane role's images by
        digest).
    type: dict
"""

EXAMPLES = r"""
- name: Join the cluster
  caas.platform.kubeadm_join:
    kubernetes_version: "1.36.3"
    token: "{{ join.token }}"
    config: "{{ {'name': 'worker1', 'ip': '10.20.0.31', 'labels': {'topology.kubernetes.io/zone': 'a'}}
                | caas.platform.kubeadm_join_configuration('10.20.0.10:6443', join.ca_cert_hashes) }}"
"""

RETURN = r"""
_value:
  description: The JoinConfiguration document, as data.
  type: dict
"""

from ansible.errors import AnsibleFilterError

CRI_SOCKET = 'unix:///run/containerd/containerd.sock'


def kubeadm_join_configuration(node, endpoint, ca_cert_hashes, control_plane=None):
    if not isinstance(node, dict) or not node.get('name') or not node.get('ip'):
        raise AnsibleFilterError('kubeadm_join_configuration expects the node as {name, ip, labels, '
                                 'ignore_preflight_errors}, got %r' % (node,))
    kubelet_args = [{'name': 'node-ip', 'value': str(node['ip'])}]
    labels = node.get('labels') or {}
    if labels:
        kubelet_args.append({'name': 'node-labels',
                             'value': ','.join('%s=%s' % (key, value) for key, value in labels.items())})
    document = {
        'kind': 'JoinConfiguration',
        'discovery': {'bootstrapToken': {'apiServerEndpoint': str(endpoint),
                                         'caCertHashes': [str(pin) for pin in ca_cert_hashes or []]}},
        'nodeRegistration': {
            'name': str(node['name']),
            'criSocket': CRI_SOCKET,
            'imagePullPolicy': 'IfNotPresent',
            'kubeletExtraArgs': kubelet_args,
            'ignorePreflightErrors': [str(check) for check in node.get('ignore_preflight_errors') or []],
        },
    }
    if control_plane:
        document['controlPlane'] = {'localAPIEndpoint': {
            'advertiseAddress': str(control_plane['advertise_address']),
            'bindPort': int(control_plane['bind_port'])}}
        if control_plane.get('patches_dir'):
            document['patches'] = {'directory': str(control_plane['patches_dir'])}
    return document


class FilterModule(object):
    def filters(self):
        return {'kubeadm_join_configuration': kubeadm_join_configuration}
