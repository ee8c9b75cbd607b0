# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""node_facts readers over files captured from a lab host and a Debian 12 VM, and over this machine."""

from __future__ import annotations

import gzip
import os
import socket
from pathlib import Path

import pytest

from ansible_collections.caas.platform.plugins.module_utils import node_facts as nf
from ansible_collections.caas.platform.plugins.module_utils.files import read_file

FIXTURES = Path(__file__).parents[2] / 'fixtures'
CONTAINER = FIXTURES / 'debian12-container'


def fixture(name):
    return (FIXTURES / name).read_text()


def test_meminfo_in_mib():
    memory = nf.parse_meminfo(fixture('debian12-container/proc_meminfo'))
    assert memory['total_mb'] > 1000
    assert 0 < memory['available_mb'] <= memory['total_mb']
    assert memory['swap_total_mb'] == 0


def test_no_active_swap_on_lab_host():
    assert nf.parse_swaps(fixture('debian12-container/proc_swaps')) == []


def test_active_swap_areas():
    text = 'Filename\tType\tSize\tUsed\tPriority\n/dev/vda2 partition 2097148 0 -2\n/swap.img file 1048572 0 -3\n'
    assert nf.parse_swaps(text) == [
        {'device': '/dev/vda2', 'type': 'partition', 'size_mb': 2047},
        {'device': '/swap.img', 'type': 'file', 'size_mb': 1023},
    ]


def test_fstab_swap_ignores_comments():
    assert nf.parse_fstab_swap(fixture('debian12-vm-fstab')) == ['UUID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0']


def test_os_release_contract_name():
    release = nf.parse_os_release(fixture('debian12-container/etc_os-release'))
    assert release['name'] == 'debian12'
    assert release['pretty_name'] == 'Debian GNU/Linux 12 (bookworm)'
    ubuntu = nf.parse_os_release('NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="24.04"\n')
    assert ubuntu['name'] == 'ubuntu2404'


def test_cgroup_hybrid_on_lab_host():
    mounts = nf.parse_mountinfo(fixture('debian12-container/proc_self_mountinfo'))
    assert any(m['mount_point'] == '/sys/fs/cgroup' for m in mounts)
    assert nf.cgroup_version(mounts) in ('hybrid', 'v1')


def test_cgroup_v2_on_vm():
    mounts = nf.parse_mountinfo(fixture('debian12-vm-mountinfo'))
    assert nf.cgroup_version(mounts) == 'v2'
    containerd = [m for m in mounts if m['mount_point'] == '/var/lib/containerd'][0]
    assert containerd == {'device': '254:17', 'mount_point': '/var/lib/containerd', 'fstype': 'xfs',
                          'source': '/dev/vdb1', 'options': 'rw,relatime'}


@pytest.mark.parametrize('mounts, expected', [
    ([{'mount_point': '/sys/fs/cgroup', 'fstype': 'tmpfs'},
      {'mount_point': '/sys/fs/cgroup/unified', 'fstype': 'cgroup2'}], 'hybrid'),
    ([{'mount_point': '/sys/fs/cgroup', 'fstype': 'tmpfs'},
      {'mount_point': '/sys/fs/cgroup/memory', 'fstype': 'cgroup'}], 'v1'),
    ([], 'unknown'),
])
def test_cgroup_versions(mounts, expected):
    assert nf.cgroup_version(mounts) == expected


def test_listening_tcp_sockets_only():
    sockets = nf.parse_proc_net(fixture('debian12-vm-proc_net_tcp'), 'tcp')
    assert [(s['address'], s['port']) for s in sockets] == [('0.0.0.0', 22), ('127.0.0.1', 2379), ('10.250.0.21', 2380)]
    assert sockets[1]['inode'] == '40112'


def test_listening_tcp6_from_lab_host():
    sockets = nf.parse_proc_net(fixture('debian12-container/proc_net_tcp6'), 'tcp6')
    assert [(s['address'], s['port']) for s in sockets] == [('::', 22)]


def test_kernel_config_from_lab_machine():
    config = nf.parse_kernel_config(fixture('debian12-container/kernel_config') + '# CONFIG_IP_VS is not set\n')
    assert config['CONFIG_OVERLAY_FS'] == 'y'
    assert 'CONFIG_IP_VS' not in config


def test_module_states_builtin_kernel_without_modules():
    """The lab machine: no /lib/modules, everything needed built in, ip_vs absent."""
    config = nf.parse_kernel_config(fixture('debian12-container/kernel_config'))
    states = nf.kernel_module_states(['br_netfilter', 'overlay', 'vxlan', 'ip_vs'], '', '', config, False, set())
    assert states == {'br_netfilter': 'builtin', 'overlay': 'builtin', 'vxlan': 'builtin', 'ip_vs': 'missing'}


def test_module_states_distribution_kernel():
    loaded = 'overlay 151552 0 - Live 0x0000000000000000\nbr_netfilter 32768 0 - Live 0x0000000000000000\n'
    builtin = 'kernel/net/ipv4/tcp_cubic.ko\nkernel/drivers/net/vxlan/vxlan.ko\n'
    config = {'CONFIG_IP_VS': 'm', 'CONFIG_WIREGUARD': 'm'}
    states = nf.kernel_module_states(['overlay', 'br_netfilter', 'vxlan', 'ip_vs', 'wireguard', 'rbd'],
                                     loaded, builtin, config, True, {'wireguard'})
    assert states == {'overlay': 'loaded', 'br_netfilter': 'loaded', 'vxlan': 'builtin', 'ip_vs': 'loadable',
                      'wireguard': 'loadable', 'rbd': 'missing'}


