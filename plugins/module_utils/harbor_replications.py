# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor's replication policies and their runs, as caas.platform.harbor_replication and
caas.platform.harbor_configuration make and start them."""

from __future__ import annotations

import time

from ansible_collections.caas.platform.plugins.module_utils.harbor import HarborError, HarborRefused

REQUIRED_IF = [('state', 'present', ('registry',)), ('trigger', 'scheduled', ('cron',))]
# What an execution returns of itself.
EXECUTION_FIELDS = ('id', 'status', 'status_text', 'total', 'succeed', 'failed', 'in_progress', 'stopped')


def replication_options():
    """A policy's options (without the connection's)."""
    return dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        description=dict(type='str', default=''),
        direction=dict(type='str', choices=['push', 'pull'], default='push'),
        registry=dict(type='str'),
        repositories=dict(type='str'),
        tags=dict(type='str'),
        destination_namespace=dict(type='str'),
        destination_namespace_replace_count=dict(type='int', default=-1),
        trigger=dict(type='str', choices=['manual', 'scheduled', 'event_based'], default='manual'),
        cron=dict(type='str'),
        override=dict(type='bool', default=True),
        replicate_deletion=dict(type='bool', default=False),
        enabled=dict(type='bool', default=True),
        run=dict(type='bool', default=False),
        run_when_changed=dict(type='bool', default=False),
        wait=dict(type='bool', default=True),
        timeout=dict(type='int', default=600),
    )


def replication_problems(params):
    """What Harbor would refuse in a policy's options, each naming the options and the fix."""
    if params['trigger'] == 'event_based' and params['direction'] == 'pull':
        return ['trigger is event_based with direction pull: Harbor replicates on its own pushes and deletes only; '
                'pull on a schedule (trigger scheduled) or by hand']
    return []


def find_policy(client, name):
    return next((p for p in client.get_all('/replication/policies', query={'name': name}) if p.get('name') == name),
                None)


def find_endpoint(client, name, planned=()):
    """The registry endpoint of that name; one without an ID for one of planned (a check mode's endpoints to be
    made)."""
    for endpoint in client.get_all('/registries'):
        if endpoint.get('name') == name:
            return endpoint
    if name in planned:
        return dict(id=None, name=name)
    raise HarborError('registry is %r: Harbor has no registry endpoint of that name (add it with '
                      'caas.platform.harbor_registry first)' % name)


def filters_of(params):
    filters = []
    if params['repositories']:
        filters.append(dict(type='name', value=params['repositories']))
    if params['tags']:
        filters.append(dict(type='tag', value=params['tags'], decoration='matches'))
    return filters


def comparable_policy(policy):
    """What the modules manage of a policy, in one form."""
    if not policy:
        return {}
    trigger = policy.get('trigger') or {}
    return dict(name=policy.get('name'), description=policy.get('description') or '',
                src_registry=((policy.get('src_registry') or {}).get('id') or 0),
                dest_registry=((policy.get('dest_registry') or {}).get('id') or 0),
                dest_namespace=policy.get('dest_namespace') or '',
                dest_namespace_replace_count=policy.get('dest_namespace_replace_count', -1),
                trigger=dict(type=trigger.get('type') or 'manual',
                             cron=((trigger.get('trigger_settings') or {}).get('cron') or '')),
                filters=sorted((dict(type=f.get('type'), value=f.get('value'),
                                     **({'decoration': f['decoration']} if f.get('decoration') else {}))
                                for f in policy.get('filters') or []), key=lambda f: f['type']),
                override=bool(policy.get('override')), replicate_deletion=bool(policy.get('replicate_deletion')),
                enabled=bool(policy.get('enabled')))


def wanted_policy(params, endpoint):
    """The policy params ask for, as comparable_policy gives Harbor's."""
    return dict(name=params['name'], description=params['description'],
                src_registry=endpoint['id'] if params['direction'] == 'pull' else 0,
                dest_registry=endpoint['id'] if params['direction'] == 'push' else 0,
                dest_namespace=params['destination_namespace'] or '',
                dest_namespace_replace_count=params['destination_namespace_replace_count'],
                trigger=dict(type=params['trigger'],
                             cron=(params['cron'] or '') if params['trigger'] == 'scheduled' else ''),
                filters=sorted(filters_of(params), key=lambda f: f['type']),
                override=params['override'], replicate_deletion=params['replicate_deletion'],
                enabled=params['enabled'])


def save_policy(client, params, policy, wanted):
    """The policy as Harbor has it once wanted is saved (made when there is none)."""
    body = dict(wanted, src_registry={'id': wanted['src_registry']} if wanted['src_registry'] else None,
                dest_registry={'id': wanted['dest_registry']} if wanted['dest_registry'] else None,
                trigger=dict(type=params['trigger'], trigger_settings=dict(cron=wanted['trigger']['cron'])),
                deletion=params['replicate_deletion'])
    if policy:
        client.request('PUT', '/replication/policies/%s' % policy['id'], body=body)
    else:
        client.request('POST', '/replication/policies', body=body, expect=(201,))
    return find_policy(client, params['name'])


def run_policy(client, params, policy, clock=time.monotonic, sleep=time.sleep):
    """The execution of the policy started now (its EXECUTION_FIELDS), with params' wait until it ended or timeout
    seconds passed; HarborRefused when it was waited for and did not succeed."""
    _status, headers, _body = client.request('POST', '/replication/executions', body={'policy_id': policy['id']},
                                             expect=(201,))
    location = (headers.get('Location') or '') if headers else ''
    execution_id = location.rstrip('/').rsplit('/', 1)[-1]
    deadline = clock() + params['timeout']
    while True:
        execution = client.get('/replication/executions/%s' % execution_id) or {}
        if not params['wait'] or execution.get('status') not in ('InProgress', 'Pending', None) or clock() > deadline:
            break
        sleep(3)
    if params['wait'] and execution.get('status') != 'Succeed':
        raise HarborRefused('replication %s ended %s (%s): %s of %s tasks failed' % (
            params['name'], execution.get('status'), execution.get('status_text') or '', execution.get('failed'),
            execution.get('total')), changed=True, execution=execution)
    return dict((k, execution.get(k)) for k in EXECUTION_FIELDS)


def apply_replication(client, params, check_mode, planned_endpoints=()):
    """(changed, before, after, execution) of making the policy what params (replication_options, without
    replication_problems) say and starting it when they ask; execution is None when none was started.
    planned_endpoints are the names of endpoints a check mode would have made before."""
    policy = find_policy(client, params['name'])
    before = comparable_policy(policy)
    if params['state'] == 'absent':
        if policy and not check_mode:
            client.request('DELETE', '/replication/policies/%s' % policy['id'])
        return bool(policy), before, {}, None
    wanted = wanted_policy(params, find_endpoint(client, params['registry'], planned_endpoints))
    changed = wanted != before
    if changed and not check_mode:
        policy = save_policy(client, params, policy, wanted)
    after = comparable_policy(policy) if policy and not check_mode else wanted
    execution = None
    if params['run'] or (params['run_when_changed'] and changed):
        changed = True
        if not check_mode:
            execution = run_policy(client, params, policy)
    return changed, before, after, execution
