# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.etcd_ca_state import etcd_ca_state

CERT, KEY = '/etc/etcd/pki/ca.crt', '/etc/etcd/pki/ca.key'


def files(cert_sum, key_sum, cert_mode='0644', key_mode='0600', owner='root'):
    return {CERT: {'type': 'file', 'sha256': cert_sum, 'owner': owner, 'group': 'root', 'mode': cert_mode},
            KEY: {'type': 'file', 'sha256': key_sum, 'owner': owner, 'group': 'root', 'mode': key_mode},
            '/etc/etcd/pki': {'type': 'directory', 'sha256': None, 'owner': 'root', 'group': 'root', 'mode': '0755'}}


def test_before_the_first_run_nobody_holds_it():
    assert etcd_ca_state({'etcd1': {CERT: None, KEY: None}, 'etcd2': None}, CERT, KEY) == dict(
        holders=[], checksums=[], in_place=[])


def test_a_member_with_the_certificate_but_no_key_is_no_holder():
    reads = {'etcd1': dict(files('c1', 'k1'), **{KEY: None}), 'etcd2': files('c1', 'k1')}
    assert etcd_ca_state(reads, CERT, KEY) == dict(holders=['etcd2'], checksums=['c1'], in_place=['etcd2'])


def test_copies_that_differ_in_content_or_mode_are_not_in_place():
    reads = {'etcd1': files('c1', 'k1'), 'etcd2': files('c1', 'k1', key_mode='0644'), 'etcd3': files('c1', 'k2'),
             'etcd4': files('c1', 'k1', owner='etcd'), 'etcd5': {CERT: None, KEY: None}}
    state = etcd_ca_state(reads, CERT, KEY)
    assert state['holders'] == ['etcd1', 'etcd2', 'etcd3', 'etcd4'] and state['in_place'] == ['etcd1']
    assert state['checksums'] == ['c1']


def test_two_clusters_show_as_two_checksums():
    state = etcd_ca_state({'etcd1': files('c1', 'k1'), 'etcd2': files('c2', 'k2')}, CERT, KEY)
    assert state['checksums'] == ['c1', 'c2'] and state['in_place'] == ['etcd1']


def test_a_directory_at_the_path_is_not_a_file():
    reads = {'etcd1': {CERT: {'type': 'directory', 'sha256': None, 'owner': 'root', 'group': 'root', 'mode': '0755'},
                       KEY: files('c1', 'k1')[KEY]}}
    assert etcd_ca_state(reads, CERT, KEY)['holders'] == []


def test_bad_input_is_named():
    with pytest.raises(AnsibleFilterError, match='map each member'):
        etcd_ca_state(['etcd1'], CERT, KEY)
