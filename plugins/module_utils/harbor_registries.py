# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor's registry endpoints, as caas.platform.harbor_registry and caas.platform.harbor_configuration make them."""

from __future__ import annotations

from ansible_collections.caas.platform.plugins.module_utils.harbor import HarborError, HarborRefused

TYPES = ['docker-registry', 'harbor', 'docker-hub', 'github-ghcr', 'google-gcr', 'aws-ecr', 'azure-acr', 'ali-acr',
         'jfrog-artifactory', 'quay', 'gitlab', 'huawei-SWR', 'tencent-tcr', 'volcengine-cr']
# What an endpoint's options require of each other (AnsibleModule's required_if and required_together).
REQUIRED_IF = [('state', 'present', ('endpoint_url',))]
REQUIRED_TOGETHER = [('access_key', 'access_secret')]
# The settings Harbor reaches the endpoint with: a change to one is pinged before it is saved.
REACH = ('url', 'access_key', 'ca_certificate', 'insecure')


def registry_options():
    """An endpoint's options (without the connection's)."""
    return dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        type=dict(type='str', default='docker-registry', choices=TYPES),
        endpoint_url=dict(type='str'),
        description=dict(type='str', default=''),
        access_key=dict(type='str', no_log=False),
        access_secret=dict(type='str', no_log=True),
        update_secret=dict(type='str', choices=['on_create', 'always'], default='on_create'),
        ca_certificate=dict(type='str'),
        insecure=dict(type='bool', default=False),
        ping=dict(type='bool', default=True),
    )


def find_registry(client, name):
    return next((r for r in client.get_all('/registries', query={'q': 'name=%s' % name}) if r.get('name') == name),
                None)


def registry_summary(registry):
    """An endpoint as the modules return it: never its secret."""
    if not registry:
        return {}
    credential = registry.get('credential') or {}
    return dict(id=registry.get('id'), name=registry.get('name'), type=registry.get('type'), url=registry.get('url'),
                description=registry.get('description') or '', insecure=bool(registry.get('insecure')),
                ca_certificate=registry.get('ca_certificate') or None,
                access_key=credential.get('access_key') or None, status=registry.get('status'))


def ping_registry(client, params, wanted, before):
    """Harbor reaches the endpoint with the wanted settings, or HarborRefused: nothing is saved."""
    ping = dict(type=params['type'], url=wanted['url'], insecure=wanted['insecure'])
    if wanted['ca_certificate']:
        ping['ca_certificate'] = wanted['ca_certificate']
    if params['access_key']:
        ping.update(credential_type='basic', access_key=params['access_key'], access_secret=params['access_secret'])
    try:
        client.request('POST', '/registries/ping', body=ping)
    except HarborError as exc:
        raise HarborRefused('Harbor cannot reach registry %s at %s with these settings, so nothing was saved: %s'
                            % (params['name'], wanted['url'], exc), registry=before)


def create_registry(client, params, wanted, check_mode):
    """The endpoint made (what it would be, in check mode)."""
    body = dict(name=params['name'], type=params['type'], url=wanted['url'], description=wanted['description'],
                insecure=wanted['insecure'])
    if wanted['ca_certificate']:
        body['ca_certificate'] = wanted['ca_certificate']
    if params['access_key']:
        body['credential'] = dict(type='basic', access_key=params['access_key'], access_secret=params['access_secret'])
    if check_mode:
        return dict(body, credential=dict(access_key=params['access_key']))
    client.request('POST', '/registries', body=body, expect=(201,))
    return find_registry(client, params['name'])


def update_registry(client, params, registry, wanted, differs, write_secret, check_mode):
    """The endpoint updated (what it would be, in check mode)."""
    body = dict(name=params['name'], url=wanted['url'], description=wanted['description'],
                insecure=wanted['insecure'], ca_certificate=wanted['ca_certificate'] or '')
    if params['access_key'] and (write_secret or 'access_key' in differs):
        body.update(credential_type='basic', access_key=params['access_key'], access_secret=params['access_secret'])
    if check_mode:
        return dict(registry, url=wanted['url'], description=wanted['description'], insecure=wanted['insecure'],
                    ca_certificate=wanted['ca_certificate'], credential=dict(access_key=params['access_key']))
    client.request('PUT', '/registries/%s' % registry['id'], body=body)
    return find_registry(client, params['name'])


def apply_registry(client, params, check_mode):
    """(changed, before, after) of making the endpoint what params (registry_options) say."""
    registry = find_registry(client, params['name'])
    before = registry_summary(registry)
    if params['state'] == 'absent':
        if registry and not check_mode:
            client.request('DELETE', '/registries/%s' % registry['id'])
        return bool(registry), before, {}
    wanted = dict(url=params['endpoint_url'].rstrip('/'), description=params['description'],
                  insecure=params['insecure'], ca_certificate=(params['ca_certificate'] or '').strip() or None,
                  access_key=params['access_key'] or None)
    if registry and registry.get('type') != params['type']:
        raise HarborRefused('registry endpoint %s is of type %s, not %s: Harbor cannot change that; delete it and make '
                            'it again (projects and policies using it first)'
                            % (params['name'], registry.get('type'), params['type']), registry=before)
    differs = dict((k, v) for k, v in wanted.items() if not registry or before.get(k) != v)
    # Harbor never returns a stored secret: it is written when the endpoint is made, else only when always asked.
    write_secret = not registry or params['update_secret'] == 'always'
    if params['ping'] and (not registry or any(k in differs for k in REACH) or write_secret):
        ping_registry(client, params, wanted, before)
    if not registry:
        registry = create_registry(client, params, wanted, check_mode)
    elif differs or write_secret:
        registry = update_registry(client, params, registry, wanted, differs, write_secret, check_mode)
    else:
        return False, before, before
    return True, before, registry_summary(registry)
