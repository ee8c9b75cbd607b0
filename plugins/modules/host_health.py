#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_health
short_description: Read in one round trip what the health report needs of a host
version_added: 0.1.0
description:
  - Reads, and changes nothing. It returns the subject and end of validity of the host's certificates (PEM files, and the client
    certificates embedded in kubeconfigs), etcd's own view of its member from its metrics endpoint on loopback, the
    newest etcd snapshot in a directory, and the totals of the last CIS scan's report kept on the host.
  - Certificates are read with the standard library only, so hosts without the Python cryptography library
    (workers, load balancers) need nothing installed. Private keys beside a certificate in the same file are
    skipped, never returned.
  - Used by C(playbooks/health.yml); the C(caas.platform.health_report) filter judges what it returns.
options:
  certificates:
    description:
      - Certificate files to read, as paths or shell patterns (C(/etc/kubernetes/pki/*.crt)). Kubeconfigs are
        read for their C(client-certificate-data). A pattern that matches nothing is not an error.
    type: list
    elements: str
    default: []
  etcd_metrics_url:
    description: etcd's metrics endpoint on this host (plain HTTP on loopback); not read when omitted.
    type: str
  etcd_snapshot_dir:
    description: Directory of etcd snapshots (C(*.db)); the newest one's name and age are returned. Not read when omitted.
    type: path
  cis_report:
    description: The JSON report of the last kube-bench scan kept on the host (C(playbooks/cis_scan.yml)); not read when omitted.
    type: path
  timeout:
    description: Seconds to wait for the metrics endpoint.
    type: int
    default: 5
extends_documentation_fragment:
  - caas.platform.attributes.read_only
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  platform:
    support: full
    platforms: posix
    description: Any host of the site; Python's standard library only.
notes:
  - Needs root (C(become)) to read private PKI directories.
seealso:
  - module: caas.platform.cluster_health
  - module: caas.platform.certificate_state
"""

EXAMPLES = r"""
- name: Read a control-plane node's certificates and its etcd member
  caas.platform.host_health:
    certificates:
      - /etc/kubernetes/pki/*.crt
      - /etc/kubernetes/admin.conf
    etcd_metrics_url: http://127.0.0.1:2381/metrics
  become: true
  register: health
"""

RETURN = r"""
certificates:
  description: One entry per certificate found, sorted by path (a file may hold several, a CA bundle).
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file.
      type: str
    subject:
      description: The subject's common name, or null.
      type: str
    not_after:
      description: End of validity, ISO 8601 in UTC.
      type: str
    days_left:
      description: Whole days until then (negative once expired).
      type: int
    error:
      description: Why the file could not be read (then no other key but path).
      type: str
  sample: [{path: /etc/kubernetes/pki/apiserver.crt, subject: kube-apiserver, not_after: '2027-12-05T01:00:00+00:00',
            days_left: 364}]
etcd:
  description: The member's metrics; null when O(etcd_metrics_url) is omitted.
  returned: always
  type: dict
  contains:
    has_leader:
      description: Whether the member sees a leader.
      type: bool
    is_leader:
      description: Whether the member is the leader.
      type: bool
    db_size_bytes:
      description: Size of the database file.
      type: int
    quota_bytes:
      description: The backend quota (above it etcd stops accepting writes).
      type: int
    error:
      description: Why the endpoint could not be read.
      type: str
etcd_snapshot:
  description: The newest snapshot; null when O(etcd_snapshot_dir) is omitted.
  returned: always
  type: dict
  contains:
    dir:
      description: The directory.
      type: str
    count:
      description: Snapshots in it.
      type: int
    newest:
      description: The newest snapshot's file name, or null.
      type: str
    age_seconds:
      description: Its age, or null.
      type: int
cis:
  description: The last CIS scan; null when O(cis_report) is omitted.
  returned: always
  type: dict
  contains:
    present:
      description: Whether the report exists.
      type: bool
    age_seconds:
      description: Age of the report.
      type: int
    pass:
      description: Checks passed.
      type: int
    fail:
      description: Checks failed.
      type: int
    warn:
      description: Checks to review by hand.
      type: int
"""

import datetime
import glob
import json
import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

from ansible_collections.caas.platform.plugins.module_utils.files import read_file
from ansible_collections.caas.platform.plugins.module_utils.health import (CertificateError, certificate_facts,
                                                                           certificates_in, metric_values)

ETCD_METRICS = ('etcd_server_has_leader', 'etcd_server_is_leader', 'etcd_mvcc_db_total_size_in_bytes',
                'etcd_server_quota_backend_bytes')


def read_certificates(patterns, now):
    paths = sorted(set(path for pattern in patterns for path in (glob.glob(pattern) if glob.has_magic(pattern)
                                                                 else [pattern] if os.path.exists(pattern) else [])))
    found = []
    for path in paths:
        try:
            text = read_file(path)
            if text is None:
                raise CertificateError('cannot be read')
            facts = [certificate_facts(der) for der in certificates_in(text)]
        except (CertificateError, UnicodeDecodeError) as error:
            found.append({'path': path, 'error': str(error)})
            continue
        for fact in facts:
            found.append({'path': path, 'subject': fact['subject'], 'not_after': fact['not_after'].isoformat(),
                          'days_left': (fact['not_after'] - now).days})
    return found


def read_etcd(url, timeout):
    try:
        text = open_url(url, timeout=timeout, validate_certs=False).read().decode('utf-8', 'replace')
    except Exception as error:  # pylint: disable=broad-except  # any failure to read is what the report shows
        return {'error': '%s: %s' % (url, error)}
    values = metric_values(text, ETCD_METRICS)
    if 'etcd_server_has_leader' not in values:
        return {'error': '%s has no etcd_server_has_leader metric: not etcd' % url}
    return {'has_leader': values['etcd_server_has_leader'] == 1, 'is_leader': values.get('etcd_server_is_leader') == 1,
            'db_size_bytes': int(values.get('etcd_mvcc_db_total_size_in_bytes', 0)),
            'quota_bytes': int(values.get('etcd_server_quota_backend_bytes', 0))}


def read_snapshots(directory, now):
    snapshots = sorted(glob.glob(os.path.join(directory, '*.db')), key=os.path.getmtime)
    newest = snapshots[-1] if snapshots else None
    return {'dir': directory, 'count': len(snapshots), 'newest': os.path.basename(newest) if newest else None,
            'age_seconds': int(now - os.path.getmtime(newest)) if newest else None}


def read_cis(path, now):
    data = read_file(path)
    if data is None:
        return {'present': False}
    try:
        report = json.loads(data)
    except ValueError as error:
        return {'present': True, 'error': 'not JSON: %s' % error}
    totals = report.get('Totals', {}) if isinstance(report, dict) else {}
    return {'present': True, 'age_seconds': int(now - os.path.getmtime(path)), 'pass': totals.get('total_pass', 0),
            'fail': totals.get('total_fail', 0), 'warn': totals.get('total_warn', 0)}


def main():
    module = AnsibleModule(argument_spec=dict(
        certificates=dict(type='list', elements='str', default=[]),
        etcd_metrics_url=dict(type='str'),
        etcd_snapshot_dir=dict(type='path'),
        cis_report=dict(type='path'),
        timeout=dict(type='int', default=5),
    ), supports_check_mode=True)
    p = module.params
    now = time.time()
    module.exit_json(
        changed=False,
        certificates=read_certificates(p['certificates'],
                                       datetime.datetime.fromtimestamp(now, tz=datetime.timezone.utc)),
        etcd=read_etcd(p['etcd_metrics_url'], p['timeout']) if p['etcd_metrics_url'] else None,
        etcd_snapshot=read_snapshots(p['etcd_snapshot_dir'], now) if p['etcd_snapshot_dir'] else None,
        cis=read_cis(p['cis_report'], now) if p['cis_report'] else None,
    )


if __name__ == '__main__':
    main()
