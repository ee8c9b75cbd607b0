# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.caas.platform.plugins.action.site_ca import PATH
from ansible_collections.caas.platform.plugins.filter.site_ca_path import FilterModule


@pytest.mark.parametrize('ca_file, path', [
    ('~/site/ca.crt', '/etc/caas/pki/artifacts-ca.crt'),
    ('', ''),
    (None, ''),
])
def test_the_path_is_where_site_ca_installs_it_or_empty(ca_file, path):
    assert FilterModule().filters()['site_ca_path'](ca_file) == path


def test_the_action_and_the_filter_name_one_path():
    assert FilterModule().filters()['site_ca_path']('ca.crt') == PATH
