# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""node_reset for real, in a network namespace of its own (unshare --net): real nftables tables and a real link (a
veth: this machine has no vxlan or dummy module) are deleted there, real directories moved aside. The machine has no
kubelet, no pods and no /var/lib/kubelet, so those steps find nothing to do (the lab runs them:
benchmarks/lifecycle.py; the platform scenario's verify runs the check mode on a real node)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.caas.platform.plugins.module_utils.node_reset import (
    aside_path, nft_tables, present, tables_to_delete)

COLLECTIONS = Path(__file__).resolve().parents[4] / 'collections'

# What a node has after kube-proxy and Calico ran (nft -j list tables on a lab worker, trimmed).
LAB_TABLES = json.dumps({'nftables': [
    {'metainfo': {'version': '1.0.6', 'json_schema_version': 1}},
    {'table': {'family': 'ip', 'name': 'filter', 'handle': 1}},
    {'table': {'family': 'ip', 'name': 'nat', 'handle': 2}},
    {'table': {'family': 'inet', 'name': 'caas_host', 'handle': 3}},
    {'table': {'family': 'ip', 'name': 'kube-proxy', 'handle': 4}},
]})


def test_every_table_but_the_host_firewall_is_deleted():
    tables = nft_tables(LAB_TABLES)
    assert tables_to_delete(tables, ['inet caas_host']) == [('ip', 'filter'), ('ip', 'nat'), ('ip', 'kube-proxy')]
    assert nft_tables('') == []


def test_empty_directories_are_not_state(tmp_path):
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'full').mkdir()
    (tmp_path / 'full' / 'f').write_text('x')
    paths = [str(tmp_path / name) for name in ('empty', 'full', 'absent')]
    assert present(paths) == [str(tmp_path / 'full')]
    assert aside_path('/var/lib/caas/reset', 'T', '/etc/kubernetes') == '/var/lib/caas/reset/T/etc/kubernetes'


@pytest.fixture
def node(tmp_path):
    """A host's Kubernetes leftovers under tmp_path."""
    for binary in ('nft', 'ip', 'unshare', 'systemctl'):
        if not shutil.which(binary):
            pytest.fail(f'{binary} is missing: scripts/bootstrap installs it')
    pki = tmp_path / 'etc-kubernetes' / 'pki'
    pki.mkdir(parents=True)
    (pki / 'ca.key').write_text('key')
    (pki / 'ca.key').chmod(0o600)
    (tmp_path / 'etcd' / 'member').mkdir(parents=True)
    (tmp_path / 'cni').mkdir()
    (tmp_path / 'cni' / '10-calico.conflist').write_text('{}')
    (tmp_path / 'calico').mkdir()
    (tmp_path / 'calico' / 'nodename').write_text('worker4')
    return tmp_path


def run_in_namespace(tmp_path, args, runs):
    """Makes the tables and the link in a new network namespace, runs the module `runs` times ([check_mode, ...]),
    and returns each result and what the namespace has at the end."""
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    commands = ['set -e', 'nft add table inet caas_host', 'nft add table ip filter', 'nft add table ip kube-proxy',
                'ip link add vxlan.calico type veth peer name calico-peer']
    for index, check in enumerate(runs):
        path = tmp_path / f'args{index}.json'
        path.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': dict(args, _ansible_check_mode=check)}))
        commands.append(f'{sys.executable} -m ansible_collections.caas.platform.plugins.modules.node_reset {path}; echo')
    commands += ['nft -j list tables', 'echo', 'ip -j link show']
    result = subprocess.run(['unshare', '--net', 'sh', '-c', '\n'.join(commands)], env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    return [json.loads(line) for line in lines[:len(runs)]], nft_tables(lines[-2]), [l['ifname'] for l in json.loads(lines[-1])]


def test_reset_moves_the_data_aside_and_deletes_the_rest(node):
    args = {'data_paths': [str(node / 'etc-kubernetes'), str(node / 'etcd')], 'aside_dir': str(node / 'aside'),
            'state_paths': [str(node / 'cni' / '*'), str(node / 'calico')], 'crictl_path': str(node / 'no-crictl'),
            'kubeadm_path': str(node / 'no-kubeadm')}
    (check, first, again), tables, links = run_in_namespace(node, args, [True, False, False])

    # Check mode says what the run then does.
    assert check['changed'] and check['moved'].keys() == first['moved'].keys()
    assert check['nft_tables_deleted'] == first['nft_tables_deleted'] == ['ip filter', 'ip kube-proxy']
    assert check['links_deleted'] == first['links_deleted'] == ['vxlan.calico']
    assert first['deleted'] == [str(node / 'cni' / '10-calico.conflist'), str(node / 'calico')]
    assert not first['kubelet_stopped'] and first['pods_removed'] == 0 and not first['kubeadm_reset']

    # The data is aside with its modes, the state gone, the host firewall's table kept.
    moved = Path(first['moved'][str(node / 'etc-kubernetes')])
    assert (moved / 'pki' / 'ca.key').read_text() == 'key'
    assert stat.S_IMODE((moved / 'pki' / 'ca.key').stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(first['aside']).stat().st_mode) == 0o700
    assert not (node / 'etc-kubernetes').exists() and not (node / 'calico').exists()
    assert (node / 'cni').is_dir() and not any((node / 'cni').iterdir())
    assert tables == [('inet', 'caas_host')] and 'vxlan.calico' not in links

    # Nothing left to do.
    assert not again['changed'] and again['moved'] == {} and again['nft_tables_deleted'] == []


def test_delete_data_deletes_instead(node):
    args = {'data_paths': [str(node / 'etc-kubernetes')], 'aside_dir': str(node / 'aside'), 'delete_data': True,
            'state_paths': [], 'crictl_path': str(node / 'no-crictl'), 'kubeadm_path': str(node / 'no-kubeadm')}
    (result,), dummy, dummy = run_in_namespace(node, args, [False])
    assert result['deleted'] == [str(node / 'etc-kubernetes')] and result['moved'] == {} and result['aside'] == ''
    assert not (node / 'etc-kubernetes').exists() and not (node / 'aside').exists()
