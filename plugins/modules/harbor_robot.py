#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_robot
short_description: Harbor robot accounts (system and project level), their permissions, and their secrets
version_added: 0.1.0
description:
  - Makes a robot account what the options say - its permissions, description, lifetime and whether it is
    disabled. Changed only when Harbor's robot differed.
  - A robot is of a project (O(project), Harbor's C(robot$<project>+<name>)) or of the system (C(robot$<name>),
    with permissions over several projects).
  - The secret - Harbor makes one when the robot is created, or takes O(secret) (from Vault). It is returned as
    RV(secret) only when it was made or changed in this run (register the task with C(no_log)); Harbor never shows
    it again. With O(secret), a robot whose secret is no longer that one (a login with it fails) gets it again;
    O(rotate) makes Harbor issue a new one.
options:
  name:
    description: The robot's name, without Harbor's prefix and project (C(ci), not C(robot$team-a+ci)).
    type: str
    required: true
  project:
    description: The project of a project-level robot; none for a system-level robot.
    type: str
  state:
    description: Whether the robot exists.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: A description.
    type: str
    default: ''
  duration_days:
    description: The robot's lifetime in days from when it is created (or its lifetime changes); -1 for ever.
    type: int
    default: -1
  disable:
    description: Disable the robot (its logins fail) without deleting it.
    type: bool
    default: false
  permissions:
    description:
      - What the robot may do. For a project-level robot, one entry for its project (C(kind) project, C(namespace)
        the project); for a system-level robot, entries of projects (C(namespace) a project, or C(*) for all) and of
        the system (C(kind) system, C(namespace) C(/)).
      - Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      kind:
        description: C(project) or C(system).
        type: str
        choices: [project, system]
        default: project
      namespace:
        description: The project (C(*) for every project), or C(/) for the system.
        type: str
        required: true
      access:
        description: "The resources and actions, each a C(resource) and an C(action), for example C(repository) and C(push)."
        type: list
        elements: dict
        required: true
  secret:
    description: The robot's secret, from Vault (8 to 128 characters with an upper-case letter, a lower-case letter
      and a digit, as Harbor requires). Never logged; returned only when it was set in this run.
    type: str
  rotate:
    description: Have Harbor issue a new secret (returned as RV(secret)); always a change.
    type: bool
    default: false
  prefix:
    description: Harbor's robot name prefix (its C(robot_name_prefix) setting).
    type: str
    default: robot$
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the robot (and tries O(secret)) and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The robot's settings and permissions before and after, never the secret.
"""

EXAMPLES = r"""
- name: A robot that pushes to and pulls from team-a (CI), its secret from Vault
  caas.platform.harbor_robot:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    project: team-a
    name: ci
    secret: "{{ vault_team_a_ci_secret }}"
    permissions:
      - namespace: team-a
        access:
          - {resource: repository, action: push}
          - {resource: repository, action: pull}
  no_log: true

- name: A system robot that pulls from every project, secret made by Harbor and kept once
  caas.platform.harbor_robot:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: nodes
    permissions:
      - namespace: "*"
        access: [{resource: repository, action: pull}]
  register: nodes_robot
  no_log: true
"""

RETURN = r"""
robot:
  description: The robot as Harbor has it after the run, without its secret (nothing when it is absent).
  returned: always
  type: dict
  sample: {id: 4, name: "robot$team-a+ci", level: project, duration: -1, disable: false, expires_at: -1,
           permissions: [{kind: project, namespace: team-a, access: [{resource: repository, action: pull, effect: allow}]}]}
secret:
  description: The robot's secret, only when it was made or changed in this run. Register the task with no_log.
  returned: when the robot was created, rotated or given O(secret) anew
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)


def full_name(params):
    middle = '%s+' % params['project'] if params['project'] else ''
    return '%s%s%s' % (params['prefix'], middle, params['name'])


def normalized(permissions):
    """Permissions in one order, each access with its effect, for comparing what Harbor has with what is asked."""
    result = []
    for permission in permissions or []:
        access = sorted((a.get('resource'), a.get('action'), a.get('effect') or 'allow')
                        for a in permission.get('access') or [])
        result.append(dict(kind=permission.get('kind') or 'project', namespace=permission.get('namespace'),
                           access=[dict(resource=r, action=a, effect=e) for r, a, e in access]))
    return sorted(result, key=lambda p: (p['kind'], p['namespace']))


