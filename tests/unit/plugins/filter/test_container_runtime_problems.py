# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The container_runtime role's refusals (caas.platform.container_runtime_problems)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.container_runtime_problems import container_runtime_problems

GOOD = {'container_runtime_source': 'files_repo', 'container_runtime_files_repo_url': 'https://files.example.com',
        'container_runtime_ca_file': __file__,
        'container_runtime_registry_pull_through': {'registry.k8s.io': 'registry.example.com:30443/caas-platform',
                                                    'docker.io': 'registry.example.com/docker.io-cache'}}


def test_good_settings_have_no_problem():
    assert container_runtime_problems(GOOD) == []
    assert container_runtime_problems({'container_runtime_source': 'distro', 'container_runtime_ca_file': '',
                                       'container_runtime_registry_pull_through': {}}) == []


def test_each_bad_setting_is_named_with_its_value_and_the_fix():
    assert container_runtime_problems(dict(
        GOOD, container_runtime_files_repo_url='', container_runtime_ca_file='/nowhere/ca.crt',
        container_runtime_registry_pull_through={'docker.io': 'registry.example.com', 'quay.io': 'https://h/p'})) == [
        'container_runtime_files_repo_url is empty while container_runtime_source is files_repo: set '
        'caas_files_repo_url in group_vars/all (docs/inventory.md), or container_runtime_source: distro for Debian\'s '
        'packages.',
        'container_runtime_ca_file is "/nowhere/ca.crt", which is not a file on the controller: set '
        'caas_artifacts_ca_file to the PEM of the site CA, or leave it empty.',
        'container_runtime_registry_pull_through["docker.io"] is "registry.example.com": set <host[:port]>/<path> of '
        'the Harbor project the registry is pulled through (docs/registry.md).',
        'container_runtime_registry_pull_through["quay.io"] is "https://h/p": set <host[:port]>/<path> of the Harbor '
        'project the registry is pulled through (docs/registry.md).']


def test_a_pull_through_that_is_not_a_mapping_is_refused():
    assert container_runtime_problems(dict(GOOD, container_runtime_registry_pull_through=['docker.io'])) == [
        'container_runtime_registry_pull_through is ["docker.io"]: set a mapping of each upstream registry to '
        '<host[:port]>/<path>, for example {"docker.io": "registry.example.com/docker.io-cache"} (docs/registry.md).']


def test_settings_must_be_by_name():
    with pytest.raises(AnsibleFilterError):
        container_runtime_problems(['container_runtime_source'])
