# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The packages module against this machine's real dpkg and apt, never installing or removing anything: packages
that are installed, check mode (apt-get -s) for one that is not, and names apt cannot install. cache_valid_time is
set far beyond the lists' age so that no test refreshes them either."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

pytestmark = pytest.mark.skipif(not (shutil.which('dpkg-query') and shutil.which('apt-get')
                                     and os.path.isdir('/var/lib/apt/lists')), reason='needs dpkg and apt')

NEVER_REFRESH = 10 ** 9  # seconds: the lists are always newer
UNKNOWN = 'caas-no-such-package'


def installed(name):
    out = subprocess.run(['dpkg-query', '-W', '-f', '${db:Status-Abbrev}', name], capture_output=True, text=True,
                         check=False)
    return out.stdout.startswith('ii')


def not_installed_with_candidate():
    """A real package apt could install here and that is not installed, found with apt-cache policy."""
    for name in ('socat', 'conntrack', 'ipset', 'ethtool', 'acct'):
        policy = subprocess.run(['apt-cache', 'policy', name], capture_output=True, text=True, check=False,
                                env=dict(os.environ, LC_ALL='C')).stdout
        if 'Installed: (none)' in policy and 'Candidate:' in policy and 'Candidate: (none)' not in policy:
            return name
    return pytest.skip('every candidate package is installed here, or the lists do not know them')


def test_installed_packages_are_a_no_op_without_apt(run_module):
    lists_before = os.stat('/var/lib/apt/lists').st_mtime
    result = run_module('packages', names=['dpkg', 'coreutils', 'dpkg'], cache_valid_time=0, _ansible_diff=True)
    assert result['changed'] is False and result['installed'] == [] and result['missing_before'] == []
    # cache_valid_time 0 would refresh the lists if apt had been started at all.
    assert result['cache_updated'] is False and 'stdout' not in result
    assert os.stat('/var/lib/apt/lists').st_mtime == lists_before
    assert result['diff']['before'] == result['diff']['after'] == 'coreutils\ndpkg\n'


def test_check_mode_simulates_the_install_of_a_missing_package(run_module):
    name = not_installed_with_candidate()
    result = run_module('packages', names=['dpkg', name], cache_valid_time=NEVER_REFRESH, _ansible_check_mode=True,
                        _ansible_diff=True)
    assert result['changed'] is True and result['installed'] == [name] and result['missing_before'] == [name]
    assert result['cache_updated'] is False
    assert 'Inst %s ' % name in result['stdout']  # apt-get -s: simulated only
    assert result['diff'] == {'before': 'dpkg\n', 'after': '\n'.join(sorted(['dpkg', name])) + '\n',
                              'before_header': 'installed packages', 'after_header': 'installed packages'}
    assert not installed(name)


def test_unknown_package_fails_in_check_mode_naming_it(run_module):
    name = not_installed_with_candidate()
    result = run_module('packages', expect_failure=True, names=[name, UNKNOWN], cache_valid_time=NEVER_REFRESH,
                        _ansible_check_mode=True)
    assert result['msg'].startswith('apt cannot install %s: E: Unable to locate package %s' % (UNKNOWN, UNKNOWN))
    assert 'Fix:' in result['msg'] and result['changed'] is False
    assert not installed(name)


@pytest.mark.skipif(os.geteuid() != 0, reason='apt-get install needs root to get as far as resolving names')
def test_unknown_package_fails_for_real_before_anything_is_installed(run_module):
    # apt resolves every name before it changes anything: with one unknown name, nothing is installed.
    result = run_module('packages', expect_failure=True, names=['coreutils', UNKNOWN], cache_valid_time=NEVER_REFRESH)
    assert 'E: Unable to locate package %s' % UNKNOWN in result['msg'] and result['changed'] is False
    assert result['missing_before'] == [UNKNOWN]


def test_virtual_package_fails_in_check_mode(run_module):
    result = run_module('packages', expect_failure=True, names=['awk'], cache_valid_time=NEVER_REFRESH,
                        _ansible_check_mode=True)
    assert result['msg'].startswith('apt cannot install awk: E: ')  # no installation candidate, or unknown here


def test_names_that_are_not_package_names_are_refused(run_module):
    result = run_module('packages', expect_failure=True, names=['socat', '-o', 'socat=1.7.4'])
    assert "'-o', 'socat=1.7.4'" in result['msg'] and 'not Debian package names' in result['msg']


def test_only_present(run_module):
    result = run_module('packages', expect_failure=True, names=['dpkg'], state='absent')
    assert 'present' in result['msg']
