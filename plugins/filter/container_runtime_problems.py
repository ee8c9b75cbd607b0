# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_runtime_problems
short_description: What is wrong with the container_runtime role's sources and registry settings
version_added: 0.1.0
description:
  - Takes the role's settings by name and returns one message per problem (empty when there is none), so that the
    role refuses them before anything changes.
  - C(container_runtime_files_repo_url) set when C(container_runtime_source) is C(files_repo);
    C(container_runtime_ca_file) a file on the controller when set; C(container_runtime_registry_pull_through) a
    mapping of upstream registries to C(<host[:port]>/<path>) (the Harbor project a registry is pulled through).
options:
  _input:
    description: The settings, by name.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse bad settings
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: >-
      {{ {'container_runtime_source': container_runtime_source,
          'container_runtime_registry_pull_through': container_runtime_registry_pull_through}
         | caas.platform.container_runtime_problems }}
"""

RETURN = r"""
_value:
  description: One message per problem, naming the setting, its value and the fix.
  type: list
  elements: str
"""

import json
import os
import re

from ansible.errors import AnsibleFilterError

# <host[:port]>/<path>: where containerd asks for an upstream registry's images instead (a Harbor project).
PULL_THROUGH = re.compile(r'^[A-Za-z0-9.-]+(:[0-9]+)?/[^/\s]\S*$')


def container_runtime_problems(settings):
    if not hasattr(settings, 'get'):
        raise AnsibleFilterError('container_runtime_problems expects the settings by name, a dict; got %r'
                                 % (settings,))
    problems = []
    if settings.get('container_runtime_source') == 'files_repo' and not settings.get('container_runtime_files_repo_url'):
        problems.append('container_runtime_files_repo_url is empty while container_runtime_source is files_repo: set '
                        'caas_files_repo_url in group_vars/all (docs/inventory.md), or container_runtime_source: '
                        'distro for Debian\'s packages.')
    ca_file = settings.get('container_runtime_ca_file')
    if ca_file and not os.path.isfile(str(ca_file)):
        problems.append('container_runtime_ca_file is %s, which is not a file on the controller: set '
                        'caas_artifacts_ca_file to the PEM of the site CA, or leave it empty.' % json.dumps(ca_file))
    pull_through = settings.get('container_runtime_registry_pull_through') or {}
    if not hasattr(pull_through, 'items'):
        problems.append('container_runtime_registry_pull_through is %s: set a mapping of each upstream registry to '
                        '<host[:port]>/<path>, for example {"docker.io": "registry.example.com/docker.io-cache"} '
                        '(docs/registry.md).' % json.dumps(pull_through, default=str))
        pull_through = {}
    for registry, target in pull_through.items():
        if not PULL_THROUGH.match(str(target or '')):
            problems.append('container_runtime_registry_pull_through[%s] is %s: set <host[:port]>/<path> of the '
                            'Harbor project the registry is pulled through (docs/registry.md).'
                            % (json.dumps(registry), json.dumps(target, default=str)))
    return problems


class FilterModule(object):
    def filters(self):
        return {'container_runtime_problems': container_runtime_problems}
