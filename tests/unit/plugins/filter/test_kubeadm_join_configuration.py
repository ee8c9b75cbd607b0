# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one JoinConfiguration of workers and control-plane nodes, read as kubeadm_join reads it."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.kubeadm_join_configuration import kubeadm_join_configuration
from ansible_collections.caas.platform.plugins.module_utils.kubeadm import check_documents

PIN = 'sha256:' + '0' * 64


def test_a_worker_joins_with_its_name_address_and_labels():
    doc = kubeadm_join_configuration({'name': 'wk-a1', 'ip': '10.20.1.11',
                                      'labels': {'topology.kubernetes.io/zone': 'a', 'caas.io/rack': 7}},
                                     '10.20.0.10:6443', [PIN])
    assert doc['discovery'] == {'bootstrapToken': {'apiServerEndpoint': '10.20.0.10:6443', 'caCertHashes': [PIN]}}
    registration = doc['nodeRegistration']
    assert registration['name'] == 'wk-a1' and registration['ignorePreflightErrors'] == []
    assert registration['kubeletExtraArgs'] == [
        {'name': 'node-ip', 'value': '10.20.1.11'},
        {'name': 'node-labels', 'value': 'topology.kubernetes.io/zone=a,caas.io/rack=7'}]
    assert 'controlPlane' not in doc and 'apiVersion' not in doc
    # The module gives it the API version of the Kubernetes version it installs.
    assert check_documents([doc], '1.36.3', ('JoinConfiguration',)) == ['JoinConfiguration']
    assert doc['apiVersion'] == 'kubeadm.k8s.io/v1beta4'


def test_a_control_plane_node_joins_with_its_api_endpoint():
    doc = kubeadm_join_configuration({'name': 'cp2', 'ip': '10.20.0.22', 'ignore_preflight_errors': ['Swap']},
                                     '10.20.0.10:6443', [PIN], {'advertise_address': '10.20.0.22', 'bind_port': '6443'})
    assert doc['controlPlane'] == {'localAPIEndpoint': {'advertiseAddress': '10.20.0.22', 'bindPort': 6443}}
    assert doc['nodeRegistration']['kubeletExtraArgs'] == [{'name': 'node-ip', 'value': '10.20.0.22'}]
    assert doc['nodeRegistration']['ignorePreflightErrors'] == ['Swap']
    assert 'patches' not in doc


def test_a_control_plane_node_joins_with_the_patches_that_pin_its_images():
    doc = kubeadm_join_configuration({'name': 'cp2', 'ip': '10.20.0.22'}, '10.20.0.10:6443', [PIN],
                                     {'advertise_address': '10.20.0.22', 'bind_port': 6443,
                                      'patches_dir': '/etc/kubernetes/caas/patches'})
    assert doc['patches'] == {'directory': '/etc/kubernetes/caas/patches'}


def test_a_node_without_name_or_address_is_refused():
    with pytest.raises(AnsibleFilterError, match='expects the node'):
        kubeadm_join_configuration({'name': 'wk-a1'}, '10.20.0.10:6443', [PIN])
