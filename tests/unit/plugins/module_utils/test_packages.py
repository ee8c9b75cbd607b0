# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""packages helpers over dpkg-query and apt-get output captured on a Debian 12 machine:

  dpkg-query -W -f '${db:Status-Abbrev}\\t${Package}\\t${Architecture}\\n' \\
      dpkg coreutils libc6 tzdata python3 socat nosuchpkg-xyz                     (socat not installed)
  apt-get -s -q install --no-install-recommends socat
  apt-get -s -q install --no-install-recommends socat nosuchpkg-xyz awk           (awk is virtual)
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from ansible_collections.caas.platform.plugins.module_utils import packages as pk

FIXTURES = Path(__file__).parents[2] / 'fixtures'
DPKG = FIXTURES / 'debian12-dpkg-query'
APT = FIXTURES / 'debian12-apt-get'
ASKED = ['dpkg', 'coreutils', 'libc6', 'tzdata', 'python3', 'socat', 'nosuchpkg-xyz']


def test_parse_real_dpkg_query_output():
    entries = pk.parse_dpkg_query((DPKG / 'stdout').read_text())
    assert entries[('dpkg', 'amd64')] == 'ii ' and entries[('tzdata', 'all')] == 'ii '
    assert set(pkg for pkg, _arch in entries) == {'dpkg', 'coreutils', 'libc6', 'tzdata', 'python3'}
    # dpkg-query names the ones it has never heard of on its error output, and exits 1.
    assert 'no packages found matching socat' in (DPKG / 'stderr').read_text()


def test_missing_in_the_order_asked():
    entries = pk.parse_dpkg_query((DPKG / 'stdout').read_text())
    assert pk.missing_names(ASKED, entries) == ['socat', 'nosuchpkg-xyz']
    assert pk.missing_names(['libc6:amd64', 'libc6:i386', 'tzdata:all'], entries) == ['libc6:i386']


def test_the_format_is_what_this_machine_answers():
    if not os.path.exists('/usr/bin/dpkg-query'):
        pytest.skip('no dpkg on this machine')
    out = subprocess.run(pk.dpkg_query_command('dpkg-query', ['dpkg', 'coreutils', 'nosuchpkg-xyz']),
                         capture_output=True, text=True, check=False)
    assert out.returncode == 1 and 'nosuchpkg-xyz' in out.stderr
    entries = pk.parse_dpkg_query(out.stdout)
    assert pk.missing_names(['dpkg', 'coreutils', 'nosuchpkg-xyz'], entries) == ['nosuchpkg-xyz']


@pytest.mark.parametrize('status, installed', [
    ('ii ', True), ('hi ', True), ('ri ', True), ('ii', True),
    ('rc ', False), ('un ', False), ('pn ', False), ('iU ', False), ('iF ', False), ('iW ', False), ('it ', False),
    ('iHR', False), ('iiR', False), ('', False),
])
def test_installed_means_configured_without_error(status, installed):
    assert pk.is_installed(status) is installed


def test_states_other_than_installed_are_missing():
    # Lines dpkg-query prints for a removed package, a virtual one (no architecture) and a broken install.
    text = 'rc \tsocat\tamd64\nun \tlibz-dev\t\nhi \tchrony\tamd64\niF \tauditd\tamd64\n'
    entries = pk.parse_dpkg_query(text)
    assert pk.missing_names(['socat', 'libz-dev', 'chrony', 'auditd'], entries) == ['socat', 'libz-dev', 'auditd']
    assert pk.half_installed_names(['socat', 'libz-dev', 'auditd'], entries) == {'auditd'}


def test_installed_list_names_each_installed_package_with_and_without_its_architecture():
    entries = pk.parse_dpkg_query((DPKG / 'stdout').read_text())
    found = pk.installed_list(entries)
    assert found == sorted(found)
    assert {'dpkg', 'dpkg:amd64', 'tzdata', 'tzdata:all', 'libc6', 'libc6:amd64'} <= set(found)
    # What a role asks for is missing exactly when it is not in the list (node_facts' packages).
    assert [n for n in ASKED if n not in found] == pk.missing_names(ASKED, entries)
    text = 'rc \tsocat\tamd64\nun \tlibz-dev\t\nhi \tchrony\tamd64\niF \tauditd\tamd64\n'
    assert pk.installed_list(pk.parse_dpkg_query(text)) == ['chrony', 'chrony:amd64']


