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
    HarborClient, HarborError, argument_spec, exit_with, fail_with)
from ansible_collections.caas.platform.plugins.module_utils.harbor_allowlists import (
    allowlist_option_problems, allowlist_options, apply_allowlist)


def main():
    module = AnsibleModule(argument_spec=dict(argument_spec(), **allowlist_options()), supports_check_mode=True)
    found = allowlist_option_problems(module.params, time.time())
    if found:
        module.fail_json(msg='; '.join(found))
    client = HarborClient.from_module(module)
    try:
        changed, before, after = apply_allowlist(client, module.params, module.check_mode)
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'allowlist', before, after)


if __name__ == '__main__':
    main()
