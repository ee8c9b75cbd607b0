# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.files_not_in_place import files_not_in_place

FOUND = {
    '/etc/kubernetes/pki': {'type': 'directory', 'sha256': None, 'owner': 'root', 'group': 'root', 'mode': '0755'},
    '/etc/kubernetes/pki/etcd/ca.crt': {'type': 'file', 'sha256': 'ab' * 32, 'owner': 'root', 'group': 'root',
                                        'mode': '0644'},
    '/etc/kubernetes/pki/etcd': None,
}


def test_only_the_named_attributes_are_compared():
    assert files_not_in_place(FOUND, {'/etc/kubernetes/pki': {'type': 'directory', 'mode': '0755'}}) == []


def test_missing_and_different_paths_are_listed_sorted():
    wanted = {'/etc/kubernetes/pki/etcd/ca.crt': {'mode': '0600', 'sha256': 'ab' * 32},
              '/etc/kubernetes/pki/etcd': {'type': 'directory'}, '/etc/kubernetes/pki': {'owner': 'root'},
              '/not/read': {}}
    assert files_not_in_place(FOUND, wanted) == ['/etc/kubernetes/pki/etcd', '/etc/kubernetes/pki/etcd/ca.crt',
                                                 '/not/read']


def test_with_present_only_a_missing_path_is_not_listed():
    wanted = {'/etc/kubernetes/pki/etcd/ca.crt': {'mode': '0600'}, '/etc/kubernetes/pki/etcd': {'type': 'directory'},
              '/not/read': {'mode': '0600'}}
    assert files_not_in_place(FOUND, wanted, present_only=True) == ['/etc/kubernetes/pki/etcd/ca.crt']
    assert files_not_in_place(FOUND, {'/not/read': {}}, present_only=True) == []


def test_files_items_are_compared_by_owner_group_and_mode():
    items = [{'path': '/etc/kubernetes/pki/etcd/ca.crt', 'state': 'attributes', 'owner': 'root', 'group': 'root',
              'mode': '0600'},
             {'path': '/etc/kubernetes/pki', 'state': 'directory', 'owner': 'root', 'mode': '0755'}]
    assert files_not_in_place(FOUND, items) == ['/etc/kubernetes/pki/etcd/ca.crt']
    assert files_not_in_place(FOUND, items[1:]) == []


def test_a_different_sha256_is_not_in_place():
    assert files_not_in_place(FOUND, {'/etc/kubernetes/pki/etcd/ca.crt': {'sha256': 'cd' * 32}}) == [
        '/etc/kubernetes/pki/etcd/ca.crt']


def test_something_else_than_a_read_is_refused():
    with pytest.raises(AnsibleFilterError, match='expects the files'):
        files_not_in_place(['/etc'], {})
