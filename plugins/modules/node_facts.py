#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_facts
short_description: Gather in one round trip what the platform's layers need to know about a node
version_added: 0.1.0
description:
  - Reads C(/proc), C(/sys) and a few files of the node, and returns as the fact C(caas_node) its CPUs, memory,
    swap, operating system, kernel features (loaded, built in, loadable or missing), cgroup version, listening
    ports with the process that owns each, clock synchronization, free space of the filesystems the platform
    writes to, block devices free for storage, addresses, sysctls and whether it is a container.
  - Changes nothing on the node. Use it through the C(caas.platform.preflight) role, which judges the facts
    against the minimums of each host's role.
options:
  kernel_modules:
    description: Kernel features to report, by module name.
    type: list
    elements: str
    default: [br_netfilter, overlay, vxlan, ip_vs, ipip, wireguard, rbd, nf_conntrack, nf_tables]
  sysctls:
    description: Kernel parameters to report, by their dotted name. One that does not exist is reported as null.
    type: list
    elements: str
    default: [net.ipv4.ip_forward, net.bridge.bridge-nf-call-iptables, net.bridge.bridge-nf-call-ip6tables,
              fs.inotify.max_user_instances, fs.inotify.max_user_watches, vm.overcommit_memory, kernel.panic]
  filesystems:
    description: Paths whose filesystem's free space to report, in GiB.
    type: list
    elements: str
    default: [/, /var, /var/lib/containerd, /var/lib/kubelet, /var/lib/etcd]
  block_devices:
    description: Whether to report block devices and which are free for storage (reads their first 64 KiB).
    type: bool
    default: true
  units:
    description: systemd units whose load, enablement and activity to report (one C(systemctl show)).
    type: list
    elements: str
    default: []
  resolve:
    description: Host names to resolve to IPv4 addresses with the system's resolver (as C(getent ahostsv4)).
    type: list
    elements: str
    default: []
  packages:
    description:
      - Whether to report the Debian packages dpkg has installed (one C(dpkg-query)).
      - Roles that run in the same play skip their M(caas.platform.packages) run when every name they need is
        among them.
    type: bool
    default: true
author:
  - caas.platform maintainers (@caas-platform)
extends_documentation_fragment:
  - caas.platform.attributes.read_only
attributes:
  facts:
    support: full
    description: Returns the fact C(caas_node).
  platform:
    support: full
    platforms: debian
    description: Reads Linux's C(/proc) and C(/sys); tested on Debian 12.
notes:
  - Needs root (C(become)) to name the owner of every listening socket and to read block devices.
  - In a container, kernel, clock and block devices are the machine's, shared by every container on it.
seealso:
  - module: caas.platform.validate_inventory
"""

EXAMPLES = r"""
- name: Gather node facts
  caas.platform.node_facts:
  become: true

- name: Show the kernel features
  ansible.builtin.debug:
    var: caas_node.kernel.modules

