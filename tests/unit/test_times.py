# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tests/times.py report: scripts/test's records nested as they ran, a scenario's playbook runs with its layer
verifies under its verify run, and the second converge run named as molecule's idempotence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

TIMES = Path(__file__).resolve().parents[1] / 'times.py'


def record(jsonl, kind, name, seconds, result='passed'):
    subprocess.run([sys.executable, str(TIMES), 'record', str(jsonl), kind, name, str(seconds), result], check=True)


def test_a_scenario_lists_its_playbook_runs_with_the_layers_under_verify(tmp_path):
    jsonl = tmp_path / 'times.jsonl'
    record(jsonl, 'step', 'lint', 3)
    for kind, name, seconds in [('playbook', 'etcd/create', 5), ('playbook', 'etcd/converge --check', 6),
                                ('playbook', 'etcd/converge', 50), ('playbook', 'etcd/converge', 20),
                                ('layer-verify', 'etcd/10_nodes', 3), ('playbook', 'etcd/verify', 8),
                                ('playbook', 'etcd/destroy', 2), ('scenario', 'etcd', 95)]:
        record(jsonl, kind, name, seconds)
    record(jsonl, 'step', 'molecule', 96)
    out = tmp_path / 'times.json'
    printed = subprocess.run([sys.executable, str(TIMES), 'report', str(jsonl), str(out)], check=True,
                             capture_output=True, text=True).stdout
    scenario = json.loads(out.read_text())['steps'][1]['scenarios'][0]
    assert [p['name'] for p in scenario['playbooks']] == [
        'etcd/create', 'etcd/converge --check', 'etcd/converge', 'etcd/converge (idempotence)', 'etcd/verify',
        'etcd/destroy']
    assert [layer['name'] for layer in scenario['layers']] == ['etcd/10_nodes']
    lines = [line.split()[0] for line in printed.splitlines() if line.startswith('    ')]
    assert lines == ['etcd/create', 'etcd/converge', 'etcd/converge', 'etcd/converge', 'etcd/verify', 'etcd/10_nodes',
                     'etcd/destroy']
    assert '      etcd/10_nodes' in printed, 'a layer verify is shown under the verify run'
    assert 'total' in printed.splitlines()[-2]


def test_layers_without_playbook_runs_stay_under_their_scenario(tmp_path):
    jsonl = tmp_path / 'times.jsonl'
    record(jsonl, 'layer-verify', 'platform/10_nodes', 4)
    record(jsonl, 'scenario', 'platform', 40)
    record(jsonl, 'step', 'molecule', 41)
    printed = subprocess.run([sys.executable, str(TIMES), 'report', str(jsonl), str(tmp_path / 'times.json')],
                             check=True, capture_output=True, text=True).stdout
    assert '    platform/10_nodes' in printed
    assert json.loads((tmp_path / 'times.json').read_text())['steps'][0]['scenarios'][0]['playbooks'] == []
