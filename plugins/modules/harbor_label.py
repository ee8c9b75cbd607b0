#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_label
short_description: Harbor's labels - the names artifacts are marked with, for every project or for one
version_added: 0.1.0
description:
  - Makes a label with its description and color, for every project (a system label) or, with O(project), for that
    project only; or removes it. A label's scope cannot change, so the same name in another scope is another label.
  - Replication filters and people select artifacts by label (C(release), C(approved), C(do-not-delete)). Removing
    a label takes it off every artifact that has it; the artifacts stay.
  - Changed only when Harbor's label differed in what is given.
options:
  name:
    description: The label's name.
    type: str
    required: true
  project:
    description: The project whose label this is; omitted, a system label every project can use.
    type: str
  description:
    description: What the label means; omitted, Harbor's is kept (empty for a new label).
    type: str
  color:
    description: Its color in Harbor's portal, C(#RRGGBB); omitted, Harbor's is kept (none for a new label).
    type: str
  state:
    description: V(present) or V(absent).
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
    description: Reads the label and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The label before and after.
notes:
  - A system label needs the admin's login; a project's needs a project admin's.
"""

EXAMPLES = r"""
- name: A system label for the images a release is made of
  caas.platform.harbor_label:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: release
    description: Part of a platform release; never deleted by retention
    color: "#0065AB"

- name: Team A's own label
  caas.platform.harbor_label:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    project: team-a
    name: approved
    color: "#48960C"
"""

RETURN = r"""
label:
  description: The label after the run (what it would be, in check mode); empty when it is absent.
  returned: always
  type: dict
  sample: {name: release, description: Part of a platform release, color: "#0065AB", project: ""}
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)

COLOR = re.compile(r'^#[0-9A-Fa-f]{6}$')


def summary(label, project):
    return dict(name=label.get('name'), description=label.get('description') or '', color=label.get('color') or '',
                project=project or '') if label else {}


def label_scope(project_id):
    """Harbor's scope of a label: a project's (p, with its ID) or the system's (g)."""
    return dict(scope='p', project_id=project_id) if project_id else dict(scope='g')


def find_label(client, name, project_id):
    """The label of that exact name in the scope (Harbor's name query matches parts of names too), or None."""
    found = [label for label in client.get_all('/labels', dict(label_scope(project_id), name=name))
             if label.get('name') == name]
    return found[0] if found else None


def main():
    spec = argument_spec()
    spec.update(name=dict(type='str', required=True), project=dict(type='str'), description=dict(type='str'),
                color=dict(type='str'), state=dict(type='str', choices=['present', 'absent'], default='present'))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    if not params['name'].strip():
        module.fail_json(msg='name is empty: give the label a name')
    if params['color'] is not None and not COLOR.match(params['color']):
        module.fail_json(msg='color is %r: give #RRGGBB (for example "#0065AB")' % params['color'])
    client = HarborClient.from_module(module)
    try:
        project_id = None
        if params['project']:
            project_id = client.project(params['project'])['project_id']
        label = find_label(client, params['name'], project_id)
        before = summary(label, params['project'])
        if params['state'] == 'absent':
            after = {}
        else:
            after = dict(before or summary({'name': params['name']}, params['project']))
            after.update((k, params[k]) for k in ('description', 'color') if params[k] is not None)
        changed = before != after
        if changed and not module.check_mode:
            fields = dict(name=params['name'], description=after.get('description'), color=after.get('color'))
            if params['state'] == 'absent':
                client.request('DELETE', '/labels/%s' % label['id'])
            elif label:
                client.request('PUT', '/labels/%s' % label['id'], body=fields)
            else:
                client.request('POST', '/labels', body=dict(fields, **label_scope(project_id)), expect=(201,))
            if params['state'] == 'present':
                after = summary(find_label(client, params['name'], project_id), params['project'])
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'label', before, after)


if __name__ == '__main__':
    main()
