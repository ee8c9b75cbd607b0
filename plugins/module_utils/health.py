# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers for the health report that need nothing but the standard library: the host_health module runs on every
host, and workers and load balancers have no Python cryptography library (installing one would make a read-only
report change hosts).

- Certificates: the subject's common name and the end of validity of each X.509 certificate in PEM text (a
  kubelet's ``*-current.pem`` holds its key too: only CERTIFICATE blocks are read) or embedded in a kubeconfig
  (``client-certificate-data``), read from the DER with a minimal ASN.1 walk.
- Prometheus text: the value of named metrics (etcd's ``/metrics``).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re

PEM_CERTIFICATE = re.compile(r'-----BEGIN CERTIFICATE-----\s+(.*?)\s+-----END CERTIFICATE-----', re.S)
KUBECONFIG_CERTIFICATE = re.compile(r'^\s*client-certificate-data:\s*(\S+)\s*$', re.M)
COMMON_NAME_OID = b'\x55\x04\x03'   # 2.5.4.3
SEQUENCE, SET, OID, UTC_TIME, GENERALIZED_TIME, VERSION = 0x30, 0x31, 0x06, 0x17, 0x18, 0xa0


class CertificateError(ValueError):
    """The bytes are not an X.509 certificate this reader understands."""


def _element(data, pos):
    """(tag, start of the value, end of the value) of the DER element at pos."""
    if pos + 2 > len(data):
        raise CertificateError('truncated DER')
    tag, length, pos = data[pos], data[pos + 1], pos + 2
    if length & 0x80:
        size = length & 0x7f
        if not 0 < size <= 4 or pos + size > len(data):
            raise CertificateError('bad DER length')
        length, pos = int.from_bytes(data[pos:pos + size], 'big'), pos + size
    if pos + length > len(data):
        raise CertificateError('truncated DER')
    return tag, pos, pos + length


def _children(data, start, end):
    """The elements inside the constructed value data[start:end], as (tag, start, end)."""
    found, pos = [], start
    while pos < end:
        tag, value_start, value_end = _element(data, pos)
        found.append((tag, value_start, value_end))
        pos = value_end
    return found


def _time(tag, value):
    text = value.decode('ascii')
    if tag == UTC_TIME:          # YYMMDDHHMMSSZ; RFC 5280: 50-99 are 19xx
        year = int(text[:2])
        text = ('19' if year >= 50 else '20') + text
    elif tag != GENERALIZED_TIME:
        raise CertificateError('validity is not a time')
    return datetime.datetime.strptime(text, '%Y%m%d%H%M%SZ').replace(tzinfo=datetime.timezone.utc)


def certificate_facts(der):
    """{'subject': common name or None, 'not_after': aware datetime} of one DER certificate."""
    tag, start, end = _element(der, 0)
    if tag != SEQUENCE:
        raise CertificateError('not a certificate')
    tbs = _children(der, start, end)[0]
    fields = _children(der, tbs[1], tbs[2])
    if fields and fields[0][0] == VERSION:
        fields = fields[1:]
    if len(fields) < 5 or fields[3][0] != SEQUENCE or fields[4][0] != SEQUENCE:
        raise CertificateError('not a certificate')
    validity = _children(der, fields[3][1], fields[3][2])
    if len(validity) != 2:
        raise CertificateError('no validity')
    not_after_tag, value_start, value_end = validity[1]
    subject = None
    for name_set in _children(der, fields[4][1], fields[4][2]):
        for attribute in _children(der, name_set[1], name_set[2]):
            parts = _children(der, attribute[1], attribute[2])
            if len(parts) == 2 and parts[0][0] == OID and der[parts[0][1]:parts[0][2]] == COMMON_NAME_OID:
                subject = der[parts[1][1]:parts[1][2]].decode('utf-8', 'replace')
    return {'subject': subject, 'not_after': _time(not_after_tag, der[value_start:value_end])}


def certificates_in(text):
    """The DER of every certificate in PEM text or in a kubeconfig's client-certificate-data."""
    found = []
    for block in PEM_CERTIFICATE.findall(text):
        found.append(_base64(block))
    for data in KUBECONFIG_CERTIFICATE.findall(text):
        found.extend(certificates_in(_base64(data).decode('ascii', 'replace')))
    return found


def _base64(text):
    try:
        return base64.b64decode(''.join(text.split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise CertificateError('bad base64: %s' % error) from error


def metric_values(text, names):
    """{name: value} of the unlabelled samples of the named metrics in Prometheus text; absent names are left out."""
    values = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in names:
            try:
                values[parts[0]] = float(parts[1])
            except ValueError:
                continue
    return values
