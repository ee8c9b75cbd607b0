# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure helpers of the packages module: which Debian packages dpkg has installed, whether apt's lists
are fresh, the apt-get command lines, and apt's errors turned into messages that name the package."""

from __future__ import annotations

import os
import re
import time

# One line per package dpkg knows: status (want, state, error flag), name, architecture.
DPKG_QUERY_FORMAT = '${db:Status-Abbrev}\\t${Package}\\t${Architecture}\\n'

LISTS_DIR = '/var/lib/apt/lists'

# Debian policy 5.6.1: lowercase letters, digits, + - . ; two characters or more, starting alphanumeric.
# An architecture may follow (libc6:amd64). No version (pkg=1.0), release (pkg/bookworm) or pattern.
NAME_RE = re.compile(r'^[a-z0-9][a-z0-9+.-]+(:[a-z0-9-]+)?$')

# Ask dpkg to keep a changed configuration file and take the new default of an untouched one, never asking.
DPKG_OPTIONS = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold']

# Wait for another apt or dpkg run (unattended-upgrades at boot) instead of failing at once.
LOCK_TIMEOUT = ['-o', 'DPkg::Lock::Timeout=60']


def unique(names):
    """The names in their order, each once."""
    seen = set()
    return [name for name in names if not (name in seen or seen.add(name))]


def invalid_names(names):
    return [name for name in names if not NAME_RE.match(name)]


def parse_dpkg_query(text):
    """(package, architecture) -> status abbreviation, from dpkg-query -W -f DPKG_QUERY_FORMAT."""
    entries = {}
    for line in text.splitlines():
        fields = line.split('\t')
        if len(fields) < 2 or not fields[1]:
            continue
        entries[(fields[1], fields[2] if len(fields) > 2 else '')] = fields[0]
    return entries


def is_installed(status):
    """True for a package dpkg has unpacked and configured with no error: ii, and hi for a held one.

    Not for rc (configuration files only), un (known, not installed), or a half-installed, unpacked,
    half-configured or trigger-waiting one: apt-get install finishes those."""
    return len(status) >= 2 and status[1] == 'i' and not status[2:3].strip()


def installed_names(names, entries):
    """The names, as asked (plain or name:arch), that dpkg lists as installed."""
    installed = set()
    for name in names:
        package, _sep, arch = name.partition(':')
        if any(is_installed(status) for (pkg, pkg_arch), status in entries.items()
               if pkg == package and (not arch or pkg_arch == arch)):
            installed.add(name)
    return installed


def installed_list(entries):
    """Every installed package, by name and by name:arch, sorted: what a role's names are looked up in."""
    found = set()
    for (package, arch), status in entries.items():
        if is_installed(status):
            found.add(package)
            if arch:
                found.add('%s:%s' % (package, arch))
    return sorted(found)


def half_installed_names(names, entries):
    """The names dpkg has begun to install (unpacked, half-configured, awaiting triggers, with an error)."""
    half = set()
    for name in names:
        package, _sep, arch = name.partition(':')
        if any(len(status) >= 2 and status[1] not in 'nc' and not is_installed(status)
               for (pkg, pkg_arch), status in entries.items() if pkg == package and (not arch or pkg_arch == arch)):
            half.add(name)
    return half


def missing_names(names, entries):
    installed = installed_names(names, entries)
    return [name for name in names if name not in installed]


def lists_age(path=LISTS_DIR, now=None):
    """Seconds since the package lists were last refreshed; None when there are none."""
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    return (time.time() if now is None else now) - mtime


def lists_stale(cache_valid_time, path=LISTS_DIR, now=None):
    age = lists_age(path, now)
    return age is None or age > cache_valid_time


def apt_env(locale):
    """Environment of every command: no question asked, messages apt and dpkg print in English."""
    return dict(DEBIAN_FRONTEND='noninteractive', DEBIAN_PRIORITY='critical', APT_LISTCHANGES_FRONTEND='none',
                APT_LISTBUGS_FRONTEND='none', LANG=locale, LC_ALL=locale, LC_MESSAGES=locale, LC_CTYPE=locale)


def dpkg_query_command(dpkg_query, names):
    return [dpkg_query, '-W', '-f', DPKG_QUERY_FORMAT] + list(names)


def update_command(apt_get):
    return [apt_get, '-q', 'update'] + LOCK_TIMEOUT


def install_command(apt_get, names, install_recommends=False, simulate=False):
    """apt-get install of names; with simulate, apt-get -s, which changes nothing and needs no root."""
    recommends = ['-o', 'APT::Install-Recommends=true'] if install_recommends else ['--no-install-recommends']
    if simulate:
        return [apt_get, '-s', '-q', 'install'] + recommends + list(names)
    return [apt_get, '-y', '-q', 'install'] + recommends + DPKG_OPTIONS + LOCK_TIMEOUT + list(names)


def apt_errors(stderr):
    """apt's own error lines (E: ...), or its last lines when it printed none."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith('E:')]
    return errors or lines[-5:]


def unavailable(names, stderr):
    """The names apt cannot install at all: unknown, or virtual with no candidate of their own."""
    found = set(re.findall(r"^E: Unable to locate package (\S+)", stderr, re.M))
    found.update(re.findall(r"^E: Package '([^']+)' has no installation candidate", stderr, re.M))
    return [name for name in names if name in found]


def virtual_choices(stdout):
    """name -> package apt chose for it: apt installs the only provider of a virtual package."""
    notes = re.findall(r"^Note, selecting '([^']+)' instead of '([^']+)'", stdout, re.M)
    return dict((asked, chosen) for chosen, asked in notes)


def simulated(names, stdout):
    """The names apt-get -s would install or configure (its Inst and Conf lines); the architecture is not compared."""
    touched = set(line.split()[1].partition(':')[0] for line in stdout.splitlines()
                  if line.startswith(('Inst ', 'Conf ')) and len(line.split()) > 1)
    return [name for name in names if name.partition(':')[0] in touched]


def unavailable_message(names, stderr, refreshed):
    lists = ('the package lists were refreshed just now' if refreshed else
             'the package lists are newer than cache_valid_time and were not refreshed: cache_valid_time: 0 '
             'refreshes them')
    return ('apt cannot install %s: %s. Fix: check the name (apt-cache policy %s); for a virtual package, name the '
            'package that provides it; for a package from another source, add that source first (%s)'
            % (', '.join(names), ' '.join(apt_errors(stderr)), ' '.join(names), lists))


def not_installed_message(names, choices):
    chosen = ''.join(' (apt chose %s)' % choices[name] for name in names if name in choices)
    return ('apt-get install does not install %s under that name%s: a virtual package, or one provided by an '
            'installed package. dpkg never lists it as installed, so every run would install again. Fix: name the '
            'package that provides it (apt-cache showpkg %s)' % (', '.join(names), chosen, ' '.join(names)))


def package_list(names):
    """A diff side: one name a line."""
    return ''.join(name + '\n' for name in sorted(names))
