#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_user
short_description: Harbor's own users (with database login) and their passwords, the admin's included
version_added: 0.1.0
description:
  - Makes a user of Harbor's database what the options say - e-mail, full name, whether it is a system admin - and
    its password O(user_password) (from Vault). Changed only when Harbor's user differed.
  - A password is checked by logging in with it; when that fails, it is set - for another user by the admin, for the
    login's own account (the admin rotating its password) with O(old_password), as Harbor requires.
  - Only with Harbor's database login (C(db_auth)); with OIDC or LDAP the users come from the identity provider.
options:
  name:
    description: The user's name.
    type: str
    required: true
  state:
    description: Whether the user exists. Harbor keeps the user's projects and pushes when it is deleted.
    type: str
    choices: [present, absent]
    default: present
  email:
    description: The e-mail address (Harbor requires one to create a user).
    type: str
  realname:
    description: The full name.
    type: str
  user_password:
    description: The user's password, from Vault (8 to 128 characters with an upper-case letter, a lower-case letter
      and a digit). Never logged or returned.
    type: str
  old_password:
    description: The current password, to change the password of the account the module logs in as (the admin).
    type: str
  sysadmin:
    description: The user is a system admin.
    type: bool
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the user (and tries the password) and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The user before and after, never a password.
"""

EXAMPLES = r"""
- name: The admin's password becomes the one in Vault (rotation; the old one from where it was kept)
  caas.platform.harbor_user:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password_previous }}"
    name: admin
    user_password: "{{ harbor_admin_password }}"
    old_password: "{{ harbor_admin_password_previous }}"
  no_log: true

- name: A user for the release team
  caas.platform.harbor_user:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: release
    email: release@example.com
    realname: Release team
    user_password: "{{ vault_release_password }}"
"""

RETURN = r"""
user:
  description: The user as Harbor has it after the run, without a password (nothing when it is absent).
  returned: always
  type: dict
  sample: {user_id: 5, username: release, email: release@example.com, realname: Release team, sysadmin: false}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)
from ansible_collections.caas.platform.plugins.module_utils.harbor_users import (
    change_password, find_user, password_works, user_summary)


def main():
    spec = argument_spec()
    spec.update(name=dict(type='str', required=True),
                state=dict(type='str', choices=['present', 'absent'], default='present'),
                email=dict(type='str'), realname=dict(type='str'), user_password=dict(type='str', no_log=True),
                old_password=dict(type='str', no_log=True), sysadmin=dict(type='bool'))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    client = HarborClient.from_module(module)
    changed = False
    try:
        user = find_user(client, params['name'])
        before = user_summary(user)
        if params['state'] == 'absent':
            after = {}
            if user:
                changed = True
                if not module.check_mode:
                    client.request('DELETE', '/users/%s' % user['user_id'])
        elif not user:
            if not (params['email'] and params['user_password']):
                module.fail_json(msg='user %s does not exist: Harbor needs email and user_password to make it'
                                     % params['name'])
            changed = True
            after = dict(username=params['name'], email=params['email'], realname=params['realname'] or '',
                         sysadmin=bool(params['sysadmin']))
            if not module.check_mode:
                client.request('POST', '/users', expect=(201,), body=dict(
                    username=params['name'], email=params['email'], realname=params['realname'] or params['name'],
                    password=params['user_password']))
                user = find_user(client, params['name'])
                if params['sysadmin']:
                    client.request('PUT', '/users/%s/sysadmin' % user['user_id'], body={'sysadmin_flag': True})
                after = user_summary(find_user(client, params['name']))
        else:
            profile = dict((k, params[k]) for k in ('email', 'realname') if params[k] is not None)
            differs = dict((k, v) for k, v in profile.items() if before.get(k) != v)
            if differs:
                changed = True
                if not module.check_mode:
                    client.request('PUT', '/users/%s' % user['user_id'], body=dict(
                        (k, differs.get(k, before[k])) for k in ('email', 'realname')))
            if params['sysadmin'] is not None and params['sysadmin'] != before['sysadmin']:
                changed = True
                if not module.check_mode:
                    client.request('PUT', '/users/%s/sysadmin' % user['user_id'],
                                   body={'sysadmin_flag': params['sysadmin']})
            if params['user_password'] and not password_works(client, params['name'], params['user_password']):
                change_password(client, user, params['user_password'], params['old_password'],
                                params['username'] == params['name'], module.check_mode)
                changed = True
            after = dict(before, **differs)
            if params['sysadmin'] is not None:
                after['sysadmin'] = params['sysadmin']
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'user', before, after)


if __name__ == '__main__':
    main()
