# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kubectl helpers on what kubectl 1.36 prints (diff exit codes, missing CRDs, apply -o name)."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.caas.platform.plugins.module_utils import commands, kubectl

MISSING_CRD = ('error: resource mapping not found for name: "default-ipv4" namespace: "" from "objects.json": '
               'no matches for kind "IPPool" in version "crd.projectcalico.org/v1"\n'
               'ensure CRDs are installed first\n')


def test_diff_exit_codes():
    assert kubectl.interpret_diff(0, '', '') == (False, '')
    assert kubectl.interpret_diff(1, '--- a\n+++ b\n', '') == (True, '--- a\n+++ b\n')
    with pytest.raises(kubectl.KubectlError, match=r'kubectl diff failed \(rc=2\): error: the server has asked'):
        kubectl.interpret_diff(2, '', 'error: the server has asked for the client to provide credentials\n')


def test_a_kind_without_its_crd_would_be_created():
    changed, text = kubectl.interpret_diff(1, '', MISSING_CRD)
    assert changed and text.startswith('the cluster has no IPPool yet')
    assert kubectl.missing_kinds('Error from server (Forbidden): x') == []


def test_objects_of_a_namespace_not_there_yet_would_be_created():
    # What kubectl 1.36 prints for Rook's common.yaml (its Namespace first) on a cluster without rook-ceph.
    stderr = 'Error from server (NotFound): namespaces "rook-ceph" not found\n'
    changed, text = kubectl.interpret_diff(2, '', stderr)
    assert changed and text == 'the cluster has no namespace rook-ceph yet: all would be created\n'


def test_apply_names():
    out = 'ippool.crd.projectcalico.org/default-ipv4 serverside-applied\n'
    assert kubectl.resource_names('ippool.crd.projectcalico.org/default-ipv4\nconfigmap/calico-config\n') == [
        'ippool.crd.projectcalico.org/default-ipv4', 'configmap/calico-config']
    assert kubectl.resource_names('') == []
    # Without -o name (or with a dry run's note) the name is still the first word.
    assert kubectl.resource_names(out) == ['ippool.crd.projectcalico.org/default-ipv4']
    assert kubectl.resource_names('bgppeer.crd.projectcalico.org/tor (server dry run)\n') == [
        'bgppeer.crd.projectcalico.org/tor']


def test_file_flags_of_one_path_or_several():
    assert kubectl.file_flags('/a.yaml') == ['-f', '/a.yaml']
    assert kubectl.file_flags(['/a.yaml', '/b']) == ['-f', '/a.yaml', '-f', '/b']


def test_objects_go_into_one_list_and_each_needs_its_identity():
    text = kubectl.list_document([{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'a'}}])
    assert json.loads(text) == {'apiVersion': 'v1', 'kind': 'List', 'items': [
        {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'a'}}]}
    with pytest.raises(ValueError, match='definition 1 has no apiVersion, kind or metadata.name'):
        kubectl.list_document([{'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {'name': 'a'}},
                               {'apiVersion': 'v1', 'kind': 'ConfigMap', 'metadata': {}}])


def test_the_manifest_file_is_private_and_removed():
    with kubectl.ManifestFile('{"kind": "List"}') as path:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
        directory = os.path.dirname(path)
    assert not os.path.exists(directory)


def test_apply_flags():
    assert kubectl.apply_flags('caas-platform', False) == ['--server-side', '--field-manager=caas-platform']
    assert kubectl.apply_flags('x', True)[-1] == '--force-conflicts'


def test_differences_with_warnings_are_differences_and_errors_are_errors():
    assert kubectl.interpret_diff(1, 'diff', 'Warning: would violate PodSecurity "restricted"\n') == (True, 'diff')
    with pytest.raises(kubectl.KubectlError, match='Error from server'):
        kubectl.interpret_diff(1, '', 'Error from server (Forbidden): ippools is forbidden\n')


@pytest.mark.parametrize('stderr', [
    # The lab's lifecycle check, a control-plane node joining (the VIP's address shortened).
    'error: error validating "STDIN": error validating data: failed to download openapi: Get '
    '"https://10.250.0.10:6443/openapi/v2?timeout=32s": net/http: request canceled (Client.Timeout exceeded while '
    'awaiting headers); if you choose to ignore these errors, turn validation off with --validate=false',
    'The connection to the server 10.250.0.10:6443 was refused - did you specify the right host or port?',
    'Error from server: etcdserver: leader changed',
])
def test_what_a_restarting_or_joining_api_server_gives_is_retried(stderr):
    assert kubectl.TRANSIENT.search(stderr)


@pytest.mark.parametrize('stderr', [
    'Error from server (Invalid): error when creating "STDIN": Deployment.apps "web" is invalid',
    'error: the server doesn\'t have a resource type "widgets"',
])
def test_errors_of_the_request_itself_are_not_retried(stderr):
    assert not kubectl.TRANSIENT.search(stderr)


@pytest.mark.parametrize('argv, name', [
    (['/usr/local/bin/kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', '-n', 'harbor', 'get', 'pods', '-o',
      'json'], 'kubectl get pods'),
    (['/usr/local/bin/kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', 'exec', 'deploy/rook-ceph-operator',
      '--', 'ceph', 'status'], 'kubectl exec deploy/rook-ceph-operator'),
    (['/usr/local/bin/kubeadm', 'config', 'validate', '--config', '/tmp/x/kubeadm.yaml'], 'kubeadm config validate'),
    (['/usr/local/bin/kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf'], 'kubectl'),
])
def test_a_command_is_named_by_its_words_not_its_kubeconfig(argv, name):
    assert commands.command_name(argv) == name
