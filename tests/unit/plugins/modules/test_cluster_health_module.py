# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cluster_health: the module run for real with the lab build's kubectl (an unreachable cluster is reported with
kubectl's own error), and its summaries of what kubectl returned from the lab's cluster (fixtures captured there,
2026-12-05, managedFields removed). Reading a live cluster runs in the lab's health check (benchmarks/health.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.caas.platform.plugins.modules import cluster_health

FIXTURES = Path(__file__).resolve().parents[1] / 'module_utils' / 'fixtures'


@pytest.fixture(scope='module')
def lab_items():
    items = json.loads((FIXTURES / 'cluster_health_lab.json').read_text())['items']
    by_kind = {}
    for item in items:
        by_kind.setdefault(item['kind'], []).append(item)
    return by_kind


@pytest.mark.parametrize('check_mode', [False, True])
def test_an_unreachable_cluster_is_reported_with_kubectls_error(run_module, kubectl_path, unreachable_cluster,
                                                                check_mode):
    result = run_module('cluster_health', expect_failure=True, kubectl_path=kubectl_path,
                        kubeconfig=unreachable_cluster, _ansible_check_mode=check_mode)
    assert result['msg'].startswith('the cluster could not be read: kubectl get nodes,certificatesigningrequests,pods,daemonsets,deployments failed (rc=1): ')
    assert 'The connection to the server 127.0.0.1:1 was refused' in result['msg']


def test_the_lab_nodes(lab_items):
    nodes = cluster_health.summarize_nodes(lab_items['Node'])
    assert [n['name'] for n in nodes] == ['cp1', 'cp2', 'cp3', 'worker1', 'worker2', 'worker3']
    assert all(n['ready'] and n['kubelet_version'] == 'v1.36.3' and not n['pressure'] and not n['unschedulable']
               for n in nodes)
    assert [n['control_plane'] for n in nodes] == [True, True, True, False, False, False]


def test_the_lab_control_plane_pods(lab_items):
    components = cluster_health.summarize_components(lab_items['Pod'])
    # External etcd on the lab: no etcd static pod.
    assert [(c['node'], c['component']) for c in components] == [
        (node, component) for node in ('cp1', 'cp2', 'cp3')
        for component in ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler')]
    assert all(c['ready'] for c in components)


def test_the_lab_workloads(lab_items):
    workloads = cluster_health.summarize_workloads(lab_items['DaemonSet'] + lab_items['Deployment'])
    by_name = {w['name']: w for w in workloads}
    assert by_name['calico-node'] == {'kind': 'DaemonSet', 'name': 'calico-node', 'desired': 6, 'ready': 6}
    assert by_name['coredns']['kind'] == 'Deployment' and by_name['coredns']['ready'] == by_name['coredns']['desired']


def test_pending_csrs_only(lab_items):
    csrs = lab_items.get('CertificateSigningRequest', [])
    assert cluster_health.pending_csrs(csrs) == []
    pending = json.loads(json.dumps(csrs[0])) if csrs else {'metadata': {'name': 'csr-x'}, 'spec': {}}
    pending['status'] = {}
    pending['metadata']['name'] = 'csr-pending'
    assert [c['name'] for c in cluster_health.pending_csrs(csrs + [pending])] == ['csr-pending']


def test_readyz():
    assert cluster_health.readyz(0, '[+]ping ok\n[+]etcd ok\nreadyz check passed\n', '') == {'ok': True, 'failed': []}
    failing = '[+]ping ok\n[-]etcd failed: reason withheld\nreadyz check failed\n'
    assert cluster_health.readyz(1, '', failing) == {'ok': False, 'failed': ['etcd']}
    assert cluster_health.readyz(1, '', 'Unable to connect to the server') == {
        'ok': False, 'failed': ['Unable to connect to the server']}
