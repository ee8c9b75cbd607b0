# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""artifact_install run for real, as Ansible runs it, against a real HTTPS files repository on 127.0.0.1."""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import stat
from pathlib import Path

import pytest

from ansible_collections.caas.platform.tests.unit.plugins.module_utils.test_artifacts import (
    CNI_PATH, CONTAINERD_PATH, RUNC_PATH, FilesServer, binary, content, make_pki)

COLLECTIONS = Path(__file__).resolve().parents[4] / 'collections'
USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


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


@pytest.fixture
def log(repo):
    """The server's access log, emptied for the test."""
    del repo.log[:]
    return repo.log


def runc(repo, pki, tmp_path, **args):
    return dict(dict(name='runc', version='1.4.3', url='%s/files/%s' % (repo.url, RUNC_PATH),
                     sha256=sha256(repo.content[RUNC_PATH]), dest=str(tmp_path / 'bin' / 'runc'),
                     cache_dir=str(tmp_path / 'cache'), ca_path=pki['ca'], owner=USER, group=GROUP), **args)


def containerd(repo, pki, tmp_path, **args):
    return dict(dict(name='containerd', version='2.3.7', url='%s/files/%s' % (repo.url, CONTAINERD_PATH),
                     sha256=sha256(repo.content[CONTAINERD_PATH]),
                     members={'bin/containerd': str(tmp_path / 'bin' / 'containerd'),
                              './bin/ctr': str(tmp_path / 'bin' / 'ctr')},
                     cache_dir=str(tmp_path / 'cache'), ca_path=pki['ca'], owner=USER, group=GROUP), **args)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def tree(path):
    """Every file and directory under path, relative."""
    return sorted(os.path.relpath(os.path.join(d, n), str(path)) for d, dirs, names in os.walk(str(path))
                  for n in dirs + names)


def test_plain_binary_installs_then_reruns_download_nothing(run_module, repo, pki, tmp_path, log):
    args = runc(repo, pki, tmp_path)
    want = args['sha256']
    dest, cached = tmp_path / 'bin' / 'runc', tmp_path / 'cache' / ('%s-runc.amd64' % want)
    first = run_module('artifact_install', _ansible_diff=True, **args)
    assert first['changed'] and first['installed'] == [str(dest)] and first['downloaded'] is True
    assert first['sha256'] == {str(dest): want} and first['cached'] == str(cached)
    assert dest.read_bytes() == repo.content[RUNC_PATH] and mode(dest) == 0o755
    assert cached.read_bytes() == repo.content[RUNC_PATH] and mode(cached) == 0o644
    assert first['diff'] == [{'before': {'sha256': 'absent'}, 'after': {'sha256': want},
                              'before_header': str(dest), 'after_header': str(dest)}]
    assert log == [('GET', '/files/' + RUNC_PATH, 200)]
    assert tree(tmp_path) == ['bin', 'bin/runc', 'cache', 'cache/' + cached.name]

    del log[:]
    second = run_module('artifact_install', **args)
    assert second['changed'] is False and second['installed'] == [] and second['downloaded'] is False
    assert log == []

    # Without its cache, a host whose binary is right downloads nothing either.
    cached.unlink()
    third = run_module('artifact_install', **args)
    assert third['changed'] is False and third['downloaded'] is False and log == []

    # A mode changed by hand is put back, from the cache-less host, still without a download.
    os.chmod(dest, 0o700)
    fourth = run_module('artifact_install', _ansible_diff=True, **args)
    assert fourth['changed'] and fourth['installed'] == [] and fourth['attributes_changed'] == [str(dest)]
    assert mode(dest) == 0o755 and log == []
    assert fourth['diff'][0]['before'] == {'sha256': want, 'mode': '0700'}
    assert fourth['diff'][0]['after'] == {'sha256': want, 'mode': '0755'}


