# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values a platform component needs once and for ever (its internal passwords, keys, a token-signing certificate),
made on the node that keeps them in a Kubernetes Secret: never on the controller, never in a result or a command line.

A value is made only when the Secret lacks it or when it no longer fits the value it derives from (an htpasswd line
whose password changed, a certificate of another key); everything else is kept as it is, so a component's stored
credentials stay valid across runs.

What this code relies on:
  - libcrypt (libxcrypt, on every Debian since 11) makes and checks bcrypt hashes (``$2b$``), the one htpasswd
    format Docker's distribution (Harbor's registry) accepts.
  - openssl 3 makes RSA keys (``genrsa -traditional``: PKCS#1, the one form Docker's libtrust, which Harbor's core
    signs its registry tokens with, reads) and self-signed certificates (``req -x509``) from stdin to stdout, and
    prints a key's or a certificate's public key (``pkey -pubout``, ``x509 -pubkey``) in the same PEM form.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import secrets
import string

KINDS = ('token', 'htpasswd', 'rsa_private_key', 'self_signed_certificate')
TOKEN_ALPHABET = string.ascii_letters + string.digits
BCRYPT_COST = 10


class GenerationError(Exception):
    """A value could not be made or checked; the message names the key, never a value."""


def token(length):
    """length random letters and digits (what Harbor's prepare makes for its internal secrets)."""
    return ''.join(secrets.choice(TOKEN_ALPHABET) for _position in range(length))


def _libcrypt():
    name = ctypes.util.find_library('crypt') or 'libcrypt.so.1'
    try:
        library = ctypes.CDLL(name, use_errno=True)
    except OSError as exc:
        raise GenerationError('libcrypt (libxcrypt) is not on this node: %s' % exc)
    library.crypt.restype = ctypes.c_char_p
    library.crypt.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
    library.crypt_gensalt.restype = ctypes.c_char_p
    library.crypt_gensalt.argtypes = (ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p, ctypes.c_int)
    return library


def bcrypt_hash(password):
    """The bcrypt hash of password, with a random salt from libcrypt."""
    library = _libcrypt()
    setting = library.crypt_gensalt(b'$2b$', BCRYPT_COST, None, 0)
    hashed = library.crypt(password.encode('utf-8'), setting) if setting else None
    if not hashed or not hashed.startswith(b'$2b$'):
        raise GenerationError('libcrypt on this node makes no bcrypt hash (errno %d)' % ctypes.get_errno())
    return hashed.decode('ascii')


def bcrypt_matches(password, hashed):
    """Whether hashed is the bcrypt hash of password."""
    if not hashed.startswith(('$2a$', '$2b$', '$2y$')):
        return False
    result = _libcrypt().crypt(password.encode('utf-8'), hashed.encode('ascii'))
    return bool(result) and secrets.compare_digest(result.decode('ascii'), hashed)


def htpasswd_line(user, password):
    return '%s:%s' % (user, bcrypt_hash(password))


def htpasswd_matches(line, user, password):
    name, _colon, hashed = line.strip().partition(':')
    return name == user and bcrypt_matches(password, hashed)


def _openssl(run, argv, data=None, what='openssl'):
    rc, stdout, stderr = run(argv, data)
    if rc != 0:
        # openssl's errors name files and algorithms, never the key it read from stdin.
        raise GenerationError('%s failed (rc=%d): %s' % (what, rc, (stderr or '').strip()[-500:]))
    return stdout


def rsa_private_key(run, bits=4096):
    """A new RSA key, PEM (PKCS#1: BEGIN RSA PRIVATE KEY)."""
    return _openssl(run, ['openssl', 'genrsa', '-traditional', str(bits)], what='openssl genrsa')


def self_signed_certificate(run, key_pem, common_name, days):
    """A self-signed certificate of the key (PEM), valid for days."""
    return _openssl(run, ['openssl', 'req', '-x509', '-new', '-key', '/dev/stdin', '-subj', '/CN=%s' % common_name,
                          '-days', str(days), '-sha256'], data=key_pem, what='openssl req -x509')


def certificate_fits_key(run, certificate_pem, key_pem):
    """Whether the certificate is of the key (the same public key)."""
    try:
        from_certificate = _openssl(run, ['openssl', 'x509', '-noout', '-pubkey'], data=certificate_pem)
        from_key = _openssl(run, ['openssl', 'pkey', '-pubout'], data=key_pem)
    except GenerationError:
        return False
    return from_certificate.strip() == from_key.strip()


def fits(value, have, source, run):
    """Whether the value the Secret has for value['key'] can stay: of the kind and length asked, and made from the
    value it derives from as that is now."""
    kind = value['kind']
    if have is None:
        return False
    if kind == 'token':
        return len(have) == value['length']
    if kind == 'htpasswd':
        return htpasswd_matches(have, value['user'], source)
    if kind == 'rsa_private_key':
        # PKCS#1 only: a PKCS#8 key (BEGIN PRIVATE KEY) is made again, with the certificate of it.
        return '-----BEGIN RSA PRIVATE KEY-----' in have
    return certificate_fits_key(run, have, source)


def make(value, source, run):
    """A new value for value['key']."""
    kind = value['kind']
    if kind == 'token':
        return token(value['length'])
    if kind == 'htpasswd':
        return htpasswd_line(value['user'], source) + '\n'
    if kind == 'rsa_private_key':
        return rsa_private_key(run, value['bits'])
    return self_signed_certificate(run, source, value['common_name'], value['days'])


def plan(values, current, run):
    """(data, made): the Secret's data as it must be (key -> text) and the keys made now, in the order of values.
    current: the data the Secret holds (decoded). run(argv, data) -> (rc, stdout, stderr) runs openssl."""
    data, made = {}, []
    for value in values:
        key, kind = value['key'], value['kind']
        if kind not in KINDS:
            raise GenerationError('%s: unknown kind %s (one of %s)' % (key, kind, ', '.join(KINDS)))
        source = data.get(value.get('from') or '')
        if kind in ('htpasswd', 'self_signed_certificate') and source is None:
            raise GenerationError('%s derives from %s, which is not a key before it in values' % (key, value.get('from')))
        have = current.get(key)
        if fits(value, have, source, run):
            data[key] = have
        else:
            data[key] = make(value, source, run)
            made.append(key)
    return data, made
