# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor projects, as caas.platform.harbor_project and caas.platform.harbor_configuration make them."""

from __future__ import annotations

import re

from ansible.module_utils.common.text.formatters import human_to_bytes

from ansible_collections.caas.platform.plugins.module_utils.harbor import HarborError, HarborRefused

NAME = re.compile(r'^[a-z0-9]+(?:[._-][a-z0-9]+)*$')
# The module's options that are Harbor's project metadata (strings "true"/"false" and the severity).
METADATA = {'public': 'public', 'auto_scan': 'auto_scan', 'prevent_vulnerable': 'prevent_vul', 'severity': 'severity'}


def project_options():
    """A project's options (without the connection's)."""
    return dict(name=dict(type='str', required=True),
                state=dict(type='str', choices=['present', 'absent'], default='present'),
                public=dict(type='bool'), auto_scan=dict(type='bool'), prevent_vulnerable=dict(type='bool'),
                severity=dict(type='str', choices=['none', 'low', 'medium', 'high', 'critical']),
                storage_limit=dict(type='str'), proxy_cache_registry=dict(type='str'))


def storage_limit_bytes(value):
    """The quota in bytes (-1 for none, None when unset); ValueError when it is not a size."""
    if value is None:
        return None
    if value.strip() == '-1':
        return -1
    return human_to_bytes(value.strip())


def project_problems(params):
    """What Harbor would refuse in a project's options, each naming the option, the value and the fix."""
    found = []
    name = params['name']
    if not NAME.match(name) or len(name) > 255:
        found.append('name is %r: a Harbor project name is lower-case letters and digits, with single . _ or - '
                     'between them (at most 255 characters)' % name)
    try:
        storage_limit_bytes(params['storage_limit'])
    except ValueError as exc:
        found.append('storage_limit is %r: %s; give bytes, a size with a unit (10G) or -1'
                     % (params['storage_limit'], exc))
    return found


def wanted_metadata(params):
    """Harbor's metadata for the options that are set."""
    wanted = {}
    for option, key in METADATA.items():
        value = params[option]
        if value is not None:
            wanted[key] = value if isinstance(value, str) else ('true' if value else 'false')
    return wanted


def registry_id(client, name, planned=()):
    """The ID of the registry endpoint of that name; None for one of planned (a check mode's endpoints to be made)."""
    for endpoint in client.get_all('/registries'):
        if endpoint.get('name') == name:
            return endpoint['id']
    if name in planned:
        return None
    raise HarborError('proxy_cache_registry is %r: Harbor has no registry endpoint of that name (add it with '
                      'caas.platform.harbor_registry first)' % name)


def project_quota(client, project_id):
    quotas = client.get('/quotas', query={'reference': 'project', 'reference_id': project_id}) or []
    return quotas[0] if quotas else None


def project_summary(project, quota):
    """A project and its quota as the modules return them."""
    if not project:
        return {}
    metadata = project.get('metadata') or {}
    return dict(name=project.get('name'), project_id=project.get('project_id'),
                public=metadata.get('public') == 'true', auto_scan=metadata.get('auto_scan') == 'true',
                prevent_vulnerable=metadata.get('prevent_vul') == 'true', severity=metadata.get('severity'),
                storage_limit=((quota or {}).get('hard') or {}).get('storage'),
                proxy_cache_registry_id=project.get('registry_id') or None, repo_count=project.get('repo_count', 0))


def delete_project(client, project, before, check_mode):
    """Whether the project was (or would be) deleted; HarborRefused while it holds repositories."""
    if not project:
        return False
    if project.get('repo_count'):
        raise HarborRefused('project %s holds %d repositories: Harbor keeps them until they are deleted; delete them '
                            'first (nothing was changed)' % (project['name'], project['repo_count']), project=before)
    if not check_mode:
        client.request('DELETE', '/projects/%s' % project['project_id'])
    return True


def create_project(client, params, limit, check_mode, planned):
    """(project, quota) made (what they would be, in check mode)."""
    body = dict(project_name=params['name'], metadata=wanted_metadata(params))
    if limit is not None:
        body['storage_limit'] = limit
    if params['proxy_cache_registry']:
        body['registry_id'] = registry_id(client, params['proxy_cache_registry'], planned)
    if check_mode:
        return (dict(name=params['name'], metadata=body['metadata'], registry_id=body.get('registry_id')),
                {'hard': {'storage': limit if limit is not None else -1}})
    client.request('POST', '/projects', body=body, expect=(201,))
    project = client.find('projects', params['name'])
    return project, project_quota(client, project['project_id'])


def update_project(client, params, project, quota, limit, before, check_mode):
    """(changed, project, quota) of settling an existing project's metadata and quota; HarborRefused when it would
    have to become a proxy cache or stop being one."""
    name = params['name']
    if params['proxy_cache_registry'] is not None:
        wanted_id = registry_id(client, params['proxy_cache_registry']) if params['proxy_cache_registry'] else None
        if (project.get('registry_id') or None) != wanted_id:
            raise HarborRefused('project %s %s; Harbor fixes that when a project is created: make another project, or '
                                'leave proxy_cache_registry unset' % (
                                    name, 'is not a proxy cache' if not project.get('registry_id')
                                    else 'caches another registry endpoint'), project=before)
    changed = False
    have = project.get('metadata') or {}
    changes = dict((k, v) for k, v in wanted_metadata(params).items() if have.get(k) != v)
    if changes:
        changed = True
        project = dict(project, metadata=dict(have, **changes))
        if not check_mode:
            client.request('PUT', '/projects/%s' % project['project_id'], body={'metadata': changes})
    if limit is not None and ((quota or {}).get('hard') or {}).get('storage') != limit:
        if not quota:
            raise HarborError('project %s has no quota in Harbor to set storage_limit on' % name)
        changed = True
        quota = dict(quota, hard=dict(quota.get('hard') or {}, storage=limit))
        if not check_mode:
            client.request('PUT', '/quotas/%s' % quota['id'], body={'hard': {'storage': limit}})
    return changed, project, quota


def apply_project(client, params, check_mode, planned_endpoints=()):
    """(changed, before, after) of making the project what params (project_options, without project_problems) say;
    planned_endpoints are the names of endpoints a check mode would have made before."""
    limit = storage_limit_bytes(params['storage_limit'])
    project = client.find('projects', params['name'])
    quota = project_quota(client, project['project_id']) if project else None
    before = project_summary(project, quota)
    if params['state'] == 'absent':
        return delete_project(client, project, before, check_mode), before, {}
    if not project:
        project, quota = create_project(client, params, limit, check_mode, planned_endpoints)
        return True, before, project_summary(project, quota)
    changed, project, quota = update_project(client, params, project, quota, limit, before, check_mode)
    return changed, before, project_summary(project, quota)
