# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Offline stand-in for the get-pip script ansible-test downloads to bootstrap its virtualenvs.

These machines reach PyPI but not the host ansible-test fetches get-pip from. scripts/test copies
this file to ~/.ansible/test/cache/get_pip_<version>.py: it installs pip from the interpreter's own
ensurepip, then installs what ansible-test asked for from the package index.
"""

from __future__ import annotations

import subprocess
import sys

IGNORED = ('--no-setuptools', '--no-wheel')


def main() -> None:
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade', '--default-pip'])
    args = [arg for arg in sys.argv[1:] if arg not in IGNORED]
    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '--disable-pip-version-check'] + args)


if __name__ == '__main__':
    main()
