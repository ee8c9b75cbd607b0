# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a certificate on a host still lacks, judged the way a re-issue would be: the rules of certificate_state.

Works on objects of the Python cryptography library (Debian 12 ships 38.0, so nothing newer is used).
"""

from __future__ import annotations

import datetime

# Extended key usages by the names community.crypto and the roles use.
USAGE_OIDS = {
    'serverAuth': '1.3.6.1.5.5.7.3.1',
    'clientAuth': '1.3.6.1.5.5.7.3.2',
}


def _x509():
    from cryptography import x509  # pylint: disable=import-outside-toplevel
    return x509


def load_certificate(pem):
    return _x509().load_pem_x509_certificate(pem)


def load_private_key(pem):
    from cryptography.hazmat.primitives.serialization import load_pem_private_key  # pylint: disable=import-outside-toplevel
    return load_pem_private_key(pem, password=None)


def not_after(cert):
    """The certificate's end of validity, timezone-aware (UTC)."""
    value = getattr(cert, 'not_valid_after_utc', None)
    if value is None:
        value = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return value


def common_name(cert):
    from cryptography.x509.oid import NameOID  # pylint: disable=import-outside-toplevel
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return names[0].value if names else None


def subject_alt_names(cert):
    """The certificate's subject alternative names as IP:<address> and DNS:<name>, as a set."""
    x509 = _x509()
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return (set('IP:%s' % address for address in extension.get_values_for_type(x509.IPAddress))
            | set('DNS:%s' % name for name in extension.get_values_for_type(x509.DNSName)))


def extended_key_usages(cert):
    x509 = _x509()
    try:
        extension = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return set()
    return set(oid.dotted_string for oid in extension)


def public_bytes(key):
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def signed_by(cert, ca):
    """Whether ca's key signed cert and cert names ca's subject as its issuer."""
    from cryptography.exceptions import InvalidSignature  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # pylint: disable=import-outside-toplevel
    if cert.issuer != ca.subject:
        return False
    public = ca.public_key()
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        elif isinstance(public, rsa.RSAPublicKey):
            public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
        else:
            public.verify(cert.signature, cert.tbs_certificate_bytes)
    except InvalidSignature:
        return False
    return True


def problems(cert, key, ca, want, now=None):
    """Why the certificate must be issued again, as sentences; empty when it is as wanted.

    want: common_name, sans (IP:/DNS: strings), usages (names of USAGE_OIDS) and renew_days (re-issue when it ends
    within that many days). key and ca may be None (missing): that is a problem too.
    """
    now = now or datetime.datetime.now(datetime.timezone.utc)
    found = []
    if key is None:
        found.append('its private key is missing or unreadable')
    elif public_bytes(key.public_key()) != public_bytes(cert.public_key()):
        found.append('it does not match its private key')
    if ca is None:
        found.append('the CA certificate is missing or unreadable')
    elif not signed_by(cert, ca):
        found.append('the CA did not sign it')
    if want.get('common_name') is not None and common_name(cert) != want['common_name']:
        found.append('its common name is %s, not %s' % (common_name(cert), want['common_name']))
    sans = subject_alt_names(cert)
    wanted_sans = set(want.get('sans') or [])
    if sans != wanted_sans:
        found.append('its names differ: %s' % ', '.join(
            ['missing ' + n for n in sorted(wanted_sans - sans)] + ['extra ' + n for n in sorted(sans - wanted_sans)]))
    usages = set(USAGE_OIDS.get(u, u) for u in want.get('usages') or [])
    if extended_key_usages(cert) != usages:
        found.append('its extended key usages differ')
    end = not_after(cert)
    if end <= now + datetime.timedelta(days=want.get('renew_days') or 0):
        found.append('it ends %s, within %s days' % (end.strftime('%Y-%m-%dT%H:%M:%SZ'), want.get('renew_days') or 0))
    return found
