# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module of the collection for real, as Ansible runs it: a Python process fed its arguments."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

COLLECTIONS = Path(__file__).resolve().parents[4] / 'collections'


@pytest.fixture
def run_module(tmp_path_factory):
    # module is positional-only and not called `name`: a module option called `name` goes into **args.
    # The arguments file lives in a directory of its own, so tests see only what the module wrote.
    def run(module, /, expect_failure=False, **args):
        args_file = tmp_path_factory.mktemp('args') / f'{module}-args.json'
        args_file.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
        env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
        result = subprocess.run([sys.executable, '-m', f'ansible_collections.caas.platform.plugins.modules.{module}',
                                 str(args_file)], env=env, capture_output=True, text=True, timeout=60, check=False)
        output = json.loads(result.stdout)
        assert bool(output.get('failed')) is expect_failure, result.stdout + result.stderr
        return output
    return run


def lab_kubernetes_binary(name):
    """A Kubernetes binary of the lab build (scripts/test unit builds them), or CAAS_<NAME> if set."""
    variable = 'CAAS_' + name.upper()
    path = os.environ.get(variable) or next(iter(sorted(glob.glob(
        f'/var/cache/caas-lab/build/out/kubernetes/v*/amd64/{name}'), reverse=True)), None)
    if not path or not os.access(path, os.X_OK):
        pytest.fail(f'{name} not found: run "scripts/test unit" (it builds {name} with lab/artifacts/build.py) or set '
                    f'{variable} to a {name} binary')
    return path


@pytest.fixture(scope='session')
def kubeadm_path():
    return lab_kubernetes_binary('kubeadm')


@pytest.fixture(scope='session')
def kubectl_path():
    return lab_kubernetes_binary('kubectl')


@pytest.fixture
def unreachable_cluster(tmp_path):
    """A kubeconfig of an API server nobody listens for (a closed port on loopback)."""
    path = tmp_path / 'admin.conf'
    path.write_text('apiVersion: v1\nkind: Config\ncurrent-context: c\n'
                    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\n'
                    'users: [{name: u, user: {token: not-a-secret}}]\n'
                    'contexts: [{name: c, context: {cluster: c, user: u}}]\n')
    return str(path)
