# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: etcd_ca_state
short_description: Which etcd members hold the cluster's CA, which CAs there are, and where it is in place
version_added: 0.1.0
description:
  - Takes each member's read of its PKI (the C(files) of M(caas.platform.certificate_state), which names the CA
    certificate and key) and tells the etcd role what to do with the CA.
  - A member holds the CA when both its certificate and its key are files. The first holder, in the order of the
    input, is the CA's source; a member has it in place when its certificate and key have the source's sha256,
    owner root, group root and modes 0644 and 0600.
options:
  _input:
    description: Member to its read's C(files) (path to C(type), C(owner), C(group), C(mode), C(sha256), or null).
    type: dict
    required: true
  ca_cert:
    description: The path of the CA certificate.
    type: str
    required: true
  ca_key:
    description: The path of the CA key.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Find the members that hold the CA, and those that hold it as it must be
  ansible.builtin.set_fact:
    etcd_ca: >-
      {{ dict(etcd_hosts | zip(etcd_hosts | map('extract', hostvars, ['pki', 'files'])))
         | caas.platform.etcd_ca_state('/etc/etcd/pki/ca.crt', '/etc/etcd/pki/ca.key') }}
  run_once: true
"""

RETURN = r"""
_value:
  description: What the reads show.
  type: dict
  contains:
    holders:
      description: The members that hold a CA certificate and key, in the input's order; empty before the first run.
      type: list
      elements: str
    checksums:
      description: The sha256 of every CA certificate the members hold, each once; more than one is two clusters.
      type: list
      elements: str
    in_place:
      description: The members whose CA certificate and key are the first holder's, with the wanted owner and modes.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.files_not_in_place import files_not_in_place

CERT = {'type': 'file', 'owner': 'root', 'group': 'root', 'mode': '0644'}
KEY = {'type': 'file', 'owner': 'root', 'group': 'root', 'mode': '0600'}


def _file(read):
    return read if isinstance(read, dict) and read.get('type') == 'file' else None


def etcd_ca_state(reads, ca_cert, ca_key):
    if not isinstance(reads, dict):
        raise AnsibleFilterError('etcd_ca_state: the input must map each member to its read files, got %r' % (reads,))
    pairs = [(host, _file((files or {}).get(ca_cert)), _file((files or {}).get(ca_key))) for host, files in reads.items()]
    holders = [(host, cert, key) for host, cert, key in pairs if cert and key]
    checksums = []
    for _host, cert, _key in pairs:
        if cert and cert.get('sha256') not in checksums:
            checksums.append(cert.get('sha256'))
    in_place = []
    if holders:
        # The first holder's copy, with the owner and modes every member's must have.
        _host, source_cert, source_key = holders[0]
        wanted = {ca_cert: dict(CERT, sha256=source_cert['sha256']), ca_key: dict(KEY, sha256=source_key['sha256'])}
        in_place = [host for host, files in reads.items() if not files_not_in_place(files or {}, wanted)]
    return dict(holders=[host for host, _cert, _key in holders], checksums=checksums, in_place=in_place)


class FilterModule:
    def filters(self):
        return {'etcd_ca_state': etcd_ca_state}
