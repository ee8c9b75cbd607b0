#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: site_ca
short_description: Install the site CA that signed the files repository and the registry mirror
version_added: 0.1.0
description:
  - Copies the site CA (C(caas_artifacts_ca_file), a PEM file on the controller) to one place on the host,
    C(/etc/caas/pki/artifacts-ca.crt), readable by all, in one module run; every role that downloads from the files
    repository or pulls from the mirror uses this task and the path it returns.
  - With an empty O(src) nothing is installed and the path returned is empty (the system trust store is used).
  - An action plugin, which reads O(src) on the controller and runs M(caas.platform.files) on the host.
options:
  src:
    description: The PEM CA on the controller; empty for none.
    type: path
    default: ''
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reports whether the CA would change; RV(ready) says whether the host already has it.
  diff_mode:
    support: full
    description: Shows the CA before and after (a certificate, not a secret).
  action:
    support: full
    description: An action plugin; reads the CA on the controller.
  async:
    support: none
    description: Writes one small file.
  platform:
    support: full
    platforms: posix
    description: Any POSIX host.
seealso:
  - module: caas.platform.artifact_install
  - module: caas.platform.artifact_check
"""

EXAMPLES = r"""
- name: Install the site CA
  caas.platform.site_ca:
    src: "{{ caas_artifacts_ca_file | default('') }}"
  register: site_ca

- name: Check the files repository with it, where the host has it already
  caas.platform.artifact_check:
    files_repo_url: "{{ caas_files_repo_url }}"
    ca_path: "{{ site_ca.path or omit }}"
    files: []
  when: site_ca.ready
"""

RETURN = r"""
path:
  description: Where the CA is on the host; empty when O(src) is empty.
  returned: always
  type: str
  sample: /etc/caas/pki/artifacts-ca.crt
ready:
  description:
    - Whether the host holds the CA the run installs, so that a download can be checked with it. False only in
      check mode when the CA is not on the host yet, or differs.
  returned: always
  type: bool
"""
