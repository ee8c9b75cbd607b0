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
options:
  _input:
    description: The read's C(files) (path to its attributes, or null).
    type: dict
    required: true
  wanted:
    description: Path to the attributes it must have; only the attributes named are compared.
    type: dict
    required: true
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


def files_not_in_place(found, wanted):
    if not hasattr(found, 'get') or not hasattr(wanted, 'items'):
        raise AnsibleFilterError('files_not_in_place expects the files a read returned and a dict of wanted '
                                 'attributes per path, got %r and %r' % (found, wanted))
    return sorted(path for path, attributes in wanted.items()
                  if not found.get(path) or any(found[path].get(key) != value for key, value in attributes.items()))


class FilterModule(object):
    def filters(self):
        return {'files_not_in_place': files_not_in_place}
