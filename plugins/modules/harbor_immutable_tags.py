#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_immutable_tags
short_description: A Harbor project's tag immutability rules - tags that can be pushed once and never replaced
version_added: 0.1.0
description:
  - Makes the project's immutability rules exactly O(rules) - each a repository pattern and a tag pattern (Harbor's
    doublestar patterns, C(**), C(*), C({a,b})) that match or exclude. A tag an enabled rule covers cannot be pushed
    again or deleted. Rules the project has beyond O(rules) are removed; changed only when the set differed.
options:
  project:
    description: The project.
    type: str
    required: true
  rules:
    description: The rules; an empty list removes every rule.
    type: list
    elements: dict
    required: true
    suboptions:
      repositories:
        description: The repository pattern.
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
      disabled:
        description: Keep the rule without applying it.
        type: bool
        default: false
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the rules and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The rules before and after.
"""

EXAMPLES = r"""
- name: Release tags of team-a can never be replaced
  caas.platform.harbor_immutable_tags:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    project: team-a
    rules:
      - {repositories: "**", tags: "v*"}
"""

RETURN = r"""
rules:
  description: The project's rules after the run.
  returned: always
  type: list
  elements: dict
  sample: [{repositories: "**", repositories_match: matches, tags: "v*", tags_match: matches, disabled: false}]
"""

from urllib.parse import quote

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, comparable_rule, exit_with, fail_with, rule_selectors)

TEMPLATE = 'immutable_template'


def shown(rule):
    return dict((k, rule[k]) for k in ('repositories', 'repositories_match', 'tags', 'tags_match', 'disabled'))


def main():
    spec = argument_spec()
    spec.update(project=dict(type='str', required=True),
                rules=dict(type='list', elements='dict', required=True, options=dict(
                    repositories=dict(type='str', default='**'),
                    repositories_match=dict(type='str', choices=['matches', 'excludes'], default='matches'),
                    tags=dict(type='str', default='**'),
                    tags_match=dict(type='str', choices=['matches', 'excludes'], default='matches'),
                    disabled=dict(type='bool', default=False))))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    client = HarborClient.from_module(module)
    base = '/projects/%s/immutabletagrules' % quote(params['project'], safe='')
    headers = {'X-Is-Resource-Name': 'true'}
    try:
        client.project(params['project'])
        existing = client.request('GET', base, query={'page_size': 100}, headers=headers)[2] or []
        have = [(rule, shown(comparable_rule(rule))) for rule in existing]
        wanted = [dict(rule, untagged=False) for rule in params['rules']]
        wanted = [shown(rule) for rule in wanted]
        remove = [rule for rule, summary in have if summary not in wanted]
        kept = [summary for _rule, summary in have if summary in wanted]
        add = [rule for rule in wanted if rule not in kept]
        changed = bool(remove or add)
        if changed and not module.check_mode:
            for rule in remove:
                client.request('DELETE', '%s/%s' % (base, rule['id']), headers=headers)
            for rule in add:
                tag_selectors, scope_selectors = rule_selectors(rule)
                client.request('POST', base, expect=(201,), headers=headers, body=dict(
                    disabled=rule['disabled'], action='immutable', template=TEMPLATE, priority=0,
                    tag_selectors=tag_selectors, scope_selectors=scope_selectors))
    except HarborError as exc:
        fail_with(module, exc)
    before = [summary for _rule, summary in have]
    exit_with(module, changed, 'rules', before, wanted if changed else before)


if __name__ == '__main__':
    main()
