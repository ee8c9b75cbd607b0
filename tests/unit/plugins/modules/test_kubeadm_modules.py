# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kubeadm_* modules run for real with the lab build's kubeadm (lab/artifacts/build.py; scripts/test unit builds
it and sets CAAS_KUBEADM): configuration validation, refusals by the node's state, certificates made, checked and
renewed in a throw-away PKI. What needs a running cluster (init, join, tokens, upgrades) runs in the lab end-to-end
suite and the control_plane molecule scenario."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ansible_collections.caas.platform.plugins.modules import kubeadm_upgrade

VERSION = '1.36.3'
API = 'kubeadm.k8s.io/v1beta4'


def cluster_config(**extra):
    return dict({'apiVersion': API, 'kind': 'ClusterConfiguration', 'kubernetesVersion': 'v' + VERSION,
                 'controlPlaneEndpoint': '10.0.1.10:6443',
                 'networking': {'podSubnet': '10.244.0.0/16', 'serviceSubnet': '10.96.0.0/12'}}, **extra)


def init_config():
    return [{'apiVersion': API, 'kind': 'InitConfiguration',
             'localAPIEndpoint': {'advertiseAddress': '10.0.1.21', 'bindPort': 6443},
             'nodeRegistration': {'name': 'cp1'}}, cluster_config()]


def join_config(control_plane=False):
    doc = {'apiVersion': API, 'kind': 'JoinConfiguration',
           'discovery': {'bootstrapToken': {'apiServerEndpoint': '10.0.1.10:6443',
                                            'caCertHashes': ['sha256:' + '0' * 64]}},
           'nodeRegistration': {'name': 'node1'}}
    if control_plane:
        doc['controlPlane'] = {'localAPIEndpoint': {'advertiseAddress': '10.0.1.22', 'bindPort': 6443}}
    return doc


def node_dir(tmp_path, *files):
    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('')
    return str(tmp_path)


CONTROL_PLANE_FILES = ('kubelet.conf', 'admin.conf', 'manifests/kube-apiserver.yaml',
                       'manifests/kube-controller-manager.yaml', 'manifests/kube-scheduler.yaml')


# -- kubeadm_init ---------------------------------------------------------------------------------

def test_init_in_check_mode_validates_with_kubeadm_and_changes_nothing(run_module, kubeadm_path, tmp_path):
    result = run_module('kubeadm_init', config=init_config(), kubernetes_version=VERSION, kubeadm_path=kubeadm_path,
                        kubernetes_dir=node_dir(tmp_path), _ansible_check_mode=True)
    assert result['changed'] is True and result['initialized'] is True
    assert list(tmp_path.iterdir()) == []


def test_init_carries_kubeadms_own_message_for_a_bad_configuration(run_module, kubeadm_path, tmp_path):
    config = init_config()
    config[1]['networking']['podSubnet'] = 'not-a-cidr'
    result = run_module('kubeadm_init', config=config, kubernetes_version=VERSION, kubeadm_path=kubeadm_path,
                        kubernetes_dir=node_dir(tmp_path), _ansible_check_mode=True, expect_failure=True)
    assert result['msg'] == ('kubeadm config validate failed (rc=1): error: networking.podSubnet: Invalid value: '
                             '"not-a-cidr": couldn\'t parse subnet')


def test_init_refuses_a_document_at_the_wrong_api_version(run_module, kubeadm_path, tmp_path):
    config = init_config()
    config[0]['apiVersion'] = 'kubeadm.k8s.io/v1beta3'
    result = run_module('kubeadm_init', config=config, kubernetes_version=VERSION, kubeadm_path=kubeadm_path,
                        kubernetes_dir=node_dir(tmp_path), expect_failure=True)
    assert 'render it at kubeadm.k8s.io/v1beta4' in result['msg']


def test_init_leaves_a_running_control_plane_alone(run_module, kubeadm_path, tmp_path):
    result = run_module('kubeadm_init', config=init_config(), kubernetes_version=VERSION, kubeadm_path=kubeadm_path,
                        kubernetes_dir=node_dir(tmp_path, *CONTROL_PLANE_FILES))
    assert result['changed'] is False and result['initialized'] is False and result['node']['control_plane'] is True


def test_update_manifests_in_check_mode_names_what_would_be_written_and_writes_nothing(
        run_module, kubeadm_path, tmp_path):
    result = run_module('kubeadm_init', config=init_config(), kubernetes_version=VERSION, kubeadm_path=kubeadm_path,
                        kubernetes_dir=node_dir(tmp_path, *CONTROL_PLANE_FILES), update_manifests=True,
                        _ansible_check_mode=True)
    assert result['changed'] is True
    assert result['updated'] == ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']
    # Nothing written, so no write time for a wait to compare a new container's start with.
    assert 'written_at' not in result
    assert (tmp_path / 'manifests' / 'kube-apiserver.yaml').read_text() == ''


