# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.private_file_items import private_file_items


def test_each_path_becomes_a_root_only_attributes_item_in_order():
    assert private_file_items(['/etc/kubernetes/pki/ca.crt', '/etc/ssh/ssh_host_rsa_key']) == [
        {'path': '/etc/kubernetes/pki/ca.crt', 'state': 'attributes', 'owner': 'root', 'group': 'root', 'mode': '0600'},
        {'path': '/etc/ssh/ssh_host_rsa_key', 'state': 'attributes', 'owner': 'root', 'group': 'root', 'mode': '0600'}]
    assert private_file_items([]) == []


@pytest.mark.parametrize('bad', ['/etc/ssh/ssh_host_rsa_key', None, 3])
def test_something_else_than_a_list_of_paths_is_refused(bad):
    with pytest.raises(AnsibleFilterError, match='expects a list of paths'):
        private_file_items(bad)
