#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_webhook
short_description: A Harbor project's webhooks - which events go to which address
version_added: 0.1.0
description:
  - Makes a project's webhook policy what the options say - the events (pushes, pulls, deletions, scans, quota,
    replication, retention) and the address Harbor sends them to. Changed only when Harbor's policy differed.
  - Harbor never returns the authorization header it sends, so O(auth_header) is written when the policy is created
    and again only with O(update_auth_header=always).
options:
  project:
    description: The project.
    type: str
    required: true
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
  events:
    description: The events sent (Harbor's event types).
    type: list
    elements: str
    choices: [PUSH_ARTIFACT, PULL_ARTIFACT, DELETE_ARTIFACT, SCANNING_COMPLETED, SCANNING_FAILED, SCANNING_STOPPED,
              QUOTA_EXCEED, QUOTA_WARNING, REPLICATION, TAG_RETENTION]
    default: [PUSH_ARTIFACT, DELETE_ARTIFACT, SCANNING_COMPLETED, SCANNING_FAILED]
  address:
    description: Where Harbor sends them (an http or https URL; a Slack webhook URL with O(target_type=slack)).
    type: str
  target_type:
    description: V(http) posts Harbor's JSON; V(slack) posts Slack's.
    type: str
    choices: [http, slack]
    default: http
  payload_format:
    description: The JSON of V(http) targets - Harbor's own (V(Default)) or CloudEvents.
    type: str
    choices: [Default, CloudEvents]
    default: Default
  auth_header:
    description: The C(Authorization) header Harbor sends with each event. Never logged or returned.
    type: str
  update_auth_header:
    description: V(on_create) writes O(auth_header) when the policy is created; V(always) on every run.
    type: str
    choices: [on_create, always]
    default: on_create
  skip_cert_verify:
    description: Do not check the address's certificate. Leave it off.
    type: bool
    default: false
  enabled:
    description: Whether events are sent.
    type: bool
    default: true
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the policy and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The policy before and after, without the authorization header.
"""

EXAMPLES = r"""
- name: Tell the CI system about pushes and scans of team-a
  caas.platform.harbor_webhook:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    project: team-a
    name: ci
    address: https://ci.example.com/hooks/harbor
    events: [PUSH_ARTIFACT, SCANNING_COMPLETED]
    auth_header: "Bearer {{ vault_ci_hook_token }}"
"""

RETURN = r"""
webhook:
  description: The policy as Harbor has it after the run, without the authorization header.
  returned: always
  type: dict
  sample: {id: 2, name: ci, enabled: true, events: [PUSH_ARTIFACT, SCANNING_COMPLETED],
           target: {type: http, address: "https://ci.example.com/hooks/harbor", skip_cert_verify: false,
                    payload_format: Default}}
"""

from urllib.parse import quote

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)

EVENTS = ['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT', 'SCANNING_COMPLETED', 'SCANNING_FAILED',
          'SCANNING_STOPPED', 'QUOTA_EXCEED', 'QUOTA_WARNING', 'REPLICATION', 'TAG_RETENTION']


def summary(policy):
    if not policy:
        return {}
    target = (policy.get('targets') or [{}])[0]
    return dict(id=policy.get('id'), name=policy.get('name'), description=policy.get('description') or '',
                enabled=bool(policy.get('enabled')), events=sorted(policy.get('event_types') or []),
                target=dict(type=target.get('type'), address=target.get('address'),
                            skip_cert_verify=bool(target.get('skip_cert_verify')),
                            payload_format=target.get('payload_format') or 'Default'))


def main():
    spec = argument_spec()
    spec.update(
        project=dict(type='str', required=True),
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        description=dict(type='str', default=''),
        events=dict(type='list', elements='str', choices=EVENTS,
                    default=['PUSH_ARTIFACT', 'DELETE_ARTIFACT', 'SCANNING_COMPLETED', 'SCANNING_FAILED']),
        address=dict(type='str'),
        target_type=dict(type='str', choices=['http', 'slack'], default='http'),
        payload_format=dict(type='str', choices=['Default', 'CloudEvents'], default='Default'),
        auth_header=dict(type='str', no_log=True),
        update_auth_header=dict(type='str', choices=['on_create', 'always'], default='on_create'),
        skip_cert_verify=dict(type='bool', default=False),
        enabled=dict(type='bool', default=True),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_if=[('state', 'present', ('address',))])
    params = module.params
    client = HarborClient.from_module(module)
    base = '/projects/%s/webhook/policies' % quote(params['project'], safe='')
    headers = {'X-Is-Resource-Name': 'true'}
    changed = False
    try:
        client.project(params['project'])
        policies = client.request('GET', base, query={'page_size': 100}, headers=headers)[2] or []
        policy = next((p for p in policies if p.get('name') == params['name']), None)
        before = summary(policy)
        if params['state'] == 'absent':
            after = {}
            if policy:
                changed = True
                if not module.check_mode:
                    client.request('DELETE', '%s/%s' % (base, policy['id']), headers=headers)
        else:
            target = dict(type=params['target_type'], address=params['address'],
                          skip_cert_verify=params['skip_cert_verify'],
                          payload_format=params['payload_format'] if params['target_type'] == 'http' else 'Default')
            wanted = dict(name=params['name'], description=params['description'], enabled=params['enabled'],
                          events=sorted(params['events']), target=target)
            compared = dict((k, v) for k, v in before.items() if k != 'id')
            write_header = params['auth_header'] and (not policy or params['update_auth_header'] == 'always')
            if compared != wanted or write_header:
                changed = True
                body_target = dict(target)
                if params['auth_header'] and write_header:
                    body_target['auth_header'] = params['auth_header']
                elif policy:
                    # An update replaces the whole target: the header Harbor returns goes back with it.
                    body_target['auth_header'] = (policy.get('targets') or [{}])[0].get('auth_header', '')
                body = dict(name=params['name'], description=params['description'], enabled=params['enabled'],
                            event_types=params['events'], targets=[body_target])
                if not module.check_mode:
                    if policy:
                        client.request('PUT', '%s/%s' % (base, policy['id']), body=body, headers=headers)
                    else:
                        client.request('POST', base, body=body, expect=(201,), headers=headers)
            after = wanted if changed else compared
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'webhook', dict((k, v) for k, v in before.items() if k != 'id'), after)


if __name__ == '__main__':
    main()
