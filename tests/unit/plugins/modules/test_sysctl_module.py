# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sysctl module against this machine's real /proc/sys, never writing to it: check mode, or values
equal to the running ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[4] / 'collections'


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
    # ansible-core 2.19 returns each warning as a summary of its event.
    assert any('kernel.dmesg_restrict (%s, wanted %s)' % (current('kernel.dmesg_restrict'), wanted) in repr(w)
               for w in result['warnings']), result['warnings']


def test_unknown_key_is_refused_before_anything_is_written(run_module, tmp_path):
    path = tmp_path / '60.conf'
    result = run_module('sysctl', expect_failure=True, path=str(path), settings={'net.ipv4.no_such_knob': 1})
    assert 'net.ipv4.no_such_knob' in result['msg'] and 'load the kernel module' in result['msg']
    assert not path.exists()


def test_bad_key_names_are_refused(run_module, tmp_path):
    result = run_module('sysctl', expect_failure=True, path=str(tmp_path / 'x.conf'), settings={'not a key': 1})
    assert 'not sysctl names' in result['msg']


def test_forwarding_off_holds_what_its_reset_undoes(tmp_path):
    """CIS 3.3.1 with 3.3.5 in a network namespace of its own, made while forwarding was on (as a container host made
    on a machine that forwards): writing ip_forward=0 makes the kernel set all.accept_redirects to 1, after it was read
    as 0. The first run must write it back, so the second changes nothing."""
    settings = {'net.ipv4.ip_forward': 0, 'net.ipv6.conf.all.forwarding': 0,
                'net.ipv4.conf.all.accept_redirects': 0, 'net.ipv4.conf.default.accept_redirects': 0,
                'net.ipv4.conf.all.send_redirects': 0}
    args = tmp_path / 'args.json'
    args.write_text(json.dumps({'ANSIBLE_MODULE_ARGS': {'path': str(tmp_path / '60.conf'), 'settings': settings}}))
    module = f'{sys.executable} -m ansible_collections.caas.platform.plugins.modules.sysctl {args}'
    script = ('echo 1 > /proc/sys/net/ipv4/ip_forward && echo 1 > /proc/sys/net/ipv6/conf/all/forwarding && '
              f'{module} && echo && {module} && echo && cat /proc/sys/net/ipv4/conf/all/accept_redirects')
    result = subprocess.run(['unshare', '--net', 'sh', '-c', script], env=dict(os.environ, PYTHONPATH=str(COLLECTIONS)),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr + ' (the test needs root and unshare)'
    first, second, accept_redirects = [line for line in result.stdout.splitlines() if line.strip()]
    first, second = json.loads(first), json.loads(second)
    assert first['applied']['net.ipv4.ip_forward'] == {'before': '1', 'after': '0'}
    assert first['applied']['net.ipv4.conf.all.accept_redirects'] == {'before': '1', 'after': '0'}
    assert second['changed'] is False and second['applied'] == {}, second
    assert accept_redirects == '0'
