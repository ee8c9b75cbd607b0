#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kubeadm_init
short_description: Initialise the first control-plane node of a Kubernetes cluster with kubeadm
version_added: 0.1.0
description:
  - Runs C(kubeadm init --config) on the host, with the configuration documents given as data (InitConfiguration,
    ClusterConfiguration and, optionally, KubeletConfiguration and KubeProxyConfiguration).
  - Idempotent by the node's own state. A node that already runs a control plane (its static pod manifests and
    C(admin.conf) are there) is left alone. A node that is a worker of a cluster, or where an earlier
    C(kubeadm init) stopped half-way, is refused with what is there and what to do, and nothing is changed.
  - The configuration is written 0600 in a private temporary directory and removed afterwards (it may hold the
    certificate key). Every kubeadm document must be at the API version the target Kubernetes version reads
    (C(kubeadm.k8s.io/v1beta4) for 1.31 and newer).
  - Errors carry kubeadm's own message.
options:
  config:
    description:
      - The kubeadm configuration documents, as data; one of them must be a C(ClusterConfiguration) and one an
        C(InitConfiguration).
    type: list
    elements: dict
    required: true
  kubernetes_version:
    description:
      - The Kubernetes version being installed; the kubeadm documents must be at the API version it reads.
      - A kubeadm document (C(InitConfiguration), C(ClusterConfiguration)) without C(apiVersion) gets that one.
    type: str
    required: true
  upload_certs:
    description:
      - Upload the control-plane certificates, encrypted with O(certificate_key), to the C(kubeadm-certs) Secret
        so that other control-plane nodes can join with C(kubeadm join --control-plane). The Secret is deleted
        by the cluster after two hours.
    type: bool
    default: false
  certificate_key:
    description:
      - The key (64 hex digits, C(kubeadm certs certificate-key)) the uploaded certificates are encrypted with;
        written into the InitConfiguration's C(certificateKey).
      - Required with O(upload_certs=true).
    type: str
  skip_phases:
    description: kubeadm init phases to skip (C(--skip-phases)), such as C(addon/kube-proxy).
    type: list
    elements: str
    default: []
  update_manifests:
    description:
      - On a node that already runs a control plane (initialised or joined), make its static pod manifests those of
        O(config). kubeadm renders the manifests the configuration asks for (C(kubeadm init phase control-plane all
        --dry-run)); a component whose manifest differs is written again (C(kubeadm init phase control-plane
        <component>)), so the kubelet restarts it, and the ClusterConfiguration is uploaded to the cluster's
        C(kubeadm-config) ConfigMap (C(kubeadm init phase upload-config kubeadm)), where joins and upgrades read it.
      - Run it on one node at a time and wait for its API server before the next.
      - Without it, a running control plane is left as it is whatever O(config) says.
    type: bool
    default: false
extends_documentation_fragment:
  - caas.platform.kubeadm
  - caas.platform.kubeadm.node
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the node's state and validates the configuration with C(kubeadm config validate); reports
      that it would initialise without doing it.
  diff_mode:
    support: full
    description: With O(update_manifests=true), the manifests that change, before and after.
  platform:
    support: full
    platforms: posix
    description: A Linux host with kubeadm, a container runtime and a kubelet installed.
notes:
  - C(kubeadm init) runs its preflight checks first; their errors come back as the module's message. Checks that
    cannot pass on a given host (a lab in containers) are named in the InitConfiguration's
    C(nodeRegistration.ignorePreflightErrors).
  - Changing the configuration of an initialised cluster is not this module's job; C(kubeadm init) is never run
    twice on a node.
seealso:
  - module: caas.platform.kubeadm_join
  - module: caas.platform.kubeadm_token
  - name: kubeadm configuration (v1beta4)
    description: The fields of InitConfiguration and ClusterConfiguration.
    link: https://kubernetes.io/docs/reference/config-api/kubeadm-config.v1beta4/
