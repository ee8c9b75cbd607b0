# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: private_file_items
short_description: Items of M(caas.platform.files) that make existing files readable by root only
version_added: 0.1.0
description:
  - Takes paths (keys, certificates and configuration files that others wrote, such as kubeadm or sshd) and returns one
    M(caas.platform.files) item per path that gives the file owner C(root), group C(root) and mode C(0600)
    (C(state) C(attributes), so the content is left alone, and a path with nothing there is skipped).
  - The one place for the rule that the CIS benchmarks ask of such files.
options:
  _input:
    description: The paths.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Make the host keys 0600 root:root
  caas.platform.files:
    items: "{{ ['/etc/ssh/ssh_host_ed25519_key', '/etc/ssh/ssh_host_rsa_key'] | caas.platform.private_file_items }}"
"""

RETURN = r"""
_value:
  description: One item per path, in order, with C(path), C(state) C(attributes), C(owner) and C(group) C(root), and
    C(mode) C(0600).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError


def private_file_items(paths):
    if isinstance(paths, (str, bytes)) or not hasattr(paths, '__iter__'):
        raise AnsibleFilterError('private_file_items expects a list of paths, got %r' % (paths,))
    return [{'path': str(path), 'state': 'attributes', 'owner': 'root', 'group': 'root', 'mode': '0600'}
            for path in paths]


class FilterModule(object):
    def filters(self):
        return {'private_file_items': private_file_items}
