# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ceph cluster an inventory asks for, checked before anything changes: the storage hosts and their devices,
monitors, replicas and failure domains, the default StorageClass, what the running cluster cannot take (fewer
monitors, an OSD device or host taken away), and what each device holds (lsblk) before Rook may use it."""

from __future__ import annotations

import re
import typing as t

STABLE_PATH = re.compile(r'^/dev/disk/by-(id|path)/[^/]+$')
LOOP_PATH = re.compile(r'^/dev/loop[0-9]+$')


def device_problems(host: str, devices: t.Any, allow_loop: bool) -> list[str]:
    """One host's rook_ceph_osd_devices: a list of {path, wipe} with stable or (lab) loop paths, no duplicates."""
    where = f'rook_ceph_osd_devices of {host}'
    if not isinstance(devices, list) or not devices:
        return [f'{where} is {devices!r}: a storage host needs at least one device; list its raw disks or partitions '
                'as {path: /dev/disk/by-id/...} (or take the host out of the storage group).']
    problems, seen = [], set()
    for device in devices:
        if not isinstance(device, dict) or not isinstance(device.get('path'), str):
            problems.append(f'{where}: {device!r} is not a device; give each as {{path: /dev/disk/by-id/..., wipe: false}}.')
            continue
        path, wipe = device['path'], device.get('wipe', False)
        if not isinstance(wipe, bool):
            problems.append(f'{where}: wipe of {path} is {wipe!r}; write true or false (a YAML boolean, unquoted).')
        if path in seen:
            problems.append(f'{where}: {path} is listed twice; list each device once.')
        seen.add(path)
        if LOOP_PATH.match(path):
            if not allow_loop:
                problems.append(f'{where}: {path} is a loop device; loop devices are for test clusters only (set '
                                'rook_ceph_allow_loop_devices: true in a lab), give a disk by /dev/disk/by-id/.')
            elif wipe is True:
                problems.append(f'{where}: {path} sets wipe: true; a loop device is never wiped by the role, '
                                'make a new backing file instead.')
        elif not STABLE_PATH.match(path):
            problems.append(f'{where}: {path} is not a stable path (names like /dev/sdb change between boots); '
                            'use its /dev/disk/by-id/ or /dev/disk/by-path/ name.')
    return problems


def plan_problems(settings: dict[str, t.Any], hosts: list[dict[str, t.Any]], cluster: dict[str, t.Any] | None = None
                  ) -> list[str]:
    """settings: mon_count, mgr_count, replicas, failure_domain, default_storage_class, storage_classes (block,
    filesystem, bucket), allow_loop_devices, probe_timeout_seconds (optional). hosts: one dict per storage host: host, node_name, zone, is_node,
    devices. cluster: the running CephCluster's spec (None: there is none)."""
    problems = []
    if not hosts:
        return ['The storage group has no hosts: add the nodes that carry OSDs to it (docs/storage.md).']
    for host in hosts:
        if not host['is_node']:
            problems.append(f'{host["host"]} is in the storage group but is no Kubernetes node (control_plane or '
                            'workers): Ceph\'s daemons run as pods; add it to workers or take it out of storage.')
        problems += device_problems(host['host'], host['devices'], bool(settings['allow_loop_devices']))
    mons = settings['mon_count']
    if not isinstance(mons, int) or isinstance(mons, bool) or mons < 1 or mons % 2 == 0:
        problems.append(f'rook_ceph_mon_count is {mons!r}: monitors keep a majority only in odd numbers; use 1, 3 '
                        'or 5.')
    elif mons > len(hosts):
        problems.append(f'rook_ceph_mon_count is {mons} but the storage group has {len(hosts)} hosts: each monitor '
                        'needs a host of its own; add storage hosts or lower the count.')
    timeout = settings.get('probe_timeout_seconds', 5)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or not 1 <= timeout <= 600:
        problems.append(f'rook_ceph_probe_timeout_seconds is {timeout!r}: give the seconds a daemon\'s probe may take, '
                        'from 1 to 600 (Rook\'s default 5; more on overloaded hosts).')
    domains = {h['zone'] if settings['failure_domain'] == 'zone' else h['host'] for h in hosts if h['devices']}
    replicas = settings['replicas']
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 1:
        problems.append(f'rook_ceph_replicas is {replicas!r}; give the number of copies, 3 on a production site.')
    elif replicas > len(domains):
        problems.append(f'rook_ceph_replicas is {replicas} but the storage hosts span {len(domains)} '
                        f'{settings["failure_domain"]}s ({", ".join(sorted(map(str, domains)))}): one copy goes to '
                        f'each {settings["failure_domain"]}, so the data could never be complete; add storage hosts in '
                        'other failure domains, or lower rook_ceph_replicas or set rook_ceph_failure_domain: host.')
    classes = settings['storage_classes']
    default = settings['default_storage_class']
    if default and default not in (classes['block'], classes['filesystem']):
        problems.append(f'rook_ceph_default_storage_class is {default!r}; it must be the block class '
                        f'{classes["block"]!r}, the filesystem class {classes["filesystem"]!r} or empty (buckets are '
                        'no volumes).')
    if len(set(classes.values())) < len(classes):
        problems.append(f'The StorageClass names {sorted(classes.values())} repeat; give each a name of its own.')
    if cluster:
        problems += running_cluster_problems(settings, hosts, cluster)
    return problems