def summary(robot):
    if not robot:
        return {}
    return dict(id=robot.get('id'), name=robot.get('name'), level=robot.get('level'),
                description=robot.get('description') or '', duration=robot.get('duration'),
                disable=bool(robot.get('disable')), expires_at=robot.get('expires_at'),
                permissions=normalized(robot.get('permissions')))


def find_robot(client, name, project=None):
    """The robot of this full name: Harbor lists a project's robots only when asked by the project's ID."""
    query = None
    if project:
        found = client.find('projects', project)
        if not found:
            return None
        query = {'q': 'Level=project,ProjectID=%s' % found['project_id']}
    return next((r for r in client.get_all('/robots', query=query) if r.get('name') == name), None)


def secret_works(module, name, secret):
    """Whether a login as the robot with this secret works (Harbor shows the version to a login only)."""
    params = module.params
    probe = HarborClient(params['url'], name, secret, params['ca_path'], params['validate_certs'], params['timeout'])
    try:
        return bool((probe.get('/systeminfo') or {}).get('harbor_version'))
    except HarborError as exc:
        if exc.status == 401:
            return False
        raise


def main():
    spec = argument_spec()
    spec.update(
        name=dict(type='str', required=True),
        project=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        description=dict(type='str', default=''),
        duration_days=dict(type='int', default=-1),
        disable=dict(type='bool', default=False),
        permissions=dict(type='list', elements='dict', options=dict(
            kind=dict(type='str', choices=['project', 'system'], default='project'),
            namespace=dict(type='str', required=True),
            access=dict(type='list', elements='dict', required=True))),
        secret=dict(type='str', no_log=True),
        rotate=dict(type='bool', default=False),
        prefix=dict(type='str', default='robot$'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_if=[('state', 'present', ('permissions',))],
                           mutually_exclusive=[('secret', 'rotate')])
    params = module.params
    name = full_name(params)
    level = 'project' if params['project'] else 'system'
    if params['project'] and [p['namespace'] for p in params['permissions'] or []] not in ([], [params['project']]):
        module.fail_json(msg='robot %s is of project %s: its permissions are one entry with namespace %s (a robot over '
                             'several projects is a system robot: leave project unset)'
                             % (name, params['project'], params['project']))
    client = HarborClient.from_module(module)
    changed, secret = False, None
    try:
        robot = find_robot(client, name, params['project'])
        before = summary(robot)
        if params['state'] == 'absent':
            if robot:
                changed = True
                if not module.check_mode:
                    client.request('DELETE', '/robots/%s' % robot['id'])
            robot = None
        else:
            wanted = dict(description=params['description'], duration=params['duration_days'],
                          disable=params['disable'], permissions=normalized(params['permissions']))
            if not robot:
                changed = True
                body = dict(name=params['name'], level=level, **wanted)
                if params['secret']:
                    body['secret'] = params['secret']
                if not module.check_mode:
                    created = client.request('POST', '/robots', body=body, expect=(201,))[2] or {}
                    secret = created.get('secret')
                    robot = find_robot(client, name, params['project'])
                else:
                    robot = dict(body, name=name)
            else:
                differs = dict((k, v) for k, v in wanted.items() if before.get(k) != v)
                if differs:
                    changed = True
                    body = dict(robot, **wanted)
                    body.pop('secret', None)
                    if not module.check_mode:
                        client.request('PUT', '/robots/%s' % robot['id'], body=body)
                        robot = find_robot(client, name, params['project'])
                    else:
                        robot = body
                if params['rotate'] or (params['secret'] and not params['disable']
                                        and not secret_works(module, name, params['secret'])):
                    changed = True
                    if not module.check_mode:
                        answer = client.request('PATCH', '/robots/%s' % robot['id'],
                                                body={'secret': params['secret']} if params['secret'] else {})[2] or {}
                        secret = answer.get('secret') or params['secret']
        after = summary(robot)
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'robot', before, after, **(dict(secret=secret) if secret else {}))


if __name__ == '__main__':
    main()
