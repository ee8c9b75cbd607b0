# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""certificate_state run for real, as Ansible runs it, over certificates made here with the cryptography library."""

from __future__ import annotations

import datetime
import grp
import ipaddress
import os
import pwd

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name
NOW = datetime.datetime.now(datetime.timezone.utc)
SANS = ('IP:10.250.0.31', 'IP:127.0.0.1', 'DNS:localhost', 'DNS:etcd1')


def write_key(path, key):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)


def name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(directory, common_name='etcd-ca', key=None):
    key = key or ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(name(common_name)).issuer_name(name(common_name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (directory / 'ca.crt').write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    write_key(directory / 'ca.key', key)
    return cert, key


def issue(directory, stem, ca, common_name='etcd1', sans=SANS, usages=(ExtendedKeyUsageOID.SERVER_AUTH,
          ExtendedKeyUsageOID.CLIENT_AUTH), days=365, key=None):
    ca_cert, ca_key = ca
    key = key or ec.generate_private_key(ec.SECP256R1())
    builder = (x509.CertificateBuilder().subject_name(name(common_name)).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=days))
               .add_extension(x509.ExtendedKeyUsage(list(usages)), critical=False))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address(s[3:])) if s.startswith('IP:') else x509.DNSName(s[4:]) for s in sans]),
            critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    (directory / (stem + '.crt')).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / (stem + '.crt')).chmod(0o644)
    write_key(directory / (stem + '.key'), key)
    return key


def want(directory, stem, **extra):
    return dict(dict(path=str(directory / (stem + '.crt')), key=str(directory / (stem + '.key')), common_name='etcd1',
                     sans=list(SANS), usages=['serverAuth', 'clientAuth'], renew_days=30, owner=USER, group=GROUP,
                     key_owner=USER, key_group=GROUP), **extra)


@pytest.fixture
def pki(tmp_path):
    ca = make_ca(tmp_path)
    issue(tmp_path, 'server', ca)
    return tmp_path, ca


def reasons(run_module, directory, *wants):
    result = run_module('certificate_state', ca=str(directory / 'ca.crt'), certificates=list(wants))
    assert result['changed'] is False
    return [c['reasons'] for c in result['certificates']]


def test_a_certificate_as_wanted_has_no_reason(run_module, pki):
    directory, _ca = pki
    result = run_module('certificate_state', ca=str(directory / 'ca.crt'), certificates=[want(directory, 'server')],
                        files=[str(directory), str(directory / 'ca.key'), str(directory / 'absent')])
    cert = result['certificates'][0]
    assert cert['reasons'] == [] and cert['exists'] and cert['key_in_place'] and cert['file_in_place']
    assert cert['not_after'].startswith((NOW + datetime.timedelta(days=365)).strftime('%Y-%m-%d'))
    files = result['files']
    assert files[str(directory)]['type'] == 'directory' and files[str(directory)]['sha256'] is None
    assert files[str(directory / 'ca.key')]['mode'] == '0600' and len(files[str(directory / 'ca.key')]['sha256']) == 64
    assert files[str(directory / 'absent')] is None
    # Never a key's content.
    assert (directory / 'ca.key').read_text().splitlines()[1] not in repr(result)


def test_expiring_within_the_renewal_window(run_module, pki):
    directory, ca = pki
    issue(directory, 'server', ca, days=20)
    assert reasons(run_module, directory, want(directory, 'server'))[0][0].endswith('within 30 days')
    assert reasons(run_module, directory, want(directory, 'server', renew_days=10)) == [[]]


def test_other_names_usages_or_common_name(run_module, pki):
    directory, ca = pki
    issue(directory, 'server', ca, common_name='etcd2', sans=SANS[:3] + ('DNS:etcd2',),
          usages=(ExtendedKeyUsageOID.CLIENT_AUTH,))
    found = reasons(run_module, directory, want(directory, 'server'))[0]
    assert found == ['its common name is etcd2, not etcd1', 'its names differ: missing DNS:etcd1, extra DNS:etcd2',
                     'its extended key usages differ']


def test_a_certificate_of_another_ca_or_another_key(run_module, pki):
    directory, _ca = pki
    other = tmp = directory / 'other'
    tmp.mkdir()
    issue(directory, 'server', make_ca(other, common_name='etcd-ca'))
    assert reasons(run_module, directory, want(directory, 'server')) == [['the CA did not sign it']]
    issue(directory, 'peer', pki[1])
    write_key(directory / 'peer.key', ec.generate_private_key(ec.SECP256R1()))
    assert reasons(run_module, directory, want(directory, 'peer')) == [['it does not match its private key']]


def test_a_certificate_of_another_ca_is_judged_against_its_own_ca_in_the_same_read(run_module, pki):
    directory, _ca = pki
    etcd = directory / 'etcd'
    etcd.mkdir()
    issue(etcd, 'client', make_ca(etcd, common_name='etcd-ca-2'))
    client = want(etcd, 'client', ca=str(etcd / 'ca.crt'))
    assert reasons(run_module, directory, want(directory, 'server'), client) == [[], []]
    # Against the module's CA it would be refused.
    assert reasons(run_module, directory, dict(client, ca=None)) == [['the CA did not sign it']]


def test_an_rsa_ca_is_checked_too(run_module, tmp_path):
    ca = make_ca(tmp_path, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    issue(tmp_path, 'server', ca)
    assert reasons(run_module, tmp_path, want(tmp_path, 'server')) == [[]]


def test_missing_files_and_attributes(run_module, pki):
    directory, _ca = pki
    (directory / 'server.key').chmod(0o640)
    result = run_module('certificate_state', ca=str(directory / 'ca.crt'),
                        certificates=[want(directory, 'server', mode='0600'), want(directory, 'admin', sans=[])])
    server, admin = result['certificates']
    assert server['reasons'] == [] and not server['key_in_place'] and not server['file_in_place']
    assert admin == {'path': str(directory / 'admin.crt'), 'exists': False, 'not_after': None, 'key_in_place': False,
                     'file_in_place': False, 'reasons': ['it is missing']}
    (directory / 'ca.crt').unlink()
    assert 'the CA certificate is missing or unreadable' in reasons(run_module, directory, want(directory, 'server'))[0]
