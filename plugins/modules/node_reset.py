#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_reset
short_description: Return a host to before Kubernetes, its data moved aside
version_added: 0.1.0
description:
  - Reads what the host keeps of Kubernetes (the kubelet's service, pods, data directories, CNI state, netfilter
    tables, Calico's links) and removes it, in this order, each step only when there is something to do.
  - The kubelet is stopped and disabled; every pod is stopped and removed (C(crictl rmp)), so no container still
    writes the data directories.
  - The data directories (O(data_paths), by default C(/etc/kubernetes) with the cluster's keys and C(/var/lib/etcd))
    are moved into a new directory under O(aside_dir) (mode 0700), named by the time in UTC; deleted instead only
    with O(delete_data=true).
  - C(kubeadm reset --force) then cleans the kubelet's directory (unmounting the pods' volumes); its
    C(remove-etcd-member) phase is skipped (playbooks/remove_node.yml removes a stacked member before).
  - The CNI state (O(state_paths), globs) is deleted, every nftables table but those kept (O(keep_nft_tables)) is
    deleted (kube-proxy's and Calico's, and the iptables-nft tables only they fill on a node), and Calico's links
    (O(links)) are deleted.
  - containerd and the binaries stay, so the host is back at the container runtime layer.
options:
  data_paths:
    description: Data moved aside (or deleted with O(delete_data)).
    type: list
    elements: path
    default: [/etc/kubernetes, /var/lib/etcd]
  aside_dir:
    description: Where the data is moved, into a new directory named by the time in UTC.
    type: path
    default: /var/lib/caas/reset
  delete_data:
    description: Delete the data instead of moving it aside.
    type: bool
    default: false
  state_paths:
    description: CNI and Calico state deleted (globs).
    type: list
    elements: str
    default: [/etc/cni/net.d/*, /var/lib/calico, /run/calico, /var/lib/cni, /var/log/calico]
  keep_nft_tables:
    description: The nftables tables kept, as C(<family> <name>) (the host firewall's).
    type: list
    elements: str
    default: [inet caas_host]
  links:
    description: The network links deleted when present (Calico's tunnels).
    type: list
    elements: str
    default: [vxlan.calico, vxlan-v6.calico, wireguard.cali, wg-v6.cali]
  crictl_path:
    description: The crictl binary.
    type: path
    default: /usr/local/bin/crictl
  cri_socket:
    description: The container runtime's socket.
    type: str
    default: unix:///run/containerd/containerd.sock
extends_documentation_fragment:
  - caas.platform.kubeadm
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads everything and returns what would be stopped, moved, deleted; changes nothing.
  diff_mode:
    support: none
    description: The result lists what was removed.
  platform:
    support: full
    platforms: posix
    description: A Debian host of the platform (systemd, nft, ip, containerd).
notes:
  - Needs root.
  - Nothing it moves is printed but paths; the data keeps its modes in the directory aside.
seealso:
  - module: caas.platform.kubeadm_join
"""

EXAMPLES = r"""
- name: Reset the host, its data moved aside
  caas.platform.node_reset:
  register: reset

- name: Reset the host and delete its data (playbooks/reset.yml asks for the cluster's name first)
  caas.platform.node_reset:
    delete_data: true
"""

RETURN = r"""
kubelet_stopped:
  description: Whether the kubelet was running or enabled, and is now stopped and disabled.
  returned: always
  type: bool
pods_removed:
  description: How many pods were stopped and removed.
  returned: always
  type: int
kubeadm_reset:
  description: Whether C(kubeadm reset) ran (the kubelet's directory had content).
  returned: always
  type: bool
moved:
  description: Each data path moved, and where to.
  returned: always
  type: dict
  sample: {/etc/kubernetes: /var/lib/caas/reset/20261205T061500Z/etc/kubernetes}
aside:
  description: The directory this run moved the data into; empty when nothing was moved.
  returned: always
  type: str
  sample: /var/lib/caas/reset/20261205T061500Z
deleted:
  description: The paths deleted (data with O(delete_data), and CNI state).
  returned: always
  type: list
  elements: str
nft_tables_deleted:
  description: The nftables tables deleted, as C(<family> <name>).
  returned: always
  type: list
  elements: str
links_deleted:
  description: The links deleted.
  returned: always
  type: list
  elements: str
"""

import datetime
import glob
import json
import os
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError, argument_spec, run
from ansible_collections.caas.platform.plugins.module_utils.node_reset import (
    aside_path, nft_tables, present, tables_to_delete)

KUBELET_DIR = '/var/lib/kubelet'


def systemd_state(module, unit):
    active = module.run_command(['systemctl', 'is-active', '--quiet', unit])[0] == 0
    enabled = module.run_command(['systemctl', 'is-enabled', '--quiet', unit])[0] == 0
    return active or enabled


def pod_ids(module, crictl, socket):
    if not os.path.exists(crictl) or not os.path.exists(socket.replace('unix://', '')):
        return []
    rc, out, dummy = module.run_command([crictl, '--runtime-endpoint', socket, 'pods', '--quiet'])
    return out.split() if rc == 0 else []


def link_names(module):
    rc, out, dummy = module.run_command(['ip', '-j', 'link', 'show'])
    return [link.get('ifname') for link in json.loads(out or '[]')] if rc == 0 else []


def plan(module):
    p = module.params
    rc, out, err = module.run_command(['nft', '-j', 'list', 'tables'])
    if rc != 0:
        module.fail_json(msg='nft -j list tables failed: %s' % err.strip())
    state = [path for pattern in p['state_paths'] for path in sorted(glob.glob(pattern))]
    return {
        'kubelet': systemd_state(module, 'kubelet'),
        'pods': pod_ids(module, p['crictl_path'], p['cri_socket']),
        'data': present(p['data_paths']),
        'kubelet_dir': bool(present([KUBELET_DIR])),
        'state': present(state),
        'tables': tables_to_delete(nft_tables(out), p['keep_nft_tables']),
        'links': [name for name in link_names(module) if name in p['links']],
    }


def remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def main():
    spec = argument_spec('kubeadm')
    spec.update(
        data_paths=dict(type='list', elements='path', default=['/etc/kubernetes', '/var/lib/etcd']),
        aside_dir=dict(type='path', default='/var/lib/caas/reset'),
        delete_data=dict(type='bool', default=False),
        state_paths=dict(type='list', elements='str',
                         default=['/etc/cni/net.d/*', '/var/lib/calico', '/run/calico', '/var/lib/cni',
                                  '/var/log/calico']),
        keep_nft_tables=dict(type='list', elements='str', default=['inet caas_host']),
        links=dict(type='list', elements='str', default=['vxlan.calico', 'vxlan-v6.calico', 'wireguard.cali',
                                                         'wg-v6.cali']),
        crictl_path=dict(type='path', default='/usr/local/bin/crictl'),
        cri_socket=dict(type='str', default='unix:///run/containerd/containerd.sock'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    todo = plan(module)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%SZ')
    result = dict(
        changed=any(todo.values()),
        kubelet_stopped=todo['kubelet'],
        pods_removed=len(todo['pods']),
        kubeadm_reset=todo['kubelet_dir'],
        moved={} if p['delete_data'] else {path: aside_path(p['aside_dir'], stamp, path) for path in todo['data']},
        aside='' if p['delete_data'] or not todo['data'] else os.path.join(p['aside_dir'], stamp),
        deleted=(todo['data'] if p['delete_data'] else []) + todo['state'],
        nft_tables_deleted=['%s %s' % table for table in todo['tables']],
        links_deleted=todo['links'],
    )
    if module.check_mode or not result['changed']:
        module.exit_json(**result)
    try:
        if todo['kubelet']:
            # Stopped first: it would start the static pods again.
            run(module, ['systemctl', 'disable', '--now', 'kubelet'])
        if todo['pods']:
            run(module, [p['crictl_path'], '--runtime-endpoint', p['cri_socket'], 'rmp', '--force', '--all'])
        for path in todo['data']:
            if p['delete_data']:
                remove(path)
            else:
                target = result['moved'][path]
                os.makedirs(result['aside'], mode=0o700, exist_ok=True)
                os.chmod(p['aside_dir'], 0o700)
                os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
                shutil.move(path, target)
        if todo['kubelet_dir']:
            if not os.path.exists(p['kubeadm_path']):
                module.fail_json(msg='%s has content but %s is missing: it unmounts the pods\' volumes there. '
                                     'Install it (the kubernetes_node role) and run this again.'
                                     % (KUBELET_DIR, p['kubeadm_path']), **result)
            run(module, [p['kubeadm_path'], 'reset', '--force', '--skip-phases', 'remove-etcd-member',
                         '--cri-socket', p['cri_socket']])
        for path in todo['state']:
            remove(path)
        for family, name in todo['tables']:
            run(module, ['nft', 'delete', 'table', family, name])
        for name in todo['links']:
            run(module, ['ip', 'link', 'delete', name])
    except (CommandError, OSError) as exc:
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
