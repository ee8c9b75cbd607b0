#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_schedule
short_description: Harbor's garbage collection, scan-all and audit-log purge schedules
version_added: 0.1.0
description:
  - Sets when Harbor runs garbage collection (deleting the blobs no artifact uses, which frees the storage) or scans
    every artifact again (new advisories in the vulnerability database find vulnerabilities in old images), or
    purges the audit log's entries older than O(audit_retention_hours). Changed only when Harbor's schedule
    differed.
options:
  job:
    description: V(gc) (garbage collection), V(scan_all) or V(purge_audit) (the audit log's old entries).
    type: str
    choices: [gc, scan_all, purge_audit]
    required: true
  schedule:
    description: V(none) runs it never (on demand only); V(custom) at O(cron).
    type: str
    choices: [none, hourly, daily, weekly, custom]
    required: true
  cron:
    description: With V(custom), Harbor's cron expression of six fields (seconds first), for example C(0 0 3 * * 6).
    type: str
  delete_untagged:
    description: Garbage collection also deletes artifacts without a tag.
    type: bool
    default: false
  workers:
    description: Garbage collection's parallel workers (1 to 5).
    type: int
    default: 1
  audit_retention_hours:
    description: The purge keeps the audit log's entries of the last this many hours (1 to 240000).
    type: int
    default: 720
  audit_event_types:
    description:
      - The event types the purge deletes old entries of (C(create_artifact), C(pull_artifact), C(login_user), ...).
      - Omitted, every event type Harbor lists (C(GET /auditlog-exts/events)).
    type: list
    elements: str
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the schedule and says whether it would change; writes nothing.
  diff_mode:
    support: full
    description: The schedule before and after.
notes:
  - Needs the admin's login.
"""

EXAMPLES = r"""
- name: Collect garbage every Saturday at 03:00, untagged artifacts too
  caas.platform.harbor_schedule:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    job: gc
    schedule: custom
    cron: "0 0 3 * * 6"
    delete_untagged: true

- name: Keep the audit log of the last 90 days, purged every Sunday
  caas.platform.harbor_schedule:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    job: purge_audit
    schedule: custom
    cron: "0 0 2 * * 0"
    audit_retention_hours: 2160

- name: Scan everything again every day
  caas.platform.harbor_schedule:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    job: scan_all
    schedule: daily
"""

RETURN = r"""
schedule:
  description: The schedule as Harbor has it after the run.
  returned: always
  type: dict
  sample: {type: Custom, cron: "0 0 3 * * 6", parameters: {delete_untagged: true, workers: 1}}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)
from ansible_collections.caas.platform.plugins.module_utils.harbor_schedules import (
    REQUIRED_IF, apply_schedule, schedule_options, schedule_problems)


def main():
    module = AnsibleModule(argument_spec=dict(argument_spec(), **schedule_options()), supports_check_mode=True,
                           required_if=REQUIRED_IF)
    found = schedule_problems(module.params)
    if found:
        module.fail_json(msg=found[0])
    client = HarborClient.from_module(module)
    try:
        changed, before, after = apply_schedule(client, module.params, module.check_mode)
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'schedule', before, after)


if __name__ == '__main__':
    main()