@pytest.mark.parametrize('name', ['socat', 'g++', 'libstdc++6', 'python3.11', 'libc6:amd64', 'libpam-tmpdir', '0ad'])
def test_valid_names(name):
    assert pk.invalid_names([name]) == []


@pytest.mark.parametrize('name', ['Socat', '-o', 'a b', 'x', 'socat=1.7', 'socat/bookworm', 'lib*', '', 'a;b'])
def test_invalid_names(name):
    assert pk.invalid_names([name]) == [name]


def test_unique_keeps_order():
    assert pk.unique(['b', 'a', 'b', 'c', 'a']) == ['b', 'a', 'c']


def test_lists_stale_by_age(tmp_path):
    lists = tmp_path / 'lists'
    assert pk.lists_stale(3600, str(lists)) is True  # never refreshed
    lists.mkdir()
    os.utime(lists, (1000, 1000))
    assert pk.lists_stale(3600, str(lists), now=1000 + 3599) is False
    assert pk.lists_stale(3600, str(lists), now=1000 + 3601) is True
    assert pk.lists_age(str(lists), now=1060) == 60


def test_commands():
    assert pk.dpkg_query_command('/usr/bin/dpkg-query', ['a', 'b'])[-2:] == ['a', 'b']
    simulate = pk.install_command('apt-get', ['socat'], simulate=True)
    assert simulate[:4] == ['apt-get', '-s', '-q', 'install'] and '-y' not in simulate
    assert '--no-install-recommends' in simulate and simulate[-1] == 'socat'
    real = pk.install_command('apt-get', ['socat', 'chrony'], install_recommends=True)
    assert real[:4] == ['apt-get', '-y', '-q', 'install'] and '-s' not in real
    assert 'APT::Install-Recommends=true' in real and '--no-install-recommends' not in real
    assert 'Dpkg::Options::=--force-confdef' in real and 'Dpkg::Options::=--force-confold' in real
    assert real[-2:] == ['socat', 'chrony']
    assert pk.update_command('apt-get')[:3] == ['apt-get', '-q', 'update']


def test_env_asks_no_question():
    env = pk.apt_env('C.UTF-8')
    assert env['DEBIAN_FRONTEND'] == 'noninteractive' and env['LC_ALL'] == 'C.UTF-8'


def test_simulation_names_what_it_would_install():
    out = (APT / 'simulate-socat.stdout').read_text()
    assert pk.simulated(['socat', 'libwrap0', 'chrony'], out) == ['socat', 'libwrap0']
    assert pk.virtual_choices(out) == {}


def test_unavailable_packages_named_from_apts_errors():
    err = (APT / 'simulate-unavailable.stderr').read_text()
    assert pk.unavailable(['socat', 'nosuchpkg-xyz', 'awk'], err) == ['nosuchpkg-xyz', 'awk']
    msg = pk.unavailable_message(['nosuchpkg-xyz', 'awk'], err, refreshed=False)
    assert msg.startswith('apt cannot install nosuchpkg-xyz, awk: E: Unable to locate package nosuchpkg-xyz')
    assert "E: Package 'awk' has no installation candidate" in msg and 'Fix:' in msg
    assert 'cache_valid_time: 0' in msg
    assert 'refreshed just now' in pk.unavailable_message(['awk'], err, refreshed=True)


def test_apt_errors_fall_back_to_its_last_lines():
    assert pk.apt_errors('W: a warning\nE: Could not get lock /var/lib/dpkg/lock-frontend\n') == [
        'E: Could not get lock /var/lib/dpkg/lock-frontend']
    assert pk.apt_errors('dpkg: error processing package x\n') == ['dpkg: error processing package x']


def test_virtual_package_with_one_provider():
    out = "Reading package lists...\nNote, selecting 'zlib1g-dev' instead of 'libz-dev'\nInst zlib1g-dev (1:1.2.13)\n"
    choices = pk.virtual_choices(out)
    assert choices == {'libz-dev': 'zlib1g-dev'} and pk.simulated(['libz-dev'], out) == []
    assert 'apt chose zlib1g-dev' in pk.not_installed_message(['libz-dev'], choices)


def test_package_list_for_the_diff():
    assert pk.package_list(['socat', 'chrony']) == 'chrony\nsocat\n' and pk.package_list([]) == ''
