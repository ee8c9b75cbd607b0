# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: kubelet_serving_csrs
short_description: The kubelet serving certificate requests that may be approved
version_added: 0.1.0
description:
  - Takes the results of M(community.crypto.openssl_csr_info) looped over pending
    C(kubernetes.io/kubelet-serving) requests (each result's C(item) is the CertificateSigningRequest) and the
    variables of the hosts whose kubelets may ask; returns the names of the requests to approve.
  - A request is approved only when it comes from one of those nodes (C(system:node:<name>), the name from
    P(caas.platform.node_name#filter)) and names nothing but that node's name and address
    (P(caas.platform.node_address#filter)). Anything else stays pending for a person to look at.
options:
  _input:
    description: The C(results) of the openssl_csr_info loop.
    type: list
    elements: dict
    required: true
  hosts:
    description: The variables of the hosts whose requests may be approved (C(hostvars[name]) of each).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Approve what the nodes asked for
  ansible.builtin.command:
    argv: "{{ ['kubectl', 'certificate', 'approve'] + csr_info.results
              | caas.platform.kubelet_serving_csrs(groups['workers'] | map('extract', hostvars) | list) }}"
  changed_when: true
"""

RETURN = r"""
_value:
  description: The names of the requests to approve.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.node_address import node_address
from ansible_collections.caas.platform.plugins.filter.node_name import node_name


def kubelet_serving_csrs(results, hosts):
    if not isinstance(results, list) or not isinstance(hosts, list):
        raise AnsibleFilterError('kubelet_serving_csrs expects a list of openssl_csr_info results and a list of '
                                 'host variables')
    allowed = {'system:node:' + node_name(h): {'DNS:' + node_name(h), 'IP:' + node_address(h)} for h in hosts}
    approve = []
    for result in results:
        request = result.get('item') or {}
        names = allowed.get((request.get('spec') or {}).get('username'))
        if names is not None and set(result.get('subject_alt_name') or []) <= names:
            approve.append(request['metadata']['name'])
    return approve


class FilterModule(object):
    def filters(self):
        return {'kubelet_serving_csrs': kubelet_serving_csrs}
