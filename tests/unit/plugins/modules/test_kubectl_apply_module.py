# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kubectl_apply runs the lab build's kubectl (scripts/test unit builds it). Without a cluster here, these tests
cover what happens before and around the API server: bad input, kubectl's own errors, no file left behind. Applying
to a real cluster runs in the control_plane molecule scenario (the calico role) and the lab."""

from __future__ import annotations

import glob
import os
import tempfile
import time

import pytest

CONFIG_MAP = {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'a', 'namespace': 'default'},
              'data': {'key': 'secret-value'}}


def private_files():
    return set(glob.glob(os.path.join(tempfile.gettempdir(), 'caas-kubectl-*')))


@pytest.mark.parametrize('check_mode', [False, True])
def test_kubectls_own_error_and_no_manifest_left(run_module, kubectl_path, unreachable_cluster, check_mode):
    before = private_files()
    result = run_module('kubectl_apply', expect_failure=True, definition=[CONFIG_MAP], kubectl_path=kubectl_path,
                        kubeconfig=unreachable_cluster, api_wait=0, _ansible_check_mode=check_mode)
    assert result['msg'].startswith('kubectl diff failed (rc=2): error: ')
    assert 'connection refused' in result['msg']
    assert 'secret-value' not in result['msg']
    assert private_files() == before


def test_a_refused_connection_is_tried_again_for_api_wait_seconds(run_module, kubectl_path, unreachable_cluster):
    """What an API server that is restarting behind the VIP gives: kubectl runs again, every 5 s, until api_wait."""
    started = time.monotonic()
    result = run_module('kubectl_apply', expect_failure=True, definition=[CONFIG_MAP], kubectl_path=kubectl_path,
                        kubeconfig=unreachable_cluster, api_wait=5)
    assert time.monotonic() - started >= 5
    assert 'connection refused' in result['msg']


def test_objects_without_identity_are_refused_before_kubectl_runs(run_module, unreachable_cluster):
    result = run_module('kubectl_apply', expect_failure=True, definition=[{'kind': 'ConfigMap'}],
                        kubectl_path='/nonexistent/kubectl', kubeconfig=unreachable_cluster)
    assert result['msg'] == 'definition 0 has no apiVersion, kind or metadata.name'


def test_src_must_be_a_file_and_one_of_src_or_definition(run_module, kubectl_path, unreachable_cluster, tmp_path):
    result = run_module('kubectl_apply', expect_failure=True, src=str(tmp_path / 'missing.yaml'),
                        kubectl_path=kubectl_path, kubeconfig=unreachable_cluster)
    assert result['msg'] == 'src %s is not a file on this node' % (tmp_path / 'missing.yaml')
    result = run_module('kubectl_apply', expect_failure=True, kubectl_path=kubectl_path)
    assert 'one of the following is required: definition, src' in result['msg']
    # Every src is checked before kubectl runs (an unreachable cluster would fail it otherwise).
    result = run_module('kubectl_apply', expect_failure=True, src=['/etc/hostname', str(tmp_path / 'missing.yaml')],
                        definition=[CONFIG_MAP], kubectl_path=kubectl_path, kubeconfig=unreachable_cluster)
    assert result['msg'] == 'src %s is not a file on this node' % (tmp_path / 'missing.yaml')


def test_a_wait_names_its_resource(run_module, kubectl_path, unreachable_cluster):
    result = run_module('kubectl_apply', expect_failure=True, definition=[CONFIG_MAP], wait=[{'for': 'condition=Ready'}],
                        kubectl_path=kubectl_path, kubeconfig=unreachable_cluster)
    assert 'resource' in result['msg'] and 'wait' in result['msg']
