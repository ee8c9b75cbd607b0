# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers for what a node offers Kubernetes: each parses the text of one /proc or /sys file.

Kept free of AnsibleModule so the unit tests feed them real files captured from hosts.
"""

from __future__ import annotations

import gzip
import ipaddress
import os
import re
import sys

from ansible_collections.caas.platform.plugins.module_utils.files import read_file

# Kernel features by module name, with the kernel config symbol that builds them in.
KERNEL_CONFIG_SYMBOLS = {
    'br_netfilter': 'CONFIG_BRIDGE_NETFILTER',
    'overlay': 'CONFIG_OVERLAY_FS',
    'vxlan': 'CONFIG_VXLAN',
    'ip_vs': 'CONFIG_IP_VS',
    'ipip': 'CONFIG_NET_IPIP',
    'wireguard': 'CONFIG_WIREGUARD',
    'rbd': 'CONFIG_BLK_DEV_RBD',
    'ceph': 'CONFIG_CEPH_FS',
    'nf_conntrack': 'CONFIG_NF_CONNTRACK',
    'nf_tables': 'CONFIG_NF_TABLES',
    'ip_tables': 'CONFIG_IP_NF_IPTABLES',
    'dm_crypt': 'CONFIG_DM_CRYPT',
}

# Block devices that can never be a data disk.
_NOT_DISKS = re.compile(r'^(loop|ram|zram|sr|fd|nbd)\d*')

# Where on-disk formats keep their signature: (offset, bytes, name).
_SIGNATURES = (
    (0, b'XFSB', 'xfs'),
    (0, b'bluestore block device', 'ceph_bluestore'),
    (510, b'\x55\xaa', 'partition_table'),
    (512, b'EFI PART', 'gpt'),
    (536, b'LVM2 001', 'lvm2'),
    (1080, b'\x53\xef', 'ext'),
    (4086, b'SWAPSPACE2', 'swap'),
    (65600, b'_BHRfS_M', 'btrfs'),
)

# TCP states in /proc/net/tcp: 0A is LISTEN. Bound UDP sockets show 07 (CLOSE).
_TCP_LISTEN = '0A'
_UDP_BOUND = '07'

# adjtimex(2) clock states.
_CLOCK_STATES = {0: 'ok', 1: 'insert_leap', 2: 'delete_leap', 3: 'leap_in_progress', 4: 'leap_done', 5: 'unsynchronized'}


def parse_meminfo(text):
    """Return MiB values of /proc/meminfo: total, available, swap_total, swap_free."""
    values = {}
    for line in text.splitlines():
        match = re.match(r'^(\w+):\s+(\d+)\s*kB', line)
        if match:
            values[match.group(1)] = int(match.group(2)) // 1024
    return {
        'total_mb': values.get('MemTotal', 0),
        'available_mb': values.get('MemAvailable', 0),
        'swap_total_mb': values.get('SwapTotal', 0),
        'swap_free_mb': values.get('SwapFree', 0),
    }


def parse_swaps(text):
    """Active swap areas from /proc/swaps."""
    areas = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 3:
            areas.append({'device': fields[0], 'type': fields[1], 'size_mb': int(fields[2]) // 1024})
    return areas


def parse_fstab_swap(text):
    """Swap entries of /etc/fstab that would come back at boot."""
    entries = []
    for line in text.splitlines():
        fields = line.split('#', 1)[0].split()
        if len(fields) >= 3 and fields[2] == 'swap':
            entries.append(fields[0])
    return entries


def parse_os_release(text):
    values = {}
    for line in text.splitlines():
        if '=' in line and not line.startswith('#'):
            key, value = line.split('=', 1)
            values[key.strip()] = value.strip().strip('"\'')
    distribution = values.get('ID', 'unknown')
    version = values.get('VERSION_ID', '')
    return {
        'id': distribution,
        'version_id': version,
        'pretty_name': values.get('PRETTY_NAME', ''),
        # The name the inventory contract uses: debian12, ubuntu2404...
        'name': distribution + version.replace('.', ''),
    }


def parse_kernel_config(text):
    """Map CONFIG_* symbols to y/m from a kernel config."""
    config = {}
    for line in text.splitlines():
        match = re.match(r'^(CONFIG_\w+)=([ym])$', line.strip())
        if match:
            config[match.group(1)] = match.group(2)
    return config


def read_kernel_config(release, proc_config='/proc/config.gz', boot_dir='/boot'):
    """The running kernel's config, from /proc/config.gz or /boot/config-RELEASE; None if neither."""
    try:
        with gzip.open(proc_config, 'rt') as handle:
            return parse_kernel_config(handle.read()), proc_config
    except (IOError, OSError):
        pass
    path = os.path.join(boot_dir, 'config-' + release)
    text = read_file(path)
    if text is None:
        return None, None
    return parse_kernel_config(text), path


