#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_retention
short_description: A Harbor project's tag retention - which artifacts are kept, and when the rest are removed
version_added: 0.1.0
description:
  - Makes the project's retention policy exactly O(rules) with its O(schedule). An artifact is kept when any rule
    keeps it; the others are deleted when the policy runs (on its schedule, or by hand in Harbor). Changed only when
    Harbor's policy differed.
  - Nothing is deleted by this module itself; with O(rules) empty the policy keeps nothing and its runs would delete
    every artifact, so an empty list is refused - remove the schedule (O(schedule)) to stop runs instead.
options:
  project:
    description: The project.
    type: str
    required: true
  rules:
    description: The rules (at most 15, as Harbor allows).
    type: list
    elements: dict
    required: true
    suboptions:
      retain:
        description:
          - V(latest_pushed) keeps the O(rules[].count) most recently pushed, V(latest_pulled) the most recently pulled,
            V(days_since_push) those pushed in the last O(rules[].count) days, V(days_since_pull) those pulled in
            them, V(always) all that match.
        type: str
        choices: [latest_pushed, latest_pulled, days_since_push, days_since_pull, always]
        required: true
      count:
        description: The number of artifacts or of days.
        type: int
        default: 10
      repositories:
        description: The repository pattern (Harbor's doublestar patterns).
        type: str
        default: '**'
      repositories_match:
        description: Whether the rule covers the repositories that match the pattern or the others.
        type: str
        choices: [matches, excludes]
        default: matches
      tags:
        description: The tag pattern.
        type: str
        default: '**'
      tags_match:
        description: Whether the rule covers the tags that match the pattern or the others.
        type: str
        choices: [matches, excludes]
        default: matches
      untagged:
        description: The rule also covers artifacts without a tag.
        type: bool
        default: false
      disabled:
        description: Keep the rule without applying it.
        type: bool
        default: false
  schedule:
    description: When the policy runs - Harbor's cron expression of six fields (seconds first), or none (by hand only).
    type: str
    default: ''
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
    description: The rules and schedule before and after.
"""

EXAMPLES = r"""
- name: Keep the 10 newest pushes of each repository and every release tag, clean up on Sundays
  caas.platform.harbor_retention:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    project: team-a
    rules:
      - {retain: latest_pushed, count: 10}
      - {retain: always, tags: "v*"}
    schedule: "0 0 4 * * 0"
"""

RETURN = r"""
retention:
  description: The policy as Harbor has it after the run (what it would be, in check mode) - its rules and schedule.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    CRON, HarborClient, HarborError, argument_spec, comparable_rule, exit_with, fail_with, rule_selectors)

TEMPLATES = {'latest_pushed': 'latestPushedK', 'latest_pulled': 'latestPulledN', 'days_since_push': 'nDaysSinceLastPush',
             'days_since_pull': 'nDaysSinceLastPull', 'always': 'always'}


def wanted_rule(rule):
    template = TEMPLATES[rule['retain']]
    params = {} if template == 'always' else {template: rule['count']}
    return dict(template=template, params=params, disabled=rule['disabled'], tags=rule['tags'],
                tags_match=rule['tags_match'], untagged=rule['untagged'], repositories=rule['repositories'],
                repositories_match=rule['repositories_match'])


def read_policy(client, name):
    """(project, Harbor's retention policy or None, that policy in the form the module compares) of a project;
    HarborError when there is no such project."""
    project = client.project(name)
    retention_id = (project.get('metadata') or {}).get('retention_id')
    policy = client.get('/retentions/%s' % retention_id) if retention_id else None
    if not policy:
        return project, None, {}
    return project, policy, dict(rules=sorted((comparable_rule(r) for r in policy.get('rules') or []), key=repr),
                                 schedule=((policy.get('trigger') or {}).get('settings') or {}).get('cron') or '')


def main():
    spec = argument_spec()
    spec.update(project=dict(type='str', required=True), schedule=dict(type='str', default=''),
                rules=dict(type='list', elements='dict', required=True, options=dict(
                    retain=dict(type='str', choices=list(TEMPLATES), required=True),
                    count=dict(type='int', default=10),
                    repositories=dict(type='str', default='**'),
                    repositories_match=dict(type='str', choices=['matches', 'excludes'], default='matches'),
                    tags=dict(type='str', default='**'),
                    tags_match=dict(type='str', choices=['matches', 'excludes'], default='matches'),
                    untagged=dict(type='bool', default=False),
                    disabled=dict(type='bool', default=False))))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    if not params['rules']:
        module.fail_json(msg='rules is empty: a retention policy without rules keeps nothing, and its next run would '
                             'delete every artifact of %s; give the rules to keep by, or set schedule to "" to stop '
                             'the runs' % params['project'])
    if len(params['rules']) > 15:
        module.fail_json(msg='rules has %d entries: Harbor takes at most 15' % len(params['rules']))
    schedule = params['schedule'].strip()
    if schedule and not CRON.match(schedule):
        module.fail_json(msg='schedule is %r: Harbor takes six fields, seconds first (for example "0 0 4 * * 0"), or '
                             'nothing' % schedule)
    wanted = dict(rules=sorted((wanted_rule(r) for r in params['rules']), key=repr), schedule=schedule)
    client = HarborClient.from_module(module)
    try:
        project, policy, before = read_policy(client, params['project'])
        changed = before != wanted
        if changed and not module.check_mode:
            rules = []
            for rule in params['rules']:
                tag_selectors, scope_selectors = rule_selectors(rule)
                shape = wanted_rule(rule)
                rules.append(dict(disabled=rule['disabled'], action='retain', template=shape['template'],
                                  params=shape['params'], tag_selectors=tag_selectors, scope_selectors=scope_selectors,
                                  priority=0))
            body = dict(algorithm='or', rules=rules,
                        trigger=dict(kind='Schedule', settings=dict(cron=schedule), references={}),
                        scope=dict(level='project', ref=project['project_id']))
            if policy:
                client.request('PUT', '/retentions/%s' % policy['id'], body=dict(body, id=policy['id']))
            else:
                client.request('POST', '/retentions', body=body, expect=(201,))
            wanted = read_policy(client, params['project'])[2]
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'retention', before, wanted)


if __name__ == '__main__':
    main()
