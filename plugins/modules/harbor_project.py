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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)
from ansible_collections.caas.platform.plugins.module_utils.harbor_projects import (
    apply_project, project_options, project_problems)


def main():
    module = AnsibleModule(argument_spec=dict(argument_spec(), **project_options()), supports_check_mode=True)
    found = project_problems(module.params)
    if found:
        module.fail_json(msg=found[0])
    client = HarborClient.from_module(module)
    try:
        changed, before, after = apply_project(client, module.params, module.check_mode)
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'project', before, after)


if __name__ == '__main__':
    main()
