# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""node_drain and upgrade_state run for real with the lab build's kubectl (a cluster that does not answer is
reported with kubectl's own error, and nothing is changed), and upgrade_state's reading of the API server's
deprecated-API metric. Draining and reading a live cluster run on the lab (benchmarks/upgrade.py)."""

from __future__ import annotations

import time

import pytest

from ansible_collections.caas.platform.plugins.modules import upgrade_state

# The metric as kube-apiserver 1.36 exposes it (its HELP and TYPE lines, labels in its order).
METRICS = '''# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by
# TYPE apiserver_requested_deprecated_apis gauge
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="",version="v1beta3"} 1
apiserver_requested_deprecated_apis{group="",removed_release="",resource="componentstatuses",subresource="",version="v1"} 1
apiserver_requested_deprecated_apis{group="example.io",removed_release="1.40",resource="widgets",subresource="status",version="v1beta1"} 0
apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="nodes",scope="cluster",subresource="",verb="LIST",version="v1"} 12
'''


def test_the_deprecated_apis_requested():
    found = upgrade_state.deprecated_apis(METRICS, 'https://10.250.0.21:6443')
    assert found == [
        {'group': 'flowcontrol.apiserver.k8s.io', 'version': 'v1beta3', 'resource': 'flowschemas',
         'removed_release': '1.32', 'server': 'https://10.250.0.21:6443'},
        {'group': '', 'version': 'v1', 'resource': 'componentstatuses', 'removed_release': '',
         'server': 'https://10.250.0.21:6443'}]
    assert upgrade_state.deprecated_apis('', 'x') == []


@pytest.mark.parametrize('check_mode', [False, True])
def test_upgrade_state_reports_a_cluster_that_does_not_answer(run_module, kubectl_path, unreachable_cluster, check_mode):
    result = run_module('upgrade_state', expect_failure=True, kubectl_path=kubectl_path,
                        kubeconfig=unreachable_cluster, api_wait=0, _ansible_check_mode=check_mode)
    assert result['msg'].startswith('the cluster could not be read: kubectl get nodes,pods failed (rc=1): ')
    assert 'The connection to the server 127.0.0.1:1 was refused' in result['msg']


@pytest.mark.parametrize('state', ['checked', 'drained', 'uncordoned'])
def test_node_drain_changes_nothing_when_the_cluster_does_not_answer(run_module, kubectl_path, unreachable_cluster,
                                                                     state):
    result = run_module('node_drain', expect_failure=True, kubectl_path=kubectl_path, kubeconfig=unreachable_cluster,
                        nodes=['worker1'], state=state, api_wait=0)
    assert result['msg'].startswith('kubectl failed: kubectl get nodes failed (rc=1): ')
    assert 'refused' in result['msg'] and not result.get('changed')


def test_a_refused_connection_is_asked_again_within_api_wait(run_module, kubectl_path, unreachable_cluster):
    started = time.monotonic()
    result = run_module('upgrade_state', expect_failure=True, kubectl_path=kubectl_path, kubeconfig=unreachable_cluster,
                        api_wait=10)
    # Twice more after the first, 5 s apart: the API VIP's server may be restarting.
    assert time.monotonic() - started >= 10
    assert 'was refused' in result['msg']


def test_node_drain_refuses_a_timeout_that_is_not_positive(run_module, kubectl_path, unreachable_cluster):
    result = run_module('node_drain', expect_failure=True, kubectl_path=kubectl_path, kubeconfig=unreachable_cluster,
                        nodes=['worker1'], state='drained', timeout=0)
    assert result['msg'] == 'timeout is 0: a drain needs a positive number of seconds. Nothing was changed.'
