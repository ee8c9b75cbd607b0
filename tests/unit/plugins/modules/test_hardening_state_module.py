# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the hardening_state module for real on this machine and checks it against independent reads."""

from __future__ import annotations

import glob
import os
import subprocess
from pathlib import Path


def test_state_matches_this_machine(run_module):
    result = run_module('hardening_state', mounts=[{'path': '/no/such/mount', 'src': 'tmpfs', 'fstype': 'tmpfs',
                                                    'opts': 'nodev,nosuid,noexec'}])
    assert result['changed'] is False
    assert result['mounts_to_fix'] == ['/no/such/mount']
    assert result['grub'] is os.path.exists('/etc/default/grub')
    assert result['aide_database'] is os.path.exists('/var/lib/aide/aide.db')
    common_auth = Path('/etc/pam.d/common-auth')
    assert result['pam_faillock'] is (common_auth.exists() and 'pam_faillock.so' in common_auth.read_text())
    find = subprocess.run(['find', '/usr', '/opt', '-xdev', '-type', 'f', '-perm', '/6000'],
                          capture_output=True, text=True, check=False).stdout.split()
    assert result['privileged_programs'] == sorted(find)
    ssh = result['ssh']
    assert ssh['offers']['kex'] == subprocess.run(['ssh', '-Q', 'kex'], capture_output=True, text=True,
                                                  check=True).stdout.split()
    assert set(ssh['offers']) == {'kex', 'cipher', 'mac', 'key'}
    assert ssh['host_keys'] == sorted(glob.glob('/etc/ssh/ssh_host_*_key'))
    assert ssh['login_user'] == (os.environ.get('SUDO_USER') or subprocess.run(
        ['id', '-un'], capture_output=True, text=True, check=True).stdout.strip())
    assert isinstance(ssh['weak_moduli'], int)


def test_options_narrow_what_is_read(run_module):
    result = run_module('hardening_state', privileged_roots=[], ssh=False, _ansible_check_mode=True,
                        aide_database='/nonexistent/aide.db')
    assert result['privileged_programs'] == [] and result['ssh'] == {} and result['mounts_to_fix'] == []
    assert result['aide_database'] is False
    assert result['home_modes_to_fix'] == []
    assert result['sysctl_in_place'] is None


def test_home_modes_are_read_when_asked(run_module):
    result = run_module('hardening_state', privileged_roots=[], ssh=False, home_modes=True)
    found = subprocess.run(['find', '/home', '-mindepth', '1', '-maxdepth', '1', '-type', 'd', '-perm', '/0027'],
                           capture_output=True, text=True, check=False).stdout.split()
    assert set(found) <= {fix['path'] for fix in result['home_modes_to_fix']}


def test_a_mount_missing_an_option_is_refused_by_its_spec(run_module):
    result = run_module('hardening_state', expect_failure=True, mounts=[{'path': '/tmp'}])
    assert 'src' in result['msg']


def test_sysctl_in_place_is_what_the_sysctl_module_would_do(run_module, tmp_path):
    key = 'net.ipv4.tcp_syncookies'
    running = Path('/proc/sys', *key.split('.')).read_text().strip()
    path = tmp_path / '60-test.conf'
    wanted = {'path': str(path), 'settings': {key: running}}

    def in_place():
        return run_module('hardening_state', privileged_roots=[], ssh=False, sysctl=wanted)['sysctl_in_place']

    assert in_place() is False  # no drop-in yet
    assert run_module('sysctl', **wanted)['changed'] is True
    assert in_place() is True and run_module('sysctl', **wanted)['changed'] is False
    # Another value: the module would apply it to the running kernel (check mode only here).
    wanted['settings'] = {key: '0' if running != '0' else '1'}
    assert in_place() is False and run_module('sysctl', _ansible_check_mode=True, **wanted)['changed'] is True
    # A key the kernel lacks: refused with missing_keys fail, written and skipped with ignore.
    wanted['settings'] = {'net.no.such.key': '1'}
    assert in_place() is False
    wanted['missing_keys'] = 'ignore'
    assert run_module('sysctl', **wanted)['changed'] is True and in_place() is True
