# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rook_ceph_device_problems
short_description: What the devices meant for Ceph OSDs hold that forbids using them
version_added: 0.1.0
description:
  - Takes the registered results of C(lsblk --json --output NAME,PATH,TYPE,FSTYPE,PTTYPE,MOUNTPOINTS) run on each of
    a host's C(rook_ceph_osd_devices) (a loop whose C(item) is the device entry) and returns one message per
    device that must not become an OSD - mounted, or holding a filesystem, partition table, partitions or volumes
    unless its entry sets C(wipe) true. A device that already is an OSD (C(ceph_bluestore)) is fine.
options:
  _input:
    description: The loop's results (each with C(item) and C(stdout)).
    type: list
    elements: dict
    required: true
  host:
    description: The host's inventory name, for the messages.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse devices that hold data
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ lsblk.results | caas.platform.rook_ceph_device_problems(inventory_hostname) }}"
"""

RETURN = r"""
_value:
  description: One message per problem.
  type: list
  elements: str
"""

import json

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.rook_ceph_plan import lsblk_problems


def rook_ceph_device_problems(results, host):
    if not isinstance(results, list):
        raise AnsibleFilterError('rook_ceph_device_problems expects the results of a loop, got %r' % (results,))
    problems = []
    for result in results:
        try:
            listing = json.loads(result.get('stdout') or '{}')
        except ValueError:
            listing = {}
        problems += lsblk_problems(host, result['item'], listing)
    return problems


class FilterModule(object):
    def filters(self):
        return {'rook_ceph_device_problems': rook_ceph_device_problems}
