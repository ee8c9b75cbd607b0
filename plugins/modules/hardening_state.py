#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: hardening_state
short_description: Read in one round trip the state of a host that its hardening decides on
version_added: 0.1.0
description:
  - Reads what the C(caas.platform.os_hardening) role needs to know before it changes anything, which of the
    wanted mounts are not done yet, the setuid and setgid programs whose use is audited, whether grub's settings,
    the AIDE database and faillock in the PAM stacks are there, the account Ansible logs in with, the algorithms
    the host's OpenSSH offers, how many weak Diffie-Hellman groups it still has, its host keys, and the home
    directories and dot files whose modes allow more than they should.
  - Changes nothing on the host.
options:
  mounts:
    description:
      - The mounts the hardening wants. One is done when C(/etc/fstab) holds its exact line and its path is mounted
        now with C(nodev), C(nosuid) and C(noexec).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Mount point.
        type: str
        required: true
      src:
        description: Source, as in fstab.
        type: str
        required: true
      fstype:
        description: Filesystem type, as in fstab.
        type: str
        required: true
      opts:
        description: Options, as in fstab.
        type: str
        required: true
  privileged_roots:
    description: Where to look for setuid and setgid programs, without crossing into other filesystems.
    type: list
    elements: path
    default: [/usr, /opt]
  ssh_moduli_min_bits:
    description:
      - Diffie-Hellman groups of C(/etc/ssh/moduli) whose size field is smaller than this are counted as weak.
      - The field is one less than the group's bits; 3071 keeps the 3072-bit groups.
    type: int
    default: 3071
  aide_database:
    description: Where AIDE keeps its database.
    type: path
    default: /var/lib/aide/aide.db
  ssh:
    description: Whether to read OpenSSH's offers, moduli and host keys (the RV(ssh) result is empty when not).
    type: bool
    default: true
  units:
    description: systemd units whose load, enablement and activity to report (one C(systemctl show)).
    type: list
    elements: str
    default: []
  groups:
    description: Groups whose existence and members to report.
    type: list
    elements: str
    default: []
  su_group:
    description: The group whose members alone may use C(su) (RV(su_restricted)).
    type: str
    default: sugroup
  home_modes:
    description:
      - Whether to look for home directories under C(/home) whose mode allows more than 0750, and dot files
        directly in them that allow more than 0640 (RV(home_modes_to_fix)).
    type: bool
    default: false
  sysctl:
    description:
      - One owner's kernel parameters, as given to M(caas.platform.sysctl). The read decides as that module would,
        with the same code, whether its run would change or refuse anything (RV(sysctl_in_place)).
    type: dict
    suboptions:
      path:
        description: The owner's drop-in.
        type: path
        required: true
      settings:
        description: Key to value.
        type: dict
        required: true
      global_keys:
        description: As the module's.
        type: str
        choices: [apply, report]
        default: apply
      missing_keys:
        description: As the module's.
        type: str
        choices: [fail, ignore]
        default: fail
author:
  - caas.platform maintainers (@caas-platform)
extends_documentation_fragment:
  - caas.platform.attributes.read_only
attributes:
  platform:
    support: full
    platforms: debian
    description: Reads Linux's C(/proc), Debian's paths and runs C(ssh -Q); tested on Debian 12.
notes:
  - Run it with C(become); the account Ansible logs in with is C(SUDO_USER) then.
seealso:
  - module: caas.platform.node_facts
"""

EXAMPLES = r"""
- name: Read what the hardening decides on
  caas.platform.hardening_state:
    mounts:
      - {path: /tmp, src: tmpfs, fstype: tmpfs, opts: "nodev,nosuid,noexec,mode=1777"}
    ssh_moduli_min_bits: 3071
  register: hardening
  become: true

- name: Mount what is not done
  ansible.posix.mount:
    path: "{{ item }}"
    state: mounted
  loop: "{{ hardening.mounts_to_fix }}"
"""

RETURN = r"""
mounts_to_fix:
  description: Mount points of O(mounts) that are not done, in the order given.
  returned: always
  type: list
  elements: str
  sample: [/tmp]
privileged_programs:
  description: Setuid and setgid programs under O(privileged_roots), sorted.
  returned: always
  type: list
  elements: str
  sample: [/usr/bin/passwd, /usr/bin/su]
grub:
  description: Whether grub's settings (C(/etc/default/grub)) are on the host.
  returned: always
  type: bool
aide_database:
  description: Whether the AIDE database exists.
  returned: always
  type: bool
pam_faillock:
  description: Whether C(/etc/pam.d/common-auth) uses C(pam_faillock.so).
  returned: always
  type: bool
units:
  description: The states of the O(units), by name (C(load) is C(not-found) for a unit the host lacks).
  returned: always
  type: dict
  sample: {auditd: {load: loaded, enabled: enabled, active: active}}
groups:
  description: The members of each group of O(groups) (its supplementary members), or null when it does not exist.
  returned: always
  type: dict
  sample: {sshusers: [caas], sugroup: []}
su_restricted:
  description: Whether C(/etc/pam.d/su) requires membership of O(su_group) (C(auth required pam_wheel.so use_uid
    group=...)).
  returned: always
  type: bool
