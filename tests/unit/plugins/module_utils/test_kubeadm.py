# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kubeadm helpers, on real certificates (openssl) and on what kubeadm 1.36 printed on the lab's cluster
(tests/unit/fixtures/kubeadm)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from ansible_collections.caas.platform.plugins.module_utils import commands, kubeadm

FIXTURES = Path(__file__).resolve().parents[2] / 'fixtures' / 'kubeadm'


def openssl(*args, data=None):
    return subprocess.run(['openssl', *args], input=data, capture_output=True, check=True).stdout


@pytest.mark.parametrize('key', [['-newkey', 'rsa:2048'], ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']])
def test_the_discovery_hash_is_the_sha256_of_the_public_key_as_openssl_computes_it(tmp_path, key):
    openssl('req', '-x509', *key, '-nodes', '-subj', '/CN=kubernetes', '-days', '1',
            '-keyout', str(tmp_path / 'ca.key'), '-out', str(tmp_path / 'ca.crt'))
    pem = (tmp_path / 'ca.crt').read_text()
    public_der = openssl('pkey', '-pubin', '-outform', 'der',
                         data=openssl('x509', '-pubkey', '-noout', data=pem.encode()))
    expected = 'sha256:' + __import__('hashlib').sha256(public_der).hexdigest()
    assert kubeadm.ca_cert_hash(pem) == expected


def test_a_version_1_certificate_without_the_version_field_is_read_too(tmp_path):
    # openssl x509 -req without extensions writes an X.509 v1 certificate: no [0] version field.
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=v1',
            '-keyout', str(tmp_path / 'k'), '-out', str(tmp_path / 'csr'))
    openssl('x509', '-req', '-in', str(tmp_path / 'csr'), '-signkey', str(tmp_path / 'k'), '-days', '1',
            '-out', str(tmp_path / 'crt'))
    pem = (tmp_path / 'crt').read_text()
    assert 'Version: 1' in openssl('x509', '-noout', '-text', data=pem.encode()).decode()
    public_der = openssl('pkey', '-pubin', '-outform', 'der',
                         data=openssl('x509', '-pubkey', '-noout', data=pem.encode()))
    assert kubeadm.ca_cert_hash(pem) == 'sha256:' + __import__('hashlib').sha256(public_der).hexdigest()


def test_no_certificate_is_an_error():
    with pytest.raises(ValueError, match='no PEM certificate'):
        kubeadm.ca_cert_hash('not a certificate')


@pytest.mark.parametrize('version, api', [('1.36.3', 'kubeadm.k8s.io/v1beta4'), ('v1.34.0', 'kubeadm.k8s.io/v1beta4'),
                                          ('1.31', 'kubeadm.k8s.io/v1beta4'), ('1.30.9', 'kubeadm.k8s.io/v1beta3')])
def test_the_config_api_follows_the_kubernetes_version(version, api):
    assert kubeadm.config_api_version(version) == api


@pytest.mark.parametrize('version', ['1.21.0', '2.0.0', 'latest', ''])
def test_versions_without_a_config_api_are_refused(version):
    with pytest.raises(ValueError):
        kubeadm.config_api_version(version)


@pytest.mark.parametrize('text, seconds', [('1h', 3600), ('20m', 1200), ('1h30m', 5400), ('45s', 45), ('0', 0)])
def test_durations(text, seconds):
    assert kubeadm.parse_duration(text) == seconds


@pytest.mark.parametrize('text', ['1d', '', 'h', '10', '1h 30m', '-1h'])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError, match='not a duration'):
        kubeadm.parse_duration(text)


def test_several_json_objects_one_after_the_other_are_all_read():
    tokens = kubeadm.json_stream((FIXTURES / 'token-list.json').read_text())
    assert len(tokens) == 5
    assert all(t['kind'] == 'BootstrapToken' and len(t['token']) == 23 for t in tokens)
    # kubeadm's own proxy token (it keeps the uploaded certificates' Secret alive) has no usages.
    assert [t.get('usages') for t in tokens if t['description'].startswith('Proxy')] == [None, None]
    assert kubeadm.json_stream('') == [] and kubeadm.json_stream('  \n') == []


def test_the_message_is_kubeadms_error_without_warnings_or_the_stack_trace_hint():
    stderr = (FIXTURES / 'join-error.txt').read_text()
    message = commands.command_message('', stderr)
    assert message.startswith('error: error execution phase control-plane-prepare/download-certs')
    assert 'WARNING' not in message and 'stack trace' not in message


def test_preflight_errors_keep_their_error_lines():
    stderr = ('W1121 10:00:00.000000    1 checks.go:1] ignored\n'
              'error execution phase preflight: [preflight] Some fatal errors occurred:\n'
              '\t[ERROR Port-6443]: Port 6443 is in use\n'
              '[preflight] If you know what you are doing, you can make a check non-fatal with '
              '`--ignore-preflight-errors=...`\n'
              'To see the stack trace of this error execute with --v=5 or higher\n')
    assert commands.command_message('', stderr) == (
        'error execution phase preflight: [preflight] Some fatal errors occurred:\n\t[ERROR Port-6443]: Port 6443 is in use')


def test_without_stderr_the_end_of_stdout_is_the_message():
    assert commands.command_message('line 1\nsomething failed\n', '') == 'line 1\nsomething failed'
    assert commands.command_message('', '') == '(no message)'