def kernel_module_states(names, loaded_text, builtin_text, config, modules_dir_exists, module_files):
    """Say for each module whether it is loaded, built in, loadable, or missing.

    loaded_text: /proc/modules; builtin_text: modules.builtin; config: parsed kernel config or None;
    module_files: the module names that have a .ko file under /lib/modules/RELEASE.
    """
    loaded = set(line.split()[0] for line in loaded_text.splitlines() if line.strip())
    builtin = set()
    for line in builtin_text.splitlines():
        name = os.path.basename(line.strip())
        for suffix in ('.ko', '.ko.xz', '.ko.zst', '.ko.gz'):
            if name.endswith(suffix):
                builtin.add(name[:-len(suffix)].replace('-', '_'))
    states = {}
    for name in names:
        symbol = KERNEL_CONFIG_SYMBOLS.get(name)
        if name in loaded:
            state = 'loaded'
        elif name in builtin or (config and symbol and config.get(symbol) == 'y'):
            state = 'builtin'
        elif name in module_files or (config and symbol and config.get(symbol) == 'm' and modules_dir_exists):
            state = 'loadable'
        elif config is None and not builtin_text and not modules_dir_exists:
            state = 'unknown'
        else:
            state = 'missing'
        states[name] = state
    return states


def parse_mountinfo(text):
    """Mounts of /proc/self/mountinfo: mount point, filesystem type, source, device number, options."""
    mounts = []
    for line in text.splitlines():
        left, _sep, right = line.partition(' - ')
        fields = left.split()
        rest = right.split()
        if len(fields) < 6 or len(rest) < 2:
            continue
        mounts.append({
            'device': fields[2],
            'mount_point': fields[4].replace('\\040', ' '),
            'options': fields[5],
            'fstype': rest[0],
            'source': rest[1],
        })
    return mounts


def cgroup_version(mounts):
    """v2 (unified), hybrid (v1 controllers plus a v2 tree) or v1, from the mounts."""
    by_point = dict((m['mount_point'], m['fstype']) for m in mounts)
    top = by_point.get('/sys/fs/cgroup')
    if top == 'cgroup2':
        return 'v2'
    if by_point.get('/sys/fs/cgroup/unified') == 'cgroup2':
        return 'hybrid'
    if top is not None or any(m['fstype'] == 'cgroup' for m in mounts):
        return 'v1'
    return 'unknown'


def _hex_port(address):
    return int(address.rsplit(':', 1)[1], 16)


def _hex_ip(address):
    """The address of a /proc/net socket line: 32-bit words in the host's byte order."""
    data = bytes.fromhex(address.rsplit(':', 1)[0])
    if sys.byteorder == 'little':
        data = b''.join(data[i:i + 4][::-1] for i in range(0, len(data), 4))
    if len(data) == 4:
        return str(ipaddress.IPv4Address(data))
    ip = ipaddress.IPv6Address(data)
    return str(ip.ipv4_mapped or ip)


def parse_proc_net(text, protocol):
    """Listening sockets of /proc/net/{tcp,tcp6,udp,udp6}: address, port, socket inode."""
    wanted = _TCP_LISTEN if protocol.startswith('tcp') else _UDP_BOUND
    sockets = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != wanted:
            continue
        sockets.append({
            'protocol': protocol,
            'address': _hex_ip(fields[1]),
            'port': _hex_port(fields[1]),
            'inode': fields[9],
        })
    return sockets


def socket_owners(proc_dir='/proc'):
    """Map socket inode -> (pid, process name), reading every /proc/PID/fd (needs root for all)."""
    owners = {}
    for pid in os.listdir(proc_dir):
        if not pid.isdigit():
            continue
        fd_dir = os.path.join(proc_dir, pid, 'fd')
        try:
            fds = os.listdir(fd_dir)
        except (IOError, OSError):
            continue
        comm = None
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except (IOError, OSError):
                continue
            if target.startswith('socket:['):
                if comm is None:
                    comm = (read_file(os.path.join(proc_dir, pid, 'comm'), '') or '').strip()
                owners[target[8:-1]] = (int(pid), comm)
    return owners


def process_names(proc_dir='/proc'):
    names = set()
    for pid in os.listdir(proc_dir):
        if pid.isdigit():
            name = read_file(os.path.join(proc_dir, pid, 'comm'))
            if name:
                names.add(name.strip())
    return names


