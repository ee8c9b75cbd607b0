# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sysctl module against this machine's real /proc/sys, never writing to it: check mode, or values
equal to the running ones."""

from __future__ import annotations

from pathlib import Path


def current(key):
    return Path('/proc/sys', *key.split('.')).read_text().strip()


def test_writes_the_drop_in_and_applies_nothing_when_values_match(run_module, tmp_path):
    path = tmp_path / 'sysctl.d' / '60-test.conf'
    settings = {'net.ipv4.ip_forward': current('net.ipv4.ip_forward'), 'kernel.ostype': 'Linux'}
    first = run_module('sysctl', path=str(path), settings=settings, _ansible_diff=True)
    assert first['changed'] and first['file_changed'] and first['applied'] == {}
    assert 'kernel.ostype = Linux' in path.read_text() and path.read_text().startswith('# Managed by caas.platform')
    assert first['diff']['after'] == path.read_text()
    second = run_module('sysctl', path=str(path), settings=settings)
    assert second['changed'] is False


def test_check_mode_reports_what_it_would_apply(run_module, tmp_path):
    key = 'net.ipv4.tcp_syncookies'
    other = '0' if current(key) != '0' else '1'
    result = run_module('sysctl', path=str(tmp_path / '60.conf'), settings={key: other}, _ansible_check_mode=True)
    assert result['changed'] and result['applied'] == {key: {'before': current(key), 'after': other}}
    assert not (tmp_path / '60.conf').exists() and current(key) != other


def test_report_mode_keeps_kernel_wide_keys_out(run_module, tmp_path):
    path = tmp_path / '60.conf'
    wanted = '0' if current('kernel.dmesg_restrict') != '0' else '1'
    result = run_module('sysctl', path=str(path), global_keys='report', _ansible_check_mode=False,
                        settings={'kernel.dmesg_restrict': wanted, 'net.ipv4.ip_forward': current('net.ipv4.ip_forward')})
    assert result['global_drift'] == {'kernel.dmesg_restrict': {'current': current('kernel.dmesg_restrict'), 'wanted': wanted}}
    assert 'kernel.dmesg_restrict' not in path.read_text() and current('kernel.dmesg_restrict') != wanted


def test_unknown_key_is_refused_before_anything_is_written(run_module, tmp_path):
    path = tmp_path / '60.conf'
    result = run_module('sysctl', expect_failure=True, path=str(path), settings={'net.ipv4.no_such_knob': 1})
    assert 'net.ipv4.no_such_knob' in result['msg'] and 'load the kernel module' in result['msg']
    assert not path.exists()


def test_bad_key_names_are_refused(run_module, tmp_path):
    result = run_module('sysctl', expect_failure=True, path=str(tmp_path / 'x.conf'), settings={'not a key': 1})
    assert 'not sysctl names' in result['msg']