@pytest.mark.parametrize('files, says', [
    (('kubelet.conf',), 'already a worker node of a cluster'),
    (('manifests/kube-apiserver.yaml',), 'stopped half-way'),
    (('admin.conf', 'kubelet.conf'), 'stopped half-way'),
])
def test_init_refuses_a_node_that_is_something_else_already(run_module, kubeadm_path, tmp_path, files, says):
    result = run_module('kubeadm_init', config=init_config(), kubernetes_version=VERSION, kubeadm_path=kubeadm_path,
                        kubernetes_dir=node_dir(tmp_path, *files), expect_failure=True)
    assert says in result['msg']
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob('*') if p.is_file()) == sorted(files)


def test_init_needs_the_certificate_key_to_upload(run_module, kubeadm_path, tmp_path):
    result = run_module('kubeadm_init', config=init_config(), kubernetes_version=VERSION, kubeadm_path=kubeadm_path,
                        kubernetes_dir=node_dir(tmp_path), upload_certs=True, expect_failure=True)
    assert 'certificate_key' in result['msg']


# -- kubeadm_join ---------------------------------------------------------------------------------

@pytest.mark.parametrize('control_plane', [False, True])
def test_join_in_check_mode_validates_with_kubeadm(run_module, kubeadm_path, tmp_path, control_plane):
    key = 'a' * 64
    result = run_module('kubeadm_join', config=join_config(control_plane), kubernetes_version=VERSION,
                        token='abcdef.0123456789abcdef', control_plane=control_plane,
                        certificate_key=key if control_plane else None, kubeadm_path=kubeadm_path,
                        kubernetes_dir=node_dir(tmp_path), _ansible_check_mode=True)
    assert result['changed'] is True and result['joined'] is True
    # The secrets are the module's no_log options: nothing returned shows them.
    assert 'abcdef.0123456789abcdef' not in str(result) and key not in str(result)


def test_join_in_check_mode_needs_no_token(run_module, kubeadm_path, tmp_path):
    # kubeadm_token makes no token in check mode (a new node of playbooks/scale.yml --check).
    result = run_module('kubeadm_join', config=join_config(), kubernetes_version=VERSION, token='',
                        kubeadm_path=kubeadm_path, kubernetes_dir=node_dir(tmp_path), _ansible_check_mode=True)
    assert result['changed'] is True and result['joined'] is True


def test_join_refuses_a_worker_asked_to_be_a_control_plane_node(run_module, kubeadm_path, tmp_path):
    result = run_module('kubeadm_join', config=join_config(True), kubernetes_version=VERSION,
                        token='abcdef.0123456789abcdef', control_plane=True, certificate_key='a' * 64,
                        kubeadm_path=kubeadm_path, kubernetes_dir=node_dir(tmp_path, 'kubelet.conf'),
                        expect_failure=True)
    assert 'has joined the cluster as a worker' in result['msg']


def test_join_refuses_a_control_plane_node_asked_to_be_a_worker(run_module, kubeadm_path, tmp_path):
    result = run_module('kubeadm_join', config=join_config(), kubernetes_version=VERSION,
                        token='abcdef.0123456789abcdef', kubeadm_path=kubeadm_path,
                        kubernetes_dir=node_dir(tmp_path, *CONTROL_PLANE_FILES), expect_failure=True)
    assert 'is a control-plane node' in result['msg']


def test_join_refuses_leftovers_of_an_earlier_run(run_module, kubeadm_path, tmp_path):
    result = run_module('kubeadm_join', config=join_config(), kubernetes_version=VERSION,
                        token='abcdef.0123456789abcdef', kubeadm_path=kubeadm_path,
                        kubernetes_dir=node_dir(tmp_path, 'manifests/kube-apiserver.yaml'), expect_failure=True)
    assert 'left control-plane files on this host' in result['msg']


def test_join_needs_a_token_to_join_and_a_control_plane_section(run_module, kubeadm_path, tmp_path):
    result = run_module('kubeadm_join', config=join_config(), kubernetes_version=VERSION, kubeadm_path=kubeadm_path,
                        kubernetes_dir=node_dir(tmp_path), expect_failure=True)
    assert 'token is required' in result['msg']
    result = run_module('kubeadm_join', config=join_config(), kubernetes_version=VERSION, control_plane=True,
                        token='abcdef.0123456789abcdef', certificate_key='a' * 64, kubeadm_path=kubeadm_path,
                        kubernetes_dir=node_dir(tmp_path), expect_failure=True)
    assert 'needs a controlPlane section' in result['msg']


