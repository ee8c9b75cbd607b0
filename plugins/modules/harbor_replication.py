#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_replication
short_description: Harbor replication policies, and running one until it is done
version_added: 0.1.0
description:
  - Makes a replication policy what the options say - push from this Harbor to a registry endpoint, or pull from one
    into this Harbor; which repositories and tags; into which namespace; when (by hand, on a schedule, or on each
    push and delete). Changed only when Harbor's policy differed.
  - With O(run), starts the policy once and, with O(wait), waits until the execution has finished and fails when a
    task of it failed; starting it is a change.
options:
  name:
    description: The policy's name.
    type: str
    required: true
  state:
    description: Whether the policy exists.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: A description.
    type: str
    default: ''
  direction:
    description: V(push) sends this Harbor's artifacts to O(registry); V(pull) brings O(registry)'s into this Harbor.
    type: str
    choices: [push, pull]
    default: push
  registry:
    description: The name of the registry endpoint (see the C(harbor_registry) module). Required with O(state=present).
    type: str
  repositories:
    description: Which repositories, a pattern with C(**), C(*), C(?) and C({a,b}) (for example C(team-a/**)).
    type: str
  tags:
    description: Which tags, a pattern (for example C(v*)); all tags when unset.
    type: str
  destination_namespace:
    description: The project (or namespace) at the destination; the source's when unset.
    type: str
  destination_namespace_replace_count:
    description: How many leading path components of the source repository the destination namespace replaces; -1 is
      Harbor's legacy mode (Harbor's C(dest_namespace_replace_count)).
    type: int
    default: -1
  trigger:
    description: V(manual) (O(run) or the API), V(scheduled) (O(cron)), V(event_based) (each push and delete; push only).
    type: str
    choices: [manual, scheduled, event_based]
    default: manual
  cron:
    description: With V(scheduled), Harbor's cron expression of six fields (seconds first).
    type: str
  override:
    description: Replace artifacts that exist at the destination.
    type: bool
    default: true
  replicate_deletion:
    description: Delete at the destination what is deleted at the source (push with V(event_based) only).
    type: bool
    default: false
  enabled:
    description: Whether the policy runs (a disabled policy keeps its settings).
    type: bool
    default: true
  run:
    description: Start the policy once in this run.
    type: bool
    default: false
  run_when_changed:
    description:
      - Start the policy once in this run only when this task made it or changed it, so that a second run with the
        same settings starts nothing (the policy's own trigger runs it from then on).
      - With O(run), the policy is started whatever.
    type: bool
    default: false
  wait:
    description: With O(run), wait until the execution has finished.
    type: bool
    default: true
  timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 600
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the policy and says what would change; writes and starts nothing.
  diff_mode:
    support: full
    description: The policy before and after.
  platform:
    support: full
    platforms: posix
    description: Any host that reaches Harbor's URL; Harbor itself must reach the endpoint.
notes:
  - Needs the admin's login.
"""

EXAMPLES = r"""
- name: Push every release tag of team-a to the disaster-recovery Harbor on each push
  caas.platform.harbor_replication:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: team-a-to-dr
    direction: push
    registry: dr-harbor
    repositories: team-a/**
    tags: "v*"
    trigger: event_based

- name: Pull the mirror's images hourly, and once now when the policy is new or changed (waited for)
  caas.platform.harbor_replication:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: publish-platform
    direction: pull
    registry: platform-source
    destination_namespace: platform
    trigger: scheduled
    cron: "0 0 * * * *"
    run_when_changed: true
    timeout: 900
"""

RETURN = r"""
policy:
  description: The policy as Harbor has it after the run (nothing when it is absent).
  returned: always
  type: dict
execution:
  description: The execution started with O(run) (its status and task counts).
  returned: when O(run) started one
  type: dict
  sample: {id: 12, status: Succeed, total: 3, succeed: 3, failed: 0}
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)


def find_policy(client, name):
    return next((p for p in client.get_all('/replication/policies', query={'name': name}) if p.get('name') == name),
                None)


def find_registry(client, name):
    for endpoint in client.get_all('/registries'):
        if endpoint.get('name') == name:
            return endpoint
    raise HarborError('registry is %r: Harbor has no registry endpoint of that name (add it with '
                      'caas.platform.harbor_registry first)' % name)


def filters_of(params):
    filters = []
    if params['repositories']:
        filters.append(dict(type='name', value=params['repositories']))
    if params['tags']:
        filters.append(dict(type='tag', value=params['tags'], decoration='matches'))
    return filters


def comparable(policy):
    """What the module manages of a policy, in one form."""
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


def main():
    spec = argument_spec()
    spec.update(
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
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_if=[('state', 'present', ('registry',)), ('trigger', 'scheduled', ('cron',))])
    params = module.params
    if params['trigger'] == 'event_based' and params['direction'] == 'pull':
        module.fail_json(msg='trigger is event_based with direction pull: Harbor replicates on its own pushes and '
                             'deletes only; pull on a schedule (trigger scheduled) or by hand')
    client = HarborClient.from_module(module)
    changed, execution = False, None
    try:
        policy = find_policy(client, params['name'])
        before = comparable(policy)
        if params['state'] == 'absent':
            if policy:
                changed = True
                if not module.check_mode:
                    client.request('DELETE', '/replication/policies/%s' % policy['id'])
            policy = None
            after = {}
        else:
            endpoint = find_registry(client, params['registry'])
            wanted = dict(name=params['name'], description=params['description'],
                          src_registry=endpoint['id'] if params['direction'] == 'pull' else 0,
                          dest_registry=endpoint['id'] if params['direction'] == 'push' else 0,
                          dest_namespace=params['destination_namespace'] or '',
                          dest_namespace_replace_count=params['destination_namespace_replace_count'],
                          trigger=dict(type=params['trigger'],
                                       cron=(params['cron'] or '') if params['trigger'] == 'scheduled' else ''),
                          filters=sorted(filters_of(params), key=lambda f: f['type']),
                          override=params['override'], replicate_deletion=params['replicate_deletion'],
                          enabled=params['enabled'])
            if wanted != before:
                changed = True
                body = dict(wanted, src_registry={'id': wanted['src_registry']} if wanted['src_registry'] else None,
                            dest_registry={'id': wanted['dest_registry']} if wanted['dest_registry'] else None,
                            trigger=dict(type=params['trigger'],
                                         trigger_settings=dict(cron=wanted['trigger']['cron'])),
                            deletion=params['replicate_deletion'])
                if not module.check_mode:
                    if policy:
                        client.request('PUT', '/replication/policies/%s' % policy['id'], body=body)
                    else:
                        client.request('POST', '/replication/policies', body=body, expect=(201,))
                    policy = find_policy(client, params['name'])
            after = comparable(policy) if policy and not module.check_mode else wanted
            if params['run'] or (params['run_when_changed'] and changed):
                changed = True
                if not module.check_mode:
                    _status, headers, _body = client.request('POST', '/replication/executions',
                                                             body={'policy_id': policy['id']}, expect=(201,))
                    location = (headers.get('Location') or '') if headers else ''
                    execution_id = location.rstrip('/').rsplit('/', 1)[-1]
                    deadline = time.monotonic() + params['timeout']
                    while True:
                        execution = client.get('/replication/executions/%s' % execution_id) or {}
                        if not params['wait'] or execution.get('status') not in ('InProgress', 'Pending', None) \
                                or time.monotonic() > deadline:
                            break
                        time.sleep(3)
                    if params['wait'] and execution.get('status') != 'Succeed':
                        module.fail_json(msg='replication %s ended %s (%s): %s of %s tasks failed' % (
                            params['name'], execution.get('status'), execution.get('status_text') or '',
                            execution.get('failed'), execution.get('total')), changed=True, execution=execution)
    except HarborError as exc:
        fail_with(module, exc)
    extra = {}
    if execution is not None:
        fields = ('id', 'status', 'status_text', 'total', 'succeed', 'failed', 'in_progress', 'stopped')
        extra['execution'] = dict((k, execution.get(k)) for k in fields)
    exit_with(module, changed, 'policy', before, after, **extra)


if __name__ == '__main__':
    main()
