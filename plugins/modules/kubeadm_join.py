#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kubeadm_join
short_description: Join a host to a Kubernetes cluster with kubeadm, as a worker or a control-plane node
version_added: 0.1.0
description:
  - Runs C(kubeadm join --config) with a JoinConfiguration given as data; the bootstrap token and the certificate
    key are added to it here from O(token) and O(certificate_key), and the file is written 0600 in a private
    temporary directory and removed afterwards.
  - Idempotent by the node's own state and the cluster's. A node that has joined (C(kubelet.conf)) in the asked
    role, and that the cluster still knows, is left alone. A worker asked to join as a control-plane node (or the
    reverse), a node the cluster no longer has, and a node where an earlier join stopped half-way are refused
    with what is there and what to do, and nothing is changed.
  - Errors carry kubeadm's own message.
options:
  config:
    description:
      - The JoinConfiguration document, as data, without the token and the certificate key. With
        O(control_plane=true) it must have a C(controlPlane) section (its C(localAPIEndpoint)).
    type: dict
    required: true
  kubernetes_version:
    description:
      - The Kubernetes version being installed; the document must be at the API version it reads.
      - A document without C(apiVersion) gets that one (the C(caas.platform.kubeadm_join_configuration) filter
        builds it so).
    type: str
    required: true
  token:
    description:
      - The bootstrap token (C(abcdef.0123456789abcdef)) for discovery and TLS bootstrap.
      - Required when the node has not joined yet, except in check mode (kubeadm_token makes none there), where the
        configuration is validated with a placeholder of the same shape.
    type: str
  certificate_key:
    description: The key the control-plane certificates were uploaded with. Required with O(control_plane=true).
    type: str
  control_plane:
    description: Join as a control-plane node (C(kubeadm join --control-plane)).
    type: bool
    default: false
  node_name:
    description: The node's name in the cluster, used to look it up when it has joined already. Defaults to the
      JoinConfiguration's C(nodeRegistration.name).
    type: str
  skip_phases:
    description: kubeadm join phases to skip (C(--skip-phases)).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - caas.platform.kubeadm
  - caas.platform.kubeadm.node
  - caas.platform.kubeadm.kubectl
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the node's and the cluster's state and validates the configuration with
      C(kubeadm config validate); reports that it would join without doing it.
  diff_mode:
    support: none
    description: Nothing to compare; the result says whether the node joined.
  platform:
    support: full
    platforms: posix
    description: A Linux host with kubeadm, kubectl, a container runtime and a kubelet installed.
seealso:
  - module: caas.platform.kubeadm_init
  - module: caas.platform.kubeadm_token
"""

EXAMPLES = r"""
- name: A join token, made on the first control-plane node
  caas.platform.kubeadm_token:
    description: caas.platform join
  delegate_to: cp1
  run_once: true
  register: join
  no_log: true

- name: Join the workers
  caas.platform.kubeadm_join:
    kubernetes_version: "1.36.3"
    token: "{{ join.token }}"
    config:
      apiVersion: kubeadm.k8s.io/v1beta4
      kind: JoinConfiguration
      discovery:
        bootstrapToken:
          apiServerEndpoint: 10.0.1.10:6443
          caCertHashes: "{{ join.ca_cert_hashes }}"
      nodeRegistration: {name: "{{ inventory_hostname }}"}
  no_log: true
"""

RETURN = r"""
joined:
  description: Whether the node joined in this task (in check mode, would join).
  returned: always
  type: bool
  sample: true
node:
  description: What the node was before the task, from kubeadm's files (see M(caas.platform.kubeadm_init)).
  returned: always
  type: dict
  sample: {joined: false, admin_kubeconfig: false, control_plane_manifests: [], stacked_etcd: false,
           control_plane: false, ca_certificate: false}
"""

import copy
import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError, argument_spec, run
from ansible_collections.caas.platform.plugins.module_utils.kubeadm import ConfigFile, check_documents, node_state


def role_mismatch(state, control_plane, kubernetes_dir):
    """Why a node that has joined does not match the asked role, or None."""
    is_control_plane = bool(state['control_plane_manifests'])
    if control_plane and not is_control_plane:
        return ('this host has joined the cluster as a worker (%s/kubelet.conf, no control-plane manifests); a '
                'worker is not turned into a control-plane node in place. Drain, delete and reset it '
                '(docs/kubernetes.md, Reset a node), then join it again as a control-plane node' % kubernetes_dir)
    if not control_plane and is_control_plane:
        return ('this host is a control-plane node (%s/manifests); it is not made a worker in place. Remove it from '
                'the control plane first' % kubernetes_dir)
    if control_plane and not state['control_plane']:
        return ('an earlier control-plane join stopped half-way on this host (manifests: %s, admin.conf: %s). '
                'Nothing was changed; run `kubeadm reset` on it (docs/kubernetes.md, Reset a node) and join again'
                % (', '.join(state['control_plane_manifests']), state['admin_kubeconfig']))
    return None


def cluster_has_node(module, name):
    """Whether the cluster has the node, asked with the node's own credentials; None when it cannot be asked."""
    params = module.params
    kubeconfig = '%s/kubelet.conf' % params['kubernetes_dir']
    rc, stdout, stderr = run(module, [params['kubectl_path'], '--kubeconfig', kubeconfig, 'get', 'node', name,
                                      '-o', 'json', '--request-timeout=10s'], check_rc=False)
    if rc == 0:
        return json.loads(stdout).get('metadata', {}).get('name') == name
    if 'NotFound' in stderr or 'not found' in stderr:
        return False
    module.warn('could not ask the cluster whether it has node %s: %s' % (name, stderr.strip()[:300]))
    return None


