# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module of the collection for real, as Ansible runs it: a Python process fed its arguments."""

from __future__ import annotations

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
