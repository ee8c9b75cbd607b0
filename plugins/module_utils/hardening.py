# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of the hardening_state module: the rules that decide what the hardening still has to do."""

from __future__ import annotations

import os
import stat

# A hardened mount has all three, whatever else its options hold (CIS 1.1.2).
HARDENED_MOUNT_OPTIONS = frozenset(('nodev', 'nosuid', 'noexec'))


def _unescape(field):
    """A path field of fstab or mountinfo, with its octal escapes (\\040 for a space) decoded."""
    return field.replace('\\040', ' ').replace('\\011', '\t')


def fstab_entries(text):
    """(source, mount point, type, options) of each active line of an fstab."""
    entries = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 4 and not fields[0].startswith('#'):
            entries.append((_unescape(fields[0]), _unescape(fields[1]), fields[2], fields[3]))
    return entries


def live_mount_options(mountinfo_text):
    """The per-mount options of each mount point, the topmost mount's (the last one listed) when stacked."""
    options = {}
    for line in mountinfo_text.splitlines():
        fields = line.split(' - ', 1)[0].split()
        if len(fields) >= 6:
            options[_unescape(fields[4])] = set(fields[5].split(','))
    return options


def mounts_to_fix(wanted, fstab_text, mountinfo_text):
    """The paths of the wanted mounts that are not done.

    A mount is done when fstab holds its exact line (source, path, type and options as wanted) and the path is
    mounted now with nodev, nosuid and noexec. Each wanted mount is a dict with path, src, fstype and opts.
    """
    entries = set(fstab_entries(fstab_text))
    live = live_mount_options(mountinfo_text)
    return [m['path'] for m in wanted
            if (m['src'], m['path'], m['fstype'], m['opts']) not in entries
            or not HARDENED_MOUNT_OPTIONS <= live.get(m['path'], set())]


def weak_moduli(text, min_bits):
    """How many Diffie-Hellman groups of an ssh moduli file are smaller than min_bits (its fifth field is the size)."""
    count = 0
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 5 and not fields[0].startswith('#') and fields[4].isdigit() and int(fields[4]) < min_bits:
            count += 1
    return count


def privileged_programs(roots):
    """Regular files with the setuid or setgid bit under each root, not crossing into other filesystems
    (as `find ROOT -xdev -type f -perm /6000`), sorted."""
    found = []
    for root in roots:
        try:
            device = os.lstat(root).st_dev
        except OSError:
            continue
        for directory, dirs, files in os.walk(root):
            # -xdev: stay on the root's filesystem.
            dirs[:] = [d for d in dirs if _same_device(os.path.join(directory, d), device)]
            for name in files:
                path = os.path.join(directory, name)
                try:
                    info = os.lstat(path)
                except OSError:
                    continue
                if stat.S_ISREG(info.st_mode) and info.st_mode & (stat.S_ISUID | stat.S_ISGID):
                    found.append(path)
    return sorted(found)


def _same_device(path, device):
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_dev == device


def su_restricted(pam_su_text, group):
    """Whether a PAM su stack requires membership of group: an active `auth required pam_wheel.so use_uid
    group=GROUP` line (CIS 5.3.2)."""
    wanted = ['auth', 'required', 'pam_wheel.so', 'use_uid', 'group=' + group]
    return any(line.split() == wanted for line in pam_su_text.splitlines())


# CIS 7.2.9 and 7.2.10: a home directory allows no more than 0750, a dot file in it no more than 0640.
HOME_DIRECTORY_LOOSE_BITS = 0o027
HOME_DOT_FILE_LOOSE_BITS = 0o137


def _mode(entry):
    return stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode)


def home_modes_to_fix(root='/home'):
    """Each home directory under root and each dot file directly in one whose mode allows more than CIS does.

    A list of dicts with the path and the mode it should have (the loose bits taken away, the rest kept), in path
    order. Symbolic links are neither followed nor changed.
    """
    fixes = []
    try:
        homes = sorted((entry for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False)),
                       key=lambda entry: entry.name)
    except FileNotFoundError:
        return fixes
    for home in homes:
        mode = _mode(home)
        if mode & HOME_DIRECTORY_LOOSE_BITS:
            fixes.append({'path': home.path, 'mode': '%04o' % (mode & ~HOME_DIRECTORY_LOOSE_BITS)})
        for entry in sorted(os.scandir(home.path), key=lambda entry: entry.name):
            if entry.name.startswith('.') and entry.is_file(follow_symlinks=False):
                mode = _mode(entry)
                if mode & HOME_DOT_FILE_LOOSE_BITS:
                    fixes.append({'path': entry.path, 'mode': '%04o' % (mode & ~HOME_DOT_FILE_LOOSE_BITS)})
    return fixes