- name: Only what the control plane needs, without touching block devices
  caas.platform.node_facts:
    kernel_modules: [br_netfilter, overlay]
    block_devices: false
  become: true
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    caas_node:
      description: What the node offers.
      returned: always
      type: dict
      contains:
        hostname:
          description: The node's host name.
          type: str
          sample: cp1
        os:
          description: The operating system from C(/etc/os-release); C(name) is the inventory contract's spelling.
          type: dict
          sample: {id: debian, version_id: "12", name: debian12, pretty_name: Debian GNU/Linux 12 (bookworm)}
        virtualization:
          description: C(container) when the node runs in a container, else C(none).
          type: str
          sample: container
        cpu:
          description: CPUs this node can run on, and their model.
          type: dict
          sample: {count: 2, model: AMD EPYC}
        memory:
          description: Memory and swap in MiB, and the active and fstab swap areas.
          type: dict
          sample: {total_mb: 24000, available_mb: 22000, swap_total_mb: 0, swap_free_mb: 0, swap_areas: [],
                   fstab_swap: []}
        kernel:
          description: Kernel release, where its config was read, and the state of each requested feature
            (C(loaded), C(builtin), C(loadable), C(missing) or C(unknown)).
          type: dict
          sample: {release: 6.1.0-28-amd64, config: /boot/config-6.1.0-28-amd64, modules: {overlay: loaded}}
        cgroup_version:
          description: C(v2), C(hybrid), C(v1) or C(unknown).
          type: str
          sample: v2
        sysctls:
          description: The requested kernel parameters.
          type: dict
          sample: {net.ipv4.ip_forward: "1"}
        listening:
          description: Listening TCP sockets and bound UDP sockets, with the owning process.
          type: list
          elements: dict
          sample: [{protocol: tcp, address: 0.0.0.0, port: 22, pid: 231, process: sshd}]
        time:
          description: The kernel clock state (C(ok) when synchronized) and the time-sync daemons running.
          type: dict
          sample: {clock_state: ok, daemons: [chronyd]}
        filesystems_free_gb:
          description: Free GiB of the filesystem holding each requested path.
          type: dict
          sample: {/var: 61.2}
        block_devices:
          description: Whole disks; C(free) is true when nothing is on or using the disk.
          type: list
          elements: dict
          sample: [{name: sdb, size_gb: 100.0, rotational: false, partitions: [], holders: [], signature: null,
                    mounted: false, free: true}]
        addresses:
          description: IPv4 addresses of the node's interfaces.
          type: list
          elements: str
          sample: [10.250.0.21]
        units:
          description: The states of the O(units), by name (C(load) is C(not-found) for a unit the host lacks).
          type: dict
          sample: {chrony: {load: loaded, enabled: enabled, active: active}}
        resolved:
          description: The IPv4 addresses each name of O(resolve) resolves to (empty when it does not).
          type: dict
          sample: {cp1: [10.250.0.21]}
        packages:
          description:
            - The installed Debian packages (configured with no error, as M(caas.platform.packages) counts them), each
              by name and by name:arch, sorted. Empty with O(packages=false) or on a host without C(dpkg-query).
          type: list
          elements: str
          sample: [chrony, "chrony:amd64", nftables, "nftables:amd64"]
