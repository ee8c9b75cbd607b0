#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_info
short_description: Read Harbor's health, version and scanners, and wait until it is healthy
version_added: 0.1.0
description:
  - Reads Harbor's health (C(GET /api/v2.0/health), each component with its error when it is unhealthy), its
    system information (C(/api/v2.0/systeminfo); the version only with a login) and, with a login that may read
    them (the admin), its registered scanners with the default one.
  - With O(wait), asks again every O(interval) seconds until Harbor says healthy; when O(wait_timeout) passes
    first it fails naming the unhealthy components, or why Harbor did not answer.
  - Changes nothing.
options:
  wait:
    description: Wait until Harbor is healthy; without it, report the health as it is (and do not fail on it).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 300
  interval:
    description: Seconds between two reads with O(wait).
    type: int
    default: 5
  scanners:
    description: Read the registered scanners (needs O(username) of an account that may list them, the admin).
    type: bool
    default: true
extends_documentation_fragment:
  - caas.platform.attributes.read_only
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  platform:
    support: full
    platforms: posix
    description: Any host that reaches Harbor's URL; Harbor's API is all it talks to.
notes:
  - The API is Harbor 2.15's (C(api/v2.0/swagger.yaml) in Harbor's source).
"""

EXAMPLES = r"""
- name: Wait until Harbor and every component (database, Redis, registry, job service, Trivy) are healthy
  caas.platform.harbor_info:
    url: https://registry.example.com
    ca_path: /usr/local/share/ca-certificates/caas-site-ca.crt
    wait: true
    wait_timeout: 600

- name: Read the version and the default scanner as the admin
  caas.platform.harbor_info:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
  register: harbor

- name: Show them
  ansible.builtin.debug:
    msg: "Harbor {{ harbor.system_info.harbor_version }}, scanner {{ harbor.default_scanner }}"
"""

RETURN = r"""
healthy:
  description: Whether Harbor says healthy (every component is).
  returned: always
  type: bool
  sample: true
health:
  description: Harbor's health, by component.
  returned: always
  type: dict
  sample:
    status: healthy
    components:
      core: {status: healthy, error: null}
      database: {status: healthy, error: null}
      trivy: {status: unhealthy, error: "failed to ping http://trivy-adapter:8080/probe/healthy"}
system_info:
  description: Harbor's general information; C(harbor_version) and some others only with a login.
  returned: always
  type: dict
  sample: {harbor_version: v2.15.2-080b0220, external_url: "https://registry.example.com", auth_mode: db_auth}
scanners:
  description:
    - The registered scanners (name, url, is_default, disabled, health), without their credentials.
    - C(health) is V(healthy) when Harbor reached the scanner for its metadata, V(unhealthy) when it could not, and
      V(disabled) for a registration that is turned off.
  returned: when O(scanners) and O(username) are set
  type: list
  elements: dict
  sample: [{name: Trivy, url: "http://trivy-adapter:8080", is_default: true, disabled: false, health: healthy}]
default_scanner:
  description: The name of the default scanner, null when there is none.
  returned: when O(scanners) and O(username) are set
  type: str
  sample: Trivy
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, fail_with)

# What a scanner registration may say about itself; its credentials (access_credential) are left out.
SCANNER_FIELDS = ('uuid', 'name', 'description', 'url', 'is_default', 'disabled', 'health', 'adapter', 'vendor',
                  'version', 'use_internal_addr')


def scanner_health(client, scanner):
    """healthy when Harbor reaches the scanner for its metadata (Harbor's list leaves health empty), else
    unhealthy; disabled for a registration that is turned off."""
    if scanner.get('disabled'):
        return 'disabled'
    try:
        client.get('/scanners/%s/metadata' % scanner['uuid'])
    except HarborError as exc:
        if exc.status is None or exc.status >= 500:
            return 'unhealthy'
        raise
    return 'healthy'


def main():
    module = AnsibleModule(
        argument_spec=dict(argument_spec(), wait=dict(type='bool', default=False),
                           wait_timeout=dict(type='int', default=300), interval=dict(type='int', default=5),
                           scanners=dict(type='bool', default=True)),
        supports_check_mode=True,
    )
    client = HarborClient.from_module(module)
    try:
        if module.params['wait']:
            health = client.wait_healthy(module.params['wait_timeout'], module.params['interval'])
        else:
            health = client.health()
        result = dict(changed=False, healthy=health['status'] == 'healthy', health=health,
                      system_info=client.get('/systeminfo') or {})
        if module.params['scanners'] and module.params['username']:
            scanners = [dict((k, s.get(k)) for k in SCANNER_FIELDS if k in s) for s in client.get_all('/scanners')]
            for scanner in scanners:
                scanner['health'] = scanner_health(client, scanner)
            result.update(scanners=scanners,
                          default_scanner=next((s['name'] for s in scanners if s.get('is_default')), None))
    except HarborError as exc:
        fail_with(module, exc)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