def test_archive_members_install_only_what_differs(run_module, repo, pki, tmp_path, log):
    members = repo.content['members']['containerd']
    args = containerd(repo, pki, tmp_path, mode='0750')
    daemon, ctr = tmp_path / 'bin' / 'containerd', tmp_path / 'bin' / 'ctr'
    first = run_module('artifact_install', **args)
    assert first['changed'] and sorted(first['installed']) == [str(daemon), str(ctr)] and first['downloaded']
    assert first['sha256'] == {str(daemon): sha256(members['bin/containerd']), str(ctr): sha256(members['bin/ctr'])}
    assert daemon.read_bytes() == members['bin/containerd'] and ctr.read_bytes() == members['bin/ctr']
    assert mode(daemon) == mode(ctr) == 0o750
    assert log == [('GET', '/files/' + CONTAINERD_PATH, 200)]

    del log[:]
    second = run_module('artifact_install', **args)
    assert second['changed'] is False and second['downloaded'] is False and log == []

    # One binary damaged: only it is written again, from the cache; the other keeps its inode.
    inode = os.stat(daemon).st_ino
    ctr.write_bytes(b'not ctr')
    third = run_module('artifact_install', _ansible_diff=True, **args)
    assert third['changed'] and third['installed'] == [str(ctr)] and third['downloaded'] is False and log == []
    assert ctr.read_bytes() == members['bin/ctr'] and os.stat(daemon).st_ino == inode
    assert third['diff'] == [{'before': {'sha256': sha256(b'not ctr')}, 'after': {'sha256': sha256(members['bin/ctr'])},
                              'before_header': str(ctr), 'after_header': str(ctr)}]
    assert tree(tmp_path / 'bin') == ['containerd', 'ctr']


def test_a_rerun_reads_the_archive_only_when_an_installed_member_differs(run_module, repo, pki, tmp_path, log):
    members = repo.content['members']['containerd']
    args = containerd(repo, pki, tmp_path)
    run_module('artifact_install', **args)
    cached = tmp_path / 'cache' / ('%s-%s' % (args['sha256'], CONTAINERD_PATH.rsplit('/', 1)[1]))
    index = json.loads(Path(str(cached) + '.members.json').read_text())
    # Keyed by the member names as the task gives them.
    assert index == {'archive_size': cached.stat().st_size,
                     'members': {name: sha256(members[name.lstrip('./')]) for name in args['members']}}
    # The cached archive damaged (same size): a re-run whose binaries match the index does not read it ...
    good = cached.read_bytes()
    cached.write_bytes(b'\0' * len(good))
    assert run_module('artifact_install', **args)['changed'] is False and log == [('GET', '/files/' + CONTAINERD_PATH, 200)]
    # ... a damaged binary sends the run to the archive, which fails its checksum and is downloaded again.
    (tmp_path / 'bin' / 'ctr').write_bytes(b'not ctr')
    result = run_module('artifact_install', **args)
    assert result['installed'] == [str(tmp_path / 'bin' / 'ctr')] and result['downloaded']
    assert cached.read_bytes() == good and (tmp_path / 'bin' / 'ctr').read_bytes() == members['bin/ctr']


def test_member_names_match_with_or_without_dot_slash(run_module, repo, pki, tmp_path):
    cni = repo.content['members']['cni']
    result = run_module('artifact_install', name='cni-plugins', version='1.9.1',
                        url='%s/files/%s' % (repo.url, CNI_PATH), sha256=sha256(repo.content[CNI_PATH]),
                        members={'bridge': str(tmp_path / 'cni' / 'bridge'),
                                 './loopback': str(tmp_path / 'cni' / 'loopback')},
                        cache_dir=str(tmp_path / 'cache'), ca_path=pki['ca'], owner=USER, group=GROUP)
    assert result['changed'] and (tmp_path / 'cni' / 'bridge').read_bytes() == cni['./bridge']
    assert (tmp_path / 'cni' / 'loopback').read_bytes() == cni['./loopback']


def test_check_mode_on_a_fresh_host_writes_nothing_and_tells_the_truth(run_module, repo, pki, tmp_path, log):
    members = repo.content['members']['containerd']
    result = run_module('artifact_install', _ansible_check_mode=True, _ansible_diff=True,
                        **containerd(repo, pki, tmp_path))
    daemon, ctr = str(tmp_path / 'bin' / 'containerd'), str(tmp_path / 'bin' / 'ctr')
    assert result['changed'] and sorted(result['installed']) == [daemon, ctr] and result['downloaded'] is True
    assert result['sha256'] == {daemon: sha256(members['bin/containerd']), ctr: sha256(members['bin/ctr'])}
    assert sorted((d['after_header'], d['before']['sha256'], d['after']['sha256']) for d in result['diff']) == [
        (daemon, 'absent', sha256(members['bin/containerd'])), (ctr, 'absent', sha256(members['bin/ctr']))]
    assert tree(tmp_path) == [] and log == [('GET', '/files/' + CONTAINERD_PATH, 200)]

    plain = run_module('artifact_install', _ansible_check_mode=True, **runc(repo, pki, tmp_path))
    assert plain['changed'] and plain['installed'] == [str(tmp_path / 'bin' / 'runc')] and tree(tmp_path) == []

    # After a real run, check mode predicts no change, and reads the cache, not the server.
    run_module('artifact_install', **containerd(repo, pki, tmp_path))
    del log[:]
    again = run_module('artifact_install', _ansible_check_mode=True, **containerd(repo, pki, tmp_path))
    assert again['changed'] is False and again['downloaded'] is False and log == []


