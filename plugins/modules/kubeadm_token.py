#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: kubeadm_token
short_description: Create, reuse and delete kubeadm bootstrap tokens, and give what a join needs
version_added: 0.1.0
description:
  - Runs on a control-plane node (C(admin.conf)). Reads the cluster's bootstrap tokens (C(kubeadm token list)).
  - C(present) without O(token) reuses a token with the same O(description) that stays valid for at least
    O(min_validity), or creates one (C(kubeadm token create)) that expires after O(ttl). With O(token), that token
    exists afterwards.
  - C(absent) deletes the token O(token), or every token with the O(description).
  - Returns what a join needs besides the token, the discovery hash of the cluster CA's public key and the API
    endpoint of C(admin.conf).
  - Errors carry kubeadm's own message.
options:
  state:
    description: Whether the token should exist.
    type: str
    choices: [present, absent]
    default: present
  token:
    description: A token of the form C([a-z0-9]{6}.[a-z0-9]{16}). Without it, O(description) finds the token.
    type: str
  description:
    description: What the token is for; with O(state=present) and no O(token), the tokens reused are those with this
      description.
    type: str
    default: caas.platform join
  ttl:
    description: How long a created token is valid (a Go duration such as C(30m), C(2h)). C(0) (never expires) is
      refused.
    type: str
    default: 1h
  min_validity:
    description: A token with this description is reused only when it stays valid for at least this long.
    type: str
    default: 20m
  ca_cert:
    description: The cluster CA certificate, whose public key hash is returned.
    type: path
    default: /etc/kubernetes/pki/ca.crt
extends_documentation_fragment:
  - caas.platform.kubeadm
  - caas.platform.kubeadm.cluster
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the tokens and reports what would be created or deleted; a token that would be created is
      not returned.
  diff_mode:
    support: none
    description: Tokens are secrets; no diff is shown.
  platform:
    support: full
    platforms: posix
    description: A control-plane node with kubeadm.
notes:
  - The returned RV(token) is a secret; give the task C(no_log) (the module cannot hide a value it returns for use).
seealso:
  - module: caas.platform.kubeadm_join
"""

EXAMPLES = r"""
- name: A token for the joins of this run (reused while it has 20 minutes left)
  caas.platform.kubeadm_token:
    description: caas.platform join
    ttl: 1h
  register: join
  no_log: true

- name: Delete the join tokens once every node has joined
  caas.platform.kubeadm_token:
    state: absent
    description: caas.platform join
"""

RETURN = r"""
token:
  description: The token (a secret); empty in check mode when it would be created, and with O(state=absent).
  returned: always
  type: str
  sample: abcdef.0123456789abcdef
token_id:
  description: The public part of the token.
  returned: always
  type: str
  sample: abcdef
expires:
  description: When the token expires (RFC 3339), as kubeadm reports it.
  returned: when O(state=present) and the token exists
  type: str
  sample: "2026-11-21T12:00:00Z"
deleted:
  description: The IDs of the tokens deleted.
  returned: when O(state=absent)
  type: list
  elements: str
ca_cert_hashes:
  description: The discovery hash of the cluster CA's public key, for C(discovery.bootstrapToken.caCertHashes).
  returned: always
  type: list
  elements: str
  sample: [sha256:2f1b1e1b0e7d6c7e1f1b7b5e3c9b7e0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f]
api_server_endpoint:
  description: The host:port of the API in O(kubeconfig) (the control-plane endpoint a join discovers).
  returned: always
  type: str
  sample: 10.0.1.10:6443
