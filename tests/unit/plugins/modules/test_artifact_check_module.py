# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""artifact_check run for real against a real HTTPS files repository and, when Debian's docker-registry and skopeo
are installed, a real registry holding images skopeo pushed."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.caas.platform.tests.unit.plugins.module_utils.test_artifacts import (
    CNI_PATH, CONTAINERD_PATH, NEEDS_REGISTRY, RUNC_PATH, FilesServer, Registry, content, free_port, make_pki)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp('pki'))


@pytest.fixture(scope='module')
def repo(tmp_path_factory, pki):
    served = content()
    server = FilesServer(tmp_path_factory.mktemp('docroot'), pki)
    for path in (RUNC_PATH, CONTAINERD_PATH, CNI_PATH):
        server.publish('files/' + path, served[path])
    server.content = served
    yield server
    server.close()


@pytest.fixture(scope='module')
def registry(tmp_path_factory, pki):
    server = Registry(tmp_path_factory.mktemp('registry'), pki)
    yield server
    server.close()


@pytest.fixture
def log(repo):
    del repo.log[:]
    return repo.log


def manifest_files(repo):
    """Files as artifacts/manifest.yml lists them (path with {arch}, sha256 per architecture)."""
    return [
        {'name': 'runc', 'version': '1.4.3', 'path': RUNC_PATH.replace('amd64', '{arch}'),
         'sha256': {'amd64': sha256(repo.content[RUNC_PATH])}},
        {'name': 'containerd', 'version': '2.3.7', 'path': CONTAINERD_PATH.replace('amd64', '{arch}'),
         'sha256': {'amd64': sha256(repo.content[CONTAINERD_PATH])}, 'members': ['bin/containerd', 'bin/ctr']},
    ]


def test_files_all_as_pinned_in_check_mode(run_module, repo, pki, log):
    result = run_module('artifact_check', _ansible_check_mode=True, files_repo_url=repo.url + '/files/',
                        ca_path=pki['ca'], files=manifest_files(repo))
    assert result['changed'] is False and result['counts'] == {
        'ok': 2, 'missing': 0, 'mismatch': 0, 'unreachable': 0, 'unlocked': 0, 'total': 2}
    runc = result['results'][0]
    assert runc == {'kind': 'file', 'name': 'runc', 'version': '1.4.3', 'url': '%s/files/%s' % (repo.url, RUNC_PATH),
                    'status': 'ok', 'found': sha256(repo.content[RUNC_PATH]),
                    'expected': sha256(repo.content[RUNC_PATH]), 'msg': ''}
    assert sorted(log) == sorted([('GET', '/files/' + RUNC_PATH, 200), ('GET', '/files/' + CONTAINERD_PATH, 200)])


def test_lookup_output_is_accepted_as_it_is(run_module, repo, pki):
    """The caas.platform.artifacts lookup gives url, layer and members, and sha256 for one architecture."""
    item = {'name': 'runc', 'version': '1.4.3', 'layer': 'runtime', 'path': RUNC_PATH, 'members': [],
            'url': '%s/files/%s' % (repo.url, RUNC_PATH), 'sha256': sha256(repo.content[RUNC_PATH])}
    result = run_module('artifact_check', ca_path=pki['ca'], files=[item])
    assert result['results'][0]['status'] == 'ok'


