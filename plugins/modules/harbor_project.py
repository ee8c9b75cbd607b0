#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_project
short_description: Harbor projects - visibility, scan on push, vulnerability gate, storage quota, proxy cache
version_added: 0.1.0
description:
  - Makes a Harbor project what the options say, through Harbor's API; options left unset are left as Harbor has
    them. Changed only when Harbor's project differed.
  - A project is created with its settings, its storage quota and, for a proxy cache, the registry endpoint it
    caches (by the endpoint's name, see the C(harbor_registry) module's endpoints). An existing project's settings
    and quota are updated; whether it is a proxy cache cannot change (Harbor fixes it at creation), so a different
    O(proxy_cache_registry) is refused.
  - With O(state=absent) the project is deleted only when it holds no repository; a project with images is refused
    with their count (nothing is lost by a re-run with a wrong state).
options:
  name:
    description: The project's name (lower-case letters, digits and C(._-) between them, as Harbor requires).
    type: str
    required: true
  state:
    description: Whether the project exists.
    type: str
    choices: [present, absent]
    default: present
  public:
    description: Anyone may pull from the project (pushing still needs a member's or a robot's login).
    type: bool
  auto_scan:
    description: Scan each artifact when it is pushed (with the default scanner).
    type: bool
  prevent_vulnerable:
    description: Refuse pulls of artifacts with a vulnerability of O(severity) or worse (scanned artifacts only).
    type: bool
  severity:
    description: The least severity that O(prevent_vulnerable) refuses.
    type: str
    choices: [none, low, medium, high, critical]
  storage_limit:
    description:
      - The project's storage quota, in bytes or with a unit (V(10G), V(500M); binary units), or V(-1) for none.
    type: str
  proxy_cache_registry:
    description:
      - The name of the registry endpoint the project caches, which makes it a proxy cache project. Only at
        creation; an existing project is never turned into a proxy cache or out of one.
    type: str
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the project and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The project's settings and quota before and after.
notes:
  - Needs a login that may manage projects (the admin, or a robot account with project permissions).
"""

EXAMPLES = r"""
- name: A private project whose pushes are scanned and whose vulnerable images cannot be pulled
  caas.platform.harbor_project:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: team-a
    public: false
    auto_scan: true
    prevent_vulnerable: true
    severity: high
    storage_limit: 50G

- name: A proxy cache of Docker Hub (the endpoint dockerhub exists)
  caas.platform.harbor_project:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: dockerhub-cache
    public: true
    proxy_cache_registry: dockerhub
"""

RETURN = r"""
project:
  description: The project as Harbor has it after the run (nothing when it is absent).
  returned: always
  type: dict
  sample:
    name: team-a
    project_id: 3
    public: false
    auto_scan: true
    prevent_vulnerable: true
    severity: high
    storage_limit: 53687091200
    proxy_cache_registry_id: null
    repo_count: 0
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.formatters import human_to_bytes

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)

NAME = re.compile(r'^[a-z0-9]+(?:[._-][a-z0-9]+)*$')
# The module's options that are Harbor's project metadata (strings "true"/"false" and the severity).
METADATA = {'public': 'public', 'auto_scan': 'auto_scan', 'prevent_vulnerable': 'prevent_vul', 'severity': 'severity'}


def wanted_metadata(params):
    """Harbor's metadata for the options that are set."""
    wanted = {}
    for option, key in METADATA.items():
        value = params[option]
        if value is not None:
            wanted[key] = value if isinstance(value, str) else ('true' if value else 'false')
    return wanted


def storage_limit_bytes(module, value):
    if value is None:
        return None
    if value.strip() == '-1':
        return -1
    try:
        return human_to_bytes(value.strip())
    except ValueError as exc:
        module.fail_json(msg='storage_limit is %r: %s; give bytes, a size with a unit (10G) or -1' % (value, exc))


def registry_id(client, name):
    """The ID of the registry endpoint of that name."""
    for endpoint in client.get_all('/registries'):
        if endpoint.get('name') == name:
            return endpoint['id']
    raise HarborError('proxy_cache_registry is %r: Harbor has no registry endpoint of that name (add it with '
                      'caas.platform.harbor_registry first)' % name)


