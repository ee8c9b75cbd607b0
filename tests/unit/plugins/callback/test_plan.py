# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan callback through real ansible-playbook runs with the collection's ansible.cfg: the first line says
what the playbook does and which hosts it will contact (the limit honoured), then each play says where the run is."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]

PLAYBOOK = '''---
# Layer 9: greets the workers (a test of the plan.py callback). Nothing else.
- name: Greet the workers
  hosts: workers
  gather_facts: false
  tasks:
    - name: Greet
      ansible.builtin.debug:
        msg: hello
- name: Greet the load balancers
  hosts: lb
  gather_facts: false
  tasks:
    - name: Greet
      ansible.builtin.debug:
        msg: hello
'''


def run(*args, playbook):
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    result = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'inventories/example',
                             str(playbook), *args], cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return [line for line in result.stdout.splitlines() if line.strip()]


def test_the_first_line_says_what_and_to_which_hosts(tmp_path):
    playbook = tmp_path / 'greet.yml'
    playbook.write_text(PLAYBOOK)
    lines = run(playbook=playbook)
    assert lines[0] == ('caas.platform greet.yml: Layer 9: greets the workers (a test of the plan.py callback). '
                        '2 plays on 9 hosts: dc1-lb-a1, dc1-lb-b1, '
                        'dc1-wk-a1, dc1-wk-a2, dc1-wk-b1, dc1-wk-b2, dc1-wk-c1, dc1-wk-c2, dc1-wk-c3.'), lines[0]
    assert any(re.fullmatch(r'caas.platform: play 1 of 2, Greet the workers, on 7 hosts; 0:0\d since the start', line)
               for line in lines), lines
    assert any(re.fullmatch(r'caas.platform: play 2 of 2, Greet the load balancers, on 2 hosts; \d+:\d\d since the start',
                            line) for line in lines), lines


def test_the_limit_and_check_mode_are_said(tmp_path):
    playbook = tmp_path / 'greet.yml'
    playbook.write_text(PLAYBOOK)
    lines = run('--limit', 'dc1-wk-a1', '--check', playbook=playbook)
    assert lines[0] == ('caas.platform greet.yml: Layer 9: greets the workers (a test of the plan.py callback). '
                        '2 plays on 1 host: dc1-wk-a1; check mode.'), lines[0]
    assert any(line.startswith('caas.platform: play 2 of 2, Greet the load balancers, on 0 hosts; ') for line in lines)


def test_a_playbook_of_the_collection():
    lines = run(playbook=REPO / 'playbooks' / '00_validate.yml')
    assert lines[0] == ('caas.platform 00_validate.yml: Refuses a bad inventory before any host is touched: '
                        'runs on the controller only. '
                        '1 play on 1 host: localhost.'), lines[0]


def test_a_play_in_serial_batches_is_one_play(tmp_path):
    playbook = tmp_path / 'serial.yml'
    playbook.write_text(PLAYBOOK.replace('  hosts: lb\n', '  hosts: lb\n  serial: 1\n'))
    lines = [line for line in run(playbook=playbook) if line.startswith('caas.platform: play ')]
    assert [line.split(';')[0] for line in lines] == [
        'caas.platform: play 1 of 2, Greet the workers, on 7 hosts',
        'caas.platform: play 2 of 2 (batch 1), Greet the load balancers, on 1 host',
        'caas.platform: play 2 of 2 (batch 2), Greet the load balancers, on 1 host'], lines
