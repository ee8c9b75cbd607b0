# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import os
import stat


def mode(path):
    return oct(stat.S_IMODE(os.stat(path).st_mode))


def test_batch_converges_then_changes_nothing(run_module, tmp_path):
    (tmp_path / 'login.defs').write_text('PASS_MAX_DAYS\t99999\nUMASK\t022\n')
    (tmp_path / 'old.deny').write_text('x\n')
    (tmp_path / 'shadow-').write_text('')
    os.chmod(tmp_path / 'shadow-', 0o644)
    items = [
        {'path': str(tmp_path / 'conf.d'), 'state': 'directory', 'mode': '0750'},
        {'path': str(tmp_path / 'conf.d' / 'a.conf'), 'content': 'a = 1\n', 'mode': '0600'},
        {'path': str(tmp_path / 'login.defs'), 'settings': {'PASS_MAX_DAYS': 365, 'UMASK': '027'}},
        {'path': str(tmp_path / 'shadow-'), 'state': 'attributes', 'mode': '0640'},
        {'path': str(tmp_path / 'gshadow-'), 'state': 'attributes', 'mode': '0640'},
        {'path': str(tmp_path / 'old.deny'), 'state': 'absent'},
    ]
    first = run_module('files', items=items, _ansible_diff=True)
    assert first['changed'] and sorted(first['changed_paths']) == sorted(
        str(tmp_path / p) for p in ('conf.d', 'conf.d/a.conf', 'login.defs', 'shadow-', 'old.deny'))
    assert (tmp_path / 'conf.d' / 'a.conf').read_text() == 'a = 1\n' and mode(tmp_path / 'conf.d' / 'a.conf') == '0o600'
    assert mode(tmp_path / 'conf.d') == '0o750' and mode(tmp_path / 'shadow-') == '0o640'
    assert (tmp_path / 'login.defs').read_text() == 'PASS_MAX_DAYS 365\nUMASK 027\n'
    assert not (tmp_path / 'old.deny').exists() and not (tmp_path / 'gshadow-').exists()
    assert any(d.get('after') == 'a = 1\n' for d in first['diff'])
    second = run_module('files', items=items)
    assert second['changed'] is False and second['changed_paths'] == []


def test_check_mode_changes_nothing(run_module, tmp_path):
    target = tmp_path / 'issue.net'
    target.write_text('old\n')
    result = run_module('files', items=[{'path': str(target), 'content': 'new\n'},
                                        {'path': str(tmp_path / 'new.d'), 'state': 'directory'}],
                        _ansible_check_mode=True)
    assert result['changed'] and len(result['changed_paths']) == 2
    assert target.read_text() == 'old\n' and not (tmp_path / 'new.d').exists()


def test_validation_failure_keeps_the_old_file(run_module, tmp_path):
    target = tmp_path / 'sshd_config'
    target.write_text('good\n')
    result = run_module('files', expect_failure=True,
                        items=[{'path': str(target), 'content': 'bad\n', 'validate': 'grep -q good %s'}])
    assert 'validation of' in result['msg'] and target.read_text() == 'good\n'
    # No temporary file left beside it.
    assert [p.name for p in tmp_path.iterdir()] == ['sshd_config']


def test_settings_need_an_existing_file(run_module, tmp_path):
    result = run_module('files', expect_failure=True, items=[{'path': str(tmp_path / 'nope'), 'settings': {'A': 1}}])
    assert 'settings edit an existing file' in result['msg']


def test_secret_content_is_never_shown(run_module, tmp_path):
    target = tmp_path / 'encryption.yaml'
    secret = 'secret: c2VjcmV0LWtleS0zMi1ieXRlcy1sb25nLi4uLi4uLi4=\n'
    items = [{'path': str(target), 'secret_content': secret, 'mode': '0600'},
             {'path': str(tmp_path / 'kubelet.conf'), 'state': 'attributes', 'mode': '0600'}]
    first = run_module('files', items=items, _ansible_diff=True)
    assert first['changed_paths'] == [str(target)] and first['missing_paths'] == [str(tmp_path / 'kubelet.conf')]
    assert target.read_text() == secret and mode(target) == '0o600'
    # Neither the diff nor the invocation holds the secret.
    assert 'c2VjcmV0' not in repr(first)
    assert first['diff'][0]['after'] == '(secret content)\n'
    target.write_text('another key\n')
    changed = run_module('files', items=items, _ansible_diff=True)
    assert changed['changed'] and 'another key' not in repr(changed) and 'c2VjcmV0' not in repr(changed)
    assert target.read_text() == secret
    assert run_module('files', items=items)['changed'] is False


def test_changed_tags_name_what_reads_the_changed_paths_once_each(run_module, tmp_path):
    (tmp_path / 'same.conf').write_text('same\n')
    items = [{'path': str(tmp_path / 'rules.d'), 'state': 'directory', 'tag': 'auditd'},
             {'path': str(tmp_path / 'rules.d' / 'a.rules'), 'content': '-w /etc\n', 'tag': 'auditd'},
             {'path': str(tmp_path / 'same.conf'), 'content': 'same\n', 'tag': 'journald'},
             {'path': str(tmp_path / 'untagged'), 'content': 'x\n'}]
    first = run_module('files', items=items)
    assert first['changed_tags'] == ['auditd']
    assert run_module('files', items=items)['changed_tags'] == []
    (tmp_path / 'same.conf').write_text('edited\n')
    check = run_module('files', items=items, _ansible_check_mode=True)
    assert check['changed_tags'] == ['journald'] and (tmp_path / 'same.conf').read_text() == 'edited\n'