def test_check_mode_refuses_a_bad_checksum(run_module, repo, pki, tmp_path):
    result = run_module('artifact_install', expect_failure=True, _ansible_check_mode=True,
                        **runc(repo, pki, tmp_path, sha256='0' * 64))
    assert 'has sha256 %s, the artifact manifest expects %s' % (sha256(repo.content[RUNC_PATH]), '0' * 64) in result['msg']
    assert tree(tmp_path) == []


def test_wrong_checksum_fails_before_touching_the_destination(run_module, repo, pki, tmp_path):
    dest = tmp_path / 'bin' / 'runc'
    dest.parent.mkdir()
    dest.write_bytes(b'the runc the running containerd uses\n')
    os.chmod(dest, 0o755)
    before = os.stat(dest)
    args = runc(repo, pki, tmp_path, sha256='ab' * 32)
    result = run_module('artifact_install', expect_failure=True, **args)
    assert result['msg'] == (
        'artifact runc 1.4.3: %s has sha256 %s, the artifact manifest expects %s. The files repository holds a '
        'different file than the manifest: publish it again from the offline bundle (playbooks/artifacts_publish.yml) '
        'or correct artifacts/manifest.yml. Nothing was installed.' % (args['url'], sha256(repo.content[RUNC_PATH]),
                                                                       'ab' * 32))
    assert result['status'] == 'mismatch' and result['changed'] is False
    assert dest.read_bytes() == b'the runc the running containerd uses\n'
    after = os.stat(dest)
    assert (after.st_ino, after.st_mtime_ns, after.st_mode) == (before.st_ino, before.st_mtime_ns, before.st_mode)
    # no temporary file left behind, nothing cached
    assert tree(tmp_path) == ['bin', 'bin/runc', 'cache']


def test_wrong_checksum_of_an_archive_touches_no_member(run_module, repo, pki, tmp_path):
    args = containerd(repo, pki, tmp_path)
    run_module('artifact_install', **args)
    daemon = tmp_path / 'bin' / 'containerd'
    daemon.write_bytes(b'old containerd')
    before = os.stat(daemon)
    result = run_module('artifact_install', expect_failure=True, **dict(args, sha256='cd' * 32))
    assert 'Nothing was installed.' in result['msg'] and daemon.read_bytes() == b'old containerd'
    assert os.stat(daemon).st_mtime_ns == before.st_mtime_ns
    assert tree(tmp_path / 'bin') == ['containerd', 'ctr']


def test_404_names_the_artifact_the_url_and_the_fix(run_module, repo, pki, tmp_path):
    url = '%s/files/dl.k8s.io/release/v1.36.3/bin/linux/amd64/kubelet' % repo.url
    result = run_module('artifact_install', expect_failure=True,
                        **runc(repo, pki, tmp_path, name='kubelet', version='1.36.3', url=url))
    # Python's http.server words its 404 'File not found'
    assert result['msg'] == (
        'artifact kubelet 1.36.3: %s cannot be downloaded: HTTP Error 404: File not found. Check caas_files_repo_url '
        'and that the files repository serves files/dl.k8s.io/release/v1.36.3/bin/linux/amd64/kubelet. Nothing was '
        'installed.' % url)
    assert result['status'] == 'missing' and tree(tmp_path) == ['cache']


def test_unreachable_repository_and_unknown_ca(run_module, repo, pki, tmp_path):
    result = run_module('artifact_install', expect_failure=True, **runc(repo, pki, tmp_path, ca_path=pki['other_ca']))
    assert 'CERTIFICATE_VERIFY_FAILED' in result['msg'] and 'Check that ca_path (%s)' % pki['other_ca'] in result['msg']
    assert result['status'] == 'unreachable'


