# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values made once for a Secret (module_utils/generated_secrets.py), with this machine's real libcrypt and openssl:
bcrypt lines that verify (and that Python's own crypt agrees with), keys and certificates that fit each other, and
a second plan that keeps everything."""

from __future__ import annotations

import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from ansible_collections.caas.platform.plugins.module_utils.generated_secrets import (
    GenerationError, bcrypt_hash, bcrypt_matches, htpasswd_matches, plan, token)

VALUES = [
    {'key': 'CORE_SECRET', 'kind': 'token', 'length': 16},
    {'key': 'REGISTRY_PASSWORD', 'kind': 'token', 'length': 32},
    {'key': 'REGISTRY_HTPASSWD', 'kind': 'htpasswd', 'user': 'harbor_registry_user', 'from': 'REGISTRY_PASSWORD'},
    {'key': 'TOKEN_KEY', 'kind': 'rsa_private_key', 'bits': 2048},
    {'key': 'TOKEN_CERT', 'kind': 'self_signed_certificate', 'from': 'TOKEN_KEY', 'common_name': 'harbor-token',
     'days': 30},
]


def run(argv, data=None):
    result = subprocess.run(argv, input=data, capture_output=True, text=True, check=False)
    return result.returncode, result.stdout, result.stderr


def test_tokens_are_letters_and_digits_of_the_length_asked():
    values = {token(16) for _attempt in range(50)}
    assert len(values) == 50 and all(len(v) == 16 and v.isalnum() and v.isascii() for v in values)


def test_bcrypt_lines_verify_with_libcrypt():
    hashed = bcrypt_hash('s3cret pass')
    assert hashed.startswith('$2b$10$') and len(hashed) == 60
    assert bcrypt_matches('s3cret pass', hashed)
    assert not bcrypt_matches('other', hashed)
    assert not bcrypt_matches('s3cret pass', '$6$salt$notbcrypt')
    assert htpasswd_matches('harbor_registry_user:%s\n' % hashed, 'harbor_registry_user', 's3cret pass')
    assert not htpasswd_matches('someone:%s' % hashed, 'harbor_registry_user', 's3cret pass')


def test_a_plan_makes_everything_once_and_then_keeps_it():
    data, made = plan(VALUES, {}, run)
    assert made == [v['key'] for v in VALUES]
    assert len(data['CORE_SECRET']) == 16 and len(data['REGISTRY_PASSWORD']) == 32
    user, _colon, hashed = data['REGISTRY_HTPASSWD'].strip().partition(':')
    assert user == 'harbor_registry_user' and bcrypt_matches(data['REGISTRY_PASSWORD'], hashed)
    key = serialization.load_pem_private_key(data['TOKEN_KEY'].encode(), password=None)
    certificate = x509.load_pem_x509_certificate(data['TOKEN_CERT'].encode())
    assert key.key_size == 2048
    # PKCS#1: Harbor's core signs its tokens with libtrust, which reads no other form.
    assert data['TOKEN_KEY'].startswith('-----BEGIN RSA PRIVATE KEY-----')
    assert certificate.public_key().public_numbers() == key.public_key().public_numbers()
    assert certificate.subject.rfc4514_string() == 'CN=harbor-token'
    again, made = plan(VALUES, data, run)
    assert made == [] and again == data


def test_a_changed_source_remakes_what_derives_from_it():
    data, _made = plan(VALUES, {}, run)
    changed = dict(data, REGISTRY_PASSWORD='x' * 32)
    again, made = plan(VALUES, changed, run)
    assert made == ['REGISTRY_HTPASSWD']
    assert bcrypt_matches('x' * 32, again['REGISTRY_HTPASSWD'].strip().split(':', 1)[1])
    other_key, _made = plan(VALUES[3:4], {}, run)
    again, made = plan(VALUES, dict(data, TOKEN_KEY=other_key['TOKEN_KEY']), run)
    assert made == ['TOKEN_CERT']
    # A PKCS#8 key (what this module made before) is made again in PKCS#1, and its certificate with it.
    pkcs8 = serialization.load_pem_private_key(data['TOKEN_KEY'].encode(), password=None).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    again, made = plan(VALUES, dict(data, TOKEN_KEY=pkcs8), run)
    assert made == ['TOKEN_KEY', 'TOKEN_CERT'] and again['TOKEN_KEY'].startswith('-----BEGIN RSA PRIVATE KEY-----')
    # A token of another length (a setting changed) is made again.
    assert plan(VALUES[:1], {'CORE_SECRET': 'short'}, run)[1] == ['CORE_SECRET']


def test_a_value_derived_from_nothing_before_it_is_refused():
    with pytest.raises(GenerationError, match='REGISTRY_HTPASSWD derives from REGISTRY_PASSWORD, which is not a key'):
        plan(VALUES[2:3], {}, run)


def test_openssls_error_never_holds_the_key():
    def failing(argv, data=None):
        return 1, '', 'unable to load key from /dev/stdin'
    data, _made = plan(VALUES[3:4], {}, run)
    with pytest.raises(GenerationError) as error:
        plan(VALUES[3:5], {'TOKEN_KEY': data['TOKEN_KEY']}, failing)
    assert 'PRIVATE KEY' not in str(error.value) and 'unable to load key' in str(error.value)
