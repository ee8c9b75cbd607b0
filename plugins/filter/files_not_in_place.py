# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: files_not_in_place
short_description: The paths whose reported type, owner, group, mode or sha256 differ from the wanted ones
version_added: 0.1.0
description:
  - Takes the C(files) a read returned (M(caas.platform.certificate_state) reports each path's C(type), C(owner),
    C(group), C(mode) and C(sha256), or null when nothing is there) and the wanted attributes per path; returns
    the paths that are missing or differ in any wanted attribute, sorted. A role asks it whether the read shows
    its files in place, and skips the tasks that would write them when the list is empty.
  - With O(present_only), a missing path is not reported - for files another program writes, whose attributes only are
    the role's (kubeadm's certificates, absent when the topology has none of that kind).
options:
  _input:
    description: The read's C(files) (path to its attributes, or null).
    type: dict
    required: true
  wanted:
    description:
      - Path to the attributes it must have; only the attributes named are compared.
      - Or the O(caas.platform.files#module:items) that would put them in place (each with C(path)); their C(owner),
        C(group) and C(mode) are compared.
    type: raw
    required: true
  present_only:
    description: Report only the paths that are there and differ, not the missing ones.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Copy the CA only when the read shows it missing or different
  ansible.builtin.copy:
    src: ca.crt
    dest: /etc/kubernetes/pki/etcd/ca.crt
    mode: "0600"
  when: "pki.files | caas.platform.files_not_in_place({'/etc/kubernetes/pki/etcd/ca.crt': {'mode': '0600'}}) | length > 0"
"""

RETURN = r"""
_value:
  description: The paths not as wanted, sorted.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError


# What a files item says of a path that a read reports too.
ITEM_ATTRIBUTES = ('owner', 'group', 'mode')


def files_not_in_place(found, wanted, present_only=False):
    if isinstance(wanted, list) and all(hasattr(item, 'get') and item.get('path') for item in wanted):
        wanted = dict((item['path'], dict((key, item[key]) for key in ITEM_ATTRIBUTES if key in item)) for item in wanted)
    if not hasattr(found, 'get') or not hasattr(wanted, 'items'):
        raise AnsibleFilterError('files_not_in_place expects the files a read returned and a dict of wanted '
                                 'attributes per path (or files items), got %r and %r' % (found, wanted))

    def differs(path, attributes):
        if not found.get(path):
            return not present_only
        return any(found[path].get(key) != value for key, value in attributes.items())
    return sorted(path for path, attributes in wanted.items() if differs(path, attributes))


class FilterModule(object):
    def filters(self):
        return {'files_not_in_place': files_not_in_place}