"""

EXAMPLES = r"""
- name: Initialise the first control-plane node
  caas.platform.kubeadm_init:
    kubernetes_version: "1.36.3"
    config:
      - apiVersion: kubeadm.k8s.io/v1beta4
        kind: InitConfiguration
        localAPIEndpoint: {advertiseAddress: 10.0.1.21, bindPort: 6443}
        nodeRegistration: {name: cp1, criSocket: unix:///run/containerd/containerd.sock}
      - apiVersion: kubeadm.k8s.io/v1beta4
        kind: ClusterConfiguration
        kubernetesVersion: v1.36.3
        controlPlaneEndpoint: 10.0.1.10:6443
        networking: {podSubnet: 10.244.0.0/16, serviceSubnet: 10.96.0.0/12}
    upload_certs: true
    certificate_key: "{{ control_plane_certificate_key }}"
  no_log: true
"""

RETURN = r"""
initialized:
  description: Whether the node was initialised by this task (in check mode, would be).
  returned: always
  type: bool
  sample: true
node:
  description: What the node was before the task, from kubeadm's files.
  returned: always
  type: dict
  contains:
    joined:
      description: C(kubelet.conf) exists.
      type: bool
    admin_kubeconfig:
      description: C(admin.conf) exists.
      type: bool
    control_plane_manifests:
      description: The control-plane static pod manifests present.
      type: list
      elements: str
    stacked_etcd:
      description: An etcd static pod manifest is present.
      type: bool
    control_plane:
      description: All control-plane manifests and C(admin.conf) are present.
      type: bool
    ca_certificate:
      description: The cluster CA certificate is present.
      type: bool
  sample: {joined: false, admin_kubeconfig: false, control_plane_manifests: [], stacked_etcd: false,
           control_plane: false, ca_certificate: false}
updated:
  description: With O(update_manifests=true), the components whose manifests were written again (in check mode,
    would be).
  returned: when the node already ran a control plane and O(update_manifests=true)
  type: list
  elements: str
  sample: [kube-apiserver]
written_at:
  description: The node's clock (seconds since the epoch) just before the changed manifests were written; a
    container the kubelet creates after it runs the new manifest.
  returned: when O(update_manifests=true) wrote a manifest (not in check mode)
  type: float
  sample: 1796631410.52
"""

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError, argument_spec, run
from ansible_collections.caas.platform.plugins.module_utils.kubeadm import (
    CONTROL_PLANE_COMPONENTS, ConfigFile, check_documents, node_state)

# kubeadm's phase name of each component.
PHASES = {'kube-apiserver': 'apiserver', 'kube-controller-manager': 'controller-manager',
          'kube-scheduler': 'scheduler'}


def read(path):
    if not os.path.exists(path):
        return ''
    with open(path) as handle:
        return handle.read()


def update_manifests(module, documents, state):
    """Make the node's control-plane manifests those of the configuration; exits."""
    params = module.params
    manifests = os.path.join(params['kubernetes_dir'], 'manifests')
    try:
        with ConfigFile(documents) as path:
            rendered = os.path.join(os.path.dirname(path), 'rendered')
            run(module, [params['kubeadm_path'], 'init', 'phase', 'control-plane', 'all', '--config', path,
                         '--dry-run'], environ={'KUBEADM_INIT_DRYRUN_DIR': rendered})
            wanted = dict((c, read(os.path.join(rendered, c + '.yaml'))) for c in CONTROL_PLANE_COMPONENTS)
            for name in os.listdir(rendered):
                os.unlink(os.path.join(rendered, name))
            os.rmdir(rendered)
            current = dict((c, read(os.path.join(manifests, c + '.yaml'))) for c in CONTROL_PLANE_COMPONENTS)
            changed = [c for c in CONTROL_PLANE_COMPONENTS if wanted[c] and wanted[c] != current[c]]
            result = dict(changed=bool(changed), initialized=False, node=state, updated=changed)
            if module._diff and changed:
                result['diff'] = [dict(before_header=os.path.join(manifests, c + '.yaml'), before=current[c],
                                       after_header=os.path.join(manifests, c + '.yaml'), after=wanted[c])
                                  for c in changed]
            if changed and not module.check_mode:
                # Uploaded first, while this node's API server still runs: kubeadm checks the admin RBAC through
                # the control-plane endpoint, which may pick an API server that is just starting.
                run(module, [params['kubeadm_path'], 'init', 'phase', 'upload-config', 'kubeadm', '--config', path])
                result['written_at'] = time.time()
                for component in changed:
                    run(module, [params['kubeadm_path'], 'init', 'phase', 'control-plane', PHASES[component],
                                 '--config', path])
    except CommandError as exc:
        module.fail_json(msg=str(exc), node=state)
    module.exit_json(**result)


def refusal(state, kubernetes_dir):
    """Why kubeadm init must not run on this node, or None."""
    if state['joined'] and not state['control_plane_manifests'] and not state['admin_kubeconfig']:
        return ('this host is already a worker node of a cluster (%s/kubelet.conf exists, no control-plane '
                'manifests): kubeadm init would make it a second cluster. Remove it from its cluster and reset it '
                'first, or initialise another host' % kubernetes_dir)
    if state['control_plane_manifests'] or state['admin_kubeconfig'] or state['stacked_etcd'] or state['joined']:
        return ('an earlier kubeadm init or join stopped half-way on this host (found: %s under %s). Nothing was '
                'changed; run `kubeadm reset` on it (docs/kubernetes.md, Reset a node) and try again'
                % (', '.join(state['control_plane_manifests'] + ['admin.conf'] * state['admin_kubeconfig']
                             + ['kubelet.conf'] * state['joined']) or 'etcd manifest', kubernetes_dir))
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **argument_spec('kubeadm', 'node'),
            config=dict(type='list', elements='dict', required=True),
            kubernetes_version=dict(type='str', required=True),
            upload_certs=dict(type='bool', default=False),
            certificate_key=dict(type='str', no_log=True),
            skip_phases=dict(type='list', elements='str', default=[]),
            update_manifests=dict(type='bool', default=False),
        ),
        required_if=[('upload_certs', True, ['certificate_key'])],
        supports_check_mode=True,
    )
    params = module.params
    documents = [dict(doc) for doc in params['config']]
    try:
        check_documents(documents, params['kubernetes_version'], ('InitConfiguration', 'ClusterConfiguration'))
    except ValueError as exc:
        module.fail_json(msg='config: %s' % exc)
    if params['certificate_key']:
        for doc in documents:
            if doc['kind'] == 'InitConfiguration':
                doc['certificateKey'] = params['certificate_key']

    state = node_state(params['kubernetes_dir'])
    if state['control_plane'] and state['joined']:
        if params['update_manifests']:
            update_manifests(module, documents, state)
        module.exit_json(changed=False, initialized=False, node=state)
    reason = refusal(state, params['kubernetes_dir'])
    if reason:
        module.fail_json(msg=reason, node=state)

    try:
        with ConfigFile(documents) as path:
            if module.check_mode:
                run(module, [params['kubeadm_path'], 'config', 'validate', '--config', path])
                module.exit_json(changed=True, initialized=True, node=state)
            argv = [params['kubeadm_path'], 'init', '--config', path]
            if params['upload_certs']:
                argv.append('--upload-certs')
            if params['skip_phases']:
                argv.append('--skip-phases=%s' % ','.join(params['skip_phases']))
            run(module, argv)
    except CommandError as exc:
        module.fail_json(msg=str(exc), node=state)
    module.exit_json(changed=True, initialized=True, node=state)


if __name__ == '__main__':
    main()
