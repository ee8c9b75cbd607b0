# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.packages_missing import packages_missing

NODE = {'hostname': 'cp1', 'packages': ['chrony', 'chrony:amd64', 'openssl', 'openssl:amd64']}


def test_the_names_the_read_does_not_list_in_their_order():
    assert packages_missing(['socat', 'chrony', 'auditd', 'openssl:amd64'], NODE) == ['socat', 'auditd']
    assert packages_missing(['chrony', 'openssl'], NODE) == []
    # An architecture the read does not list is missing: the module decides.
    assert packages_missing(['openssl:i386'], NODE) == ['openssl:i386']


@pytest.mark.parametrize('node', [None, {}, {'hostname': 'cp1'}, {'packages': []}])
def test_without_a_read_every_name_is_missing(node):
    assert packages_missing(['chrony', 'socat'], node) == ['chrony', 'socat']


def test_refuses_a_string():
    with pytest.raises(AnsibleFilterError, match='list of package names'):
        packages_missing('chrony', NODE)
