#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: certificate_state
short_description: Read in one round trip which certificates of a host must be issued again, and why
version_added: 0.1.0
description:
  - For each certificate, checks what issuing it again would change, the way a role's issuing tasks would judge
    it, and returns the reasons; a certificate without reasons is as wanted. It must match its private key, be
    signed by the CA certificate, carry the wanted common name, subject alternative names and extended key
    usages, and be valid for more than O(certificates[].renew_days) days.
  - Also tells whether each private key is in place (exists with its owner, group and mode), and returns the
    sha256 and attributes of the files named in O(files) (a CA and its key, say), so a role can tell which hosts
    hold which CA, in the same round trip.
  - Changes nothing on the host and never returns a key's content.
options:
  ca:
    description: The CA certificate that must have signed every certificate whose O(certificates[].ca) is omitted.
    type: path
    required: true
  certificates:
    description: The certificates to judge.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The certificate (PEM).
        type: path
        required: true
      key:
        description: Its private key (PEM, unencrypted).
        type: path
        required: true
      ca:
        description: The CA certificate that must have signed this one, when not O(ca) (another CA's client
          certificate, read in the same round trip).
        type: path
      common_name:
        description: The wanted common name; not checked when omitted.
        type: str
      sans:
        description: The wanted subject alternative names, as C(IP:<address>) and C(DNS:<name>); exactly these.
        type: list
        elements: str
        default: []
      usages:
        description: The wanted extended key usages (C(serverAuth), C(clientAuth) or dotted OIDs); exactly these.
        type: list
        elements: str
        default: []
      renew_days:
        description: Issue again when the certificate ends within this many days.
        type: int
        default: 0
      owner:
        description: The owner the certificate file must have (RV(certificates[].file_in_place)).
        type: str
        default: root
      group:
        description: The group the certificate file must have.
        type: str
        default: root
      mode:
        description: The mode the certificate file must have.
        type: str
        default: "0644"
      key_owner:
        description: The owner the private key must have (RV(certificates[].key_in_place)).
        type: str
        default: root
      key_group:
        description: The group the private key must have; the owner's name when omitted.
        type: str
      key_mode:
        description: The mode the private key must have.
        type: str
        default: "0600"
  files:
    description: Files whose sha256, owner, group and mode to report.
    type: list
    elements: path
    default: []