def running_cluster_problems(settings: dict[str, t.Any], hosts: list[dict[str, t.Any]], cluster: dict[str, t.Any]
                             ) -> list[str]:
    """What the running CephCluster cannot take from this run: fewer monitors, or an OSD device or storage host
    taken away (its data would go with it; removing one is the day-2 playbook's job, after the data has moved)."""
    problems = []
    leaving = set(settings.get('leaving_nodes') or [])
    running_mons = (cluster.get('mon') or {}).get('count')
    if isinstance(running_mons, int) and isinstance(settings['mon_count'], int) and settings['mon_count'] < running_mons:
        problems.append(f'rook_ceph_mon_count is {settings["mon_count"]} but the cluster runs {running_mons} monitors: '
                        'fewer monitors tolerate fewer failures, and Rook would remove them at once; lowering the '
                        'count is refused (set it back to ' + str(running_mons) + ').')
    wanted = {h['node_name']: {d.get('path') for d in h['devices'] if isinstance(d, dict)}
              for h in hosts if isinstance(h['devices'], list)}
    for node in (cluster.get('storage') or {}).get('nodes') or []:
        name = node.get('name')
        running = {d.get('name') or d.get('fullpath') for d in node.get('devices') or []}
        if name not in wanted and name in leaving:
            continue
        if name not in wanted:
            problems.append(f'The storage host {name} runs OSDs but is no longer in the storage group: taking it '
                            'away at once would lose its copies; move its data off and remove it with (docs/storage.md, '
                            'removing a storage '
                            'host): playbooks/storage_remove_host.yml -e rook_ceph_remove_host=<its inventory name>.')
            continue
        for path in sorted(running - wanted[name]):
            problems.append(f'{path} of {name} carries an OSD but is no longer in its rook_ceph_osd_devices: '
                            'removing an OSD with data is refused; move its data off first (docs/storage.md).')
    return problems


def lsblk_problems(host: str, device: dict[str, t.Any], lsblk: dict[str, t.Any]) -> list[str]:
    """What a device holds (lsblk --json of it, with FSTYPE, PTTYPE, MOUNTPOINTS and children), refused unless it
    is empty, or already an OSD (ceph_bluestore), or listed with wipe: true (only on a stable path)."""
    path = device['path']
    nodes = (lsblk or {}).get('blockdevices') or []
    if len(nodes) != 1:
        return [f'{path} on {host} is no block device lsblk knows; check the path (ls -l {path}).']
    node = nodes[0]
    children = node.get('children') or []
    mounts = [m for n in [node, *children] for m in (n.get('mountpoints') or []) if m]
    if mounts:
        return [f'{path} on {host} is mounted at {", ".join(mounts)}: never used for an OSD; give another device.']
    if node.get('fstype') == 'ceph_bluestore':
        return []
    holds = [what for what, present in (
        (f'a {node.get("fstype")} filesystem or signature', node.get('fstype')),
        (f'a {node.get("pttype")} partition table', node.get('pttype')),
        (f'{len(children)} partitions or volumes', children)) if present]
    if holds and device.get('wipe') is not True:
        return [f'{path} on {host} holds {" and ".join(holds)}: Ceph would refuse it and its data may matter; if it '
                'is meant for Ceph, set wipe: true on its entry in rook_ceph_osd_devices (everything on it is erased).']
    return []


def removal_problems(host: t.Any, inventory_hosts: list[str], storage_hosts: list[str]) -> list[str]:
    """What keeps rook_ceph_remove_host from being removed from Ceph: it must name an inventory host that has left
    the storage group (the inventory says what the cluster should be)."""
    usage = 'playbooks/storage_remove_host.yml -e rook_ceph_remove_host=<inventory name>'
    if not isinstance(host, str) or not host:
        return [f'rook_ceph_remove_host is {host!r}: name the storage host to remove ({usage}).']
    if host not in inventory_hosts:
        return [f'rook_ceph_remove_host is {host!r}, which is not in the inventory: give its inventory name (it stays '
                'a Kubernetes node; only its OSDs go).']
    if host in storage_hosts:
        return [f'rook_ceph_remove_host is {host}, which is still in the storage group: take it out of the group in '
                'the inventory first (the inventory says what the cluster should be), then run this playbook again.']
    return []
