#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: packages
short_description: Install Debian packages that are missing, in one round trip, with a fast no-op
version_added: 0.1.0
description:
  - Asks dpkg once which of O(names) are installed. When all are, it returns at once, unchanged, without starting
    apt at all. This is what keeps a re-run of a role fast.
  - When some are missing, it refreshes the package lists if they are older than O(cache_valid_time), then installs
    the missing ones with one C(apt-get install), answering no question and keeping configuration files changed
    locally. In check mode it asks apt to simulate that install instead, so that a package apt cannot install fails
    in check mode too.
  - Replaces the three tasks (C(dpkg-query), M(ansible.builtin.apt) with C(update_cache), M(ansible.builtin.apt)
    with C(name)) that a role would otherwise need for the same result.
options:
  names:
    description:
      - The packages, by name, optionally with an architecture (C(libc6:amd64)).
      - No version (C(pkg=1.0)), release (C(pkg/bookworm)) or pattern; a virtual package is refused, name the
        package that provides it.
    type: list
    elements: str
    required: true
  cache_valid_time:
    description:
      - When a package is missing, the package lists are refreshed (C(apt-get update)) first if
        C(/var/lib/apt/lists) is older than this many seconds. C(0) always refreshes them.
      - Nothing is refreshed when no package is missing.
    type: int
    default: 3600
  install_recommends:
    description:
      - Whether apt also installs the packages the missing ones recommend. C(false) installs only what they depend
        on, C(true) what they recommend too, whatever the host's apt configuration says.
    type: bool
    default: false
  state:
    description: Only C(present) for now; the module never upgrades or removes a package.
    type: str
    choices: [present]
    default: present
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: partial
    details:
      - When a package is missing and the package lists are older than O(cache_valid_time), they are refreshed in
        check mode too. That changes metadata only, and lets check mode on a fresh host tell the truth.
      - The install is only simulated (C(apt-get -s)); a package apt cannot install fails as it would for real.
    description: Reports which packages would be installed, and installs nothing.
  diff_mode:
    support: full
    description: Shows which of O(names) are installed before and after.
  platform:
    support: full
    platforms: debian
    description: Debian and its derivatives (dpkg and apt).
notes:
  - Runs C(apt-get) with C(DEBIAN_FRONTEND=noninteractive) and C(--force-confdef --force-confold), and waits up to
    60 seconds for another apt or dpkg run to release its lock.
  - apt may remove a package that conflicts with one it installs, as M(ansible.builtin.apt) does (chrony replaces
    systemd-timesyncd).
  - Needs root, also in check mode when it refreshes the package lists.
seealso:
  - module: ansible.builtin.apt
"""

EXAMPLES = r"""
- name: The packages a node needs, installed when missing
  caas.platform.packages:
    names: [conntrack, socat, ipset, nftables, chrony]

- name: With what they recommend, and lists refreshed when older than a day
  caas.platform.packages:
    names: [unattended-upgrades]
    install_recommends: true
    cache_valid_time: 86400
  register: hardening_packages

- name: Ask a unit only when its package was there before (check mode on a fresh host)
  ansible.builtin.systemd_service:
    name: auditd
    state: started
  when: not (ansible_check_mode and 'auditd' in hardening_packages.missing_before)
"""

RETURN = r"""
installed:
  description: The names installed by this run, or that would be in check mode.
  returned: always
  type: list
  elements: str
  sample: [socat, chrony]
missing_before:
  description: The names dpkg did not list as installed before this run.
  returned: always
  type: list
  elements: str
  sample: [socat, chrony]
cache_updated:
  description: Whether the package lists were refreshed.
  returned: always
  type: bool
stdout:
  description: What C(apt-get install) (C(apt-get -s install) in check mode) printed.
  returned: when a package was missing
  type: str
stderr:
  description: What C(apt-get install) printed on its error output.
  returned: when a package was missing
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.locale import get_best_parsable_locale

from ansible_collections.caas.platform.plugins.module_utils import packages as pk


