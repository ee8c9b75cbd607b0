# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: upgrade_node_ready
short_description: Whether an upgraded node is Ready at the release
version_added: 0.1.0
description:
  - True when the node is Ready and its kubelet runs the release, and when each control-plane pod on it is Ready, the
    API server, controller manager and scheduler at the release (stacked etcd runs etcd's own version).
    playbooks/upgrade.yml waits for it before it uncordons a node and goes on to the next.
options:
  _input:
    description: The caas.platform.upgrade_state module's answer.
    type: dict
    required: true
  name:
    description: The node's name.
    type: str
    required: true
  target:
    description: The release (C(1.36.3) or C(v1.36.3)).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Wait for worker1
  caas.platform.upgrade_state:
    deprecated_apis: false
  register: state
  until: state | caas.platform.upgrade_node_ready('worker1', '1.36.3')
  retries: 60
  delay: 5
"""

RETURN = r"""
_value:
  description: Whether the node is ready at the release.
  type: bool
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.upgrade import node_ready


def upgrade_node_ready(state, name, target):
    if not hasattr(state, 'get'):
        raise AnsibleFilterError('upgrade_node_ready expects the upgrade_state answer, a dict')
    return node_ready(state, str(name), str(target))


class FilterModule(object):
    def filters(self):
        return {'upgrade_node_ready': upgrade_node_ready}
