#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sysctl
short_description: Manage a sysctl drop-in and apply the effective value of each of its keys
version_added: 0.1.0
description:
  - Writes the kernel parameters of one owner (a role) to one drop-in under C(/etc/sysctl.d), then applies to the
    running kernel the B(effective) value of each key, the one C(systemd-sysctl) would apply at boot after reading
    every drop-in in order. Two owners that set the same key therefore never fight; the later file wins, live and
    at boot.
  - Keys shared by the whole kernel (C(kernel.*), C(vm.*), C(fs.*) and a few C(net.core.*)) can be reported
    instead of applied, for hosts that are containers sharing one kernel (the lab). Keys of a network namespace
    (most of C(net.*)) always belong to the host.
  - Idempotent in a single pass, with no loop over keys on the Ansible side.
options:
  path:
    description: The drop-in this owner manages, for example C(/etc/sysctl.d/60-caas-hardening.conf).
    type: path
    required: true
  settings:
    description: Key to value. Keys in dotted form; values as C(sysctl) prints them.
    type: dict
    required: true
  global_keys:
    description:
      - C(apply) writes and applies keys shared by the whole kernel, as on a real host.
      - C(report) leaves them out of the file and the kernel, returns how the kernel differs in RV(global_drift), and
        warns when it does.
    type: str
    choices: [apply, report]
    default: apply
  missing_keys:
    description:
      - What to do with a key the running kernel does not have (a module not loaded, a feature not built).
      - C(fail) refuses before anything is written; C(ignore) writes it and applies the rest.
    type: str
    choices: [fail, ignore]
    default: fail
  header:
    description: A comment written at the top of the file.
    type: str
    default: Managed by caas.platform. Local changes are overwritten.
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reports what would be written and applied, and changes nothing.
  diff_mode:
    support: full
    description: Shows the drop-in before and after.
  platform:
    support: full
    platforms: posix
    description: Linux with C(/proc/sys).
notes:
  - The effective value follows systemd-sysctl's rules, C(/etc/sysctl.d) masking the same file name in C(/run),
    C(/usr/local/lib) and C(/usr/lib), files applied in name order.
seealso:
  - module: caas.platform.node_facts
"""

EXAMPLES = r"""
- name: Network hardening, with kernel-wide keys reported only (containers sharing a kernel)
  caas.platform.sysctl:
    path: /etc/sysctl.d/60-caas-hardening.conf
    settings:
      net.ipv4.conf.all.accept_redirects: 0
      kernel.kptr_restrict: 2
    global_keys: report

- name: What Kubernetes needs; the later file wins over the hardening above
  caas.platform.sysctl:
    path: /etc/sysctl.d/70-caas-kubernetes.conf
    settings:
      net.ipv4.ip_forward: 1
      net.bridge.bridge-nf-call-iptables: 1
"""

RETURN = r"""
applied:
  description:
    - Keys whose running value was changed, with the value before and after.
    - Also the keys the kernel reset when a forwarding key changed (C(net.ipv4.ip_forward) resets
      C(net.ipv4.conf.all.accept_redirects)), with the value the reset left; check mode cannot foresee those.
  returned: always
  type: dict
  sample: {net.ipv4.conf.all.accept_redirects: {before: "1", after: "0"}}
overridden:
  description: Keys of this owner that a later drop-in sets to another value, and that file.
  returned: always
  type: dict
  sample: {net.ipv4.ip_forward: {wanted: "0", effective: "1", by: /etc/sysctl.d/70-caas-kubernetes.conf}}
global_drift:
  description: With O(global_keys=report), the kernel-wide keys whose running value differs from the wanted one.
  returned: always
  type: dict
  sample: {kernel.kptr_restrict: {current: "0", wanted: "2"}}
missing:
  description: Keys the running kernel does not have.
  returned: always
  type: list
  elements: str
file_changed:
  description: Whether the drop-in was (or would be) rewritten.
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils import sysctl as sc
from ansible_collections.caas.platform.plugins.module_utils.files import write_atomic


def write_proc(module, key, applied):
    try:
        with open(sc.proc_path(key), 'w') as handle:
            handle.write(applied[key]['after'])
    except (IOError, OSError) as exc:
        module.fail_json(msg='could not set %s to %s: %s' % (key, applied[key]['after'], exc), applied=applied)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            settings=dict(type='dict', required=True),
            global_keys=dict(type='str', choices=['apply', 'report'], default='apply'),
            missing_keys=dict(type='str', choices=['fail', 'ignore'], default='fail'),
            header=dict(type='str', default=sc.HEADER),
        ),
        supports_check_mode=True,
    )
    path = module.params['path']
    wanted, bad = sc.normalize_settings(module.params['settings'])
    if bad:
        module.fail_json(msg='settings has keys that are not sysctl names: %s; write them dotted, e.g. '
                         'net.ipv4.ip_forward' % ', '.join(bad))
    decided = sc.plan(path, wanted, module.params['global_keys'], module.params['header'])
    owned, missing, applied, finals = decided['owned'], decided['missing'], decided['applied'], decided['finals']
    if missing and module.params['missing_keys'] == 'fail':
        module.fail_json(msg='the running kernel has no %s (no /proc/sys entry): load the kernel module that '
                         'provides it first, or set missing_keys=ignore' % ', '.join(missing), missing=missing)
    content, before, file_changed = decided['content'], decided['before'], decided['file_changed']
    overridden, global_drift = decided['overridden'], decided['global_drift']

    if not module.check_mode:
        if file_changed:
            write_atomic(module, path, content, mode=0o644)
        resetting = [key for key in sc.write_order(applied) if key in sc.RESETTING_KEYS]
        for key in resetting:
            write_proc(module, key, applied)
        if resetting:
            # The kernel has just reset parameters of its own (ip_forward 0 sets all.accept_redirects 1): read
            # them again, so a value that was right before the reset is written too.
            for key in sorted(owned):
                now = sc.read_current(key)
                if key not in applied and now is not None and now != finals[key]:
                    applied[key] = {'before': now, 'after': finals[key]}
        for key in sc.write_order(applied):
            if key not in resetting:
                write_proc(module, key, applied)

    if global_drift:
        # A host that shares its kernel (a container): the machine's owner sets these, not this module.
        module.warn('%s: kernel-wide parameters are left to the machine (global_keys report), and its kernel differs in %s'
                    % (path, ', '.join('%s (%s, wanted %s)' % (k, v['current'], v['wanted']) for k, v in global_drift.items())))
    result = dict(changed=file_changed or bool(applied), file_changed=file_changed, applied=applied,
                  overridden=overridden, global_drift=global_drift, missing=missing)
    if module._diff:
        result['diff'] = dict(before=before, after=content, before_header=path, after_header=path)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