# A bootstrap token of the right shape that no cluster has: check mode validates the configuration with it.
CHECK_MODE_TOKEN = 'abcdef.0123456789abcdef'


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **argument_spec('kubeadm', 'node', 'kubectl'),
            config=dict(type='dict', required=True),
            kubernetes_version=dict(type='str', required=True),
            token=dict(type='str', no_log=True),
            certificate_key=dict(type='str', no_log=True),
            control_plane=dict(type='bool', default=False),
            node_name=dict(type='str'),
            skip_phases=dict(type='list', elements='str', default=[]),
        ),
        required_if=[('control_plane', True, ['certificate_key'])],
        supports_check_mode=True,
    )
    params = module.params
    doc = copy.deepcopy(params['config'])
    try:
        check_documents([doc], params['kubernetes_version'], ('JoinConfiguration',))
    except ValueError as exc:
        module.fail_json(msg='config: %s' % exc)
    if params['control_plane'] and not isinstance(doc.get('controlPlane'), dict):
        module.fail_json(msg='config: control_plane=true needs a controlPlane section (its localAPIEndpoint) in the '
                             'JoinConfiguration')
    if not params['control_plane'] and 'controlPlane' in doc:
        module.fail_json(msg='config: a JoinConfiguration with a controlPlane section joins a control-plane node; '
                             'set control_plane=true or remove the section')
    name = params['node_name'] or doc.get('nodeRegistration', {}).get('name')

    state = node_state(params['kubernetes_dir'])
    if state['joined']:
        reason = role_mismatch(state, params['control_plane'], params['kubernetes_dir'])
        if reason:
            module.fail_json(msg=reason, node=state)
        if name:
            try:
                known = cluster_has_node(module, name)
            except CommandError as exc:
                module.fail_json(msg=str(exc), node=state)
            if known is False:
                module.fail_json(msg='this host has joined a cluster (%s/kubelet.conf) but the cluster has no node %s '
                                     'any more (it was deleted). Nothing was changed; run `kubeadm reset` on it '
                                     '(docs/kubernetes.md, Reset a node) and join it again' % (params['kubernetes_dir'], name),
                                 node=state)
        module.exit_json(changed=False, joined=False, node=state)
    if state['control_plane_manifests'] or state['admin_kubeconfig']:
        module.fail_json(msg='an earlier kubeadm run left control-plane files on this host without kubelet.conf '
                             '(manifests: %s, admin.conf: %s). Nothing was changed; run `kubeadm reset` on it '
                             '(docs/kubernetes.md, Reset a node) and join again'
                             % (', '.join(state['control_plane_manifests']) or 'none', state['admin_kubeconfig']),
                         node=state)

    token = params['token']
    if not token and module.check_mode:
        # kubeadm_token makes no token in check mode: the configuration is validated with one of the right shape.
        token = CHECK_MODE_TOKEN
    if not token:
        module.fail_json(msg='token is required: this host has not joined a cluster yet (no %s/kubelet.conf)'
                         % params['kubernetes_dir'], node=state)
    doc.setdefault('discovery', {}).setdefault('bootstrapToken', {})['token'] = token
    doc['discovery'].setdefault('tlsBootstrapToken', token)
    if params['control_plane']:
        doc['controlPlane']['certificateKey'] = params['certificate_key']
    try:
        with ConfigFile([doc]) as path:
            if module.check_mode:
                run(module, [params['kubeadm_path'], 'config', 'validate', '--config', path])
                module.exit_json(changed=True, joined=True, node=state)
            argv = [params['kubeadm_path'], 'join', '--config', path]
            if params['skip_phases']:
                argv.append('--skip-phases=%s' % ','.join(params['skip_phases']))
            run(module, argv)
    except CommandError as exc:
        module.fail_json(msg=str(exc), node=state)
    module.exit_json(changed=True, joined=True, node=state)


if __name__ == '__main__':
    main()