def test_documents_are_checked_for_kind_and_api_version():
    init = {'apiVersion': 'kubeadm.k8s.io/v1beta4', 'kind': 'InitConfiguration'}
    cluster = {'apiVersion': 'kubeadm.k8s.io/v1beta4', 'kind': 'ClusterConfiguration'}
    kubelet = {'apiVersion': 'kubelet.config.k8s.io/v1beta1', 'kind': 'KubeletConfiguration'}
    assert kubeadm.check_documents([init, cluster, kubelet], '1.36.3', ('InitConfiguration', 'ClusterConfiguration')) \
        == ['InitConfiguration', 'ClusterConfiguration', 'KubeletConfiguration']
    with pytest.raises(ValueError, match='is at kubeadm.k8s.io/v1beta3, but Kubernetes 1.36.3 reads kubeadm.k8s.io/v1beta4'):
        kubeadm.check_documents([dict(init, apiVersion='kubeadm.k8s.io/v1beta3'), cluster], '1.36.3', ())
    with pytest.raises(ValueError, match='no ClusterConfiguration document'):
        kubeadm.check_documents([init], '1.36.3', ('InitConfiguration', 'ClusterConfiguration'))
    with pytest.raises(ValueError, match='document 0 has no kind'):
        kubeadm.check_documents([{'apiVersion': 'v1'}], '1.36.3', ())
    # kubeadm's own kinds may leave their apiVersion to the module: the version's is set.
    join = {'kind': 'JoinConfiguration'}
    assert kubeadm.check_documents([join], '1.36.3', ('JoinConfiguration',)) == ['JoinConfiguration']
    assert join['apiVersion'] == 'kubeadm.k8s.io/v1beta4'
    with pytest.raises(ValueError, match='KubeletConfiguration has no apiVersion'):
        kubeadm.check_documents([{'kind': 'KubeletConfiguration'}], '1.36.3', ())


def test_the_config_file_is_private_and_gone_afterwards():
    documents = [{'apiVersion': 'kubeadm.k8s.io/v1beta4', 'kind': 'JoinConfiguration',
                  'discovery': {'bootstrapToken': {'token': 'abcdef.0123456789abcdef'}}}]
    with kubeadm.ConfigFile(documents) as path:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700
        assert [json.loads(doc) for doc in Path(path).read_text().split('---\n')] == documents
    assert not os.path.exists(path) and not os.path.exists(os.path.dirname(path))


def test_the_node_state_is_read_from_kubeadms_files(tmp_path):
    assert kubeadm.node_state(str(tmp_path)) == dict(joined=False, admin_kubeconfig=False, control_plane_manifests=[],
                                                     stacked_etcd=False, control_plane=False, ca_certificate=False)
    (tmp_path / 'manifests').mkdir()
    (tmp_path / 'kubelet.conf').write_text('')
    assert kubeadm.node_state(str(tmp_path))['joined'] is True
    for component in kubeadm.CONTROL_PLANE_COMPONENTS:
        (tmp_path / 'manifests' / f'{component}.yaml').write_text('')
    assert kubeadm.node_state(str(tmp_path))['control_plane'] is False  # no admin.conf yet: half-way
    (tmp_path / 'admin.conf').write_text('')
    state = kubeadm.node_state(str(tmp_path))
    assert state['control_plane'] is True and state['stacked_etcd'] is False


def test_the_version_a_static_pod_runs_is_its_image_tag(tmp_path):
    manifest = tmp_path / 'kube-apiserver.yaml'
    manifest.write_text((FIXTURES / 'kube-apiserver.yaml').read_text())
    assert kubeadm.manifest_image_tag(str(manifest)) == 'v1.36.3'
    assert kubeadm.manifest_image_tag(str(tmp_path / 'missing.yaml')) is None
    # By digest too (the control_plane role's patches), from a mirror with a port.
    pinned = 'registry.dc1.example.com:5000/kube-apiserver:v1.36.3@sha256:' + 'a' * 64
    manifest.write_text(manifest.read_text().replace('registry.k8s.io/kube-apiserver:v1.36.3', pinned))
    assert pinned in manifest.read_text()
    assert kubeadm.manifest_image_tag(str(manifest)) == 'v1.36.3'


@pytest.mark.parametrize('image, tag', [
    ('registry.k8s.io/kube-apiserver:v1.36.3', 'v1.36.3'),
    ('registry.k8s.io/etcd:3.6.8-0@sha256:' + 'b' * 64, '3.6.8-0'),
    ('mirror:5000/kube-scheduler:v1.35.4', 'v1.35.4'),
    ('mirror:5000/kube-scheduler', None),
    ('kube-scheduler@sha256:' + 'c' * 64, None),
])
def test_image_tags(image, tag):
    assert kubeadm.image_tag(image) == tag


def test_kubeadm_messages_never_carry_a_token_or_certificate_key():
    stdout = ('You can now join any number of control-plane nodes by running:\n'
              '  kubeadm join 10.0.0.10:6443 --token abcdef.0123456789abcdef \\\n'
              '    --discovery-token-ca-cert-hash sha256:' + 'b' * 64 + ' \\\n'
              '    --control-plane --certificate-key ' + 'f' * 64 + '\n'
              'error: something failed after the join command was printed\n')
    message = commands.command_message(stdout, '')
    assert 'abcdef.0123456789abcdef' not in message and 'f' * 64 not in message
    assert commands.redact('--token abcdef.0123456789abcdef') == '--token <bootstrap token>'


def test_each_module_gets_the_shared_options_of_the_parts_it_names():
    assert sorted(commands.argument_spec('kubectl', 'cluster')) == ['kubeconfig', 'kubectl_path']
    spec = commands.argument_spec('kubeadm', 'node')
    assert spec == {'kubeadm_path': dict(type='path', default='/usr/local/bin/kubeadm'),
                    'kubernetes_dir': dict(type='path', default='/etc/kubernetes')}
    # Each call builds its own dicts: a module changing its spec cannot change another's.
    spec['kubeadm_path']['default'] = '/opt/bin/kubeadm'
    assert commands.argument_spec('kubeadm')['kubeadm_path']['default'] == '/usr/local/bin/kubeadm'