requirements:
  - The Python cryptography library on the host (Debian's C(python3-cryptography)).
author:
  - caas.platform maintainers (@caas-platform)
extends_documentation_fragment:
  - caas.platform.attributes.read_only
attributes:
  platform:
    support: full
    platforms: posix
    description: Reads files; tested on Debian 12.
notes:
  - Run it with C(become) to read private keys. A key is read only to compare its public half with the
    certificate's.
seealso:
  - module: community.crypto.x509_certificate
"""

EXAMPLES = r"""
- name: Read which of the member's certificates must be issued again
  caas.platform.certificate_state:
    ca: /etc/etcd/pki/ca.crt
    certificates:
      - path: /etc/etcd/pki/server.crt
        key: /etc/etcd/pki/server.key
        common_name: etcd1
        sans: [IP:10.0.0.11, IP:127.0.0.1, DNS:localhost, DNS:etcd1]
        usages: [serverAuth, clientAuth]
        renew_days: 30
    files: [/etc/etcd/pki/ca.crt, /etc/etcd/pki/ca.key]
  register: pki
  become: true

- name: Issue what must be
  ansible.builtin.debug:
    msg: "{{ item.path }}: {{ item.reasons | join('; ') }}"
  loop: "{{ pki.certificates | selectattr('reasons') }}"
"""

RETURN = r"""
certificates:
  description: Each certificate of O(certificates), in order, with why it must be issued again (empty when not).
  returned: always
  type: list
  elements: dict
  sample: [{path: /etc/etcd/pki/server.crt, exists: true, not_after: "2027-12-04T10:00:00Z", key_in_place: true,
            file_in_place: true, reasons: ["it ends 2027-12-04T10:00:00Z, within 30 days"]}]
  contains:
    path:
      description: The certificate's path.
      type: str
    exists:
      description: Whether there is a file at the path.
      type: bool
    not_after:
      description: The end of its validity (UTC), or null when it cannot be read.
      type: str
    key_in_place:
      description: Whether its private key exists with the wanted owner, group and mode.
      type: bool
    file_in_place:
      description: Whether the certificate file has the wanted owner, group and mode.
      type: bool
    reasons:
      description: Why it must be issued again; empty when it is as wanted.
      type: list
      elements: str
files:
  description:
    - For each path of O(files), its type (C(file) or C(directory)), owner, group, mode and, for a file, sha256; null
      when there is nothing there.
  returned: always
  type: dict
  sample: {/etc/etcd/pki/ca.key: {sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08,
                                   owner: root, group: root, mode: "0600"}}
"""

import grp
import hashlib
import os
import pwd
import stat

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.caas.platform.plugins.module_utils import certificates as certs
from ansible_collections.caas.platform.plugins.module_utils.files import read_file


def file_report(path):
    try:
        info = os.stat(path)
    except OSError:
        return None
    if stat.S_ISDIR(info.st_mode):
        kind, digest = 'directory', None
    elif stat.S_ISREG(info.st_mode):
        kind, digest = 'file', hashlib.sha256(read_file(path, binary=True) or b'').hexdigest()
    else:
        return None
    try:
        owner = pwd.getpwuid(info.st_uid).pw_name
    except KeyError:
        owner = str(info.st_uid)
    try:
        group = grp.getgrgid(info.st_gid).gr_name
    except KeyError:
        group = str(info.st_gid)
    return {'type': kind, 'sha256': digest, 'owner': owner, 'group': group, 'mode': '%04o' % stat.S_IMODE(info.st_mode)}


def load(loader, pem):
    if pem is None:
        return None
    try:
        return loader(pem)
    except (ValueError, TypeError):
        return None


def in_place(path, owner, group, mode):
    """Whether path is a file with that owner, group and mode."""
    found = file_report(path)
    return bool(found) and found['type'] == 'file' and (found['owner'], found['group'], found['mode']) == (
        owner, group, mode.zfill(4))


def judge(module, want, ca_pem):
    result = {'path': want['path'], 'exists': False, 'not_after': None,
              'key_in_place': in_place(want['key'], want['key_owner'], want['key_group'] or want['key_owner'],
                                       want['key_mode']),
              'file_in_place': in_place(want['path'], want['owner'], want['group'], want['mode'])}
    pem = read_file(want['path'], binary=True)
    if pem is None:
        return dict(result, reasons=['it is missing'])
    # Only a host that holds certificates needs the library (a fresh host in check mode has none yet).
    try:
        import cryptography  # noqa: F401 pylint: disable=unused-import,import-outside-toplevel
    except ImportError as error:
        module.fail_json(msg=missing_required_lib('cryptography', reason='to read certificates'), exception=str(error))
    cert = load(certs.load_certificate, pem)
    if cert is None:
        return dict(result, exists=True, reasons=['it is not a PEM certificate'])
    key = load(certs.load_private_key, read_file(want['key'], binary=True))
    return dict(result, exists=True, not_after=certs.not_after(cert).strftime('%Y-%m-%dT%H:%M:%SZ'),
                reasons=certs.problems(cert, key, load(certs.load_certificate, ca_pem), want))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ca=dict(type='path', required=True),
            certificates=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='path', required=True),
                key=dict(type='path', required=True, no_log=False),
                ca=dict(type='path'),
                common_name=dict(type='str'),
                sans=dict(type='list', elements='str', default=[]),
                usages=dict(type='list', elements='str', default=[]),
                renew_days=dict(type='int', default=0),
                owner=dict(type='str', default='root'),
                group=dict(type='str', default='root'),
                mode=dict(type='str', default='0644'),
                key_owner=dict(type='str', default='root', no_log=False),
                key_group=dict(type='str', no_log=False),
                key_mode=dict(type='str', default='0600', no_log=False),
            )),
            files=dict(type='list', elements='path', default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    cas = dict((path, read_file(path, binary=True))
               for path in set([params['ca']] + [want['ca'] for want in params['certificates'] if want['ca']]))
    module.exit_json(
        changed=False,
        certificates=[judge(module, want, cas[want['ca'] or params['ca']]) for want in params['certificates']],
        files=dict((path, file_report(path)) for path in params['files']),
    )


if __name__ == '__main__':
    main()
