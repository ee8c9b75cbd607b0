# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loop devices for the Ceph OSDs of the lab's and the molecule scenarios' storage hosts.

  loop_devices.py attach DIR HOST... [--size 10G] [--container FORMAT]
  loop_devices.py detach DIR

attach: a sparse backing file DIR/<host>.img per host, attached to a free loop device of this machine unless it
already is, and the device node made inside the host's container if the container started before the device
existed (a privileged podman container sees the machine's devices as they were when it started). Each host's
container then loses the nodes of the other hosts' devices: Ceph's OSD preparation lists every OSD it finds on
the devices it sees, and a host seeing another's device would take that OSD as its own (two hosts running one
OSD). Writes DIR/devices.json ({host: /dev/loopN}) for the inventory, and prints it. Run it again after a host's
container restarts (scripts/lab up does): podman gives it every device again.
detach: detaches every loop device backed by a file of DIR and removes the files. Only what attach made is
touched: the machine's other loop devices are never named, read or detached (a lab host sees them all:
docs/lab.md, storage safety).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path


def run(*argv, check=True):
    return subprocess.run(argv, check=check, capture_output=True, text=True).stdout.strip()


def attached(backing):
    """The loop devices backed by this file (losetup -j)."""
    return [line.split(':', 1)[0] for line in run('losetup', '--associated', str(backing)).splitlines() if line]


def attach(directory, hosts, size, container_format):
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    devices = {}
    for host in hosts:
        backing = directory / f'{host}.img'
        if not backing.exists():
            run('truncate', '--size', size, str(backing))
        device = (attached(backing) or [run('losetup', '--find', '--show', str(backing))])[0]
        minor = int(os.minor(os.stat(device).st_rdev))
        container = container_format.format(host=host)
        run('podman', 'exec', container, 'sh', '-c',
            f'test -b {device} || mknod -m 0660 {device} b 7 {minor}')
        devices[host] = device
    for host in hosts:
        others = ' '.join(device for other, device in devices.items() if other != host)
        if others:
            run('podman', 'exec', container_format.format(host=host), 'sh', '-c', f'rm -f {others}')
    (directory / 'devices.json').write_text(json.dumps(devices, indent=2, sort_keys=True) + '\n')
    return devices


def detach(directory):
    for backing in sorted(directory.glob('*.img')):
        for device in attached(backing):
            run('losetup', '--detach', device)
        backing.unlink()
    (directory / 'devices.json').unlink(missing_ok=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('action', choices=['attach', 'detach'])
    parser.add_argument('directory', type=Path)
    parser.add_argument('hosts', nargs='*')
    parser.add_argument('--size', default='10G')
    parser.add_argument('--container', default='{host}', help='the container of a host (format with {host})')
    args = parser.parse_args()
    if args.action == 'attach':
        print(json.dumps(attach(args.directory.resolve(), args.hosts, args.size, args.container), sort_keys=True))
    else:
        detach(args.directory.resolve())
    return 0


if __name__ == '__main__':
    sys.exit(main())
