# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel parameters as systemd-sysctl sees them: drop-in files in precedence order, the effective
value of each key, and which keys belong to a network namespace (a container's own) or to the
whole kernel (shared by every container on a machine)."""

from __future__ import annotations

import fnmatch
import os
import re

from ansible_collections.caas.platform.plugins.module_utils.files import read_file

# systemd-sysctl reads *.conf from these, a file name in an earlier directory masking the same
# name in a later one, then applies all files sorted by name: the last assignment wins.
SYSCTL_DIRS = ('/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d')

# net.* keys that are still global to the kernel, not per network namespace.
GLOBAL_NET_KEYS = ('net.core.bpf_jit_*', 'net.core.rmem_max', 'net.core.wmem_max', 'net.core.rmem_default',
                   'net.core.wmem_default', 'net.core.netdev_max_backlog', 'net.core.optmem_max',
                   'net.netfilter.nf_conntrack_max', 'net.nf_conntrack_max', 'net.ipv4.tcp_mem', 'net.ipv4.udp_mem')


def normalize_key(key):
    return key.strip().replace('/', '.')


def normalize_value(value):
    """Compare values as the kernel prints them: whitespace-separated words."""
    if isinstance(value, bool):
        value = int(value)
    return ' '.join(str(value).split())


def is_namespaced(key):
    """True when a container's network namespace has its own copy of the key."""
    key = normalize_key(key)
    if not key.startswith('net.'):
        return False
    return not any(fnmatch.fnmatchcase(key, pattern) for pattern in GLOBAL_NET_KEYS)


def parse_conf(text):
    """Assignments of a sysctl.conf-style file, in order; a leading '-' (ignore errors) is dropped."""
    assignments = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in '#;' or '=' not in line:
            continue
        key, value = line.split('=', 1)
        assignments.append((normalize_key(key.lstrip('-')), normalize_value(value)))
    return assignments


def conf_files(dirs=SYSCTL_DIRS):
    """The files systemd-sysctl applies, in the order it applies them."""
    chosen = {}
    for directory in dirs:
        try:
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            if name.endswith('.conf') and name not in chosen:
                chosen[name] = os.path.join(directory, name)
    return [chosen[name] for name in sorted(chosen)]


def effective_values(files, overrides=None):
    """Key -> (value, file) after applying every file in order; overrides replace one file's content."""
    overrides = overrides or {}
    effective = {}
    for path in files:
        text = overrides[path] if path in overrides else read_file(path)
        if text is None:
            continue
        for key, value in parse_conf(text):
            effective[key] = (value, path)
    return effective


def render(settings, header):
    lines = ['# ' + line for line in header.splitlines()]
    for key in sorted(settings):
        lines.append('%s = %s' % (normalize_key(key), normalize_value(settings[key])))
    return '\n'.join(lines) + '\n'


def proc_path(key, proc_sys='/proc/sys'):
    return os.path.join(proc_sys, *normalize_key(key).split('.'))


def read_current(key, proc_sys='/proc/sys'):
    text = read_file(proc_path(key, proc_sys))
    return None if text is None else normalize_value(text)


def valid_key(key):
    return re.match(r'^[A-Za-z0-9_.*-]+(\.[A-Za-z0-9_*-]+)+$', normalize_key(key)) is not None


# Writing these resets other parameters: the kernel's ip-sysctl documentation says a change of ip_forward resets
# all configuration parameters to their host or router defaults (accept_redirects, send_redirects, ...), and IPv6's
# all.forwarding sets every interface's forwarding. Written first, so the values written after them hold.
RESETTING_KEYS = ('net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding')


def write_order(keys):
    """The keys in the order they are written to /proc/sys: the resetting ones first, then by name."""
    return sorted(keys, key=lambda key: (key not in RESETTING_KEYS, key))


HEADER = 'Managed by caas.platform. Local changes are overwritten.'


def normalize_settings(settings):
    """Key -> value as the module and the reads compare them, and the keys that are not sysctl names, sorted."""
    normalized = dict((normalize_key(k), normalize_value(v)) for k, v in settings.items())
    return normalized, sorted(k for k in normalized if not valid_key(k))


def plan(path, settings, global_keys='apply', header=HEADER):
    """What the sysctl module does with one owner's drop-in, decided without changing anything.

    settings: key -> value, already normalized. Returns owned (the keys this owner writes: all, or only the
    namespaced ones with global_keys 'report'), current (each key's running value, None when the kernel lacks it),
    missing, content and before (the drop-in as wanted and as found), file_changed, finals (each owned key's value
    after every drop-in is applied), applied (key -> before/after for the running kernel), overridden (keys a later
    drop-in sets otherwise) and global_drift (the kernel-wide keys left to the machine that differ)."""
    report_only = global_keys == 'report'
    owned = dict((k, v) for k, v in settings.items() if not (report_only and not is_namespaced(k)))
    current = dict((k, read_current(k)) for k in settings)
    content = render(owned, header)
    before = read_file(path, '')
    # What systemd-sysctl would apply with the new file in place.
    files = conf_files()
    if path not in files:
        files = sorted(files + [path], key=os.path.basename)
    effective = effective_values(files, overrides={path: content})
    applied, overridden, finals = {}, {}, {}
    for key, value in sorted(owned.items()):
        final, source = effective.get(key, (value, path))
        finals[key] = final
        if final != value:
            overridden[key] = {'wanted': value, 'effective': final, 'by': source}
        if current[key] is not None and current[key] != final:
            applied[key] = {'before': current[key], 'after': final}
    return dict(owned=owned, current=current, missing=sorted(k for k in owned if current[k] is None),
                content=content, before=before, file_changed=before != content, finals=finals, applied=applied,
                overridden=overridden,
                global_drift=dict((k, {'current': current[k], 'wanted': v}) for k, v in sorted(settings.items())
                                  if k not in owned and current[k] != v))


def in_place(decided, missing_keys='fail'):
    """Whether the sysctl module would change nothing and refuse nothing: a read may skip its run."""
    return not (decided['file_changed'] or decided['applied'] or (decided['missing'] and missing_keys == 'fail'))
