# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rook_ceph_removal_problems
short_description: What keeps a storage host from being removed from Ceph
version_added: 0.1.0
description:
  - Takes the inventory name of the storage host to remove (C(rook_ceph_remove_host)) and returns one message per
    problem, each naming the variable, the bad value and the fix; an empty list when the removal may start.
  - The host must be in the inventory and no longer in the storage group (the inventory says what the cluster should
    be, so it is edited first). What the remaining hosts must hold (monitors, replicas per failure domain) is the
    rook_ceph_problems filter's; the room for the data is the ceph_osd module's.
options:
  _input:
    description: The inventory name of the host to remove.
    type: str
    required: true
  inventory_hosts:
    description: Every host of the inventory (C(groups['all'])).
    type: list
    elements: str
    required: true
  storage_hosts:
    description: The hosts of the storage group.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a removal that cannot start, before anything changes
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ rook_ceph_remove_host | caas.platform.rook_ceph_removal_problems(groups['all'], groups['storage']) }}"
"""

RETURN = r"""
_value:
  description: One message per problem.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.rook_ceph_plan import removal_problems


def rook_ceph_removal_problems(host, inventory_hosts, storage_hosts):
    if not isinstance(inventory_hosts, list) or not isinstance(storage_hosts, list):
        raise AnsibleFilterError('rook_ceph_removal_problems expects the inventory\'s hosts and the storage group\'s')
    return removal_problems(host, inventory_hosts, storage_hosts)


class FilterModule(object):
    def filters(self):
        return {'rook_ceph_removal_problems': rook_ceph_removal_problems}
