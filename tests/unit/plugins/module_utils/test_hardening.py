# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of the hardening's state: mounts done, weak moduli, setuid and setgid programs."""

from __future__ import annotations

import os
import stat
import subprocess

from ansible_collections.caas.platform.plugins.module_utils import hardening

TMP = {'path': '/tmp', 'src': 'tmpfs', 'fstype': 'tmpfs', 'opts': 'nodev,nosuid,noexec,mode=1777,size=2G'}
VAR_TMP = {'path': '/var/tmp', 'src': '/var/tmp', 'fstype': 'none', 'opts': 'bind,nodev,nosuid,noexec'}

FSTAB = """# /etc/fstab: static file system information.
UUID=1234 / ext4 errors=remount-ro 0 1
tmpfs /tmp tmpfs nodev,nosuid,noexec,mode=1777,size=2G 0 0
#/var/tmp /var/tmp none bind,nodev,nosuid,noexec 0 0
"""

# Lines of a real /proc/self/mountinfo (Debian 12), the last one a second mount stacked on /var/tmp.
MOUNTINFO = """22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
30 22 0:27 / /tmp rw,nosuid,nodev,noexec,relatime shared:12 - tmpfs tmpfs rw,size=2097152k,mode=1777
31 22 254:1 /var/tmp /var/tmp rw,nosuid,nodev,noexec,relatime shared:1 - ext4 /dev/vda1 rw
32 31 0:28 / /var/tmp rw,relatime shared:13 - tmpfs tmpfs rw
"""


def test_a_mount_is_done_with_its_fstab_line_and_the_three_options_live():
    assert hardening.mounts_to_fix([TMP], FSTAB, MOUNTINFO) == []


def test_a_mount_without_its_fstab_line_is_to_fix():
    # Mounted right, but fstab only holds it commented out: the next boot would lose it.
    assert hardening.mounts_to_fix([VAR_TMP], FSTAB, MOUNTINFO[:MOUNTINFO.index('32 31')]) == ['/var/tmp']


def test_the_topmost_mount_decides():
    fstab = FSTAB + '/var/tmp /var/tmp none bind,nodev,nosuid,noexec 0 0\n'
    assert hardening.mounts_to_fix([VAR_TMP], fstab, MOUNTINFO[:MOUNTINFO.index('32 31')]) == []
    # A mount stacked on top without the options hides the hardened one.
    assert hardening.mounts_to_fix([VAR_TMP], fstab, MOUNTINFO) == ['/var/tmp']


def test_other_fstab_options_are_not_the_wanted_line():
    assert hardening.mounts_to_fix([dict(TMP, opts='nodev,nosuid,noexec,mode=1777,size=1G')], FSTAB, MOUNTINFO) == ['/tmp']


def test_an_unmounted_path_is_to_fix():
    assert hardening.mounts_to_fix([TMP], FSTAB, MOUNTINFO.splitlines()[0]) == ['/tmp']


def test_escaped_spaces_in_paths():
    wanted = {'path': '/srv/a b', 'src': 'tmpfs', 'fstype': 'tmpfs', 'opts': 'nodev,nosuid,noexec'}
    fstab = 'tmpfs /srv/a\\040b tmpfs nodev,nosuid,noexec 0 0\n'
    mountinfo = '40 22 0:30 / /srv/a\\040b rw,nosuid,nodev,noexec - tmpfs tmpfs rw\n'
    assert hardening.mounts_to_fix([wanted], fstab, mountinfo) == []


def test_weak_moduli_counts_groups_below_the_bits():
    moduli = """# Time Type Tests Tries Size Generator Modulus
20230101000000 2 6 100 2047 2 C0FFEE
20230101000000 2 6 100 3071 5 C0FFEE
20230101000000 2 6 100 3071 2 C0FFEE
20230101000000 2 6 100 4095 2 C0FFEE
"""
    # The size field is as sshd reads it, compared as it is (the awk rule the role used before).
    assert hardening.weak_moduli(moduli, 3072) == 3
    assert hardening.weak_moduli(moduli, 3071) == 1
    assert hardening.weak_moduli(moduli, 4096) == 4
    assert hardening.weak_moduli('', 3072) == 0


