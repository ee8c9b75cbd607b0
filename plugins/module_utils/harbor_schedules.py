# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor's garbage-collection, scan-all and audit-purge schedules, as caas.platform.harbor_schedule and
caas.platform.harbor_configuration set them."""

from __future__ import annotations

import json

from ansible_collections.caas.platform.plugins.module_utils.harbor import CRON

PATHS = {'gc': '/system/gc/schedule', 'scan_all': '/system/scanAll/schedule',
         'purge_audit': '/system/purgeaudit/schedule'}
# What each job's schedule carries as its parameters (the modules compare them).
PARAMETERS = ('delete_untagged', 'workers', 'audit_retention_hour', 'include_event_types', 'dry_run')
# Harbor's types, with the cron expressions its UI sends for them.
TYPES = {'none': ('None', ''), 'hourly': ('Hourly', '0 0 * * * *'), 'daily': ('Daily', '0 0 0 * * *'),
         'weekly': ('Weekly', '0 0 0 * * 0')}
REQUIRED_IF = [('schedule', 'custom', ('cron',))]


def schedule_options():
    """A schedule's options (without the connection's)."""
    return dict(job=dict(type='str', choices=list(PATHS), required=True),
                schedule=dict(type='str', choices=['none', 'hourly', 'daily', 'weekly', 'custom'], required=True),
                cron=dict(type='str'), delete_untagged=dict(type='bool', default=False),
                workers=dict(type='int', default=1), audit_retention_hours=dict(type='int', default=720),
                audit_event_types=dict(type='list', elements='str'))


def event_types(names):
    """Event types as Harbor takes them (one comma-separated string), in one order."""
    if isinstance(names, str):
        names = names.split(',')
    return ','.join(sorted(set(n.strip() for n in names if n and n.strip())))


def schedule_summary(document):
    """A job's schedule as Harbor has it, as the modules compare and return it."""
    schedule = (document or {}).get('schedule') or {}
    # Harbor returns the job's parameters as a JSON string (job_parameters), though it takes them as an object.
    parameters = (document or {}).get('parameters') or json.loads((document or {}).get('job_parameters') or '{}')
    parameters = dict((k, parameters[k]) for k in PARAMETERS if k in parameters)
    if 'include_event_types' in parameters:
        parameters['include_event_types'] = event_types(parameters['include_event_types'])
    return dict(type=schedule.get('type') or 'None', cron=schedule.get('cron') or '', parameters=parameters)


def schedule_problems(params):
    """What Harbor would refuse in a schedule's options, each naming the option, the value and the fix."""
    found = []
    if params['schedule'] == 'custom' and not CRON.match(params['cron'].strip()):
        found.append('cron is %r: Harbor takes six fields, seconds first (for example "0 0 3 * * 6")' % params['cron'])
    if not 1 <= params['workers'] <= 5:
        found.append('workers is %d: Harbor runs 1 to 5 garbage collection workers' % params['workers'])
    if not 1 <= params['audit_retention_hours'] <= 240000:
        found.append('audit_retention_hours is %d: Harbor keeps 1 to 240000 hours of the audit log'
                     % params['audit_retention_hours'])
    if params['audit_event_types'] is not None and not event_types(params['audit_event_types']):
        found.append('audit_event_types is empty: a purge of no event type deletes nothing; name the types, or omit '
                     'it for every type')
    return found


def wanted_schedule(client, params):
    """The schedule params ask for, as schedule_summary gives Harbor's (the purge's event types read from Harbor when
    params name none)."""
    kind, cron = TYPES.get(params['schedule'], ('Custom', (params['cron'] or '').strip()))
    wanted = dict(type=kind, cron=cron, parameters={})
    if params['job'] == 'gc':
        wanted['parameters'] = dict(delete_untagged=params['delete_untagged'], workers=params['workers'])
    elif params['job'] == 'purge_audit':
        names = params['audit_event_types']
        if names is None:
            names = [e.get('event_type') for e in client.get('/auditlog-exts/events') or []]
        wanted['parameters'] = dict(audit_retention_hour=params['audit_retention_hours'],
                                    include_event_types=event_types(names), dry_run=False)
    return wanted


def apply_schedule(client, params, check_mode):
    """(changed, before, after) of setting the job's schedule params (schedule_options, without schedule_problems)
    say."""
    path = PATHS[params['job']]
    wanted = wanted_schedule(client, params)
    current = client.get(path)
    before = schedule_summary(current)
    differs = before['type'] != wanted['type'] or (wanted['type'] != 'None' and (
        before['cron'] != wanted['cron'] or before['parameters'] != wanted['parameters']))
    if not differs:
        return False, before, before
    if check_mode:
        return True, before, wanted
    body = dict(schedule=dict(type=wanted['type'], cron=wanted['cron']))
    if wanted['parameters']:
        body['parameters'] = wanted['parameters']
    client.request('PUT' if (current or {}).get('schedule') else 'POST', path, body=body, expect=(200, 201))
    return True, before, schedule_summary(client.get(path))