"""

import datetime
import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError, argument_spec, run
from ansible_collections.caas.platform.plugins.module_utils.kubeadm import ca_cert_hash, json_stream, parse_duration

TOKEN_RE = re.compile(r'^[a-z0-9]{6}\.[a-z0-9]{16}$')


def parse_time(text):
    return datetime.datetime.strptime(text.replace('Z', '+0000'), '%Y-%m-%dT%H:%M:%S%z')


def list_tokens(module):
    params = module.params
    _rc, stdout, _stderr = run(module, [params['kubeadm_path'], 'token', 'list', '-o', 'json',
                                        '--kubeconfig', params['kubeconfig']])
    return [t for t in json_stream(stdout) if isinstance(t, dict) and t.get('token')]


def api_endpoint(kubeconfig):
    with open(kubeconfig) as handle:
        match = re.search(r'^\s*server:\s*https://(\S+?)/?\s*$', handle.read(), re.M)
    return match.group(1) if match else ''


def main():
    module = AnsibleModule(
        argument_spec=dict(
            **argument_spec('kubeadm', 'cluster'),
            state=dict(type='str', choices=['present', 'absent'], default='present'),
            token=dict(type='str', no_log=True),
            description=dict(type='str', default='caas.platform join'),
            ttl=dict(type='str', default='1h'),
            min_validity=dict(type='str', default='20m'),
            ca_cert=dict(type='path', default='/etc/kubernetes/pki/ca.crt'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params['token'] is not None and not TOKEN_RE.match(params['token']):
        module.fail_json(msg='token: not a bootstrap token; it must look like abcdef.0123456789abcdef '
                             '([a-z0-9]{6}.[a-z0-9]{16})')
    try:
        ttl, min_validity = parse_duration(params['ttl']), parse_duration(params['min_validity'])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    if ttl <= 0:
        module.fail_json(msg='ttl: %s would make a token that never expires; give a duration such as 1h'
                         % params['ttl'])
    if params['state'] == 'present' and ttl <= min_validity:
        module.fail_json(msg='ttl (%s) must be longer than min_validity (%s), or every run makes a new token'
                         % (params['ttl'], params['min_validity']))
    try:
        with open(params['ca_cert']) as handle:
            hashes = [ca_cert_hash(handle.read())]
        endpoint = api_endpoint(params['kubeconfig'])
        tokens = list_tokens(module)
    except (IOError, OSError, ValueError) as exc:
        module.fail_json(msg='cannot read the cluster CA or kubeconfig: %s' % exc)
    except CommandError as exc:
        module.fail_json(msg=str(exc))
    result = dict(changed=False, ca_cert_hashes=hashes, api_server_endpoint=endpoint, token='', token_id='')
    now = datetime.datetime.now(datetime.timezone.utc)

    try:
        if params['state'] == 'absent':
            gone = [t for t in tokens if (t['token'] == params['token'] if params['token']
                                          else t.get('description') == params['description'])]
            result['deleted'] = [t['token'].split('.')[0] for t in gone]
            if gone and not module.check_mode:
                run(module, [params['kubeadm_path'], 'token', 'delete', '--kubeconfig', params['kubeconfig']]
                    + result['deleted'])
            result['changed'] = bool(gone)
            module.exit_json(**result)

        def usable(t):
            if params['token']:
                return t['token'] == params['token']
            expires = t.get('expires')
            return (t.get('description') == params['description'] and expires is not None
                    and (parse_time(expires) - now).total_seconds() >= min_validity)

        found = [t for t in tokens if usable(t)]
        if found:
            best = max(found, key=lambda t: t.get('expires') or '')
            result.update(token=best['token'], token_id=best['token'].split('.')[0], expires=best.get('expires'))
            module.exit_json(**result)
        result['changed'] = True
        if module.check_mode:
            module.exit_json(**result)
        argv = [params['kubeadm_path'], 'token', 'create', '--kubeconfig', params['kubeconfig'],
                '--ttl', params['ttl'], '--description', params['description']]
        if params['token']:
            argv.insert(3, params['token'])
        _rc, stdout, _stderr = run(module, argv)
        created = stdout.strip().splitlines()[-1].strip()
        made = [t for t in list_tokens(module) if t['token'] == created]
        result.update(token=created, token_id=created.split('.')[0],
                      expires=made[0].get('expires') if made else None)
    except CommandError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
