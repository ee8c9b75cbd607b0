#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_scan
short_description: Scan an artifact in Harbor and read its vulnerability report
version_added: 0.1.0
description:
  - Reads an artifact's vulnerability scan (its status, overall severity, counts by severity and, with
    O(vulnerabilities), each vulnerability with its package, installed version and fixed version) as Harbor's
    default scanner reported it.
  - With O(scan), asks Harbor to scan the artifact when it has no finished report (or always, with O(rescan));
    that is a change. With O(wait), waits until the scan has finished, up to O(timeout) seconds, and fails with
    Harbor's status if it did not succeed.
options:
  project:
    description: The artifact's project.
    type: str
    required: true
  repository:
    description: The repository in the project (may hold C(/)).
    type: str
    required: true
  reference:
    description: The artifact's tag or digest (C(sha256:...)).
    type: str
    required: true
  scan:
    description: Ask for a scan when the artifact has no finished report.
    type: bool
    default: false
  rescan:
    description: Ask for a scan even when a report exists.
    type: bool
    default: false
  wait:
    description: Wait until the scan has finished (succeeded or failed).
    type: bool
    default: true
  timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 300
  interval:
    description: Seconds between two reads with O(wait).
    type: int
    default: 3
  vulnerabilities:
    description: Return each vulnerability of the report.
    type: bool
    default: true
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the report; asks for no scan.
  diff_mode:
    support: none
    description: A scan changes no setting; there is nothing to show.
notes:
  - Needs a login that may read the project and, with O(scan), scan in it (a member, the admin, or a robot with the
    C(scan) permission).
"""

EXAMPLES = r"""
- name: Scan what was pushed and fail on a HIGH vulnerability
  caas.platform.harbor_scan:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    project: team-a
    repository: app/web
    reference: "1.4.2"
    scan: true
  register: report
  failed_when: report.summary.High | default(0) > 0
"""

RETURN = r"""
scan_status:
  description: Harbor's status of the report (C(Success), C(Error), C(Running), C(Pending)...), null when never scanned.
  returned: always
  type: str
  sample: Success
severity:
  description: The highest severity found (C(None), C(Low), C(Medium), C(High), C(Critical), C(Unknown)).
  returned: always
  type: str
  sample: High
summary:
  description: How many vulnerabilities of each severity, with C(total) and C(fixable).
  returned: always
  type: dict
  sample: {total: 1, fixable: 1, High: 1}
vulnerabilities:
  description: Each vulnerability (id, package, version, fix_version, severity, description), with O(vulnerabilities).
  returned: when the report succeeded and O(vulnerabilities) is set
  type: list
  elements: dict
  sample: [{id: CAAS-LAB-0001, package: caas-scan-target, version: 1.0-1, fix_version: 1.0-2, severity: High}]
"""

import time
from urllib.parse import quote

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, fail_with)

REPORT = 'application/vnd.security.vulnerability.report; version=1.1'
FINISHED = ('Success', 'Error', 'Stopped')


def artifact_path(params):
    """The artifact's path in the API: a repository with '/' is encoded twice, as Harbor requires."""
    return '/projects/%s/repositories/%s/artifacts/%s' % (
        quote(params['project'], safe=''), quote(quote(params['repository'], safe=''), safe=''),
        quote(params['reference'], safe=''))


def overview(client, path):
    artifact = client.get(path, query={'with_scan_overview': 'true'}) or {}
    overview = artifact.get('scan_overview') or {}
    report = overview.get(REPORT) or next(iter(overview.values()), {})
    return artifact, report or {}


def main():
    spec = argument_spec()
    spec.update(project=dict(type='str', required=True), repository=dict(type='str', required=True),
                reference=dict(type='str', required=True), scan=dict(type='bool', default=False),
                rescan=dict(type='bool', default=False), wait=dict(type='bool', default=True),
                timeout=dict(type='int', default=300), interval=dict(type='int', default=3),
                vulnerabilities=dict(type='bool', default=True))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    client = HarborClient.from_module(module)
    path = artifact_path(params)
    changed = False
    try:
        _artifact, report = overview(client, path)
        status = report.get('scan_status')
        if params['rescan'] or (params['scan'] and status not in ('Success', 'Running', 'Pending')):
            changed = True
            if not module.check_mode:
                client.request('POST', path + '/scan', expect=(202,))
                status = 'Pending'
        if params['wait'] and ((changed and not module.check_mode) or status in ('Running', 'Pending')):
            deadline = time.monotonic() + params['timeout']
            while True:
                _artifact, report = overview(client, path)
                status = report.get('scan_status')
                if status in FINISHED or time.monotonic() + params['interval'] > deadline:
                    break
                time.sleep(params['interval'])
            if status != 'Success':
                module.fail_json(msg='the scan of %s/%s:%s is %s after %s s' % (
                    params['project'], params['repository'], params['reference'], status or 'not started',
                    params['timeout']), changed=changed, scan_status=status)
        counts = (report.get('summary') or {})
        summary = dict(counts.get('summary') or {}, total=counts.get('total', 0), fixable=counts.get('fixable', 0))
        result = dict(changed=changed, scan_status=status, severity=report.get('severity'), summary=summary)
        if params['vulnerabilities'] and status == 'Success':
            additions = client.get(path + '/additions/vulnerabilities') or {}
            found = (additions.get(REPORT) or next(iter(additions.values()), {}) or {}).get('vulnerabilities') or []
            fields = ('id', 'package', 'version', 'fix_version', 'severity', 'description')
            result['vulnerabilities'] = [dict((k, v.get(k)) for k in fields) for v in found]
    except HarborError as exc:
        fail_with(module, exc)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
