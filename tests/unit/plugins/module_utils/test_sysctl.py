# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.caas.platform.plugins.module_utils import sysctl as sc


@pytest.mark.parametrize('key, namespaced', [
    ('net.ipv4.ip_forward', True), ('net.ipv4.conf.all.rp_filter', True), ('net.bridge.bridge-nf-call-iptables', True),
    ('net.core.bpf_jit_harden', False), ('net.netfilter.nf_conntrack_max', False), ('kernel.kptr_restrict', False),
    ('vm.overcommit_memory', False), ('fs.suid_dumpable', False), ('net/ipv4/ip_forward', True),
])
def test_namespaced_keys(key, namespaced):
    assert sc.is_namespaced(key) is namespaced


def test_parse_conf_like_systemd_sysctl():
    text = '# comment\n; other comment\nnet.ipv4.ip_forward = 1\n-kernel.foo=  2  3\nnet/ipv4/conf/all/rp_filter=1\n'
    assert sc.parse_conf(text) == [('net.ipv4.ip_forward', '1'), ('kernel.foo', '2 3'),
                                   ('net.ipv4.conf.all.rp_filter', '1')]


def test_etc_masks_usr_lib_and_later_files_win(tmp_path):
    etc, lib = tmp_path / 'etc', tmp_path / 'lib'
    etc.mkdir()
    lib.mkdir()
    (lib / '50-default.conf').write_text('net.ipv4.conf.all.rp_filter = 2\nkernel.sysrq = 16\n')
    (etc / '50-default.conf').write_text('kernel.sysrq = 0\n')  # masks the one in lib
    (etc / '60-caas-hardening.conf').write_text('net.ipv4.ip_forward = 0\n')
    (etc / '70-caas-kubernetes.conf').write_text('net.ipv4.ip_forward = 1\n')
    files = sc.conf_files([str(etc), str(lib)])
    assert [f.rsplit('/', 1)[1] for f in files] == ['50-default.conf', '60-caas-hardening.conf', '70-caas-kubernetes.conf']
    effective = sc.effective_values(files)
    assert effective['net.ipv4.ip_forward'] == ('1', str(etc / '70-caas-kubernetes.conf'))
    assert effective['kernel.sysrq'][0] == '0' and 'net.ipv4.conf.all.rp_filter' not in effective


def test_override_replaces_a_file_before_it_is_written(tmp_path):
    first = tmp_path / '60-a.conf'
    first.write_text('vm.swappiness = 60\n')
    effective = sc.effective_values([str(first)], overrides={str(first): 'vm.swappiness = 1\n'})
    assert effective['vm.swappiness'][0] == '1'


def test_render_sorted_with_header():
    text = sc.render({'b.x': 1, 'a.y': '2  3'}, 'line one\nline two')
    assert text == '# line one\n# line two\na.y = 2 3\nb.x = 1\n'


def test_read_current_of_this_kernel():
    assert sc.read_current('kernel.ostype') == 'Linux'
    assert sc.read_current('no.such.key') is None


def test_values_normalized():
    assert sc.normalize_value(True) == '1' and sc.normalize_value('4096\t87380  6291456') == '4096 87380 6291456'


def test_forwarding_is_written_before_what_it_resets():
    keys = ['net.ipv4.conf.all.accept_redirects', 'net.ipv4.ip_forward', 'kernel.kptr_restrict',
            'net.ipv6.conf.all.forwarding', 'net.ipv4.conf.all.send_redirects']
    assert sc.write_order(keys) == ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'kernel.kptr_restrict',
                                    'net.ipv4.conf.all.accept_redirects', 'net.ipv4.conf.all.send_redirects']