def query(module, dpkg_query, names, env):
    """What dpkg knows of names, (package, architecture) -> status; one dpkg-query."""
    rc, out, err = module.run_command(pk.dpkg_query_command(dpkg_query, names), environ_update=env)
    # 1: some name is unknown to dpkg (never installed): that is an answer, not an error.
    if rc not in (0, 1):
        module.fail_json(msg='dpkg-query failed: %s' % (err.strip() or out.strip()), rc=rc)
    return pk.parse_dpkg_query(out)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type='list', elements='str', required=True),
            cache_valid_time=dict(type='int', default=3600),
            install_recommends=dict(type='bool', default=False),
            state=dict(type='str', choices=['present'], default='present'),
        ),
        supports_check_mode=True,
    )
    names = pk.unique(name.strip() for name in module.params['names'])
    bad = pk.invalid_names(names)
    if bad:
        module.fail_json(msg='names has %s, which are not Debian package names: give plain names such as socat or '
                         'libc6:amd64, with no version, release or pattern' % ', '.join(repr(b) for b in bad))
    if module.params['cache_valid_time'] < 0:
        module.fail_json(msg='cache_valid_time must be 0 or more seconds')

    # dpkg-query's answer in DPKG_QUERY_FORMAT is the same in every locale: no need to look for the best one yet.
    dpkg_query = module.get_bin_path('dpkg-query', required=True)
    entries = query(module, dpkg_query, names, dict(LC_ALL='C')) if names else {}
    missing = pk.missing_names(names, entries)
    result = dict(changed=bool(missing), installed=missing, missing_before=missing, cache_updated=False)
    if module._diff:
        before = [name for name in names if name not in missing]
        result['diff'] = dict(before=pk.package_list(before), after=pk.package_list(names),
                              before_header='installed packages', after_header='installed packages')
    if not missing:
        module.exit_json(**result)

    apt_get = module.get_bin_path('apt-get', required=True)
    env = pk.apt_env(get_best_parsable_locale(module))
    if module.params['cache_valid_time'] == 0 or pk.lists_stale(module.params['cache_valid_time']):
        # Metadata only, in check mode too: the simulation below needs lists that know the packages.
        rc, out, err = module.run_command(pk.update_command(apt_get), environ_update=env)
        if rc != 0:
            result.update(changed=False, rc=rc, stdout=out, stderr=err)
            module.fail_json(msg='apt-get update failed: %s' % ' '.join(pk.apt_errors(err or out)), **result)
        # apt leaves the directory alone when no list changed: date the refresh for the next cache_valid_time.
        try:
            os.utime(pk.LISTS_DIR)
        except OSError:
            pass
        result['cache_updated'] = True

    rc, out, err = module.run_command(
        pk.install_command(apt_get, missing, module.params['install_recommends'], simulate=module.check_mode),
        environ_update=env)
    result.update(stdout=out, stderr=err)
    if rc != 0:
        unavailable = pk.unavailable(missing, err)
        if unavailable:
            msg = pk.unavailable_message(unavailable, err, result['cache_updated'])
        else:
            msg = 'apt-get install %s failed: %s' % (' '.join(missing), ' '.join(pk.apt_errors(err or out)))
        # dpkg may have unpacked some packages before a maintainer script failed.
        result.update(changed=not module.check_mode and ('\nUnpacking ' in out or '\nSetting up ' in out), rc=rc)
        module.fail_json(msg=msg, **result)

    choices = pk.virtual_choices(out)
    if module.check_mode:
        # A name apt would neither install nor configure is not a package of its own; a half-installed one apt
        # may only finish.
        done = pk.half_installed_names(missing, entries).union(pk.simulated(missing, out))
        not_installed = [name for name in missing if name in choices or name not in done]
    else:
        not_installed = pk.missing_names(missing, query(module, dpkg_query, missing, env))
    if not_installed:
        result['changed'] = not module.check_mode
        module.fail_json(msg=pk.not_installed_message(not_installed, choices), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