"""

import json
import os
import platform

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils import node_facts as nf
from ansible_collections.caas.platform.plugins.module_utils import packages as pk
from ansible_collections.caas.platform.plugins.module_utils.files import read_file

TIME_SYNC_DAEMONS = ('chronyd', 'ntpd', 'systemd-timesyn', 'openntpd', 'timemaster', 'ptp4l')


def sysctl_values(names):
    values = {}
    for name in names:
        text = read_file('/proc/sys/' + name.replace('.', '/'))
        values[name] = text.strip() if text is not None else None
    return values


def cpu_facts():
    model = ''
    for line in (read_file('/proc/cpuinfo', '') or '').splitlines():
        if line.startswith('model name'):
            model = line.split(':', 1)[1].strip()
            break
    return {'count': len(os.sched_getaffinity(0)), 'model': model}


def kernel_facts(module_names):
    release = platform.release()
    config, config_source = nf.read_kernel_config(release)
    modules_dir = '/lib/modules/' + release
    module_files = set()
    if os.path.isdir(modules_dir):
        for _root, _dirs, files in os.walk(modules_dir):
            for name in files:
                if '.ko' in name:
                    module_files.add(name.split('.ko')[0].replace('-', '_'))
    states = nf.kernel_module_states(
        module_names,
        read_file('/proc/modules', '') or '',
        read_file(os.path.join(modules_dir, 'modules.builtin'), '') or '',
        config, os.path.isdir(modules_dir), module_files)
    return {'release': release, 'config': config_source, 'modules': states}


def listening_sockets():
    owners = nf.socket_owners()
    sockets = []
    for protocol in ('tcp', 'tcp6', 'udp', 'udp6'):
        for entry in nf.parse_proc_net(read_file('/proc/net/' + protocol, '') or '', protocol):
            pid, process = owners.get(entry.pop('inode'), (None, None))
            entry.update(protocol=protocol.rstrip('6'), pid=pid, process=process)
            sockets.append(entry)
    return sorted(sockets, key=lambda s: (s['protocol'], s['port'], s['address']))


def ipv4_addresses(module):
    ip = module.get_bin_path('ip')
    if not ip:
        return []
    rc, out, _err = module.run_command([ip, '-j', '-4', 'addr', 'show'])
    if rc != 0:
        return []
    return [a['local'] for link in json.loads(out or '[]') for a in link.get('addr_info', [])]


def installed_packages(module):
    dpkg_query = module.get_bin_path('dpkg-query')
    if not dpkg_query:
        return []
    rc, out, err = module.run_command(pk.dpkg_query_command(dpkg_query, []), environ_update=dict(LC_ALL='C'))
    if rc != 0:
        module.fail_json(msg='dpkg-query failed: %s' % (err.strip() or out.strip()), rc=rc)
    return pk.installed_list(pk.parse_dpkg_query(out))


def virtualization():
    marker = read_file('/run/systemd/container')
    return 'container' if marker is not None or os.path.exists('/run/.containerenv') else 'none'


def main():
    module = AnsibleModule(
        argument_spec=dict(
            kernel_modules=dict(type='list', elements='str',
                                default=['br_netfilter', 'overlay', 'vxlan', 'ip_vs', 'ipip', 'wireguard', 'rbd',
                                         'nf_conntrack', 'nf_tables']),
            sysctls=dict(type='list', elements='str',
                         default=['net.ipv4.ip_forward', 'net.bridge.bridge-nf-call-iptables',
                                  'net.bridge.bridge-nf-call-ip6tables', 'fs.inotify.max_user_instances',
                                  'fs.inotify.max_user_watches', 'vm.overcommit_memory', 'kernel.panic']),
            filesystems=dict(type='list', elements='str',
                             default=['/', '/var', '/var/lib/containerd', '/var/lib/kubelet', '/var/lib/etcd']),
            block_devices=dict(type='bool', default=True),
            units=dict(type='list', elements='str', default=[]),
            resolve=dict(type='list', elements='str', default=[]),
            packages=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params

    mounts = nf.parse_mountinfo(read_file('/proc/self/mountinfo', '') or '')
    memory = nf.parse_meminfo(read_file('/proc/meminfo', '') or '')
    memory['swap_areas'] = nf.parse_swaps(read_file('/proc/swaps', '') or '')
    memory['fstab_swap'] = nf.parse_fstab_swap(read_file('/etc/fstab', '') or '')
    processes = nf.process_names()

    facts = {
        'hostname': platform.node().split('.')[0],
        'os': nf.parse_os_release(read_file('/etc/os-release', '') or ''),
        'virtualization': virtualization(),
        'cpu': cpu_facts(),
        'memory': memory,
        'kernel': kernel_facts(params['kernel_modules']),
        'cgroup_version': nf.cgroup_version(mounts),
        'sysctls': sysctl_values(params['sysctls']),
        'listening': listening_sockets(),
        'time': {
            'clock_state': nf.clock_state(),
            'daemons': sorted(processes.intersection(TIME_SYNC_DAEMONS)),
        },
        'filesystems_free_gb': nf.filesystem_free(params['filesystems']),
        'block_devices': [],
        'addresses': ipv4_addresses(module),
        'units': {},
        'resolved': nf.resolve_ipv4(params['resolve']),
        'packages': installed_packages(module) if params['packages'] else [],
    }
    if params['units']:
        try:
            facts['units'] = nf.unit_states(module.run_command, module.get_bin_path('systemctl', required=True),
                                            params['units'])
        except OSError as error:
            module.fail_json(msg=str(error))
    if params['block_devices']:
        mounted = set(m['device'] for m in mounts)
        facts['block_devices'] = nf.block_devices(mounted_devices=mounted)

    module.exit_json(changed=False, ansible_facts={'caas_node': facts})


if __name__ == '__main__':
    main()