def test_module_states_unknown_without_any_source():
    assert nf.kernel_module_states(['overlay'], '', '', None, False, set()) == {'overlay': 'unknown'}


def test_read_kernel_config_prefers_proc_then_boot(tmp_path):
    boot = tmp_path / 'boot'
    boot.mkdir()
    (boot / 'config-6.1.0-28-amd64').write_text('CONFIG_OVERLAY_FS=m\n')
    config, source = nf.read_kernel_config('6.1.0-28-amd64', str(tmp_path / 'missing.gz'), str(boot))
    assert config == {'CONFIG_OVERLAY_FS': 'm'} and source.endswith('config-6.1.0-28-amd64')
    proc = tmp_path / 'config.gz'
    with gzip.open(proc, 'wt') as handle:
        handle.write('CONFIG_OVERLAY_FS=y\n')
    config, source = nf.read_kernel_config('6.1.0-28-amd64', str(proc), str(boot))
    assert config == {'CONFIG_OVERLAY_FS': 'y'} and source == str(proc)
    assert nf.read_kernel_config('other', str(tmp_path / 'none.gz'), str(boot)) == (None, None)


@pytest.mark.parametrize('offset, magic, name', [
    (1080, b'\x53\xef', 'ext'), (0, b'XFSB', 'xfs'), (536, b'LVM2 001', 'lvm2'), (512, b'EFI PART', 'gpt'),
    (4086, b'SWAPSPACE2', 'swap'), (0, b'bluestore block device', 'ceph_bluestore'),
])
def test_disk_signatures(offset, magic, name):
    head = bytearray(65608)
    head[offset:offset + len(magic)] = magic
    assert nf.disk_signature(bytes(head)) == name


def test_blank_disk_has_no_signature():
    assert nf.disk_signature(bytes(65608)) is None


def test_block_devices_from_a_sysfs_tree(tmp_path):
    """A sysfs and /dev laid out as on a storage node: vda in use, vdb blank, vdc formatted, loop0 ignored."""
    sys_block, dev = tmp_path / 'block', tmp_path / 'dev'
    dev.mkdir()
    for name, number in (('vda', '254:0'), ('vdb', '254:16'), ('vdc', '254:32'), ('loop0', '7:0')):
        base = sys_block / name
        (base / 'queue').mkdir(parents=True)
        (base / 'holders').mkdir()
        (base / 'size').write_text('209715200\n')
        (base / 'dev').write_text(number + '\n')
        (base / 'ro').write_text('0\n')
        (base / 'removable').write_text('0\n')
        (base / 'queue' / 'rotational').write_text('0\n')
        (dev / name).write_bytes(bytes(65608))
    (sys_block / 'vda' / 'vda1').mkdir()
    (sys_block / 'vda' / 'vda1' / 'partition').write_text('1\n')
    xfs = bytearray(65608)
    xfs[0:4] = b'XFSB'
    (dev / 'vdc').write_bytes(bytes(xfs))
    disks = {d['name']: d for d in nf.block_devices(str(sys_block), str(dev), mounted_devices={'254:0'})}
    assert sorted(disks) == ['vda', 'vdb', 'vdc']
    assert disks['vdb']['free'] and disks['vdb']['size_gb'] == 100.0
    assert not disks['vda']['free'] and disks['vda']['partitions'] == ['vda1'] and disks['vda']['mounted']
    assert not disks['vdc']['free'] and disks['vdc']['signature'] == 'xfs'


def test_socket_owner_of_a_real_listener():
    """Open a real listening socket and find this process as its owner through /proc."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)
    try:
        port = listener.getsockname()[1]
        sockets = nf.parse_proc_net(read_file('/proc/net/tcp'), 'tcp')
        mine = [s for s in sockets if s['port'] == port]
        assert mine and mine[0]['address'] == '127.0.0.1'
        pid, _name = nf.socket_owners()[mine[0]['inode']]
        assert pid == os.getpid()
    finally:
        listener.close()


def test_filesystem_free_walks_up_to_an_existing_parent(tmp_path):
    free = nf.filesystem_free([str(tmp_path / 'not' / 'yet'), str(tmp_path)])
    assert free[str(tmp_path / 'not' / 'yet')] == free[str(tmp_path)] > 0


def test_clock_state_is_a_known_state():
    assert nf.clock_state() in ('ok', 'unsynchronized', 'insert_leap', 'delete_leap', 'leap_in_progress',
                                'leap_done', 'unknown')


def test_unit_states_from_systemctl_show_of_a_lab_host():
    # `systemctl show --property=LoadState,UnitFileState,ActiveState -- chrony caas-host-firewall nosuch` on a lab
    # host: one block per unit, in the order asked.
    states = nf.parse_systemctl_show(fixture('debian12-container/systemctl_show_units'),
                                     ['chrony', 'caas-host-firewall', 'nosuch'])
    assert states['chrony'] == {'load': 'loaded', 'enabled': 'enabled', 'active': 'active'}
    assert states['caas-host-firewall']['enabled'] == 'enabled'
    assert states['nosuch']['load'] == 'not-found' and states['nosuch']['active'] == 'inactive'
    assert nf.parse_systemctl_show('', ['chrony']) == {}


def test_resolve_ipv4_as_getent():
    resolved = nf.resolve_ipv4(['localhost', 'no-such-host.invalid'])
    assert '127.0.0.1' in resolved['localhost']
    assert resolved['no-such-host.invalid'] == []
