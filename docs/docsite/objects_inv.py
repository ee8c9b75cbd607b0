# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes a Sphinx inventory (objects.inv, version 2) of the labels in ansible_labels.yml, for intersphinx.

  objects_inv.py OUT
"""

from __future__ import annotations

import sys
import zlib
from pathlib import Path

import yaml


def inventory(labels: dict[str, list[str]]) -> bytes:
    header = (b'# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n'
              b'# The remainder of this file is compressed using zlib.\n')
    lines = ''.join(f'{name} std:label -1 {uri} {title}\n' for name, (uri, title) in sorted(labels.items()))
    return header + zlib.compress(lines.encode())


def main() -> None:
    data = yaml.safe_load((Path(__file__).parent / 'ansible_labels.yml').read_text())
    Path(sys.argv[1]).write_bytes(inventory(data['labels']))


if __name__ == '__main__':
    main()
