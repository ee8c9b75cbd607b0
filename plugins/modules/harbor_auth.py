#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_auth
short_description: How people log in to Harbor - its database, OIDC or LDAP, with group mapping
version_added: 0.1.0
description:
  - Sets Harbor's authentication mode and its OIDC or LDAP settings (the provider, the claims or searches that name
    users and groups, the group whose members are Harbor's admins). Only the settings given are compared and
    written; changed only when Harbor's differed.
  - Harbor lets the mode change only while no user but the admin exists; it refuses otherwise, and so does this
    module, with Harbor's message.
  - Harbor never returns a stored secret (the OIDC client secret, the LDAP search password), so it is written when
    the mode is set and again only with O(update_secret=always).
options:
  mode:
    description: V(db) (Harbor's own users), V(oidc) or V(ldap).
    type: str
    choices: [db, oidc, ldap]
    required: true
  oidc:
    description: The OIDC settings, with O(mode=oidc).
    type: dict
    suboptions:
      name:
        description: The provider's name on Harbor's login page.
        type: str
      endpoint:
        description: The provider's issuer URL.
        type: str
        required: true
      client_id:
        description: Harbor's client ID at the provider.
        type: str
        required: true
      client_secret:
        description: Harbor's client secret at the provider (from Vault). Never logged or returned.
        type: str
      scope:
        description: The scopes Harbor asks for.
        type: str
        default: openid,profile,email,offline_access
      groups_claim:
        description: The claim that lists the user's groups (what project members of type C(oidc) are matched with).
        type: str
        default: groups
      admin_group:
        description: Members of this group are Harbor's system admins.
        type: str
      user_claim:
        description: The claim Harbor takes the user name from (C(name) by default at Harbor).
        type: str
      verify_cert:
        description: Check the provider's certificate.
        type: bool
        default: true
      auto_onboard:
        description: Make a Harbor user at the first login, without asking for a name.
        type: bool
        default: true
  ldap:
    description: The LDAP settings, with O(mode=ldap).
    type: dict
    suboptions:
      url:
        description: The LDAP server (C(ldaps://...)).
        type: str
        required: true
      base_dn:
        description: Where users are searched.
        type: str
        required: true
      search_dn:
        description: The account Harbor searches as.
        type: str
      search_password:
        description: Its password (from Vault). Never logged or returned.
        type: str
      uid:
        description: The attribute that is the user name.
        type: str
        default: uid
      filter:
        description: An extra filter for users.
        type: str
      scope:
        description: 0 base, 1 one level, 2 subtree.
        type: int
        default: 2
      group_base_dn:
        description: Where groups are searched.
        type: str
      group_search_filter:
        description: The filter of groups.
        type: str
      group_attribute_name:
        description: The attribute that is the group name.
        type: str
        default: cn
      group_admin_dn:
        description: Members of this group are Harbor's system admins.
        type: str
      group_membership_attribute:
        description: The user attribute that lists the user's groups.
        type: str
        default: memberof
      verify_cert:
        description: Check the server's certificate.
        type: bool
        default: true
  update_secret:
    description: V(on_create) writes the secret when the mode is set; V(always) on every run.
    type: str
    choices: [on_create, always]
    default: on_create
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads Harbor's settings and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The settings before and after, without secrets.
notes:
  - Needs the admin's login.
"""

EXAMPLES = r"""
- name: Log in through the site's identity provider; its harbor-admins group administers Harbor
  caas.platform.harbor_auth:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    mode: oidc
    oidc:
      name: Site SSO
      endpoint: https://sso.example.com/realms/platform
      client_id: harbor
      client_secret: "{{ vault_harbor_oidc_secret }}"
      admin_group: harbor-admins
"""

RETURN = r"""
settings:
  description: The authentication settings as Harbor has them after the run, without secrets.
  returned: always
  type: dict
  sample: {auth_mode: oidc_auth, oidc_endpoint: "https://sso.example.com/realms/platform", oidc_client_id: harbor,
           oidc_groups_claim: groups, oidc_admin_group: harbor-admins}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)

MODES = {'db': 'db_auth', 'oidc': 'oidc_auth', 'ldap': 'ldap_auth'}
SECRETS = {'oidc': 'client_secret', 'ldap': 'search_password'}


def wanted_settings(params):
    """Harbor's configuration keys for what is given (oidc_<option>, ldap_<option>), secrets apart."""
    mode = params['mode']
    settings, secret = {'auth_mode': MODES[mode]}, {}
    for option, value in (params.get(mode) or {}).items() if mode in SECRETS else ():
        if value is None:
            continue
        key = '%s_%s' % (mode, option)
        if option == SECRETS[mode]:
            secret[key] = value
        else:
            settings[key] = value
    return settings, secret


def main():
    spec = argument_spec()
    spec.update(
        mode=dict(type='str', choices=list(MODES), required=True),
        oidc=dict(type='dict', options=dict(
            name=dict(type='str'), endpoint=dict(type='str', required=True), client_id=dict(type='str', required=True),
            client_secret=dict(type='str', no_log=True), scope=dict(type='str', default='openid,profile,email,offline_access'),
            groups_claim=dict(type='str', default='groups'), admin_group=dict(type='str'), user_claim=dict(type='str'),
            verify_cert=dict(type='bool', default=True), auto_onboard=dict(type='bool', default=True))),
        ldap=dict(type='dict', options=dict(
            url=dict(type='str', required=True), base_dn=dict(type='str', required=True), search_dn=dict(type='str'),
            search_password=dict(type='str', no_log=True), uid=dict(type='str', default='uid'), filter=dict(type='str'),
            scope=dict(type='int', default=2), group_base_dn=dict(type='str'), group_search_filter=dict(type='str'),
            group_attribute_name=dict(type='str', default='cn'), group_admin_dn=dict(type='str'),
            group_membership_attribute=dict(type='str', default='memberof'), verify_cert=dict(type='bool', default=True))),
        update_secret=dict(type='str', choices=['on_create', 'always'], default='on_create'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_if=[('mode', 'oidc', ('oidc',)), ('mode', 'ldap', ('ldap',))])
    params = module.params
    settings, secret = wanted_settings(params)
    client = HarborClient.from_module(module)
    try:
        current = dict((k, (v or {}).get('value') if isinstance(v, dict) else v)
                       for k, v in (client.get('/configurations') or {}).items())
        before = dict((k, current.get(k)) for k in settings)
        differs = dict((k, v) for k, v in settings.items() if current.get(k) != v)
        write_secret = secret and ('auth_mode' in differs or params['update_secret'] == 'always')
        changed = bool(differs or write_secret)
        if changed and not module.check_mode:
            client.request('PUT', '/configurations', body=dict(differs, **(secret if write_secret else {})))
        after = dict(before, **differs)
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'settings', before, after)


if __name__ == '__main__':
    main()
