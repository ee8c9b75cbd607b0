# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layer_times callback (tests/callback_plugins) in real ansible-playbook runs: one JSON line per layer and one
per playbook run, its wall time, and its result (failed by an unrescued, unignored failure or an unreachable host)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / 'ansible-playbook'


def run(tmp_path, plays, scenario=None, check=False):
    """Runs the plays on localhost with the callback enabled; returns the result, the records and the wall time."""
    (tmp_path / 'playbook.yml').write_text(textwrap.dedent(plays))
    unreachable_ssh = tmp_path / 'ssh-255'
    unreachable_ssh.write_text('#!/bin/sh\nexit 255\n')
    unreachable_ssh.chmod(0o755)
    (tmp_path / 'hosts').write_text(
        f'localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n'
        f'gone ansible_connection=ssh ansible_host=192.0.2.1 ansible_ssh_executable={unreachable_ssh}\n')
    times = tmp_path / 'times.jsonl'
    env = {k: v for k, v in os.environ.items() if k not in ('MOLECULE_SCENARIO_NAME', 'CAAS_LAYER_TIMES')}
    env.update(ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_CALLBACK_PLUGINS=str(REPO / 'tests' / 'callback_plugins'),
               ANSIBLE_CALLBACKS_ENABLED='layer_times', CAAS_LAYER_TIMES=str(times))
    if scenario:
        env['MOLECULE_SCENARIO_NAME'] = scenario
    start = time.monotonic()
    argv = [str(ANSIBLE_PLAYBOOK), '-i', str(tmp_path / 'hosts'), str(tmp_path / 'playbook.yml')]
    result = subprocess.run(argv + (['--check'] if check else []), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    wall = time.monotonic() - start
    records = [json.loads(line) for line in times.read_text().splitlines()] if times.exists() else []
    return result, records, wall


def test_each_layer_is_timed_until_the_next_layer_or_the_end(tmp_path):
    (tmp_path / 'times.jsonl').write_text('{"kind": "step", "name": "earlier", "seconds": 1, "result": "passed"}\n')
    result, records, wall = run(tmp_path, '''
        - name: Not a layer yet
          hosts: localhost
          gather_facts: false
          tasks:
            - name: A failure before any layer counts for none
              ansible.builtin.fail:
                msg: not in a layer
              ignore_errors: true

        - name: "Verify layer 10_nodes: the hosts answer"
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Hello
              ansible.builtin.debug:
                msg: hello

        - name: A later play of the same layer file
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Take a second
              ansible.builtin.pause:
                seconds: 1
            - name: A refusal proved with a rescue
              block:
                - name: Refused
                  ansible.builtin.fail:
                    msg: refused
              rescue:
                - name: The refusal was expected
                  ansible.builtin.debug:
                    msg: refused as expected
            - name: An ignored failure
              ansible.builtin.fail:
                msg: ignored
              ignore_errors: true

        - name: "Verify layer 20_control_plane: every node Ready"
          hosts: localhost
          gather_facts: false
          tasks:
            - name: It holds
              ansible.builtin.assert:
                that: 1 + 1 == 2
        ''', scenario='platform')
    assert result.returncode == 0, result.stdout + result.stderr
    assert [r['name'] for r in records] == ['earlier', 'platform/10_nodes', 'platform/20_control_plane',
                                            'platform/playbook']
    layers, playbook = records[1:3], records[3]
    assert all(set(r) == {'kind', 'name', 'seconds', 'result'} for r in layers)
    assert [(r['kind'], r['result']) for r in layers] == [('layer-verify', 'passed')] * 2
    assert layers[0]['seconds'] >= 1.0, 'the later play belongs to the layer'
    assert 0 < layers[0]['seconds'] < wall and sum(r['seconds'] for r in layers) < wall
    assert (playbook['kind'], playbook['result']) == ('playbook', 'passed')
    assert sum(r['seconds'] for r in layers) <= playbook['seconds'] < wall


def test_a_failed_task_fails_its_layer_and_ends_the_run(tmp_path):
    result, records, _wall = run(tmp_path, '''
        - name: "Verify layer 10_nodes: passes"
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Fine
              ansible.builtin.assert:
                that: true

        - name: "Verify layer 15_runtime: fails"
          hosts: localhost
          gather_facts: false
          tasks:
            - name: A rescue that fails too
              block:
                - name: First failure
                  ansible.builtin.fail:
                    msg: first
              rescue:
                - name: The rescue fails
                  ansible.builtin.assert:
                    that: false
                    fail_msg: deliberately failed
              ignore_errors: false

        - name: "Verify layer 20_control_plane: never reached, its only host failed"
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Not run
              ansible.builtin.debug:
                msg: not run
        ''')
    assert result.returncode != 0
    assert 'deliberately failed' in result.stdout
    assert [(r['name'], r['result']) for r in records] == [('lab/10_nodes', 'passed'), ('lab/15_runtime', 'failed'),
                                                           ('lab/playbook', 'failed')]


def test_an_unreachable_host_fails_its_layer(tmp_path):
    result, records, _wall = run(tmp_path, '''
        - name: "Verify layer 10_nodes: every host answers"
          hosts: all
          gather_facts: false
          tasks:
            - name: Ping
              ansible.builtin.ping:

        - name: "Verify layer 30_network: localhost only"
          hosts: localhost
          gather_facts: false
          tasks:
            - name: Hello
              ansible.builtin.debug:
                msg: hello
        ''', scenario='platform')
    assert result.returncode != 0
    assert 'UNREACHABLE' in result.stdout
    assert [(r['name'], r['result']) for r in records] == [('platform/10_nodes', 'failed'),
                                                           ('platform/30_network', 'passed'),
                                                           ('platform/playbook', 'failed')]


def test_a_check_mode_run_is_named_so(tmp_path):
    result, records, wall = run(tmp_path, '''
        - name: Not a layer
          hosts: localhost
          gather_facts: false
          tasks:
            - name: A change check mode only reports
              ansible.builtin.copy:
                content: written\n
                dest: "{{ playbook_dir }}/written"
                mode: "0600"
        ''', scenario='platform', check=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (tmp_path / 'written').exists()
    assert [(r['kind'], r['name'], r['result']) for r in records] == [('playbook', 'platform/playbook --check',
                                                                       'passed')]
    assert 0 < records[0]['seconds'] < wall