@pytest.mark.parametrize('bad', ['sha256:' + 'a' * 64, 'a' * 63, 'g' * 64, 'none', ''])
def test_a_bad_sha256_is_refused_before_anything_is_done(run_module, repo, pki, tmp_path, log, bad):
    result = run_module('artifact_install', expect_failure=True, **runc(repo, pki, tmp_path, sha256=bad))
    assert result['msg'].startswith("artifact runc 1.4.3: sha256 %r is not a sha256 (64 hexadecimal digits)" % bad)
    assert 'Nothing was installed.' in result['msg'] and log == [] and tree(tmp_path) == []


def test_damaged_cache_is_downloaded_again(run_module, repo, pki, tmp_path, log):
    args = runc(repo, pki, tmp_path)
    cached = tmp_path / 'cache' / ('%s-runc.amd64' % args['sha256'])
    cached.parent.mkdir()
    cached.write_bytes(b'truncated')
    result = run_module('artifact_install', **args)
    assert result['changed'] and result['downloaded'] and cached.read_bytes() == repo.content[RUNC_PATH]
    assert len(log) == 1


def test_a_new_version_replaces_the_binary_and_the_cached_old_one(run_module, repo, pki, tmp_path):
    run_module('artifact_install', **runc(repo, pki, tmp_path))
    newer = binary(1024 * 1024, 'runc 1.4.4')
    path = 'github.com/opencontainers/runc/releases/download/v1.4.4/runc.amd64'
    url = repo.publish('files/' + path, newer)
    dest = tmp_path / 'bin' / 'runc'
    args = runc(repo, pki, tmp_path, version='1.4.4', url=url, sha256=sha256(newer))
    result = run_module('artifact_install', _ansible_diff=True, **args)
    assert result['installed'] == [str(dest)] and dest.read_bytes() == newer
    assert result['diff'][0]['before']['sha256'] == sha256(repo.content[RUNC_PATH])
    assert result['diff'][0]['after']['sha256'] == sha256(newer)
    assert tree(tmp_path / 'cache') == ['%s-runc.amd64' % sha256(newer)]


def test_a_member_the_archive_lacks_fails_before_touching_anything(run_module, repo, pki, tmp_path):
    args = containerd(repo, pki, tmp_path, members={'bin/containerd': str(tmp_path / 'bin' / 'containerd'),
                                                    'bin/runc': str(tmp_path / 'bin' / 'runc')})
    result = run_module('artifact_install', expect_failure=True, **args)
    assert 'has no member bin/runc (its files are bin/containerd, bin/containerd-shim-runc-v2, bin/ctr)' in result['msg']
    assert result['msg'].endswith('Nothing was installed.') and not (tmp_path / 'bin').exists()


def test_dest_and_members_are_exclusive(run_module, repo, pki, tmp_path):
    result = run_module('artifact_install', expect_failure=True,
                        **containerd(repo, pki, tmp_path, dest=str(tmp_path / 'x')))
    assert 'mutually exclusive' in result['msg']
    result = run_module('artifact_install', expect_failure=True,
                        **dict((k, v) for k, v in runc(repo, pki, tmp_path).items() if k != 'dest'))
    assert 'give dest (a plain binary) or members' in result['msg']


def test_members_as_a_list_go_to_the_install_dir_under_their_base_names(run_module, repo, pki, tmp_path):
    members = repo.content['members']['containerd']
    args = containerd(repo, pki, tmp_path, members=['bin/containerd', './bin/ctr'], install_dir=str(tmp_path / 'bin'))
    result = run_module('artifact_install', **args)
    assert sorted(result['installed']) == [str(tmp_path / 'bin' / 'containerd'), str(tmp_path / 'bin' / 'ctr')]
    assert (tmp_path / 'bin' / 'ctr').read_bytes() == members['bin/ctr']
    # The same install given as a dict changes nothing: one rule for both forms.
    same = containerd(repo, pki, tmp_path, members={'bin/containerd': str(tmp_path / 'bin' / 'containerd'),
                                                    'bin/ctr': str(tmp_path / 'bin' / 'ctr')})
    assert run_module('artifact_install', **same)['changed'] is False
    without_dir = run_module('artifact_install', expect_failure=True,
                             **containerd(repo, pki, tmp_path, members=['bin/ctr']))
    assert 'members is a list: give install_dir' in without_dir['msg']
    both = run_module('artifact_install', expect_failure=True, **dict(same, install_dir=str(tmp_path)))
    assert 'install_dir goes with members given as a list' in both['msg']


