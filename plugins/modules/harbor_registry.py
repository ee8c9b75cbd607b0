#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_registry
short_description: Harbor's registry endpoints - the upstream registries that proxy caches and replication use
version_added: 0.1.0
description:
  - Makes a registry endpoint of Harbor what the options say - its kind, URL, login, certificate checking and the CA
    that signed the endpoint's certificate. Changed only when Harbor's endpoint differed.
  - Before an endpoint is created or its URL, login or CA change, Harbor is asked to reach it with them
    (C(/registries/ping)); an endpoint Harbor cannot reach is refused with Harbor's reason and nothing is saved.
  - Harbor never returns a stored secret, so O(access_secret) is written when the endpoint is created, and again only
    with O(update_secret=always) (which then always reports a change).
options:
  name:
    description: The endpoint's name (what projects and replication policies refer to).
    type: str
    required: true
  state:
    description: Whether the endpoint exists. Harbor refuses to delete an endpoint a project or a policy uses.
    type: str
    choices: [present, absent]
    default: present
  type:
    description: The kind of registry (Harbor's adapter); it cannot change once the endpoint exists.
    type: str
    choices: [docker-registry, harbor, docker-hub, github-ghcr, google-gcr, aws-ecr, azure-acr, ali-acr, jfrog-artifactory,
              quay, gitlab, huawei-SWR, tencent-tcr, volcengine-cr]
    default: docker-registry
  endpoint_url:
    description: The registry's URL (https://<host>[:port]). Required with O(state=present).
    type: str
  description:
    description: A description.
    type: str
    default: ''
  access_key:
    description: The login's user (or access key); none for anonymous pulls.
    type: str
  access_secret:
    description: The login's password (or secret). Never logged or returned.
    type: str
  update_secret:
    description: V(on_create) writes O(access_secret) when the endpoint is created; V(always) writes it on every run.
    type: str
    choices: [on_create, always]
    default: on_create
  ca_certificate:
    description: PEM of the CA that signed the registry's certificate (the site CA for a site's mirror); Harbor checks
      the certificate against it instead of the system's CAs.
    type: str
  insecure:
    description: Do not check the registry's certificate. Leave it off; set O(ca_certificate) instead.
    type: bool
    default: false
  ping:
    description: Ask Harbor to reach the registry with these settings before saving them.
    type: bool
    default: true
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the endpoint (and pings the registry) and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The endpoint's settings before and after, without the secret.
  platform:
    support: full
    platforms: posix
    description: Any host that reaches Harbor's URL; Harbor itself must reach the registry.
"""

EXAMPLES = r"""
- name: The site's registry mirror, whose certificate the site CA signed
  caas.platform.harbor_registry:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: site-mirror
    type: docker-registry
    endpoint_url: https://mirror.example.com:5000
    ca_certificate: "{{ lookup('ansible.builtin.file', 'site-ca.crt') }}"
"""

RETURN = r"""
registry:
  description: The endpoint as Harbor has it after the run, without its secret (nothing when it is absent).
  returned: always
  type: dict
  sample: {id: 1, name: site-mirror, type: docker-registry, url: "https://mirror.example.com:5000", insecure: false,
           access_key: null, status: healthy}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)


def find_registry(client, name):
    return next((r for r in client.get_all('/registries', query={'q': 'name=%s' % name}) if r.get('name') == name), None)


def summary(registry):
    if not registry:
        return {}
    credential = registry.get('credential') or {}
    return dict(id=registry.get('id'), name=registry.get('name'), type=registry.get('type'), url=registry.get('url'),
                description=registry.get('description') or '', insecure=bool(registry.get('insecure')),
                ca_certificate=registry.get('ca_certificate') or None,
                access_key=credential.get('access_key') or None, status=registry.get('status'))


