# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""generated_secret run as Ansible runs it, with the lab build's kubectl: what the module refuses before it reads,
and kubectl's own error when the cluster does not answer. Reading, making and applying a Secret on a real cluster
is the molecule platform scenario's (verify_50_registry.yml); the values themselves are
tests/unit/plugins/module_utils/test_generated_secrets.py's."""

from __future__ import annotations

VALUES = [{'key': 'PASSWORD', 'kind': 'token', 'length': 32},
          {'key': 'HTPASSWD', 'kind': 'htpasswd', 'user': 'registry', 'from': 'PASSWORD'}]


def test_kubectls_error_names_the_secret(run_module, kubectl_path, unreachable_cluster):
    result = run_module('generated_secret', expect_failure=True, namespace='harbor', name='harbor-internal',
                        values=VALUES, kubectl_path=kubectl_path, kubeconfig=unreachable_cluster, api_wait=0)
    assert result['msg'].startswith('Secret harbor/harbor-internal: kubectl get secret failed (rc=1): ')
    assert 'The connection to the server 127.0.0.1:1 was refused' in result['msg']


def test_an_htpasswd_line_needs_its_user_and_source(run_module, kubectl_path, unreachable_cluster):
    result = run_module('generated_secret', expect_failure=True, namespace='harbor', name='harbor-internal',
                        values=[{'key': 'HTPASSWD', 'kind': 'htpasswd'}], kubectl_path=kubectl_path,
                        kubeconfig=unreachable_cluster, api_wait=0)
    assert 'kind is htpasswd but all of the following are missing: user, from' in result['msg']