def entries(repo, tmp_path, runc_sha256=None):
    """runc, a plain binary, and containerd, an archive, as the caas.platform.artifacts lookup returns them."""
    return [dict(name='runc', version='1.4.3', layer='runtime', path=RUNC_PATH, members=[],
                 url='%s/files/%s' % (repo.url, RUNC_PATH), sha256=runc_sha256 or sha256(repo.content[RUNC_PATH])),
            dict(name='containerd', version='2.3.7', layer='runtime', path=CONTAINERD_PATH,
                 members=['bin/containerd', 'bin/ctr'], url='%s/files/%s' % (repo.url, CONTAINERD_PATH),
                 sha256=sha256(repo.content[CONTAINERD_PATH]))]


def several(repo, pki, tmp_path, **args):
    return dict(dict(artifacts=entries(repo, tmp_path), install_dir=str(tmp_path / 'bin'),
                     install_dirs={'runc': str(tmp_path / 'sbin')}, cache_dir=str(tmp_path / 'cache'),
                     ca_path=pki['ca'], owner=USER, group=GROUP), **args)


def test_several_artifacts_install_in_one_run_and_rerun_reading_nothing(run_module, repo, pki, tmp_path, log):
    (tmp_path / 'bin').mkdir()
    (tmp_path / 'sbin').mkdir()
    runc_dest, ctr = tmp_path / 'sbin' / 'runc', tmp_path / 'bin' / 'ctr'
    first = run_module('artifact_install', **several(repo, pki, tmp_path))
    assert first['changed'] and sorted(first['installed']) == sorted(
        [str(runc_dest), str(tmp_path / 'bin' / 'containerd'), str(ctr)])
    assert runc_dest.read_bytes() == repo.content[RUNC_PATH]
    assert ctr.read_bytes() == repo.content['members']['containerd']['bin/ctr']
    assert [(a['name'], a['downloaded']) for a in first['artifacts']] == [('runc', True), ('containerd', True)]
    assert first['artifacts'][0]['paths'] == [str(runc_dest)]
    assert 'cached' not in first and sorted(p for _m, p, _s in log) == sorted(
        ['/files/' + RUNC_PATH, '/files/' + CONTAINERD_PATH])

    del log[:]
    second = run_module('artifact_install', **several(repo, pki, tmp_path))
    assert second['changed'] is False and second['installed'] == [] and second['downloaded'] is False and log == []


def test_several_artifacts_one_bad_checksum_installs_none(run_module, repo, pki, tmp_path):
    (tmp_path / 'bin').mkdir()
    (tmp_path / 'sbin').mkdir()
    args = several(repo, pki, tmp_path)
    # containerd, listed second, is good; runc's checksum is not: neither is installed.
    args['artifacts'] = entries(repo, tmp_path, runc_sha256='0' * 64)
    result = run_module('artifact_install', expect_failure=True, **args)
    assert 'artifact runc 1.4.3' in result['msg'] and result['msg'].endswith('Nothing was installed.')
    assert tree(tmp_path / 'bin') == [] and tree(tmp_path / 'sbin') == []


def test_several_artifacts_refuse_bad_entries_and_a_shared_destination(run_module, repo, pki, tmp_path):
    args = several(repo, pki, tmp_path)
    args['artifacts'] = [dict(entries(repo, tmp_path)[0], url='')]
    assert 'artifacts[0] (runc) has no url' in run_module('artifact_install', expect_failure=True, **args)['msg']
    no_dir = run_module('artifact_install', expect_failure=True,
                        **dict(several(repo, pki, tmp_path), install_dir=None, install_dirs={}))
    assert 'artifact runc: give install_dir, or install_dirs[runc]' in no_dir['msg']
    twice = dict(several(repo, pki, tmp_path), install_dirs={})
    twice['artifacts'] = entries(repo, tmp_path) + [dict(entries(repo, tmp_path)[0], version='1.4.4')]
    assert 'more than one artifact or member would be installed as %s' % (tmp_path / 'bin' / 'runc') in run_module(
        'artifact_install', expect_failure=True, **twice)['msg']
    both = run_module('artifact_install', expect_failure=True, **dict(several(repo, pki, tmp_path), name='runc'))
    assert 'mutually exclusive' in both['msg']
    assert not (tmp_path / 'bin').exists()
