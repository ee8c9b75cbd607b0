#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_registry
short_description: Harbor's registry endpoints - the upstream registries that proxy caches and replication use
version_added: 0.1.0
description:
  - Makes a registry endpoint of Harbor what the options say - its kind, URL, login, certificate checking and the CA
    that signed the endpoint's certificate. Changed only when Harbor's endpoint differed.
  - Before an endpoint is created or its URL, login or CA change, Harbor is asked to reach it with them
    (C(/registries/ping)); an endpoint Harbor cannot reach is refused with Harbor's reason and nothing is saved.
  - Harbor never returns a stored secret, so O(access_secret) is written when the endpoint is created, and again only
    with O(update_secret=always) (which then always reports a change).
options:
  name:
    description: The endpoint's name (what projects and replication policies refer to).
    type: str
    required: true
  state:
    description: Whether the endpoint exists. Harbor refuses to delete an endpoint a project or a policy uses.
    type: str
    choices: [present, absent]
    default: present
  type:
    description: The kind of registry (Harbor's adapter); it cannot change once the endpoint exists.
    type: str
    choices: [docker-registry, harbor, docker-hub, github-ghcr, google-gcr, aws-ecr, azure-acr, ali-acr, jfrog-artifactory,
              quay, gitlab, huawei-SWR, tencent-tcr, volcengine-cr]
    default: docker-registry
  endpoint_url:
    description: The registry's URL (https://<host>[:port]). Required with O(state=present).
    type: str
  description:
    description: A description.
    type: str
    default: ''
  access_key:
    description: The login's user (or access key); none for anonymous pulls.
    type: str
  access_secret:
    description: The login's password (or secret). Never logged or returned.
    type: str
  update_secret:
    description: V(on_create) writes O(access_secret) when the endpoint is created; V(always) writes it on every run.
    type: str
    choices: [on_create, always]
    default: on_create
  ca_certificate:
    description: PEM of the CA that signed the registry's certificate (the site CA for a site's mirror); Harbor checks
      the certificate against it instead of the system's CAs.
    type: str
  insecure:
    description: Do not check the registry's certificate. Leave it off; set O(ca_certificate) instead.
    type: bool
    default: false
  ping:
    description: Ask Harbor to reach the registry with these settings before saving them.
    type: bool
    default: true
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the endpoint (and pings the registry) and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The endpoint's settings before and after, without the secret.
  platform:
    support: full
    platforms: posix
    description: Any host that reaches Harbor's URL; Harbor itself must reach the registry.
"""

EXAMPLES = r"""
- name: The site's registry mirror, whose certificate the site CA signed
  caas.platform.harbor_registry:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: site-mirror
    type: docker-registry
    endpoint_url: https://mirror.example.com:5000
    ca_certificate: "{{ lookup('ansible.builtin.file', 'site-ca.crt') }}"
"""

RETURN = r"""
registry:
  description: The endpoint as Harbor has it after the run, without its secret (nothing when it is absent).
  returned: always
  type: dict
  sample: {id: 1, name: site-mirror, type: docker-registry, url: "https://mirror.example.com:5000", insecure: false,
           access_key: null, status: healthy}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)
from ansible_collections.caas.platform.plugins.module_utils.harbor_registries import (
    REQUIRED_IF, REQUIRED_TOGETHER, apply_registry, registry_options)


def main():
    module = AnsibleModule(argument_spec=dict(argument_spec(), **registry_options()), supports_check_mode=True,
                           required_if=REQUIRED_IF, required_together=REQUIRED_TOGETHER)
    client = HarborClient.from_module(module)
    try:
        changed, before, after = apply_registry(client, module.params, module.check_mode)
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'registry', before, after)


if __name__ == '__main__':
    main()
