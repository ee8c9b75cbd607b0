#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_configuration
short_description: A Harbor's whole configuration through its API in one call - health, admin password, endpoints,
  projects, replication, schedules, system CVE allowlist
version_added: 0.1.0
description:
  - Does in one call, in this order, what the single Harbor modules do one at a time, with the same rules (the same
    code) and the same refusals - so that a run that changes nothing gives one result, not one per module.
  - 1. With O(wait), waits until Harbor says every component is healthy, as C(caas.platform.harbor_info) with
    C(wait) does (not in check mode).
  - 2. With O(old_password), makes O(password) the password of O(username) when it does not log in - logged in with
    O(old_password), as C(caas.platform.harbor_user) with C(old_password) does (a rotation of the admin's password).
    Every later step logs in with O(password) (in check mode, where nothing changes, with O(old_password) when
    O(password) does not log in yet).
  - 3. O(registries), each as C(caas.platform.harbor_registry); an endpoint's ping and save are tried again every
    10 seconds for O(registry_retry_timeout) seconds (core's first lookup of a name just after it starts may fail).
  - 4. O(projects), each as C(caas.platform.harbor_project).
  - 5. O(replications), each as C(caas.platform.harbor_replication) (with its run and wait).
  - 6. O(schedules), each as C(caas.platform.harbor_schedule).
  - 7. O(cve_allowlist), the system CVE allowlist, as C(caas.platform.harbor_cve_allowlist) without C(project).
  - Every step is optional. What Harbor would refuse in the options (a project name, a cron expression, an allowlist
    day that has come) is refused for every step before Harbor is asked anything.
options:
  wait:
    description: First wait until Harbor says healthy (skipped in check mode).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 300
  old_password:
    description:
      - The password Harbor has for O(username) when it may differ from O(password) (Harbor took another at its first
        start); O(password) becomes the account's password when it does not log in. Never logged or returned.
      - Omitted, no password is changed.
    type: str
  registries:
    description: Registry endpoints, each with the options of C(caas.platform.harbor_registry).
    type: list
    elements: dict
    suboptions:
      name:
        description: The endpoint's name.
        type: str
        required: true
      state:
        description: Whether the endpoint exists.
        type: str
        choices: [present, absent]
        default: present
      type:
        description: The kind of registry.
        type: str
        choices: [docker-registry, harbor, docker-hub, github-ghcr, google-gcr, aws-ecr, azure-acr, ali-acr,
                  jfrog-artifactory, quay, gitlab, huawei-SWR, tencent-tcr, volcengine-cr]
        default: docker-registry
      endpoint_url:
        description: The registry's URL. Required with O(registries[].state=present).
        type: str
      description:
        description: A description.
        type: str
        default: ''
      access_key:
        description: The login's user (or access key).
        type: str
      access_secret:
        description: The login's password (or secret). Never logged or returned.
        type: str
      update_secret:
        description: When O(registries[].access_secret) is written.
        type: str
        choices: [on_create, always]
        default: on_create
      ca_certificate:
        description: PEM of the CA that signed the registry's certificate.
        type: str
      insecure:
        description: Do not check the registry's certificate.
        type: bool
        default: false
      ping:
        description: Ask Harbor to reach the registry before saving.
        type: bool
        default: true
  registry_retry_timeout:
    description: Seconds an endpoint's ping and save are tried again for, every 10 seconds, before the module fails.
    type: int
    default: 60
  projects:
    description: Projects, each with the options of C(caas.platform.harbor_project).
    type: list
    elements: dict
    suboptions:
      name:
        description: The project's name.
        type: str
        required: true
      state:
        description: Whether the project exists (one with repositories is never deleted).
        type: str
        choices: [present, absent]
        default: present
      public:
        description: Anyone may pull from the project.
        type: bool
      auto_scan:
        description: Scan each artifact when it is pushed.
        type: bool
      prevent_vulnerable:
        description: Refuse pulls of artifacts with a vulnerability of O(projects[].severity) or worse.
        type: bool
      severity:
        description: The least severity O(projects[].prevent_vulnerable) refuses.
        type: str
        choices: [none, low, medium, high, critical]
      storage_limit:
        description: The storage quota (V(10G)), or V(-1) for none.
        type: str
      proxy_cache_registry:
        description: The registry endpoint a new project caches (a proxy cache).
        type: str
  replications:
    description: Replication policies, each with the options of C(caas.platform.harbor_replication).
    type: list
    elements: dict
    suboptions:
      name:
        description: The policy's name.
        type: str
        required: true
      state:
        description: Whether the policy exists.
        type: str
        choices: [present, absent]
        default: present
      description:
        description: A description.
        type: str
        default: ''
      direction:
        description: V(push) to O(replications[].registry), or V(pull) from it.
        type: str
        choices: [push, pull]
        default: push
      registry:
        description: The registry endpoint's name. Required with O(replications[].state=present).
        type: str
      repositories:
        description: Which repositories, a pattern.
        type: str
      tags:
        description: Which tags, a pattern.
        type: str
      destination_namespace:
        description: The namespace at the destination.
        type: str
      destination_namespace_replace_count:
        description: How many leading path components the destination namespace replaces (-1, Harbor's legacy mode).
        type: int
        default: -1
      trigger:
        description: When the policy runs.
        type: str
        choices: [manual, scheduled, event_based]
        default: manual
      cron:
        description: With V(scheduled), Harbor's cron expression of six fields.
        type: str
      override:
        description: Replace artifacts that exist at the destination.
        type: bool
        default: true
      replicate_deletion:
        description: Delete at the destination what is deleted at the source.
        type: bool
        default: false
      enabled:
        description: Whether the policy runs.
        type: bool
        default: true
      run:
        description: Start the policy once in this run.
        type: bool
        default: false
      run_when_changed:
        description: Start the policy once in this run only when it was made or changed.
        type: bool
        default: false
      wait:
        description: Wait until a started execution has finished.
        type: bool
        default: true
      timeout:
        description: Seconds to wait for a started execution.
        type: int
        default: 600
  schedules:
    description: Housekeeping schedules, each with the options of C(caas.platform.harbor_schedule).
    type: list
    elements: dict
    suboptions:
      job:
        description: V(gc), V(scan_all) or V(purge_audit).
        type: str
        choices: [gc, scan_all, purge_audit]
        required: true
      schedule:
        description: V(none) runs it never; V(custom) at O(schedules[].cron).
        type: str
        choices: [none, hourly, daily, weekly, custom]
        required: true
      cron:
        description: With V(custom), Harbor's cron expression of six fields (seconds first).
        type: str
      delete_untagged:
        description: Garbage collection also deletes artifacts without a tag.
        type: bool
        default: false
      workers:
        description: Garbage collection's parallel workers (1 to 5).
        type: int
        default: 1
      audit_retention_hours:
        description: The purge keeps the audit log's entries of the last this many hours.
        type: int
        default: 720
      audit_event_types:
        description: The event types the purge deletes old entries of; omitted, every type.
        type: list
        elements: str
  cve_allowlist:
    description: The system CVE allowlist, with the options of C(caas.platform.harbor_cve_allowlist) (without a
      project).
    type: dict
    suboptions:
      cves:
        description: The vulnerability IDs as the scanner reports them; an empty list allows none.
        type: list
        elements: str
        default: []
      expires_on:
        description: The day (C(YYYY-MM-DD), UTC) from which Harbor ignores the allowlist; empty, never.
        type: str
        default: ''
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Does not wait; reads, tries the password and pings the endpoints, and says what would change; writes
      and starts nothing.
  diff_mode:
    support: full
    description: What changed of each step, before and after, never a secret.
  platform:
    support: full
    platforms: posix
    description: Any host that reaches Harbor's URL; Harbor itself must reach the endpoints.
seealso:
  - module: caas.platform.harbor_registry
  - module: caas.platform.harbor_project
  - module: caas.platform.harbor_replication
  - module: caas.platform.harbor_schedule
  - module: caas.platform.harbor_cve_allowlist
notes:
  - Needs the admin's login.
"""

EXAMPLES = r"""
- name: Harbor healthy, the admin's password Vault's, a proxy cache of the mirror, housekeeping and the allowlist
  caas.platform.harbor_configuration:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    old_password: "{{ harbor_admin_password_previous }}"
    wait: true
    wait_timeout: 600
    registries:
      - name: mirror-cache
        endpoint_url: https://mirror.example.com:5000
        ca_certificate: "{{ lookup('ansible.builtin.file', 'site-ca.crt') }}"
    projects:
      - name: mirror-cache
        public: true
        proxy_cache_registry: mirror-cache
    schedules:
      - {job: gc, schedule: custom, cron: "0 0 3 * * 6"}
      - {job: scan_all, schedule: daily}
    cve_allowlist:
      cves: [CVE-2024-3094]
      expires_on: "2027-01-01"
"""

RETURN = r"""
health:
  description: Harbor's health by component once it said healthy, as C(caas.platform.harbor_info) returns it.
  returned: when O(wait) waited
  type: dict
password:
  description: Whether the password of O(username) was changed (would be, in check mode).
  returned: when O(old_password) is set
  type: dict
  sample: {username: admin, changed: false}
registries:
  description: Each endpoint - its name, whether it changed, and its C(before) and C(after) as
    C(caas.platform.harbor_registry) returns them (never a secret).
  returned: when O(registries) is set
  type: list
  elements: dict
  sample: [{name: mirror-cache, changed: false, before: {id: 1, name: mirror-cache},
            after: {id: 1, name: mirror-cache}}]
projects:
  description: Each project - its name, whether it changed, its C(before) and C(after) as
    C(caas.platform.harbor_project) returns them.
  returned: when O(projects) is set
  type: list
  elements: dict
replications:
  description: Each policy - its name, whether it changed, its C(before) and C(after) as
    C(caas.platform.harbor_replication) returns them, and the C(execution) it started.
  returned: when O(replications) is set
  type: list
  elements: dict
schedules:
  description: Each schedule - its job, whether it changed, its C(before) and C(after) as
    C(caas.platform.harbor_schedule) returns them.
  returned: when O(schedules) is set
  type: list
  elements: dict
cve_allowlist:
  description: The system allowlist - whether it changed, its C(before) and C(after) as
    C(caas.platform.harbor_cve_allowlist) returns them.
  returned: when O(cve_allowlist) is set
  type: dict
  sample: {changed: false, before: {cves: [], expires_on: ""}, after: {cves: [], expires_on: ""}}
"""

import functools
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, allowlist_problems, argument_spec, failure_fields, retried)
from ansible_collections.caas.platform.plugins.module_utils.harbor_allowlists import (
    allowlist_options, apply_allowlist)
from ansible_collections.caas.platform.plugins.module_utils.harbor_projects import (
    apply_project, project_options, project_problems)
from ansible_collections.caas.platform.plugins.module_utils.harbor_registries import (
    REQUIRED_IF as REGISTRY_REQUIRED_IF, REQUIRED_TOGETHER as REGISTRY_REQUIRED_TOGETHER, apply_registry,
    registry_options)
from ansible_collections.caas.platform.plugins.module_utils.harbor_replications import (
    REQUIRED_IF as REPLICATION_REQUIRED_IF, apply_replication, replication_options, replication_problems)
from ansible_collections.caas.platform.plugins.module_utils.harbor_schedules import (
    REQUIRED_IF as SCHEDULE_REQUIRED_IF, apply_schedule, schedule_options, schedule_problems)
from ansible_collections.caas.platform.plugins.module_utils.harbor_users import (
    change_password, find_user, password_works)

# Seconds between two tries of an endpoint's ping and save.
REGISTRY_RETRY_INTERVAL = 10


def items(element_options, **checks):
    return dict(type='list', elements='dict', options=element_options, **checks)


def module_spec():
    system_allowlist = allowlist_options()
    for project_only in ('project', 'use_system'):
        del system_allowlist[project_only]
    return dict(
        argument_spec(),
        wait=dict(type='bool', default=False),
        wait_timeout=dict(type='int', default=300),
        old_password=dict(type='str', no_log=True),
        registries=items(registry_options(), required_if=REGISTRY_REQUIRED_IF,
                         required_together=REGISTRY_REQUIRED_TOGETHER),
        registry_retry_timeout=dict(type='int', default=60),
        projects=items(project_options()),
        replications=items(replication_options(), required_if=REPLICATION_REQUIRED_IF),
        schedules=items(schedule_options(), required_if=SCHEDULE_REQUIRED_IF),
        cve_allowlist=dict(type='dict', options=system_allowlist),
    )


def problems(params, today):
    """What Harbor would refuse in any step's options, each after the step and item it is in."""
    found = []
    if params['old_password'] is not None and not params['username']:
        found.append('old_password is set without username and password: give the account whose password changes '
                     '(the admin) and the password it gets')
    checks = (('projects', 'name', project_problems), ('replications', 'name', replication_problems),
              ('schedules', 'job', schedule_problems))
    for section, key, check in checks:
        for item in params[section] or []:
            found.extend('%s %s: %s' % (section, item[key], problem) for problem in check(item))
    if params['cve_allowlist'] is not None:
        found.extend('cve_allowlist: ' + problem for problem in allowlist_problems(
            params['cve_allowlist']['cves'], params['cve_allowlist']['expires_on'], today))
    return found


class Configuration(object):
    """The steps in their order, each recording what it changed into the result."""

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.result = dict(changed=False)
        self.diff = dict(before={}, after={})
        # In check mode, the endpoints this call would have made: the projects and policies after may name them.
        self.planned_endpoints = set()

    def record(self, section, label, outcome):
        """One item's outcome (changed, before, after[, execution]) into the result, under its section."""
        changed, before, after = outcome[:3]
        entry = dict(label, changed=changed, before=before, after=after)
        if len(outcome) > 3 and outcome[3] is not None:
            entry['execution'] = outcome[3]
        self.result.setdefault(section, []).append(entry)
        self.note(section, label, changed, before, after)

    def note(self, section, label, changed, before, after):
        if changed:
            self.result['changed'] = True
            key = ' '.join(str(v) for v in label.values()) or section
            self.diff['before'].setdefault(section, {})[key] = before
            self.diff['after'].setdefault(section, {})[key] = after

    def wait(self):
        params = self.module.params
        if params['wait'] and not self.module.check_mode:
            # /health answers without a login, as harbor_info's wait asks it.
            self.result['health'] = self.client.as_user(None, None).wait_healthy(params['wait_timeout'])

    def password(self):
        params = self.module.params
        if params['old_password'] is None:
            return
        username = params['username']
        changed = not password_works(self.client, username, params['password'])
        if changed:
            login = self.client.as_user(username, params['old_password'])
            user = find_user(login, username)
            if not user:
                raise HarborError('user %s does not exist in Harbor: its password cannot change' % username)
            change_password(login, user, params['password'], params['old_password'], True, self.module.check_mode)
            if self.module.check_mode:
                # Nothing changed: the steps after read with the password Harbor still has.
                self.client = login
        self.result['password'] = dict(username=username, changed=changed)
        # The diff says whether the wanted password logs in, never a password.
        self.note('password', {'username': username}, changed, {'password_logs_in': False}, {'password_logs_in': True})

    def registries(self):
        for item in self.module.params['registries'] or []:
            apply = functools.partial(apply_registry, self.client, item, self.module.check_mode)
            outcome = retried(apply, self.module.params['registry_retry_timeout'], REGISTRY_RETRY_INTERVAL)
            if self.module.check_mode and outcome[1] == {} and outcome[2]:
                self.planned_endpoints.add(item['name'])
            self.record('registries', {'name': item['name']}, outcome)

    def projects(self):
        for item in self.module.params['projects'] or []:
            self.record('projects', {'name': item['name']},
                        apply_project(self.client, item, self.module.check_mode, self.planned_endpoints))

    def replications(self):
        for item in self.module.params['replications'] or []:
            self.record('replications', {'name': item['name']},
                        apply_replication(self.client, item, self.module.check_mode, self.planned_endpoints))

    def schedules(self):
        for item in self.module.params['schedules'] or []:
            self.record('schedules', {'job': item['job']}, apply_schedule(self.client, item, self.module.check_mode))

    def cve_allowlist(self):
        wanted = self.module.params['cve_allowlist']
        if wanted is None:
            return
        changed, before, after = apply_allowlist(self.client, dict(wanted, project=None, use_system=False),
                                                 self.module.check_mode)
        self.result['cve_allowlist'] = dict(changed=changed, before=before, after=after)
        self.note('cve_allowlist', {}, changed, before, after)

    def run(self):
        for step in (self.wait, self.password, self.registries, self.projects, self.replications, self.schedules,
                     self.cve_allowlist):
            try:
                step()
            except HarborError as exc:
                fields = failure_fields(exc)
                # What the steps before changed stays reported (a refusal's own changed included).
                changed = self.result['changed'] or bool(fields.pop('changed', False))
                self.module.fail_json(msg='%s: %s' % (step.__name__, exc),
                                      **dict(self.result, changed=changed, **fields))
        if self.module._diff:
            self.result['diff'] = self.diff
        self.module.exit_json(**self.result)


def main():
    module = AnsibleModule(argument_spec=module_spec(), supports_check_mode=True)
    found = problems(module.params, time.time())
    if found:
        module.fail_json(msg='; '.join(found))
    Configuration(module, HarborClient.from_module(module)).run()


if __name__ == '__main__':
    main()