def test_privileged_programs_are_what_find_finds(tmp_path):
    (tmp_path / 'bin').mkdir()
    for name, mode in (('su', 0o4755), ('wall', 0o2755), ('ls', 0o755)):
        path = tmp_path / 'bin' / name
        path.write_text('')
        path.chmod(mode)
    os.symlink(tmp_path / 'bin' / 'su', tmp_path / 'bin' / 'su-link')
    found = hardening.privileged_programs([str(tmp_path), str(tmp_path / 'absent')])
    assert found == [str(tmp_path / 'bin' / 'su'), str(tmp_path / 'bin' / 'wall')]
    expected = subprocess.run(['find', str(tmp_path), '-xdev', '-type', 'f', '-perm', '/6000'],
                              capture_output=True, text=True, check=True).stdout.split()
    assert found == sorted(expected)
    assert all(os.stat(p).st_mode & (stat.S_ISUID | stat.S_ISGID) for p in found)


def test_privileged_programs_of_this_machine_match_find():
    expected = subprocess.run(['find', '/usr', '-xdev', '-type', 'f', '-perm', '/6000'],
                              capture_output=True, text=True, check=False).stdout.split()
    assert hardening.privileged_programs(['/usr']) == sorted(expected)


def test_su_is_restricted_by_the_active_wheel_line_only():
    debian = """#%PAM-1.0
auth       sufficient pam_rootok.so
# auth       required   pam_wheel.so
# auth       required   pam_wheel.so group=nosu
session       required   pam_env.so readenv=1
"""
    assert hardening.su_restricted(debian, 'sugroup') is False
    hardened = debian.replace('# auth       required   pam_wheel.so\n',
                              'auth       required   pam_wheel.so use_uid group=sugroup\n')
    assert hardening.su_restricted(hardened, 'sugroup') is True
    assert hardening.su_restricted(hardened, 'wheel') is False


def test_home_modes_to_fix_are_what_the_find_of_the_old_task_finds(tmp_path):
    homes = {'tight': 0o750, 'loose': 0o775, '.hidden': 0o757}
    for name, mode in homes.items():
        (tmp_path / name).mkdir()
        (tmp_path / name).chmod(mode)
    dot_files = {'tight/.bashrc': 0o640, 'loose/.profile': 0o664, 'loose/.ssh_script': 0o755, 'loose/plain': 0o777}
    for name, mode in dot_files.items():
        (tmp_path / name).write_text('')
        (tmp_path / name).chmod(mode)
    (tmp_path / 'loose' / '.deep').mkdir(mode=0o777)
    (tmp_path / 'loose' / '.deep' / '.rc').write_text('')
    os.symlink(tmp_path / 'loose' / '.profile', tmp_path / 'tight' / '.link')
    fixes = hardening.home_modes_to_fix(str(tmp_path))
    assert fixes == [
        {'path': str(tmp_path / '.hidden'), 'mode': '0750'},
        {'path': str(tmp_path / 'loose'), 'mode': '0750'},
        {'path': str(tmp_path / 'loose' / '.profile'), 'mode': '0640'},
        {'path': str(tmp_path / 'loose' / '.ssh_script'), 'mode': '0640'},
    ]
    # The same paths as the two finds the role ran before this read (CIS 7.2.9, 7.2.10).
    found = subprocess.run(
        ['find', str(tmp_path), '-mindepth', '1', '-maxdepth', '1', '-type', 'd', '-perm', '/0027'],
        capture_output=True, text=True, check=True).stdout.split() + subprocess.run(
        ['find', str(tmp_path), '-mindepth', '2', '-maxdepth', '2', '-type', 'f', '-name', '.*', '-perm', '/0137'],
        capture_output=True, text=True, check=True).stdout.split()
    assert sorted(found) == [fix['path'] for fix in fixes]
    assert hardening.home_modes_to_fix(str(tmp_path / 'absent')) == []