home_modes_to_fix:
  description:
    - The home directories and dot files in them whose modes allow more than O(home_modes) permits, in path order,
      each with the mode it should have (the bits that allow too much taken away); empty when O(home_modes) is false.
  returned: always
  type: list
  elements: dict
  sample: [{path: /home/caas, mode: "0750"}, {path: /home/caas/.bashrc, mode: "0640"}]
sysctl_in_place:
  description:
    - Whether M(caas.platform.sysctl) with O(sysctl) would change nothing (the drop-in as wanted, every key's running
      value the effective one) and refuse nothing; null without O(sysctl).
  returned: always
  type: bool
  sample: true
ssh:
  description: What the host's OpenSSH offers and the account Ansible logs in with; empty when O(ssh) is false.
  returned: always
  type: dict
  contains:
    login_user:
      description: The account Ansible logs in with (C(SUDO_USER) under become, else the current user).
      type: str
      sample: caas
    offers:
      description: The algorithms of each kind (C(ssh -Q kex), C(cipher), C(mac), C(key)).
      type: dict
      sample: {kex: [curve25519-sha256], cipher: [aes256-gcm@openssh.com], mac: [hmac-sha2-512], key: [ssh-ed25519]}
    weak_moduli:
      description: Diffie-Hellman groups smaller than O(ssh_moduli_min_bits).
      type: int
      sample: 0
    host_keys:
      description: Paths of the host's private keys (C(/etc/ssh/ssh_host_*_key)), sorted.
      type: list
      elements: str
      sample: [/etc/ssh/ssh_host_ed25519_key]
"""

import glob
import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils import hardening
from ansible_collections.caas.platform.plugins.module_utils import sysctl as sc
from ansible_collections.caas.platform.plugins.module_utils.files import read_file
from ansible_collections.caas.platform.plugins.module_utils.node_facts import unit_states

SSH_QUERIES = ('kex', 'cipher', 'mac', 'key')


def ssh_facts(module, min_bits):
    ssh = module.get_bin_path('ssh', required=True)
    offers = {}
    for query in SSH_QUERIES:
        rc, out, err = module.run_command([ssh, '-Q', query])
        if rc != 0:
            module.fail_json(msg='ssh -Q %s failed: %s' % (query, err.strip()))
        offers[query] = out.split()
    return {
        'login_user': os.environ.get('SUDO_USER') or pwd.getpwuid(os.getuid()).pw_name,
        'offers': offers,
        'weak_moduli': hardening.weak_moduli(read_file('/etc/ssh/moduli', '') or '', min_bits),
        'host_keys': sorted(glob.glob('/etc/ssh/ssh_host_*_key')),
    }


def group_members(names):
    members = {}
    for name in names:
        try:
            members[name] = sorted(grp.getgrnam(name).gr_mem)
        except KeyError:
            members[name] = None
    return members


def sysctl_in_place(wanted):
    """Whether the sysctl module would change or refuse nothing; None when not asked."""
    if wanted is None:
        return None
    settings, bad = sc.normalize_settings(wanted['settings'])
    if bad:
        return False
    return sc.in_place(sc.plan(wanted['path'], settings, wanted['global_keys']), wanted['missing_keys'])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            mounts=dict(type='list', elements='dict', default=[], options=dict(
                path=dict(type='str', required=True),
                src=dict(type='str', required=True),
                fstype=dict(type='str', required=True),
                opts=dict(type='str', required=True),
            )),
            privileged_roots=dict(type='list', elements='path', default=['/usr', '/opt']),
            ssh_moduli_min_bits=dict(type='int', default=3071),
            aide_database=dict(type='path', default='/var/lib/aide/aide.db'),
            ssh=dict(type='bool', default=True),
            units=dict(type='list', elements='str', default=[]),
            groups=dict(type='list', elements='str', default=[]),
            su_group=dict(type='str', default='sugroup'),
            home_modes=dict(type='bool', default=False),
            sysctl=dict(type='dict', options=dict(
                path=dict(type='path', required=True),
                settings=dict(type='dict', required=True),
                global_keys=dict(type='str', choices=['apply', 'report'], default='apply'),
                missing_keys=dict(type='str', choices=['fail', 'ignore'], default='fail'),
            )),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        units = unit_states(module.run_command, module.get_bin_path('systemctl', required=bool(params['units'])),
                            params['units'])
    except OSError as error:
        module.fail_json(msg=str(error))
    module.exit_json(
        changed=False,
        mounts_to_fix=hardening.mounts_to_fix(params['mounts'], read_file('/etc/fstab', '') or '',
                                              read_file('/proc/self/mountinfo', '') or ''),
        privileged_programs=hardening.privileged_programs(params['privileged_roots']),
        grub=os.path.exists('/etc/default/grub'),
        aide_database=os.path.exists(params['aide_database']),
        pam_faillock='pam_faillock.so' in (read_file('/etc/pam.d/common-auth', '') or ''),
        units=units,
        groups=group_members(params['groups']),
        su_restricted=hardening.su_restricted(read_file('/etc/pam.d/su', '') or '', params['su_group']),
        ssh=ssh_facts(module, params['ssh_moduli_min_bits']) if params['ssh'] else {},
        home_modes_to_fix=hardening.home_modes_to_fix() if params['home_modes'] else [],
        sysctl_in_place=sysctl_in_place(params['sysctl']),
    )


if __name__ == '__main__':
    main()