# -- kubeadm_certs --------------------------------------------------------------------------------

@pytest.fixture
def pki(kubeadm_path, tmp_path):
    """A control-plane PKI made by kubeadm itself in tmp_path/pki, and the configuration that points at it."""
    config = [cluster_config(certificatesDir=str(tmp_path / 'pki'))]
    config_file = tmp_path / 'cluster.yaml'
    config_file.write_text('\n'.join(f'{k}: {v!r}' if not isinstance(v, dict) else f'{k}: {v}'
                                     for k, v in config[0].items()).replace("'", '"'))
    os.system(f'{kubeadm_path} init phase certs all --config {config_file} >/dev/null 2>&1')
    assert (tmp_path / 'pki' / 'apiserver.crt').is_file()
    return config, tmp_path / 'pki'


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_certs_checked_lists_every_certificate(run_module, kubeadm_path, pki):
    config, _pki_dir = pki
    result = run_module('kubeadm_certs', config=config, kubeadm_path=kubeadm_path)
    names = {c['name']: c for c in result['certificates']}
    assert result['changed'] is False
    assert names['apiserver']['ca'] == 'ca' and not names['apiserver']['missing']
    assert 364 * 86400 < names['apiserver']['seconds_left'] <= 365 * 86400
    assert names['etcd-server']['ca'] == 'etcd-ca'


def test_certs_renewed_only_when_due_and_only_for_real(run_module, kubeadm_path, pki):
    config, pki_dir = pki
    before = digest(pki_dir / 'apiserver.crt')
    nothing = run_module('kubeadm_certs', state='renewed', renew_before_days=30, config=config, kubeadm_path=kubeadm_path)
    assert nothing['changed'] is False and nothing['renewed'] == []
    check = run_module('kubeadm_certs', state='renewed', renew_before_days=400, certificates=['apiserver', 'etcd-peer'],
                       config=config, kubeadm_path=kubeadm_path, _ansible_check_mode=True, _ansible_diff=True)
    assert check['changed'] is True and check['renewed'] == ['apiserver', 'etcd-peer']
    assert check['restart_required'] == ['etcd', 'kube-apiserver'] and 'apiserver expires' in check['diff']['before']
    assert digest(pki_dir / 'apiserver.crt') == before
    renewed = run_module('kubeadm_certs', state='renewed', renew_before_days=400, certificates=['apiserver'],
                         config=config, kubeadm_path=kubeadm_path)
    assert renewed['renewed'] == ['apiserver'] and digest(pki_dir / 'apiserver.crt') != before


def test_certs_refuses_a_name_kubeadm_does_not_manage(run_module, kubeadm_path, pki):
    config, _pki_dir = pki
    result = run_module('kubeadm_certs', state='renewed', certificates=['apiserver', 'kubelet'], config=config,
                        kubeadm_path=kubeadm_path, expect_failure=True)
    assert 'kubelet is not a certificate kubeadm manages' in result['msg']


# -- kubeadm_token: what can be checked without a cluster -----------------------------------------

@pytest.mark.parametrize('args, says', [
    ({'token': 'ABCDEF.0123456789abcdef'}, 'not a bootstrap token'),
    ({'ttl': '0'}, 'never expires'),
    ({'ttl': '1d'}, 'not a duration'),
    ({'ttl': '10m', 'min_validity': '20m'}, 'must be longer than min_validity'),
])
def test_token_refuses_bad_input_before_asking_the_cluster(run_module, tmp_path, args, says):
    result = run_module('kubeadm_token', kubeadm_path='/nonexistent/kubeadm', kubeconfig=str(tmp_path / 'none'),
                        expect_failure=True, **args)
    assert says in result['msg']


# -- kubeadm_upgrade: the version steps -----------------------------------------------------------

@pytest.mark.parametrize('current, target, says', [
    ('v1.35.4', 'v1.36.3', None),
    ('v1.36.1', 'v1.36.3', None),
    ('v1.36.3', 'v1.36.3', None),
    ('v1.36.3', 'v1.35.4', 'kubeadm does not downgrade'),
    ('v1.34.4', 'v1.36.3', 'skips a minor: the cluster runs v1.34.4; upgrade to 1.35 first'),
])
def test_upgrade_goes_one_minor_at_a_time_and_never_down(current, target, says):
    reason = kubeadm_upgrade.step_refusal(current, target)
    assert (reason is None) if says is None else (says in reason)