def test_every_file_is_checked_and_every_problem_listed(run_module, repo, pki, log):
    files = manifest_files(repo)
    files[1]['sha256'] = {'amd64': 'e' * 64}
    files += [
        {'name': 'kubelet', 'version': '1.36.3', 'path': 'dl.k8s.io/release/v1.36.3/bin/linux/{arch}/kubelet',
         'sha256': {'amd64': 'f' * 64}},
        {'name': 'cni-plugins', 'version': '1.9.1', 'path': CNI_PATH, 'sha256': {'amd64': None}},
        {'name': 'crictl', 'version': '1.36.0', 'path': CNI_PATH, 'sha256': {'amd64': sha256(repo.content[CNI_PATH])},
         'members': ['./crictl']},
    ]
    result = run_module('artifact_check', expect_failure=True, files_repo_url=repo.url + '/files', ca_path=pki['ca'],
                        files=files)
    statuses = [(r['name'], r['status']) for r in result['results']]
    assert statuses == [('runc', 'ok'), ('containerd', 'mismatch'), ('kubelet', 'missing'),
                        ('cni-plugins', 'unlocked'), ('crictl', 'mismatch')]
    assert result['counts'] == {'ok': 1, 'missing': 1, 'mismatch': 2, 'unreachable': 0, 'unlocked': 1, 'total': 5}
    assert result['changed'] is False
    lines = result['msg'].splitlines()
    assert lines[0] == '4 of 5 artifacts are not as the artifact manifest pins them:'
    containerd_url = '%s/files/%s' % (repo.url, CONTAINERD_PATH)
    assert lines[1] == (
        '- artifact containerd 2.3.7: %s has sha256 %s, the artifact manifest expects %s. The files repository holds a '
        'different file than the manifest: publish it again from the offline bundle (playbooks/artifacts_publish.yml) '
        'or correct artifacts/manifest.yml.' % (containerd_url, sha256(repo.content[CONTAINERD_PATH]), 'e' * 64))
    assert lines[2] == (
        '- artifact kubelet 1.36.3: %s/files/dl.k8s.io/release/v1.36.3/bin/linux/amd64/kubelet cannot be downloaded: '
        'HTTP Error 404: File not found. Check caas_files_repo_url and that the files repository serves '
        'dl.k8s.io/release/v1.36.3/bin/linux/amd64/kubelet.' % repo.url)
    assert lines[3] == (
        '- artifact cni-plugins 1.9.1: %s/files/%s has no sha256 for amd64 in the artifact manifest: it was never built '
        'or locked. Build it (scripts/lab build, for the lab) or lock it from a vetted offline bundle. The files '
        'repository serves sha256 %s: if that is the vetted file, lock it in artifacts/manifest.yml.'
        % (repo.url, CNI_PATH, sha256(repo.content[CNI_PATH])))
    assert 'has no member ./crictl (its files are ./bridge, ./loopback)' in lines[4]
    assert result['results'][3]['found'] == sha256(repo.content[CNI_PATH])
    # all of them were read, the failures too
    assert sorted(set(path for _method, path, _code in log)) == sorted(
        set('/files/' + p for p in (RUNC_PATH, CONTAINERD_PATH, CNI_PATH,
                                    'dl.k8s.io/release/v1.36.3/bin/linux/amd64/kubelet')))


def test_without_verify_content_only_heads(run_module, repo, pki, log):
    files = manifest_files(repo)
    files[0]['size'] = len(repo.content[RUNC_PATH])
    files[1]['size'] = 10
    files.append({'name': 'kubectl', 'version': '1.36.3', 'path': 'dl.k8s.io/kubectl', 'sha256': 'a' * 64})
    result = run_module('artifact_check', expect_failure=True, files_repo_url=repo.url + '/files', ca_path=pki['ca'],
                        files=files, verify_content=False)
    assert [r['status'] for r in result['results']] == ['ok', 'mismatch', 'missing']
    assert result['results'][0]['found'] == 'present (%d bytes)' % len(repo.content[RUNC_PATH])
    assert 'is %d bytes long, the artifact manifest expects 10' % len(repo.content[CONTAINERD_PATH]) in result['msg']
    assert set(method for method, _path, _code in log) == {'HEAD'}


def test_unreachable_repository_and_unknown_ca(run_module, repo, pki):
    port = free_port()
    result = run_module('artifact_check', expect_failure=True, files_repo_url='https://127.0.0.1:%d/files' % port,
                        ca_path=pki['ca'], files=manifest_files(repo), timeout=5)
    assert [r['status'] for r in result['results']] == ['unreachable', 'unreachable']
    assert 'Connection refused. Check caas_files_repo_url and that 127.0.0.1:%d is reachable from this host' % port \
        in result['msg']
    result = run_module('artifact_check', expect_failure=True, files_repo_url=repo.url + '/files',
                        ca_path=pki['other_ca'], files=manifest_files(repo))
    assert result['counts']['unreachable'] == 2
    assert 'Check that ca_path (%s) holds the CA that signed the certificate of 127.0.0.1:%d' % (
        pki['other_ca'], repo.port) in result['msg']


def test_needs_a_files_repository_and_a_mirror(run_module, repo):
    result = run_module('artifact_check', expect_failure=True, files=manifest_files(repo))
    assert 'files_repo_url is empty' in result['msg']
    result = run_module('artifact_check', expect_failure=True,
                        images=[{'name': 'pause', 'image': 'registry.k8s.io/pause', 'tag': '3.10.2'}])
    assert 'registry_mirror is empty' in result['msg']


