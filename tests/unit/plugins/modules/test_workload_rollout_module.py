# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""workload_rollout run for real with the lab build's kubectl: bad input refused before kubectl runs, an unreachable
cluster reported with kubectl's own error. A real stuck pod replaced: verify_45_registry.yml, on the lab's Harbor."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize('args, message', [
    (dict(workloads=['harbor-database']),
     'workloads has "harbor-database": give <kind>/<name>, the kind statefulset, deployment or daemonset '
     '(statefulset/harbor-database). Nothing was changed.'),
    (dict(workloads=['job/x']), 'workloads has "job/x": give <kind>/<name>'),
    (dict(workloads=['sts/harbor-database'], timeout=0),
     'timeout is 0: give the seconds to wait, more than 0. Nothing was changed.'),
])
def test_bad_input_is_refused_before_kubectl_runs(run_module, args, message):
    result = run_module('workload_rollout', expect_failure=True, namespace='harbor',
                        kubectl_path='/nonexistent/kubectl', **args)
    assert result['msg'].startswith(message)


@pytest.mark.parametrize('check_mode', [False, True])
def test_an_unreachable_cluster_is_reported_with_kubectls_error(run_module, kubectl_path, unreachable_cluster,
                                                                check_mode):
    result = run_module('workload_rollout', expect_failure=True, namespace='harbor', api_wait=1,
                        workloads=['statefulset/harbor-database'], kubectl_path=kubectl_path,
                        kubeconfig=unreachable_cluster, _ansible_check_mode=check_mode)
    assert result['msg'].startswith('the workloads could not be restarted, read or a stuck pod deleted: kubectl ')
    assert 'The connection to the server 127.0.0.1:1 was refused' in result['msg']
    assert result['replaced'] == [] and not result['changed']


@pytest.mark.parametrize('check_mode', [False, True])
def test_a_restart_the_cluster_refuses_is_reported_unchanged(run_module, kubectl_path, unreachable_cluster, check_mode):
    result = run_module('workload_rollout', expect_failure=True, namespace='harbor', api_wait=1, restart=True,
                        workloads=['deployment/harbor-core', 'sts/harbor-database'], kubectl_path=kubectl_path,
                        kubeconfig=unreachable_cluster, _ansible_check_mode=check_mode)
    assert 'The connection to the server 127.0.0.1:1 was refused' in result['msg']
    assert not result['changed'] and result['replaced'] == []
    # In check mode nothing runs kubectl rollout restart: the restart is what would be done.
    assert result['restarted'] == (['deployment/harbor-core', 'statefulset/harbor-database'] if check_mode else [])
