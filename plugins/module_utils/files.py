# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for files: reading one that may be absent, editing key/value configuration files line by line."""

from __future__ import annotations

import os
import re
import shutil
import tempfile


def read_file(path, default=None, binary=False):
    """The content of a file (bytes when binary), or default when it is absent or unreadable."""
    try:
        with open(path, 'rb' if binary else 'r') as handle:
            return handle.read()
    except (IOError, OSError):
        return default


def _key_of(line, comment):
    """(key, commented) of a line that sets a key, or (None, False)."""
    stripped = line.strip()
    commented = stripped.startswith(comment)
    body = stripped.lstrip(comment).strip() if commented else stripped
    match = re.match(r'^([A-Za-z_][A-Za-z0-9_.-]*)(\s*=\s*|\s+)(\S.*)?$', body)
    if not match or (not commented and match.group(3) is None):
        return None, False
    return match.group(1), commented


def set_keys(text, settings, separator=' ', comment='#'):
    """Set KEY<separator>VALUE for each setting in a key/value file such as login.defs or auditd.conf.

    The first active line of a key is replaced and later active ones removed; a key with no active line
    takes the place of its first commented-out example ("#KEY value"); a key found nowhere is appended.
    Everything else, comments included, is kept as it is.
    """
    lines = text.splitlines()
    keyed = [_key_of(line, comment) for line in lines]
    active = set(key for key, commented in keyed if key in settings and not commented)
    placed = set()
    out = []
    for line, (key, commented) in zip(lines, keyed):
        if key in settings and key not in placed and (not commented or key not in active):
            out.append('%s%s%s' % (key, separator, settings[key]))
            placed.add(key)
        elif key in settings and not commented:
            continue  # a later active duplicate would override ours
        else:
            out.append(line)
    out.extend('%s%s%s' % (key, separator, value) for key, value in settings.items() if key not in placed)
    return '\n'.join(out) + '\n'


def write_atomic(module, path, content, validate=None, mode=None):
    """Write content to path through a temporary file beside it, checked by validate (%s: its path) first.

    Keeps the old file's mode and owner when there is one, else uses mode."""
    directory = os.path.dirname(path) or '.'
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.caas-')
    with os.fdopen(fd, 'w') as handle:
        handle.write(content)
    if validate:
        rc, out, err = module.run_command(validate % tmp)
        if rc != 0:
            os.unlink(tmp)
            module.fail_json(msg='validation of %s failed (%s): %s' % (path, validate, (err or out).strip()))
    if os.path.exists(path):
        shutil.copystat(path, tmp)
    elif mode is not None:
        os.chmod(tmp, mode)
    module.atomic_move(tmp, path)
