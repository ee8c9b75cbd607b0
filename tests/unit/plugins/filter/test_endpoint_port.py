# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One rule for the port the artifacts host serves on and the firewall opens."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.endpoint_port import endpoint_port


@pytest.mark.parametrize('endpoint, port', [
    ('https://artifacts.dc1.example.com/files', 443),
    ('https://artifacts.dc1.example.com:8443/files', 8443),
    ('http://10.20.0.5/files', 80),
    ('artifacts.dc1.example.com:5000', 5000),
    ('artifacts.dc1.example.com', 443),
    ('', 0),
    (None, 0),
])
def test_the_port_of_a_url_or_a_host_port(endpoint, port):
    assert endpoint_port(endpoint) == port


@pytest.mark.parametrize('endpoint', ['ftp://artifacts/files', 'artifacts:http', 'artifacts:70000',
                                      'https://artifacts:99999/files'])
def test_what_is_no_endpoint_is_refused(endpoint):
    with pytest.raises(AnsibleFilterError):
        endpoint_port(endpoint)
