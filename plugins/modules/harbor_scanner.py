#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_scanner
short_description: Harbor's scanner registrations - the vulnerability scanners Harbor sends images to, and its default
version_added: 0.1.0
description:
  - Makes a scanner registration of Harbor what the options say - the adapter's URL, how Harbor logs in to it, whether
    it pulls through Harbor's internal address, whether it is turned off - and, with O(default), makes it the scanner
    projects use unless they chose another. Changed only when Harbor's registration differed.
  - An option left unset keeps what an existing registration has (a new one gets the default the option names), so
    O(name) and O(default=true) alone make an existing registration the default and change nothing else.
  - Before a registration is made or its URL or login change, Harbor is asked to reach the adapter with them
    (C(/scanners/ping)); an adapter Harbor cannot reach is refused with Harbor's reason and nothing is saved.
  - Harbor never returns a stored credential, so O(access_credential) is written when the registration is made, and
    again only with O(update_credential=always) (which then always reports a change).
  - Refused before anything changes - turning off or deleting the default scanner (make another one the default first),
    and O(default=false) on the default one (Harbor always has one default; set O(default=true) on the other).
  - The Trivy that Harbor's core registers itself from its configuration (the role's) is immutable in Harbor - Harbor
    refuses to change or delete it, and the module reports Harbor's refusal - but it can be made the default again.
