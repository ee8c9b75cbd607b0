#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kubeadm_certs
short_description: Check the expiry of a control-plane node's kubeadm certificates, renew them, upload them
version_added: 0.1.0
description:
  - C(checked) reports every certificate kubeadm manages on the node (C(kubeadm certs check-expiration -o json)),
    with its expiry, the seconds left, its CA, and whether it is missing or externally managed.
  - C(renewed) renews (C(kubeadm certs renew <name>)) the certificates in O(certificates) that expire within
    O(renew_before_days), or all of them with O(force=true). Missing and externally managed certificates are never
    renewed. The control-plane components read their certificates at start only; RV(restart_required) names
    those that must be restarted.
  - C(uploaded) uploads the control-plane certificates to the C(kubeadm-certs) Secret, encrypted with
    O(certificate_key) (C(kubeadm init phase upload-certs)), so that control-plane nodes can join for the next
    two hours. Every run uploads (the Secret cannot be compared without the key).
  - Errors carry kubeadm's own message.
options:
  state:
    description: What to do.
    type: str
    choices: [checked, renewed, uploaded]
    default: checked
  certificates:
    description: With O(state=renewed), the certificates (kubeadm's names, such as C(apiserver), C(admin.conf))
      to consider; C(all) is every one.
    type: list
    elements: str
    default: [all]
  renew_before_days:
    description: With O(state=renewed), renew a certificate when it expires within this many days.
    type: int
    default: 30
  force:
    description: With O(state=renewed), renew the certificates in O(certificates) whatever their expiry.
    type: bool
    default: false
  certificate_key:
    description: With O(state=uploaded), the key (64 hex digits) the certificates are encrypted with.
    type: str
  config:
    description:
      - kubeadm configuration documents, as data, for a node whose configuration should not be read from the
        cluster (C(--config)); for example a ClusterConfiguration naming another C(certificatesDir).
      - Without it kubeadm reads the cluster's C(kubeadm-config) ConfigMap.
      - kubeadm's own documents may leave out C(apiVersion) when a C(ClusterConfiguration) names its
        C(kubernetesVersion); they get the API version that version reads.
    type: list
    elements: dict
extends_documentation_fragment:
  - caas.platform.kubeadm
  - caas.platform.kubeadm.cluster
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the certificates and reports which would be renewed, or that the certificates would be
      uploaded.
  diff_mode:
    support: full
    description: With O(state=renewed), the expiry of each renewed certificate before and after.
  platform:
    support: full
    platforms: posix
    description: A control-plane node with kubeadm.
seealso:
  - module: caas.platform.kubeadm_init
  - name: Certificate management with kubeadm
    description: Which certificates kubeadm manages and how renewal works.
    link: https://kubernetes.io/docs/tasks/administer-cluster/kubeadm/kubeadm-certs/
"""

EXAMPLES = r"""
- name: Certificates of the node
  caas.platform.kubeadm_certs:
  register: certs

- name: Renew what expires within 30 days
  caas.platform.kubeadm_certs:
    state: renewed
    renew_before_days: 30
  register: renewed
  # then restart the components in renewed.restart_required

- name: Let control-plane nodes join for the next two hours
  caas.platform.kubeadm_certs:
    state: uploaded
    certificate_key: "{{ control_plane_certificate_key }}"
  no_log: true
"""

RETURN = r"""
certificates:
  description: Every certificate kubeadm manages on the node, after the task (in check mode, as it is).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: kubeadm's name of the certificate or kubeconfig.
      type: str
      sample: apiserver
    expires:
      description: Its expiry (RFC 3339); null when it is missing.
      type: str
      sample: "2027-11-21T10:45:07Z"
    seconds_left:
      description: Seconds until it expires.
      type: int
      sample: 31535999
    ca:
      description: The CA that signed it.
      type: str
      sample: ca
    missing:
      description: It is not on the node.
      type: bool
    external:
      description: It is managed outside kubeadm (kubeadm does not renew it).
      type: bool
renewed:
  description: The certificates renewed (in check mode, that would be).
  returned: when O(state=renewed)
  type: list
  elements: str
  sample: [apiserver, admin.conf]
restart_required:
  description: The control-plane components that must restart to use the renewed certificates.
  returned: when O(state=renewed)
  type: list
  elements: str
  sample: [kube-apiserver]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError, argument_spec, run
from ansible_collections.caas.platform.plugins.module_utils.kubeadm import ConfigFile, check_documents, json_stream

# Which static pod reads which certificate; admin.conf and super-admin.conf are read by clients per call.
READERS = {
    'apiserver': ['kube-apiserver'], 'apiserver-etcd-client': ['kube-apiserver'],
    'apiserver-kubelet-client': ['kube-apiserver'], 'front-proxy-client': ['kube-apiserver'],
    'controller-manager.conf': ['kube-controller-manager'], 'scheduler.conf': ['kube-scheduler'],
    'etcd-server': ['etcd'], 'etcd-peer': ['etcd'], 'etcd-healthcheck-client': [],
    'admin.conf': [], 'super-admin.conf': [],
}


def read_certificates(module, config_path):
    params = module.params
    argv = [params['kubeadm_path'], 'certs', 'check-expiration', '-o', 'json']
    argv += ['--config', config_path] if config_path else ['--kubeconfig', params['kubeconfig']]
    _rc, stdout, _stderr = run(module, argv)
    answer = json_stream(stdout)
    raw = answer[0].get('certificates', []) if answer else []
    return [dict(name=c['name'], expires=c.get('expirationDate'), seconds_left=int(c.get('residualTime') or 0),
                 ca=c.get('caName', ''), missing=bool(c.get('missing')), external=bool(c.get('externallyManaged')))
            for c in raw]


def due(certificates, names, renew_before_days, force):
    """The certificates to renew, in kubeadm's order."""
    wanted = set(names)
    return [c['name'] for c in certificates
            if ('all' in wanted or c['name'] in wanted) and not c['missing'] and not c['external']
            and (force or c['seconds_left'] < renew_before_days * 86400)]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **argument_spec('kubeadm', 'cluster'),
            state=dict(type='str', choices=['checked', 'renewed', 'uploaded'], default='checked'),
            certificates=dict(type='list', elements='str', default=['all']),
            renew_before_days=dict(type='int', default=30),
            force=dict(type='bool', default=False),
            certificate_key=dict(type='str', no_log=True),
            config=dict(type='list', elements='dict'),
        ),
        required_if=[('state', 'uploaded', ['certificate_key'])],
        supports_check_mode=True,
    )
    params = module.params
    unknown = [n for n in params['certificates'] if n != 'all' and n not in READERS]
    if unknown:
        module.fail_json(msg='certificates: %s not a certificate kubeadm manages; choose from all, %s'
                         % (', '.join(unknown) + (' is' if len(unknown) == 1 else ' are'),
                            ', '.join(sorted(READERS))))
    documents = [dict(doc) for doc in params['config'] or []]
    if any(not doc.get('apiVersion') for doc in documents):
        # kubeadm's own documents may leave their apiVersion out: the ClusterConfiguration's version chooses it.
        version = next((doc.get('kubernetesVersion') for doc in documents
                        if doc.get('kind') == 'ClusterConfiguration' and doc.get('kubernetesVersion')), None)
        if not version:
            module.fail_json(msg='config: documents without apiVersion need a ClusterConfiguration with its '
                                 'kubernetesVersion to choose it')
        try:
            check_documents(documents, version, ())
        except ValueError as exc:
            module.fail_json(msg='config: %s' % exc)
    if documents and params['state'] == 'uploaded':
        # With --config, kubeadm takes the key only from the InitConfiguration (it refuses the flag).
        init = [doc for doc in documents if doc.get('kind') == 'InitConfiguration']
        if not init:
            api_version = next((doc.get('apiVersion') for doc in documents
                                if str(doc.get('apiVersion', '')).startswith('kubeadm.k8s.io/')), None)
            if not api_version:
                module.fail_json(msg='config: no kubeadm document (ClusterConfiguration) to upload the certificates of')
            init = [dict(apiVersion=api_version, kind='InitConfiguration')]
            documents.append(init[0])
        init[0]['certificateKey'] = params['certificate_key']
    config = ConfigFile(documents) if documents else None
    try:
        config_path = config.__enter__() if config else None
        try:
            if params['state'] == 'uploaded':
                # Reading the certificates first would fail where kubeadm cannot check them all (external etcd).
                result = dict(changed=True, certificates=[])
                if not module.check_mode:
                    argv = [params['kubeadm_path'], 'init', 'phase', 'upload-certs', '--upload-certs']
                    argv += (['--config', config_path] if config_path
                             else ['--kubeconfig', params['kubeconfig'], '--certificate-key', params['certificate_key']])
                    run(module, argv)
            else:
                before = read_certificates(module, config_path)
                result = dict(changed=False, certificates=before)
            if params['state'] == 'renewed':
                names = due(before, params['certificates'], params['renew_before_days'], params['force'])
                result.update(renewed=names, changed=bool(names),
                              restart_required=sorted(set(r for n in names for r in READERS.get(n, []))))
                if names and not module.check_mode:
                    for name in names:
                        argv = [params['kubeadm_path'], 'certs', 'renew', name]
                        argv += ['--config', config_path] if config_path else ['--kubeconfig', params['kubeconfig']]
                        run(module, argv)
                    result['certificates'] = read_certificates(module, config_path)
                if module._diff and names:
                    after = dict((c['name'], c['expires']) for c in result['certificates'])
                    result['diff'] = dict(
                        before=''.join('%s expires %s\n' % (c['name'], c['expires']) for c in before
                                       if c['name'] in names),
                        after=''.join('%s expires %s\n' % (n, 'later (renewed)' if module.check_mode else after.get(n))
                                      for n in names))
        finally:
            if config:
                config.__exit__(None, None, None)
    except CommandError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
