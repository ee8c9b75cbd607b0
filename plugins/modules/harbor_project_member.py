#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_project_member
short_description: Who may do what in a Harbor project - users, and LDAP, OIDC or HTTP groups, with their roles
version_added: 0.1.0
description:
  - Gives a user or a group a role in a project, changes the role, or takes the membership away. Changed only when
    Harbor's membership differed.
  - A group is matched by name (OIDC and HTTP groups, as the identity provider names them) or by its LDAP DN (LDAP
    groups); Harbor records a group the first time it becomes a member. A user must have logged in once (or exist
    in Harbor's database).
options:
  project:
    description: The project.
    type: str
    required: true
  user:
    description: The user's name. Exactly one of O(user) and O(group).
    type: str
  group:
    description: The group's name (for an LDAP group, its name in Harbor; O(ldap_group_dn) identifies it).
    type: str
  group_type:
    description: Where the group comes from.
    type: str
    choices: [ldap, http, oidc]
    default: oidc
  ldap_group_dn:
    description: The LDAP group's DN, with O(group_type=ldap).
    type: str
  role:
    description: The member's role.
    type: str
    choices: [project_admin, maintainer, developer, guest, limited_guest]
    default: developer
  state:
    description: Whether the membership exists.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the project's members and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The membership before and after.
"""

EXAMPLES = r"""
- name: The team's OIDC group develops in team-a
  caas.platform.harbor_project_member:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    project: team-a
    group: team-a-developers
    group_type: oidc
    role: developer

- name: An LDAP group maintains it
  caas.platform.harbor_project_member:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    project: team-a
    group: team-a-leads
    group_type: ldap
    ldap_group_dn: cn=team-a-leads,ou=groups,dc=example,dc=com
    role: maintainer
"""

RETURN = r"""
member:
  description: The membership as Harbor has it after the run (nothing when it is absent).
  returned: always
  type: dict
  sample: {id: 7, entity_name: team-a-developers, entity_type: g, role: developer}
"""

from urllib.parse import quote

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)

ROLES = {'project_admin': 1, 'developer': 2, 'guest': 3, 'maintainer': 4, 'limited_guest': 5}
GROUP_TYPES = {'ldap': 1, 'http': 2, 'oidc': 3}


def summary(member):
    if not member:
        return {}
    role = next((name for name, number in ROLES.items() if number == member.get('role_id')), member.get('role_name'))
    return dict(id=member.get('id'), entity_name=member.get('entity_name'), entity_type=member.get('entity_type'),
                role=role)


def main():
    spec = argument_spec()
    spec.update(project=dict(type='str', required=True), user=dict(type='str'), group=dict(type='str'),
                group_type=dict(type='str', choices=list(GROUP_TYPES), default='oidc'), ldap_group_dn=dict(type='str'),
                role=dict(type='str', choices=list(ROLES), default='developer'),
                state=dict(type='str', choices=['present', 'absent'], default='present'))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True, required_one_of=[('user', 'group')],
                           mutually_exclusive=[('user', 'group')])
    params = module.params
    if params['group'] and params['group_type'] == 'ldap' and not params['ldap_group_dn']:
        module.fail_json(msg='group %s is an LDAP group: set ldap_group_dn (Harbor finds LDAP groups by their DN)'
                             % params['group'])
    client = HarborClient.from_module(module)
    base = '/projects/%s/members' % quote(params['project'], safe='')
    headers = {'X-Is-Resource-Name': 'true'}
    name = params['user'] or params['group']
    entity_type = 'u' if params['user'] else 'g'
    changed = False
    try:
        client.project(params['project'])
        members = client.request('GET', base, query={'entityname': name, 'page_size': 100}, headers=headers)[2] or []
        member = next((m for m in members if m.get('entity_name') == name and m.get('entity_type') == entity_type), None)
        before = summary(member)
        if params['state'] == 'absent':
            after = {}
            if member:
                changed = True
                if not module.check_mode:
                    client.request('DELETE', '%s/%s' % (base, member['id']), headers=headers)
        elif not member:
            changed = True
            body = dict(role_id=ROLES[params['role']])
            if params['user']:
                body['member_user'] = dict(username=params['user'])
            else:
                group = dict(group_name=params['group'], group_type=GROUP_TYPES[params['group_type']])
                if params['ldap_group_dn']:
                    group['ldap_group_dn'] = params['ldap_group_dn']
                body['member_group'] = group
            if not module.check_mode:
                client.request('POST', base, body=body, expect=(201,), headers=headers)
                members = client.request('GET', base, query={'entityname': name}, headers=headers)[2] or []
                member = next((m for m in members if m.get('entity_name') == name
                               and m.get('entity_type') == entity_type), None)
                after = summary(member)
            else:
                after = dict(entity_name=name, entity_type=entity_type, role=params['role'])
        elif before['role'] != params['role']:
            changed = True
            if not module.check_mode:
                client.request('PUT', '%s/%s' % (base, member['id']), body={'role_id': ROLES[params['role']]},
                               headers=headers)
            after = dict(before, role=params['role'])
        else:
            after = before
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'member', before, after)


if __name__ == '__main__':
    main()
