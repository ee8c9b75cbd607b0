# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: upgrade_settings_problems
short_description: What is wrong with playbooks/upgrade.yml's own settings, each with its fix
version_added: 0.1.0
description:
  - Takes the upgrade's settings by name and returns one message per bad value (empty when all are good), so that
    playbooks/upgrade.yml refuses them before it reads or changes anything rather than half-way through a run.
  - C(upgrade_worker_batch) a number of workers (1 or more) or a percentage (C(25%), 1 to 100);
    C(upgrade_drain_timeout) and C(upgrade_node_ready_timeout) whole seconds, 1 or more; C(upgrade_cert_min_days)
    whole days, 0 or more; C(upgrade_on_drain_failure) C(uncordon) or C(keep_cordoned);
    C(upgrade_allow_removed_apis) a boolean. Values given as extra vars arrive as text and are read as such.
options:
  _input:
    description: The settings, by name; a missing one takes its default.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse bad settings of the upgrade
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ {'upgrade_worker_batch': upgrade_worker_batch | default(1)} | caas.platform.upgrade_settings_problems }}"
"""

RETURN = r"""
_value:
  description: One message per bad setting, naming it, its value and the fix.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.upgrade import settings_problems


def upgrade_settings_problems(settings):
    if not hasattr(settings, 'get'):
        raise AnsibleFilterError('upgrade_settings_problems expects the settings by name, a dict; got %r' % (settings,))
    return settings_problems(settings)


class FilterModule(object):
    def filters(self):
        return {'upgrade_settings_problems': upgrade_settings_problems}