@NEEDS_REGISTRY
def test_images_on_a_real_registry(run_module, registry, pki):
    pause = registry.push('registry.k8s.io/pause', '3.10.2')
    apiserver = registry.push('registry.k8s.io/kube-apiserver', 'v1.36.3', ('amd64', 'arm64'), index=True)
    coredns = registry.push('registry.k8s.io/coredns/coredns', 'v1.14.2')
    proxy = registry.push('registry.k8s.io/kube-proxy', 'v1.36.3')
    images = [
        {'name': 'pause', 'image': 'registry.k8s.io/pause', 'tag': '3.10.2',
         'digest': {'amd64': pause['manifests']['amd64']}},
        {'name': 'kube-apiserver', 'image': 'registry.k8s.io/kube-apiserver', 'tag': 'v1.36.3',
         'digest': {'amd64': apiserver['manifests']['amd64']}},
        # the lookup's shape: digest for the one architecture, and its reference fields
        {'name': 'kube-apiserver-index', 'image': 'registry.k8s.io/kube-apiserver', 'tag': 'v1.36.3',
         'digest': apiserver['index'], 'layer': 'kubernetes', 'reference': 'registry.k8s.io/kube-apiserver:v1.36.3',
         'mirror_reference': 'x'},
    ]
    mirror = registry.mirror
    result = run_module('artifact_check', registry_mirror=mirror, ca_path=pki['ca'], images=images)
    assert [r['status'] for r in result['results']] == ['ok', 'ok', 'ok']
    assert result['results'][1] == {
        'kind': 'image', 'name': 'kube-apiserver', 'version': 'v1.36.3', 'status': 'ok', 'msg': '',
        'reference': '%s/registry.k8s.io/kube-apiserver:v1.36.3' % mirror,
        'url': 'https://%s/v2/registry.k8s.io/kube-apiserver/manifests/v1.36.3' % mirror,
        'found': apiserver['manifests']['amd64'], 'expected': apiserver['manifests']['amd64']}

    wrong = 'sha256:' + '0' * 64
    images += [
        {'name': 'coredns', 'image': 'registry.k8s.io/coredns/coredns', 'tag': 'v1.14.2', 'digest': {'amd64': wrong}},
        {'name': 'etcd', 'image': 'registry.k8s.io/etcd', 'tag': '3.6.8-0', 'digest': {'amd64': wrong}},
        {'name': 'kube-proxy', 'image': 'registry.k8s.io/kube-proxy', 'tag': 'v1.36.3', 'digest': {'amd64': None}},
    ]
    result = run_module('artifact_check', expect_failure=True, registry_mirror='https://' + mirror, ca_path=pki['ca'],
                        images=images)
    assert [r['status'] for r in result['results']] == ['ok', 'ok', 'ok', 'mismatch', 'missing', 'unlocked']
    lines = result['msg'].splitlines()
    assert lines[0] == '3 of 6 artifacts are not as the artifact manifest pins them:'
    assert lines[1] == (
        '- image coredns v1.14.2: https://%s/v2/registry.k8s.io/coredns/coredns/manifests/v1.14.2 '
        '(%s/registry.k8s.io/coredns/coredns:v1.14.2) resolves to %s for linux/amd64, the artifact manifest expects '
        '%s. The mirror holds a different image than the manifest: publish the image again from the offline bundle '
        '(playbooks/artifacts_publish.yml) or correct artifacts/manifest.yml.'
        % (mirror, mirror, coredns['manifests']['amd64'], wrong))
    assert lines[2].startswith('- image etcd 3.6.8-0: https://%s/v2/registry.k8s.io/etcd/manifests/3.6.8-0 cannot be '
                               'read: HTTP Error 404: Not Found. Check caas_registry_mirror and that the mirror holds '
                               'registry.k8s.io/etcd:3.6.8-0' % mirror)
    assert 'The mirror serves %s for linux/amd64: if that is the vetted image, lock it' % proxy['manifests']['amd64'] \
        in lines[3]
    assert result['results'][5]['found'] == proxy['manifests']['amd64']

    # arm64 nodes: the index has an arm64 image, the single-platform pause has none
    result = run_module('artifact_check', expect_failure=True, registry_mirror=mirror, ca_path=pki['ca'], arch='arm64',
                        images=[dict(images[0], digest=None), dict(images[1], digest=apiserver['manifests']['arm64'])])
    assert [r['status'] for r in result['results']] == ['mismatch', 'ok']
    assert 'is an image for linux/amd64, not linux/arm64' in result['msg']


@NEEDS_REGISTRY
def test_a_lost_layer_is_found_only_when_content_is_verified(run_module, registry, pki):
    scheduler = registry.push('registry.k8s.io/kube-scheduler', 'v1.36.3')
    layer = scheduler['blobs'][0]
    registry.remove_blob(layer)
    image = {'name': 'kube-scheduler', 'image': 'registry.k8s.io/kube-scheduler', 'tag': 'v1.36.3',
             'digest': scheduler['manifests']['amd64']}
    quick = run_module('artifact_check', registry_mirror=registry.mirror, ca_path=pki['ca'], images=[image],
                       verify_content=False)
    assert quick['results'][0]['status'] == 'ok'
    full = run_module('artifact_check', expect_failure=True, registry_mirror=registry.mirror, ca_path=pki['ca'],
                      images=[image])
    assert full['results'][0]['status'] == 'missing'
    assert 'lacks the layer blob %s of registry.k8s.io/kube-scheduler:v1.36.3' % layer in full['msg']
    assert 'Publish the image again from the offline bundle (playbooks/artifacts_publish.yml).' in full['msg']
