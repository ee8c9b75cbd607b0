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

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    CRON, HarborClient, HarborError, argument_spec, exit_with, fail_with)

PATHS = {'gc': '/system/gc/schedule', 'scan_all': '/system/scanAll/schedule',
         'purge_audit': '/system/purgeaudit/schedule'}
# What each job's schedule carries as its parameters (the module's compares them).
PARAMETERS = ('delete_untagged', 'workers', 'audit_retention_hour', 'include_event_types', 'dry_run')
# Harbor's types, with the cron expressions its UI sends for them.
TYPES = {'none': ('None', ''), 'hourly': ('Hourly', '0 0 * * * *'), 'daily': ('Daily', '0 0 0 * * *'),
         'weekly': ('Weekly', '0 0 0 * * 0')}


def summary(document):
    schedule = (document or {}).get('schedule') or {}
    # Harbor returns the job's parameters as a JSON string (job_parameters), though it takes them as an object.
    parameters = (document or {}).get('parameters') or json.loads((document or {}).get('job_parameters') or '{}')
    parameters = dict((k, parameters[k]) for k in PARAMETERS if k in parameters)
    if 'include_event_types' in parameters:
        parameters['include_event_types'] = event_types(parameters['include_event_types'])
    return dict(type=schedule.get('type') or 'None', cron=schedule.get('cron') or '', parameters=parameters)


def event_types(names):
    """Event types as Harbor takes them (one comma-separated string), in one order."""
    if isinstance(names, str):
        names = names.split(',')
    return ','.join(sorted(set(n.strip() for n in names if n and n.strip())))


def main():
    spec = argument_spec()
    spec.update(job=dict(type='str', choices=list(PATHS), required=True),
                schedule=dict(type='str', choices=['none', 'hourly', 'daily', 'weekly', 'custom'], required=True),
                cron=dict(type='str'), delete_untagged=dict(type='bool', default=False),
                workers=dict(type='int', default=1), audit_retention_hours=dict(type='int', default=720),
                audit_event_types=dict(type='list', elements='str'))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_if=[('schedule', 'custom', ('cron',))])
    params = module.params
    if params['schedule'] == 'custom' and not CRON.match(params['cron'].strip()):
        module.fail_json(msg='cron is %r: Harbor takes six fields, seconds first (for example "0 0 3 * * 6")'
                             % params['cron'])
    if not 1 <= params['workers'] <= 5:
        module.fail_json(msg='workers is %d: Harbor runs 1 to 5 garbage collection workers' % params['workers'])
    if not 1 <= params['audit_retention_hours'] <= 240000:
        module.fail_json(msg='audit_retention_hours is %d: Harbor keeps 1 to 240000 hours of the audit log'
                             % params['audit_retention_hours'])
    if params['audit_event_types'] is not None and not event_types(params['audit_event_types']):
        module.fail_json(msg='audit_event_types is empty: a purge of no event type deletes nothing; name the types, or '
                             'omit it for every type')
    kind, cron = TYPES.get(params['schedule'], ('Custom', (params['cron'] or '').strip()))
    wanted = dict(type=kind, cron=cron, parameters={})
    if params['job'] == 'gc':
        wanted['parameters'] = dict(delete_untagged=params['delete_untagged'], workers=params['workers'])
    client = HarborClient.from_module(module)
    path = PATHS[params['job']]
    try:
        if params['job'] == 'purge_audit':
            names = params['audit_event_types']
            if names is None:
                names = [e.get('event_type') for e in client.get('/auditlog-exts/events') or []]
            wanted['parameters'] = dict(audit_retention_hour=params['audit_retention_hours'],
                                        include_event_types=event_types(names), dry_run=False)
        current = client.get(path)
        before = summary(current)
        differs = before['type'] != wanted['type'] or (kind != 'None' and (
            before['cron'] != wanted['cron'] or before['parameters'] != wanted['parameters']))
        if differs and not module.check_mode:
            body = dict(schedule=dict(type=kind, cron=cron))
            if wanted['parameters']:
                body['parameters'] = wanted['parameters']
            exists = bool((current or {}).get('schedule'))
            client.request('PUT' if exists else 'POST', path, body=body, expect=(200, 201))
        after = summary(client.get(path)) if differs and not module.check_mode else (wanted if differs else before)
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, differs, 'schedule', before, after)


if __name__ == '__main__':
    main()
