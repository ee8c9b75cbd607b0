# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: endpoint_port
short_description: The TCP port a URL or a HOST[:PORT] endpoint is served on
version_added: 0.1.0
description:
  - The one rule for the port of the files repository (C(caas_files_repo_url), a URL) and of the registry mirror
    (C(caas_registry_mirror), C(HOST[:PORT])) - the port the artifacts host listens on and the host firewall opens.
  - A URL without a port is served on its scheme's (443 for https, 80 for http); C(HOST) alone on 443 (registries
    speak HTTPS).
  - An empty value gives 0 (nothing served).
options:
  _input:
    description: A URL (C(https://artifacts.dc1.example.com:8443/files)) or C(HOST[:PORT]).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The files repository's port
  ansible.builtin.debug:
    msg: "{{ 'https://artifacts.dc1.example.com/files' | caas.platform.endpoint_port }}"  # 443
"""

RETURN = r"""
_value:
  description: The port; 0 for an empty input.
  type: int
"""

import urllib.parse

from ansible.errors import AnsibleFilterError

SCHEME_PORTS = {'https': 443, 'http': 80}


def endpoint_port(endpoint):
    endpoint = '' if endpoint is None else str(endpoint).strip()
    if not endpoint:
        return 0
    if '://' in endpoint:
        parts = urllib.parse.urlsplit(endpoint)
        try:
            port = parts.port
        except ValueError as error:
            raise AnsibleFilterError('endpoint_port: %r has a bad port: %s' % (endpoint, error))
        if port:
            return port
        if parts.scheme not in SCHEME_PORTS:
            raise AnsibleFilterError('endpoint_port: %r is neither an http nor an https URL' % endpoint)
        return SCHEME_PORTS[parts.scheme]
    host, _sep, port = endpoint.rpartition(':') if ':' in endpoint else (endpoint, '', '')
    if not port:
        return 443
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise AnsibleFilterError('endpoint_port: %r is not HOST[:PORT]' % endpoint)
    return int(port)


class FilterModule(object):
    def filters(self):
        return {'endpoint_port': endpoint_port}
