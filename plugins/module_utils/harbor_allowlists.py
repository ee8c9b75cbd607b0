# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor's CVE allowlists (the system's, a project's own), as caas.platform.harbor_cve_allowlist and
caas.platform.harbor_configuration set them."""

from __future__ import annotations

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    allowlist_problems, expiry_day, expiry_seconds)

SYSTEM = '/system/CVEAllowlist'


def allowlist_options():
    """An allowlist's options (without the connection's)."""
    return dict(project=dict(type='str'), cves=dict(type='list', elements='str', default=[]),
                expires_on=dict(type='str', default=''), use_system=dict(type='bool', default=False))


def allowlist_summary(allowlist):
    """A Harbor allowlist (items of cve_id, expires_at) as the modules compare and return it."""
    allowlist = allowlist or {}
    return dict(cves=sorted(item.get('cve_id') for item in allowlist.get('items') or []),
                expires_on=expiry_day(allowlist.get('expires_at')))


def project_allowlist_summary(project):
    """A project's own allowlist, and whether it uses the system's instead (Harbor keeps "true" or "false" as text;
    a project without the key uses the system allowlist)."""
    uses_system = str((project.get('metadata') or {}).get('reuse_sys_cve_allowlist', 'true')).lower() == 'true'
    return dict(allowlist_summary(project.get('cve_allowlist')), use_system=uses_system)


def allowlist_option_problems(params, today):
    """What is wrong with the wanted allowlist (allowlist_options), each naming the option, the value and the fix;
    today in seconds since the epoch."""
    found = []
    cves = params['cves']
    if params['use_system'] and not params['project']:
        found.append('use_system is true without a project: only a project can use the system allowlist; give '
                     'project, or leave use_system false to set the system allowlist')
    if params['use_system'] and cves:
        found.append('cves has %d IDs while use_system is true: a project that uses the system allowlist has no '
                     'list of its own to set; give cves: [] or use_system: false' % len(cves))
    found.extend(allowlist_problems(cves, params['expires_on'], today))
    return found


def apply_allowlist(client, params, check_mode):
    """(changed, before, after) of setting the allowlist params (allowlist_options, without
    allowlist_option_problems) say: the system's without a project, else the project's."""
    wanted = dict(cves=sorted(params['cves']), expires_on=params['expires_on'])
    body = dict(items=[dict(cve_id=c) for c in params['cves']], expires_at=expiry_seconds(params['expires_on']))
    if not params['project']:
        before = allowlist_summary(client.get(SYSTEM))
        changed = before != wanted
        if changed and not check_mode:
            client.request('PUT', SYSTEM, body=body)
            wanted = allowlist_summary(client.get(SYSTEM))
        return changed, before, wanted
    project = client.project(params['project'])
    before = project_allowlist_summary(project)
    if params['use_system']:
        wanted = dict(before, use_system=True)
        update = dict(metadata=dict(reuse_sys_cve_allowlist='true'))
    else:
        wanted = dict(wanted, use_system=False)
        update = dict(metadata=dict(reuse_sys_cve_allowlist='false'),
                      cve_allowlist=dict(body, project_id=project['project_id']))
    changed = before != wanted
    if changed and not check_mode:
        client.request('PUT', '/projects/%s' % project['project_id'], body=update)
        wanted = project_allowlist_summary(client.project(params['project']))
    return changed, before, wanted
