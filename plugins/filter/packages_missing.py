# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: packages_missing
short_description: The package names a node's read does not list as installed
version_added: 0.1.0
description:
  - Takes the names a role needs and the node's read (the C(caas_node) fact of M(caas.platform.node_facts), which
    preflight gathers at the start of the site run); returns the names not among its C(packages), in their order.
  - Without a read (the role run alone, or a read without C(packages)) it returns every name, so the role's
    M(caas.platform.packages) task runs and asks dpkg itself. A package installed since the read is returned too; the
    module then finds it installed and changes nothing. No role removes packages, so a name the read lists stays
    installed for the rest of the run.
  - A role skips its M(caas.platform.packages) task when the list is empty, so a re-run starts no module for them.
options:
  _input:
    description: The package names the role needs.
    type: list
    elements: str
    required: true
  node:
    description: The node's read (C(caas_node)), or null when there is none.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Install the packages the role needs that are missing
  caas.platform.packages:
    names: [haproxy, keepalived]
  when: "['haproxy', 'keepalived'] | caas.platform.packages_missing(caas_node | default(none)) | length > 0"
"""

RETURN = r"""
_value:
  description: The names not listed as installed, in their order.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError


def packages_missing(names, node):
    if isinstance(names, str) or not hasattr(names, '__iter__'):
        raise AnsibleFilterError('packages_missing expects a list of package names, got %r' % (names,))
    installed = node.get('packages') if hasattr(node, 'get') else None
    if not installed:
        return list(names)
    installed = set(installed)
    return [name for name in names if name not in installed]


class FilterModule(object):
    def filters(self):
        return {'packages_missing': packages_missing}
