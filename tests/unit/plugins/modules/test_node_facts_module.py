# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the node_facts module for real on this machine and checks its facts against independent reads."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path


def run_module(tmp_path, **args):
    args_file = tmp_path / 'args.json'
    args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[4] / 'collections'))
    result = subprocess.run([sys.executable, '-m', 'ansible_collections.caas.platform.plugins.modules.node_facts',
                             str(args_file)], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_facts_match_this_machine(tmp_path):
    result = run_module(tmp_path)
    assert result['changed'] is False
    node = result['ansible_facts']['caas_node']
    assert node['cpu']['count'] == len(os.sched_getaffinity(0))
    assert node['kernel']['release'] == platform.release()
    meminfo = Path('/proc/meminfo').read_text().split('\n', 1)[0]
    assert node['memory']['total_mb'] == int(meminfo.split()[1]) // 1024
    assert node['sysctls']['net.ipv4.ip_forward'] == Path('/proc/sys/net/ipv4/ip_forward').read_text().strip()
    assert '127.0.0.1' in node['addresses']
    assert node['cgroup_version'] in ('v1', 'v2', 'hybrid')
    assert set(node['kernel']['modules']) == {'br_netfilter', 'overlay', 'vxlan', 'ip_vs', 'ipip', 'wireguard',
                                              'rbd', 'nf_conntrack', 'nf_tables'}
    assert set(node['filesystems_free_gb']) == {'/', '/var', '/var/lib/containerd', '/var/lib/kubelet', '/var/lib/etcd'}
    # The installed packages, against dpkg's own answer for two of them.
    dpkg = subprocess.run(['dpkg-query', '-W', '-f', '${Package}:${Architecture} ${db:Status-Abbrev}\n', 'dpkg',
                           'coreutils'], capture_output=True, text=True, check=True).stdout.split('\n')
    for line in filter(None, dpkg):
        name_arch, status = line.split(' ', 1)
        assert status.startswith('ii') and name_arch in node['packages'] and name_arch.split(':')[0] in node['packages']


def test_options_narrow_what_is_gathered(tmp_path):
    node = run_module(tmp_path, kernel_modules=['overlay'], sysctls=['no.such.key'], filesystems=['/'],
                      block_devices=False, packages=False)['ansible_facts']['caas_node']
    assert list(node['kernel']['modules']) == ['overlay']
    assert node['sysctls'] == {'no.such.key': None}
    assert list(node['filesystems_free_gb']) == ['/']
    assert node['block_devices'] == []
    assert node['packages'] == []


def test_check_mode_gathers_the_same(tmp_path):
    result = run_module(tmp_path, _ansible_check_mode=True, block_devices=False)
    assert result['changed'] is False and 'caas_node' in result['ansible_facts']
