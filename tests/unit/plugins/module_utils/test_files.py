# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from pathlib import Path

from ansible_collections.caas.platform.plugins.module_utils.files import read_file, set_keys

LOGIN_DEFS = """#
# /etc/login.defs - Configuration control definitions for the login package.
#
#	PASS_MAX_DAYS	Maximum number of days a password may be used.
PASS_MAX_DAYS	99999
PASS_MIN_DAYS	0
PASS_WARN_AGE	7
#
# Login configuration initializations:
UMASK		022
# ENCRYPT_METHOD SHA512
"""


def test_login_defs_keys_are_replaced_in_place():
    out = set_keys(LOGIN_DEFS, {'PASS_MAX_DAYS': '365', 'UMASK': '027', 'ENCRYPT_METHOD': 'YESCRYPT'})
    lines = out.splitlines()
    assert 'PASS_MAX_DAYS 365' in lines and 'UMASK 027' in lines and 'ENCRYPT_METHOD YESCRYPT' in lines
    # prose that merely names a key is kept, and line order is kept
    assert '#\tPASS_MAX_DAYS\tMaximum number of days a password may be used.' in lines
    assert lines.index('PASS_MAX_DAYS 365') < lines.index('PASS_MIN_DAYS\t0') < lines.index('UMASK 027')
    assert set_keys(out, {'PASS_MAX_DAYS': '365', 'UMASK': '027', 'ENCRYPT_METHOD': 'YESCRYPT'}) == out


def test_missing_keys_are_appended_and_duplicates_dropped():
    out = set_keys('A 1\nB 2\nA 3\n', {'A': '9', 'C': '4'})
    assert out == 'A 9\nB 2\nC 4\n'


def test_separator_for_auditd_conf():
    text = 'log_file = /var/log/audit/audit.log\nmax_log_file = 8\nmax_log_file_action = ROTATE\n'
    out = set_keys(text, {'max_log_file': '32', 'max_log_file_action': 'keep_logs'}, separator=' = ')
    assert out == 'log_file = /var/log/audit/audit.log\nmax_log_file = 32\nmax_log_file_action = keep_logs\n'


def test_real_debian_profile_gets_a_umask():
    profile = Path('/etc/profile')
    text = profile.read_text() if profile.exists() else 'if [ "$PS1" ]; then\n  :\nfi\n'
    out = set_keys(text, {'umask': '027'})
    assert out.splitlines().count('umask 027') == 1
    assert set_keys(out, {'umask': '027'}) == out


def test_read_file_gives_text_bytes_or_the_default(tmp_path):
    path = tmp_path / 'moduli'
    path.write_bytes(b'2048 bits\n')
    assert read_file(str(path)) == '2048 bits\n'
    assert read_file(str(path), binary=True) == b'2048 bits\n'
    assert read_file(str(tmp_path / 'absent')) is None
    assert read_file(str(tmp_path / 'absent'), '') == ''
    assert read_file(str(tmp_path)) is None  # a directory cannot be read as a file