def main():
    spec = argument_spec()
    spec.update(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        type=dict(type='str', default='docker-registry', choices=[
            'docker-registry', 'harbor', 'docker-hub', 'github-ghcr', 'google-gcr', 'aws-ecr', 'azure-acr', 'ali-acr',
            'jfrog-artifactory', 'quay', 'gitlab', 'huawei-SWR', 'tencent-tcr', 'volcengine-cr']),
        endpoint_url=dict(type='str'),
        description=dict(type='str', default=''),
        access_key=dict(type='str', no_log=False),
        access_secret=dict(type='str', no_log=True),
        update_secret=dict(type='str', choices=['on_create', 'always'], default='on_create'),
        ca_certificate=dict(type='str'),
        insecure=dict(type='bool', default=False),
        ping=dict(type='bool', default=True),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_if=[('state', 'present', ('endpoint_url',))],
                           required_together=[('access_key', 'access_secret')])
    params = module.params
    client = HarborClient.from_module(module)
    changed = False
    try:
        registry = find_registry(client, params['name'])
        before = summary(registry)
        if params['state'] == 'absent':
            if registry:
                changed = True
                if not module.check_mode:
                    client.request('DELETE', '/registries/%s' % registry['id'])
            registry = None
        else:
            ca = (params['ca_certificate'] or '').strip() or None
            wanted = dict(url=params['endpoint_url'].rstrip('/'), description=params['description'],
                          insecure=params['insecure'], ca_certificate=ca, access_key=params['access_key'] or None)
            if registry and registry.get('type') != params['type']:
                module.fail_json(msg='registry endpoint %s is of type %s, not %s: Harbor cannot change that; delete it '
                                     'and make it again (projects and policies using it first)'
                                     % (params['name'], registry.get('type'), params['type']), registry=before)
            differs = dict((k, v) for k, v in wanted.items() if not registry or before.get(k) != v)
            write_secret = not registry or params['update_secret'] == 'always'
            reach = ('url', 'access_key', 'ca_certificate', 'insecure')
            if params['ping'] and (not registry or any(k in differs for k in reach) or write_secret):
                ping = dict(type=params['type'], url=wanted['url'], insecure=wanted['insecure'])
                if ca:
                    ping['ca_certificate'] = ca
                if params['access_key']:
                    ping.update(credential_type='basic', access_key=params['access_key'],
                                access_secret=params['access_secret'])
                try:
                    client.request('POST', '/registries/ping', body=ping)
                except HarborError as exc:
                    module.fail_json(msg='Harbor cannot reach registry %s at %s with these settings, so nothing was '
                                         'saved: %s' % (params['name'], wanted['url'], exc), registry=before)
            if not registry:
                changed = True
                body = dict(name=params['name'], type=params['type'], url=wanted['url'],
                            description=wanted['description'], insecure=wanted['insecure'])
                if ca:
                    body['ca_certificate'] = ca
                if params['access_key']:
                    body['credential'] = dict(type='basic', access_key=params['access_key'],
                                              access_secret=params['access_secret'])
                if not module.check_mode:
                    client.request('POST', '/registries', body=body, expect=(201,))
                    registry = find_registry(client, params['name'])
                else:
                    registry = dict(body, credential=dict(access_key=params['access_key']))
            elif differs or write_secret:
                changed = True
                body = dict(name=params['name'], url=wanted['url'], description=wanted['description'],
                            insecure=wanted['insecure'], ca_certificate=ca or '')
                if params['access_key'] and (write_secret or 'access_key' in differs):
                    body.update(credential_type='basic', access_key=params['access_key'],
                                access_secret=params['access_secret'])
                if not module.check_mode:
                    client.request('PUT', '/registries/%s' % registry['id'], body=body)
                    registry = find_registry(client, params['name'])
                else:
                    registry = dict(registry, url=wanted['url'], description=wanted['description'],
                                    insecure=wanted['insecure'], ca_certificate=ca,
                                    credential=dict(access_key=params['access_key']))
        after = summary(registry)
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'registry', before, after)


if __name__ == '__main__':
    main()