def project_quota(client, project_id):
    quotas = client.get('/quotas', query={'reference': 'project', 'reference_id': project_id}) or []
    return quotas[0] if quotas else None


def summary(project, quota):
    if not project:
        return {}
    metadata = project.get('metadata') or {}
    return dict(name=project.get('name'), project_id=project.get('project_id'),
                public=metadata.get('public') == 'true', auto_scan=metadata.get('auto_scan') == 'true',
                prevent_vulnerable=metadata.get('prevent_vul') == 'true', severity=metadata.get('severity'),
                storage_limit=((quota or {}).get('hard') or {}).get('storage'),
                proxy_cache_registry_id=project.get('registry_id') or None, repo_count=project.get('repo_count', 0))


def main():
    module = AnsibleModule(
        argument_spec=dict(argument_spec(), name=dict(type='str', required=True),
                           state=dict(type='str', choices=['present', 'absent'], default='present'),
                           public=dict(type='bool'), auto_scan=dict(type='bool'), prevent_vulnerable=dict(type='bool'),
                           severity=dict(type='str', choices=['none', 'low', 'medium', 'high', 'critical']),
                           storage_limit=dict(type='str'), proxy_cache_registry=dict(type='str')),
        supports_check_mode=True,
    )
    params = module.params
    name = params['name']
    if not NAME.match(name) or len(name) > 255:
        module.fail_json(msg='name is %r: a Harbor project name is lower-case letters and digits, with single . _ or - '
                             'between them (at most 255 characters)' % name)
    limit = storage_limit_bytes(module, params['storage_limit'])
    client = HarborClient.from_module(module)
    changed = False
    try:
        project = client.find('projects', name)
        quota = project_quota(client, project['project_id']) if project else None
        before = summary(project, quota)
        if params['state'] == 'absent':
            if project:
                if project.get('repo_count'):
                    module.fail_json(msg='project %s holds %d repositories: Harbor keeps them until they are deleted; '
                                         'delete them first (nothing was changed)' % (name, project['repo_count']),
                                     project=before)
                changed = True
                if not module.check_mode:
                    client.request('DELETE', '/projects/%s' % project['project_id'])
            project, quota = None, None
        elif not project:
            changed = True
            body = dict(project_name=name, metadata=wanted_metadata(params))
            if limit is not None:
                body['storage_limit'] = limit
            if params['proxy_cache_registry']:
                body['registry_id'] = registry_id(client, params['proxy_cache_registry'])
            if not module.check_mode:
                client.request('POST', '/projects', body=body, expect=(201,))
                project = client.find('projects', name)
                quota = project_quota(client, project['project_id'])
            else:
                project = dict(name=name, metadata=body['metadata'], registry_id=body.get('registry_id'))
                quota = {'hard': {'storage': limit if limit is not None else -1}}
        else:
            if params['proxy_cache_registry'] is not None:
                wanted_id = registry_id(client, params['proxy_cache_registry']) if params['proxy_cache_registry'] else None
                if (project.get('registry_id') or None) != wanted_id:
                    module.fail_json(msg='project %s %s; Harbor fixes that when a project is created: make another '
                                         'project, or leave proxy_cache_registry unset' % (
                                             name, 'is not a proxy cache' if not project.get('registry_id')
                                             else 'caches another registry endpoint'), project=before)
            have = project.get('metadata') or {}
            changes = dict((k, v) for k, v in wanted_metadata(params).items() if have.get(k) != v)
            if changes:
                changed = True
                project = dict(project, metadata=dict(have, **changes))
                if not module.check_mode:
                    client.request('PUT', '/projects/%s' % project['project_id'], body={'metadata': changes})
            if limit is not None and ((quota or {}).get('hard') or {}).get('storage') != limit:
                if not quota:
                    raise HarborError('project %s has no quota in Harbor to set storage_limit on' % name)
                changed = True
                quota = dict(quota, hard=dict(quota.get('hard') or {}, storage=limit))
                if not module.check_mode:
                    client.request('PUT', '/quotas/%s' % quota['id'], body={'hard': {'storage': limit}})
        after = summary(project, quota)
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'project', before, after)


if __name__ == '__main__':
    main()
