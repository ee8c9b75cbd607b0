#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_cve_allowlist
short_description: Harbor's CVE allowlists - the vulnerabilities a pull is not refused for, until a date
version_added: 0.1.0
description:
  - A project that refuses vulnerable artifacts (O(caas.platform.harbor_project#module:prevent_vulnerable)) still
    serves an artifact whose only findings at or above its severity are in the allowlist that applies to it - the
    accepted risks, each reviewed and time-boxed.
  - Without O(project), makes Harbor's system allowlist exactly O(cves) with O(expires_on) (every project uses it
    unless it has its own). With O(project), gives the project its own allowlist, or with O(use_system) makes it use
    the system's again.
  - Changed only when Harbor's allowlist differed; the order of O(cves) does not matter.
options:
  project:
    description: The project whose own allowlist this is; omitted, the system allowlist.
    type: str
  cves:
    description:
      - The vulnerability IDs as the scanner reports them (C(CVE-2024-3094), C(GHSA-...)); an empty list allows none.
      - Ignored (and must be empty) with O(use_system).
    type: list
    elements: str
    default: []
  expires_on:
    description:
      - The day (C(YYYY-MM-DD), UTC) from which Harbor ignores the allowlist and refuses the vulnerable pulls again;
        empty, it never expires. A day that has come already is refused - the exceptions need a new review.
    type: str
    default: ''
  use_system:
    description:
      - With O(project), the project uses the system allowlist (its own one is kept but not used). Without O(project)
        it means nothing and must stay false.
    type: bool
    default: false
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the allowlist and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The allowlist before and after.
notes:
  - The system allowlist needs the admin's login; a project's needs a project admin's.
"""

EXAMPLES = r"""
- name: Accept two advisories in every project until the end of the quarter
  caas.platform.harbor_cve_allowlist:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    cves: [CVE-2024-3094, CVE-2023-4863]
    expires_on: "2027-01-01"

- name: Team A accepts one more, for its own images only
  caas.platform.harbor_cve_allowlist:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    project: team-a
    cves: [CVE-2024-3094, CVE-2023-4863, GHSA-xxxx-yyyy-zzzz]
    expires_on: "2026-12-31"

- name: Team A goes back to the system allowlist
  caas.platform.harbor_cve_allowlist:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    project: team-a
    use_system: true
"""

RETURN = r"""
allowlist:
  description:
    - The allowlist after the run (what it would be, in check mode) - its IDs sorted, the day it expires on (empty
      for never) and, for a project, whether it uses the system allowlist instead.
  returned: always
  type: dict
  sample: {cves: [CVE-2023-4863, CVE-2024-3094], expires_on: "2027-01-01", use_system: false}
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, allowlist_problems, argument_spec, exit_with, expiry_day, expiry_seconds, fail_with)

SYSTEM = '/system/CVEAllowlist'


def summary(allowlist):
    """A Harbor allowlist (items of cve_id, expires_at) as the module compares and returns it."""
    allowlist = allowlist or {}
    return dict(cves=sorted(item.get('cve_id') for item in allowlist.get('items') or []),
                expires_on=expiry_day(allowlist.get('expires_at')))


def project_summary(project):
    """A project's own allowlist, and whether it uses the system's instead (Harbor keeps "true" or "false" as text;
    a project without the key uses the system allowlist)."""
    uses_system = str((project.get('metadata') or {}).get('reuse_sys_cve_allowlist', 'true')).lower() == 'true'
    return dict(summary(project.get('cve_allowlist')), use_system=uses_system)


def problems(params, today):
    """What is wrong with the wanted allowlist, each naming the option, the value and the fix."""
    found = []
    cves = params['cves']
    if params['use_system'] and not params['project']:
        found.append('use_system is true without a project: only a project can use the system allowlist; give '
                     'project, or leave use_system false to set the system allowlist')
    if params['use_system'] and cves:
        found.append('cves has %d IDs while use_system is true: a project that uses the system allowlist has no '
                     'list of its own to set; give cves: [] or use_system: false' % len(cves))
    found.extend(allowlist_problems(cves, params['expires_on'], today))
    return found


def main():
    spec = argument_spec()
    spec.update(project=dict(type='str'), cves=dict(type='list', elements='str', default=[]),
                expires_on=dict(type='str', default=''), use_system=dict(type='bool', default=False))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    found = problems(params, time.time())
    if found:
        module.fail_json(msg='; '.join(found))
    wanted = dict(cves=sorted(params['cves']), expires_on=params['expires_on'])
    body = dict(items=[dict(cve_id=c) for c in params['cves']], expires_at=expiry_seconds(params['expires_on']))
    client = HarborClient.from_module(module)
    try:
        if not params['project']:
            before = summary(client.get(SYSTEM))
            changed = before != wanted
            if changed and not module.check_mode:
                client.request('PUT', SYSTEM, body=body)
                wanted = summary(client.get(SYSTEM))
        else:
            project = client.project(params['project'])
            before = project_summary(project)
            if params['use_system']:
                wanted = dict(before, use_system=True)
                update = dict(metadata=dict(reuse_sys_cve_allowlist='true'))
            else:
                wanted = dict(wanted, use_system=False)
                update = dict(metadata=dict(reuse_sys_cve_allowlist='false'),
                              cve_allowlist=dict(body, project_id=project['project_id']))
            changed = before != wanted
            if changed and not module.check_mode:
                client.request('PUT', '/projects/%s' % project['project_id'], body=update)
                wanted = project_summary(client.project(params['project']))
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'allowlist', before, wanted)


if __name__ == '__main__':
    main()
