# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_osd runs the lab build's kubectl. Without a cluster here, these tests cover the way in: an unreachable cluster
is reported with kubectl's own error before anything changes, in both states. Taking a real storage host's OSDs out
and purging them runs in the lab (benchmarks/storage.py day2, playbooks/storage_remove_host.yml); what the module
reads from Ceph is tested on real answers (tests/unit/plugins/module_utils/test_ceph.py)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize('state', ['out', 'stopped', 'absent'])
@pytest.mark.parametrize('check_mode', [False, True])
def test_an_unreachable_cluster_is_reported_with_kubectls_error(run_module, kubectl_path, unreachable_cluster, state,
                                                                check_mode):
    result = run_module('ceph_osd', expect_failure=True, kubectl_path=kubectl_path, kubeconfig=unreachable_cluster,
                        host='worker4', state=state, _ansible_check_mode=check_mode)
    assert result['msg'].startswith('kubectl exec deploy/rook-ceph-operator failed (rc=1): ')
    assert 'The connection to the server 127.0.0.1:1 was refused' in result['msg']


def test_a_host_is_required(run_module, kubectl_path):
    result = run_module('ceph_osd', expect_failure=True, kubectl_path=kubectl_path)
    assert result['msg'] == 'missing required arguments: host'