def disk_signature(head):
    """The on-disk format found in the first bytes of a device, or None when it looks blank."""
    for offset, magic, name in _SIGNATURES:
        if head[offset:offset + len(magic)] == magic:
            return name
    return None


def block_devices(sys_block='/sys/block', dev_dir='/dev', mounted_devices=()):
    """Whole disks with size, kind and whether they are free for storage (nothing on or using them)."""
    disks = []
    try:
        names = sorted(os.listdir(sys_block))
    except (IOError, OSError):
        return disks
    for name in names:
        if _NOT_DISKS.match(name):
            continue
        base = os.path.join(sys_block, name)
        sectors = int((read_file(os.path.join(base, 'size'), '0') or '0').strip() or 0)
        partitions = [p for p in sorted(os.listdir(base)) if os.path.exists(os.path.join(base, p, 'partition'))]
        holders = os.listdir(os.path.join(base, 'holders')) if os.path.isdir(os.path.join(base, 'holders')) else []
        device_number = (read_file(os.path.join(base, 'dev'), '') or '').strip()
        read_only = (read_file(os.path.join(base, 'ro'), '0') or '0').strip() == '1'
        removable = (read_file(os.path.join(base, 'removable'), '0') or '0').strip() == '1'
        signature = None
        try:
            with open(os.path.join(dev_dir, name), 'rb') as handle:
                signature = disk_signature(handle.read(65600 + 8))
        except (IOError, OSError):
            signature = 'unreadable'
        mounted = device_number in mounted_devices
        disks.append({
            'name': name,
            'size_gb': round(sectors * 512 / 1024.0 ** 3, 1),
            'rotational': (read_file(os.path.join(base, 'queue', 'rotational'), '0') or '0').strip() == '1',
            'partitions': partitions,
            'holders': holders,
            'signature': signature,
            'mounted': mounted,
            'free': bool(sectors) and not (partitions or holders or signature or mounted or read_only or removable),
        })
    return disks


def filesystem_free(paths):
    """Free GiB of the filesystem holding each path (the nearest existing parent)."""
    free = {}
    for path in paths:
        probe = path
        while not os.path.exists(probe) and probe != '/':
            probe = os.path.dirname(probe)
        stats = os.statvfs(probe)
        free[path] = round(stats.f_bavail * stats.f_frsize / 1024.0 ** 3, 1)
    return free


def clock_state():
    """The kernel clock's synchronization state, read with adjtimex(2) without changing it."""
    try:
        import ctypes
        import ctypes.util
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6', use_errno=True)
        buffer = ctypes.create_string_buffer(512)  # struct timex is 208 bytes; modes=0 reads only
        state = libc.adjtimex(buffer)
    except (OSError, AttributeError):
        return 'unknown'
    return _CLOCK_STATES.get(state, 'unknown')


UNIT_PROPERTIES = ('LoadState', 'UnitFileState', 'ActiveState')


def parse_systemctl_show(text, names):
    """{unit: {load, enabled, active}} from `systemctl show -p LoadState,UnitFileState,ActiveState UNIT...`.

    systemctl prints one block of properties per unit, in the order the units were asked for, blocks apart by an
    empty line; a unit that does not exist has LoadState not-found.
    """
    blocks = text.strip('\n').split('\n\n') if text.strip() else []
    states = {}
    for name, block in zip(names, blocks):
        values = dict(line.split('=', 1) for line in block.splitlines() if '=' in line)
        states[name] = {'load': values.get('LoadState', ''), 'enabled': values.get('UnitFileState', ''),
                        'active': values.get('ActiveState', '')}
    return states


def unit_states(run_command, systemctl, names):
    """The states of systemd units in one systemctl call (run_command is AnsibleModule.run_command)."""
    if not names:
        return {}
    rc, out, err = run_command([systemctl, 'show', '--property=' + ','.join(UNIT_PROPERTIES), '--'] + list(names))
    if rc != 0:
        raise OSError('systemctl show failed: %s' % err.strip())
    return parse_systemctl_show(out, names)


def resolve_ipv4(names):
    """The IPv4 addresses each name resolves to through the system's resolver (as `getent ahostsv4`), sorted."""
    import socket
    resolved = {}
    for name in names:
        try:
            infos = socket.getaddrinfo(name, None, socket.AF_INET)
        except (socket.gaierror, UnicodeError):
            infos = []
        resolved[name] = sorted(set(info[4][0] for info in infos))
    return resolved
