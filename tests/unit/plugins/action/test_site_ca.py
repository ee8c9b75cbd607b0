# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""caas.platform.site_ca through ansible-playbook on this machine (local connection), in check mode where it would
write: the controller-side checks, what it returns, and that check mode writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
PATH = '/etc/caas/pki/artifacts-ca.crt'


def play(tmp_path, src, check=False):
    playbook = tmp_path / 'play.yml'
    playbook.write_text(json.dumps([{
        'hosts': 'localhost', 'gather_facts': False, 'tasks': [
            {'caas.platform.site_ca': {'src': src}, 'register': 'ca', 'ignore_errors': True},
            {'ansible.builtin.copy': {'content': '{{ ca | to_json }}', 'dest': str(tmp_path / 'result.json')},
             'check_mode': False}]}]))
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    command = [str(Path(sys.executable).parent / 'ansible-playbook'), '-i', 'localhost,', '-c', 'local',
               '-e', 'ansible_python_interpreter=' + sys.executable,
               str(playbook)] + (['--check'] if check else [])
    run = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return json.loads((tmp_path / 'result.json').read_text())


def test_no_ca_installs_nothing_and_says_use_the_system_store(tmp_path):
    result = play(tmp_path, '')
    assert result['changed'] is False and result['path'] == '' and result['ready'] is True


@pytest.mark.parametrize('content, message', [
    (None, 'is no file on the controller'),
    ('not a certificate\n', 'holds no PEM certificate'),
])
def test_a_missing_or_bad_ca_is_refused_on_the_controller(tmp_path, content, message):
    src = tmp_path / 'ca.crt'
    if content is not None:
        src.write_text(content)
    result = play(tmp_path, str(src))
    assert result['failed'] and message in result['msg'] and 'caas_artifacts_ca_file' in result['msg']


@pytest.mark.skipif(os.path.exists(PATH), reason='this machine has a site CA at that path')
def test_check_mode_reports_the_ca_it_would_install_and_writes_nothing(tmp_path):
    src = tmp_path / 'ca.crt'
    src.write_text('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n')
    result = play(tmp_path, str(src), check=True)
    assert result['changed'] is True and result['path'] == PATH and result['ready'] is False
    assert not os.path.exists(PATH)
