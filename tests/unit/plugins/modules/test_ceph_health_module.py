# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ceph_health runs the lab build's kubectl. Without a cluster here, these tests cover what happens around it: an
unreachable cluster is reported with kubectl's own error, at once or after the wait. Reading a real Ceph cluster
runs in the molecule platform scenario (the rook_ceph role's waits, verify_40_storage.yml) and the lab; the
figures it returns are tested on real `ceph status` answers (tests/unit/plugins/module_utils/test_ceph.py)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize('check_mode', [False, True])
def test_an_unreachable_cluster_is_reported_with_kubectls_error(run_module, kubectl_path, unreachable_cluster,
                                                                check_mode):
    result = run_module('ceph_health', expect_failure=True, kubectl_path=kubectl_path,
                        kubeconfig=unreachable_cluster, _ansible_check_mode=check_mode)
    assert result['msg'].startswith('Ceph could not be read: kubectl exec deploy/rook-ceph-operator failed (rc=1): ')
    assert 'The connection to the server 127.0.0.1:1 was refused' in result['msg']
    assert result['waited'] < 30


def test_the_wait_asks_again_until_the_timeout(run_module, kubectl_path, unreachable_cluster):
    result = run_module('ceph_health', expect_failure=True, kubectl_path=kubectl_path, kubeconfig=unreachable_cluster,
                        wait=True, timeout=3, interval=1)
    assert result['msg'].startswith('Ceph could not be read in 3 s: ')
    assert result['waited'] >= 3
