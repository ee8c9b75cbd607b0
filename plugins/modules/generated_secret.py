#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: generated_secret
short_description: Keep a component's generated credentials in a Kubernetes Secret, made once on the node
version_added: 0.1.0
description:
  - Reads the Secret O(name) in O(namespace) from a control-plane node, makes the O(values) it lacks there (random
    tokens, bcrypt htpasswd lines, RSA keys, self-signed certificates) and applies the Secret by server-side apply.
  - A value the Secret has is kept as long as it fits (a token of the length asked; an htpasswd line of the password
    it derives from as that is now; a certificate of its key), so a second run changes nothing and a component's
    stored credentials stay valid. A value that does not fit is made again, and so is every value derived from it.
  - The values are made on the node and go to kubectl in a private file; they are never in the module's result,
    in a message or on a command line. The result names the keys made and kept.
options:
  namespace:
    description: The Secret's namespace; it must exist.
    type: str
    required: true
  name:
    description: The Secret's name.
    type: str
    required: true
  labels:
    description: The Secret's labels.
    type: dict
    default: {}
  values:
    description: The values the Secret holds, in order (a derived value names a key before it).
    type: list
    elements: dict
    required: true
    suboptions:
      key:
        description: The key in the Secret's data.
        type: str
        required: true
      kind:
        description:
          - V(token) is O(values[].length) random letters and digits.
          - V(htpasswd) is C(<user>:<bcrypt hash>) of the value of O(values[].from), for an htpasswd file.
          - V(rsa_private_key) is a new RSA key of O(values[].bits) bits (PEM).
          - V(self_signed_certificate) is a certificate of the key O(values[].from), valid O(values[].days) days.
        type: str
        choices: [token, htpasswd, rsa_private_key, self_signed_certificate]
        required: true
      length:
        description: The length of a V(token).
        type: int
        default: 32
      user:
        description: The user name of an V(htpasswd) line.
        type: str
      from:
        description: The key whose value an V(htpasswd) line or a V(self_signed_certificate) derives from.
        type: str
      bits:
        description: The size of an V(rsa_private_key).
        type: int
        default: 4096
      common_name:
        description: The subject common name of a V(self_signed_certificate).
        type: str
      days:
        description: How long a V(self_signed_certificate) is valid.
        type: int
        default: 3650
extends_documentation_fragment:
  - caas.platform.kubeadm.kubectl
  - caas.platform.kubeadm.cluster
  - caas.platform.kubeadm.api_wait
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the Secret and says whether values would be made (the server's dry run of the apply); makes
      and applies nothing.
  diff_mode:
    support: partial
    description: Names the keys that would be made, never their values.
  platform:
    support: full
    platforms: posix
    description: A control-plane node with kubectl, a kubeconfig, openssl and libcrypt (libxcrypt).
notes:
  - Removing a key from O(values) does not remove it from the Secret.
seealso:
  - module: caas.platform.kubectl_apply
"""

EXAMPLES = r"""
- name: Harbor's internal credentials, made once
  caas.platform.generated_secret:
    namespace: harbor
    name: harbor-internal
    values:
      - {key: CORE_SECRET, kind: token, length: 16}
      - {key: REGISTRY_PASSWORD, kind: token, length: 32}
      - {key: REGISTRY_HTPASSWD, kind: htpasswd, user: harbor_registry_user, from: REGISTRY_PASSWORD}
      - {key: TOKEN_KEY, kind: rsa_private_key}
      - {key: TOKEN_CERT, kind: self_signed_certificate, from: TOKEN_KEY, common_name: harbor-token-service}
"""

RETURN = r"""
made:
  description: The keys whose values were made in this run (or would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [REGISTRY_PASSWORD, REGISTRY_HTPASSWD]
kept:
  description: The keys whose values the Secret had and kept.
  returned: always
  type: list
  elements: str
  sample: [CORE_SECRET, TOKEN_KEY, TOKEN_CERT]
"""

import base64
import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import argument_spec
from ansible_collections.caas.platform.plugins.module_utils.generated_secrets import KINDS, GenerationError, plan
from ansible_collections.caas.platform.plugins.module_utils.kubectl import (
    KubectlError, ManifestFile, base_argv, checked, list_document, server_side_apply)


def read_data(module, params):
    """The Secret's data, decoded ({} when there is no such Secret)."""
    argv = base_argv(params['kubectl_path'], params['kubeconfig']) + [
        'get', 'secret', params['name'], '-n', params['namespace'], '--ignore-not-found', '-o', 'json']
    stdout = checked(module, argv)
    if not stdout.strip():
        return {}
    data = json.loads(stdout).get('data') or {}
    return dict((key, base64.b64decode(value).decode('utf-8')) for key, value in data.items())


def main():
    spec = argument_spec('kubectl', 'cluster', 'api_wait')
    spec.update(
        namespace=dict(type='str', required=True),
        name=dict(type='str', required=True),
        labels=dict(type='dict', default={}),
        values=dict(type='list', elements='dict', required=True, options={
            'key': dict(type='str', required=True, no_log=False),
            'kind': dict(type='str', required=True, choices=list(KINDS)),
            'length': dict(type='int', default=32),
            'user': dict(type='str'),
            'from': dict(type='str'),
            'bits': dict(type='int', default=4096),
            'common_name': dict(type='str'),
            'days': dict(type='int', default=3650),
        }, required_if=[('kind', 'htpasswd', ('user', 'from')),
                        ('kind', 'self_signed_certificate', ('from', 'common_name'))]),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params

    def run(argv, data=None):
        return module.run_command(argv, data=data, binary_data=True)

    try:
        current = read_data(module, params)
        data, made = plan(params['values'], current, run)
        secret = {'apiVersion': 'v1', 'kind': 'Secret', 'type': 'Opaque',
                  'metadata': {'name': params['name'], 'namespace': params['namespace'], 'labels': params['labels']},
                  'data': dict((key, base64.b64encode(value.encode('utf-8')).decode('ascii'))
                               for key, value in {**current, **data}.items())}
        with ManifestFile(list_document([secret])) as path:
            changed, _diff, _names = server_side_apply(module, params['kubectl_path'], params['kubeconfig'], path,
                                                       'caas-platform', False, module.check_mode)
    except (GenerationError, KubectlError, ValueError, UnicodeDecodeError) as error:
        module.fail_json(msg='Secret %s/%s: %s' % (params['namespace'], params['name'], error))
    result = dict(changed=changed, made=made, kept=[v['key'] for v in params['values'] if v['key'] not in made])
    if module._diff and made:
        result['diff'] = dict(before='', after=''.join('%s: (made)\n' % key for key in made))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
