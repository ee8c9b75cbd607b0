# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: preflight_problems
short_description: Judge a node's facts against the minimums of the roles it plays
version_added: 0.1.0
description:
  - Takes the C(caas_node) fact of M(caas.platform.node_facts) and returns one message for each minimum the
    node misses. Each message names what was measured, the setting that asks for more, and the fix.
  - The minimums of each inventory group it belongs to are merged; the strictest wins.
positional: groups, profiles, settings
options:
  _input:
    description: The C(caas_node) fact.
    type: dict
    required: true
  groups:
    description: The host's groups (C(group_names)).
    type: list
    elements: str
    required: true
  profiles:
    description:
      - Minimums by group; see the C(preflight_profiles) variable of the C(caas.platform.preflight) role.
    type: dict
    required: true
  settings:
    description:
      - Host settings; keys C(node_os), C(node_ip), C(allow_cgroup_v1), C(require_time_sync), C(port_owners).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Fail when the host is below its minimums
  ansible.builtin.fail:
    msg: "{{ problems | join('\n') }}"
  vars:
    problems: "{{ caas_node | caas.platform.preflight_problems(group_names, preflight_profiles, settings) }}"
    settings: {node_os: debian12, node_ip: 10.0.0.21, allow_cgroup_v1: false, require_time_sync: true,
               port_owners: {6443: [kube-apiserver, haproxy]}}
  when: problems | length > 0
"""

RETURN = r"""
_value:
  description: One message per problem; empty when the node meets every minimum.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError


def merge_profiles(groups, profiles):
    """The strictest minimums of every group the host is in."""
    merged = {'min_cpus': 0, 'min_memory_mb': 0, 'min_free_gb': {}, 'kernel_modules': [], 'ports': [], 'groups': []}
    for group in groups:
        profile = profiles.get(group)
        if not profile:
            continue
        merged['groups'].append(group)
        merged['min_cpus'] = max(merged['min_cpus'], int(profile.get('min_cpus', 0)))
        merged['min_memory_mb'] = max(merged['min_memory_mb'], int(profile.get('min_memory_mb', 0)))
        for path, size in (profile.get('min_free_gb') or {}).items():
            merged['min_free_gb'][path] = max(merged['min_free_gb'].get(path, 0), float(size))
        for name in profile.get('kernel_modules') or []:
            if name not in merged['kernel_modules']:
                merged['kernel_modules'].append(name)
        for port in profile.get('ports') or []:
            if int(port) not in merged['ports']:
                merged['ports'].append(int(port))
    return merged


def preflight_problems(node, groups, profiles, settings):
    if not isinstance(node, dict) or 'cpu' not in node:
        raise AnsibleFilterError('preflight_problems expects the caas_node fact of caas.platform.node_facts')
    need = merge_profiles(groups, profiles)
    roles = '/'.join(need['groups']) or 'any'
    problems = []

    def problem(what, setting, fix):
        problems.append(f'{what} ({setting}). Fix: {fix}.')

    cpus = node['cpu']['count']
    if cpus < need['min_cpus']:
        problem(f'{cpus} CPUs, below the {need["min_cpus"]} a {roles} host needs',
                'preflight_profiles.<group>.min_cpus', 'give the host more CPUs')
    memory = node['memory']['total_mb']
    if memory < need['min_memory_mb']:
        problem(f'{memory} MiB of memory, below the {need["min_memory_mb"]} MiB a {roles} host needs',
                'preflight_profiles.<group>.min_memory_mb', 'give the host more memory')
    for path, minimum in sorted(need['min_free_gb'].items()):
        free = node['filesystems_free_gb'].get(path)
        if free is not None and free < minimum:
            problem(f'{free} GiB free on the filesystem of {path}, below {minimum:g} GiB',
                    'preflight_profiles.<group>.min_free_gb', f'free space or grow the filesystem of {path}')
    for name in need['kernel_modules']:
        state = node['kernel']['modules'].get(name, 'unknown')
        if state not in ('loaded', 'builtin', 'loadable'):
            problem(f'kernel feature {name} is {state} in kernel {node["kernel"]["release"]}',
                    'preflight_profiles.<group>.kernel_modules',
                    f'install a kernel that provides {name} (module or built in)')
    cgroup = node['cgroup_version']
    if cgroup != 'v2' and not settings.get('allow_cgroup_v1'):
        problem(f'the host runs cgroup {cgroup}; the kubelet refuses cgroup v1 from Kubernetes 1.35',
                'caas_allow_cgroup_v1', 'boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2); only a lab '
                'should set caas_allow_cgroup_v1: true')
    node_os = settings.get('node_os')
    if node_os and node['os']['name'] != node_os:
        problem(f'the host runs {node["os"]["pretty_name"] or node["os"]["name"]} ({node["os"]["name"]}) but the '
                f'inventory declares {node_os}', 'caas_node_os', 'correct caas_node_os or reinstall the host')
    node_ip = settings.get('node_ip')
    if node_ip and node_ip not in node['addresses']:
        problem(f'node address {node_ip} is on none of the host\'s interfaces ({", ".join(node["addresses"])})',
                'caas_node_ip / ansible_host', 'set caas_node_ip to an address of the host on caas_node_network')
    if settings.get('require_time_sync') and node['time']['clock_state'] != 'ok' and not node['time']['daemons']:
        problem('the clock is not synchronized and no time-sync daemon runs',
                'preflight_require_time_sync', 'configure NTP (node_prep sets up chrony), or set '
                'preflight_require_time_sync: false where the clock is the hypervisor\'s')
    owners = dict((int(port), names) for port, names in (settings.get('port_owners') or {}).items())
    reported = set()
    for socket in node['listening']:
        if socket['protocol'] != 'tcp' or socket['port'] not in need['ports']:
            continue
        allowed = owners.get(socket['port'], [])
        if socket['process'] not in allowed and (socket['port'], socket['pid']) not in reported:
            reported.add((socket['port'], socket['pid']))
            problem(f'TCP port {socket["port"]} is taken by {socket["process"] or "an unknown process"} '
                    f'(pid {socket["pid"]}), a {roles} host needs it for {"/".join(allowed) or "the platform"}',
                    'preflight_port_owners', f'stop {socket["process"] or "that process"} or move it to another port')
    return problems


class FilterModule:
    def filters(self):
        return {'preflight_problems': preflight_problems}
