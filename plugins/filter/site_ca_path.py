# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: site_ca_path
short_description: Where the site CA is on every host, or empty when the site has none
version_added: 0.1.0
description:
  - Takes C(caas_artifacts_ca_file) (the CA on the controller) and returns the path C(caas.platform.site_ca)
    installs it at on each host, or an empty string when the variable is empty; the one place that names it, for
    tasks that download from the files repository or the mirror on hosts where a role already installed it.
options:
  _input:
    description: The value of C(caas_artifacts_ca_file); empty or null when the site's repositories use a public CA.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Check the release's files with the site CA, when there is one
  caas.platform.artifact_check:
    files_repo_url: "{{ caas_files_repo_url }}"
    registry_mirror: "{{ caas_registry_mirror }}"
    ca_path: "{{ caas_artifacts_ca_file | default('') | caas.platform.site_ca_path or omit }}"
    files: []
    images: []
"""

RETURN = r"""
_value:
  description: C(/etc/caas/pki/artifacts-ca.crt), or an empty string.
  type: str
"""

from ansible_collections.caas.platform.plugins.plugin_utils.site_ca import site_ca_path


class FilterModule(object):
    def filters(self):
        return {'site_ca_path': site_ca_path}