options:
  name:
    description: The registration's name (what projects choose and the portal shows).
    type: str
    required: true
  state:
    description: Whether the registration exists.
    type: str
    choices: [present, absent]
    default: present
  endpoint_url:
    description: The scanner adapter's base URL, as Harbor's core reaches it (C(http://harbor-trivy:8080) in the
      cluster). Required to make a registration.
    type: str
  description:
    description: A description (a new registration's is empty).
    type: str
  auth:
    description: How Harbor authenticates to the adapter - V(none) (a new registration's), or the C(Authorization)
      header V(Basic) or V(Bearer), or the API key header V(X-ScannerAdapter-API-Key), whose value is
      O(access_credential).
    type: str
    choices: [none, Basic, Bearer, X-ScannerAdapter-API-Key]
  access_credential:
    description: The header's value for O(auth) (for V(Basic), C(base64(user:password))). Never logged or returned.
      Required when O(auth) other than V(none) is set on a new registration or changes.
    type: str
  update_credential:
    description: V(on_create) writes O(access_credential) when the registration is made; V(always) writes it on every
      run.
    type: str
    choices: [on_create, always]
    default: on_create
  skip_cert_verify:
    description: Do not check the adapter's certificate (a new registration checks it). Leave it off.
    type: bool
  use_internal_addr:
    description: The adapter pulls the images to scan through Harbor's internal registry address instead of its
      external URL (an adapter in the same cluster; a new registration uses the external URL).
    type: bool
  disabled:
    description: Turn the registration off (kept, not used; a new registration is on). The default scanner cannot be
      turned off.
    type: bool
  default:
    description: V(true) makes this registration Harbor's default scanner. Unset, the default is left as it is.
    type: bool
  ping:
    description: Ask Harbor to reach the adapter with these settings before saving them.
    type: bool
    default: true
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the registration (and pings the adapter) and says what would change; writes nothing.
  diff_mode:
    support: full
    description: The registration's settings before and after, without the credential.
  platform:
    support: full
    platforms: posix
    description: Any host that reaches Harbor's URL; Harbor itself must reach the adapter.
"""

EXAMPLES = r"""
- name: A second Trivy adapter, run by the security team, as the default scanner
  caas.platform.harbor_scanner:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: trivy-security
    endpoint_url: http://trivy-adapter.security.svc:8080
    auth: X-ScannerAdapter-API-Key
    access_credential: "{{ trivy_adapter_api_key }}"
    use_internal_addr: true
    default: true

- name: Harbor's own Trivy the default again, its settings left as they are
  caas.platform.harbor_scanner:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: Trivy
    default: true
"""

RETURN = r"""
scanner:
  description: The registration as Harbor has it after the run, without its credential (nothing when it is absent).
  returned: always
  type: dict
  sample: {uuid: 8a0b6c1e-5d2f-11ef-9d3b-0242ac120002, name: trivy-security, url: "http://trivy-adapter.security.svc:8080",
           description: '', auth: X-ScannerAdapter-API-Key, skip_cert_verify: false, use_internal_addr: true,
           disabled: false, default: true}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)

# The settings compared with Harbor's: the module's option, the summary's key, Harbor's name in the request, and
# what a new registration gets when the option is unset.
SETTINGS = (('endpoint_url', 'url', 'url', None), ('description', 'description', 'description', ''),
            ('auth', 'auth', 'auth', 'none'), ('skip_cert_verify', 'skip_cert_verify', 'skip_certVerify', False),
            ('use_internal_addr', 'use_internal_addr', 'use_internal_addr', False),
            ('disabled', 'disabled', 'disabled', False))


def find_scanner(client, name):
    return next((s for s in client.get_all('/scanners', query={'q': 'name=%s' % name}) if s.get('name') == name), None)


def summary(scanner):
    if not scanner:
        return {}
    return dict(uuid=scanner.get('uuid'), name=scanner.get('name'), url=(scanner.get('url') or '').rstrip('/'),
                description=scanner.get('description') or '', auth=scanner.get('auth') or 'none',
                skip_cert_verify=bool(scanner.get('skip_certVerify')),
                use_internal_addr=bool(scanner.get('use_internal_addr')), disabled=bool(scanner.get('disabled')),
                default=bool(scanner.get('is_default')))


def wanted_settings(params, before):
    """The registration's settings after the run, by the summary's keys: each option given, else what Harbor has, else
    what a new registration gets."""
    wanted = {}
    for option, key, _harbor, new in SETTINGS:
        value = params[option]
        wanted[key] = value if value is not None else before.get(key, new)
    if wanted['url']:
        wanted['url'] = wanted['url'].rstrip('/')
    return wanted


def problems(params, before, wanted):
    """What is refused before Harbor is asked to change anything (each naming the option, its value and the fix)."""
    found = []
    is_default = bool(before.get('default'))
    if params['state'] == 'absent':
        if is_default:
            found.append('scanner %s is Harbor\'s default, so it is not deleted: make another registration the default '
                         'first (default: true on it)' % params['name'])
        return found
    if not before and not params['endpoint_url']:
        found.append('endpoint_url is not set and Harbor has no scanner %s: give the adapter\'s URL to make it'
                     % params['name'])
    if params['default'] is False and is_default:
        found.append('default is false, but %s is Harbor\'s default scanner and Harbor always has one: set default: '
                     'true on the registration that should take over instead' % params['name'])
    if wanted['disabled'] and (is_default or params['default']):
        found.append('disabled is true for %s, which is (or would become) the default scanner: make another '
                     'registration the default first, or set disabled: false' % params['name'])
    if wanted['auth'] != 'none' and not params['access_credential'] and wanted['auth'] != before.get('auth'):
        found.append('auth is %s but access_credential is not set: give the header value the adapter expects, or '
                     'auth: none' % wanted['auth'])
    return found


def main():
    spec = argument_spec()
    spec.update(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        endpoint_url=dict(type='str'),
        description=dict(type='str'),
        auth=dict(type='str', choices=['none', 'Basic', 'Bearer', 'X-ScannerAdapter-API-Key']),
        access_credential=dict(type='str', no_log=True),
        update_credential=dict(type='str', choices=['on_create', 'always'], default='on_create'),
        skip_cert_verify=dict(type='bool'),
        use_internal_addr=dict(type='bool'),
        disabled=dict(type='bool'),
        default=dict(type='bool'),
        ping=dict(type='bool', default=True),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    client = HarborClient.from_module(module)
    changed = False
    try:
        scanner = find_scanner(client, params['name'])
        before = summary(scanner)
        wanted = wanted_settings(params, before)
        refused = problems(params, before, wanted)
        if refused:
            module.fail_json(msg='; '.join(refused) + '. Nothing was changed.', scanner=before)
        if params['state'] == 'absent':
            if scanner:
                changed = True
                if not module.check_mode:
                    client.request('DELETE', '/scanners/%s' % scanner['uuid'])
            after = {}
        else:
            differs = [k for k, v in wanted.items() if not scanner or before.get(k) != v]
            write_credential = wanted['auth'] != 'none' and bool(params['access_credential']) and (
                not scanner or params['update_credential'] == 'always' or 'auth' in differs)
            body = dict((harbor, wanted[key]) for _option, key, harbor, _new in SETTINGS)
            body.update(name=params['name'], auth='' if wanted['auth'] == 'none' else wanted['auth'])
            if write_credential:
                # Left out, Harbor keeps the stored credential.
                body['access_credential'] = params['access_credential']
            if params['ping'] and (not scanner or write_credential or 'url' in differs or 'auth' in differs):
                ping = dict((k, body[k]) for k in ('name', 'url', 'auth', 'access_credential') if k in body)
                try:
                    client.request('POST', '/scanners/ping', body=ping)
                except HarborError as exc:
                    module.fail_json(msg='Harbor cannot reach scanner %s at %s with these settings, so nothing was '
                                         'saved: %s' % (params['name'], wanted['url'], exc), scanner=before)
            if not scanner:
                changed = True
                if not module.check_mode:
                    client.request('POST', '/scanners', body=body, expect=(201,))
                    scanner = find_scanner(client, params['name'])
            elif differs or write_credential:
                changed = True
                if not module.check_mode:
                    client.request('PUT', '/scanners/%s' % scanner['uuid'], body=body)
            after = dict(before, name=params['name'], **wanted)
            after['default'] = bool(before.get('default'))
            if params['default'] and not after['default']:
                changed = True
                after['default'] = True
                if not module.check_mode:
                    client.request('PATCH', '/scanners/%s' % scanner['uuid'], body=dict(is_default=True))
            if changed and not module.check_mode:
                after = summary(find_scanner(client, params['name']))
    except HarborError as exc:
        fail_with(module, exc)
    exit_with(module, changed, 'scanner', before, after)


if __name__ == '__main__':
    main()
