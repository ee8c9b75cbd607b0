#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: upgrade_state
short_description: Read in one run what a Kubernetes upgrade decides on
version_added: 0.1.0
description:
  - Reads, and changes nothing. It reads the cluster's version (the C(kubeadm-config) ConfigMap's
    ClusterConfiguration) and each node's readiness, kubelet version and cordon. It reads each control-plane static
    pod's version (its image's tag) and the deprecated APIs the API servers were asked for, with the release that
    removes them (the C(apiserver_requested_deprecated_apis) metric).
  - The caas.platform.upgrade_problems filter turns the answer into the refusals of C(playbooks/upgrade.yml), and
    the playbook into the nodes still to upgrade.
options:
  api_server_addresses:
    description:
      - The addresses of the API servers whose C(/metrics) are read for deprecated APIs. Each API server counts
        only the requests it served, since it started.
      - Empty, the kubeconfig's server (behind the API VIP, one of them).
    type: list
    elements: str
    default: []
  api_server_port:
    description: The port the API servers listen on, on those addresses.
    type: int
    default: 6443
  deprecated_apis:
    description: Read the deprecated APIs; false leaves RV(deprecated_apis) empty (a wait that reads the nodes only).
    type: bool
    default: true
extends_documentation_fragment:
  - caas.platform.attributes.read_only
  - caas.platform.kubeadm.kubectl
  - caas.platform.kubeadm.cluster
  - caas.platform.kubeadm.api_wait
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  platform:
    support: full
    platforms: posix
    description: A control-plane node with kubectl and the admin kubeconfig.
seealso:
  - module: caas.platform.kubeadm_upgrade
  - module: caas.platform.node_drain
  - name: Deprecated API migration guide
    description: The APIs each release removes.
    link: https://kubernetes.io/docs/reference/using-api/deprecation-guide/
"""

EXAMPLES = r"""
- name: Read what the upgrade decides on
  caas.platform.upgrade_state:
    api_server_addresses: [10.250.0.21, 10.250.0.22, 10.250.0.23]
  become: true
  register: upgrade_state
"""

RETURN = r"""
cluster_version:
  description: The C(kubernetesVersion) of the cluster's ClusterConfiguration (kubeadm's record of the control plane).
  returned: always
  type: str
  sample: v1.35.4
nodes:
  description: One entry per node, sorted by name, as M(caas.platform.cluster_health) returns them (C(name), C(ready),
    C(kubelet_version), C(control_plane), C(unschedulable), C(cordoned_by), C(pressure)).
  returned: always
  type: list
  elements: dict
components:
  description: The control-plane static pods, one entry per pod, as M(caas.platform.cluster_health) returns them
    (C(node), C(component), C(version), C(ready), C(restarts)).
  returned: always
  type: list
  elements: dict
deprecated_apis:
  description: The deprecated APIs requested since each API server started, one entry per API and server.
  returned: always
  type: list
  elements: dict
  contains:
    group:
      description: The API group (empty for the core group).
      type: str
    version:
      description: The API version.
      type: str
    resource:
      description: The resource.
      type: str
    removed_release:
      description: The release that removes it (C(1.36)), or empty when none is planned.
      type: str
    server:
      description: The API server that counted the requests.
      type: str
  sample: [{"group": "flowcontrol.apiserver.k8s.io", "version": "v1beta3", "resource": "flowschemas",
            "removed_release": "1.32", "server": "https://10.250.0.21:6443"}]
"""

import json
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError, argument_spec
from ansible_collections.caas.platform.plugins.module_utils.kubeadm import cluster_configuration_version
from ansible_collections.caas.platform.plugins.module_utils.kubectl import base_argv, checked
from ansible_collections.caas.platform.plugins.module_utils.nodes import summarize_components, summarize_nodes

DEPRECATED = re.compile(r'^apiserver_requested_deprecated_apis\{([^}]*)\}\s+([0-9.eE+-]+)\s*$', re.M)
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def deprecated_apis(metrics, server):
    """The deprecated APIs a Prometheus text of an API server counts requests for (value > 0)."""
    found = []
    for labels, value in DEPRECATED.findall(metrics or ''):
        if float(value) <= 0:
            continue
        fields = dict(LABEL.findall(labels))
        found.append({'group': fields.get('group', ''), 'version': fields.get('version', ''),
                      'resource': fields.get('resource', ''), 'removed_release': fields.get('removed_release', ''),
                      'server': server})
    return found


def read(module):
    kubectl = base_argv(module.params['kubectl_path'], module.params['kubeconfig'])
    listing = json.loads(checked(module, kubectl + ['get', 'nodes,pods', '-n', 'kube-system', '-o', 'json']))
    by_kind = {}
    for item in listing.get('items') or []:
        by_kind.setdefault(item.get('kind'), []).append(item)
    config = json.loads(checked(module, kubectl + ['get', 'configmap', 'kubeadm-config', '-n', 'kube-system',
                                                   '-o', 'json']))
    apis = []
    servers = ['https://%s:%d' % (address, module.params['api_server_port'])
               for address in module.params['api_server_addresses']]
    for server in (servers or [None]) if module.params['deprecated_apis'] else []:
        argv = kubectl + (['--server', server] if server else []) + ['get', '--raw', '/metrics']
        apis.extend(deprecated_apis(checked(module, argv), server or module.params['kubeconfig']))
    return {
        'cluster_version': cluster_configuration_version(config),
        'nodes': summarize_nodes(by_kind.get('Node', [])),
        'components': summarize_components(by_kind.get('Pod', [])),
        'deprecated_apis': apis,
    }


def main():
    spec = argument_spec('kubectl', 'cluster', 'api_wait')
    spec.update(api_server_addresses=dict(type='list', elements='str', default=[]),
                api_server_port=dict(type='int', default=6443),
                deprecated_apis=dict(type='bool', default=True))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    try:
        state = read(module)
    except (CommandError, ValueError) as error:
        module.fail_json(msg='the cluster could not be read: %s' % error)
    module.exit_json(changed=False, **state)


if __name__ == '__main__':
    main()
