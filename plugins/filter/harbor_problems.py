# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: harbor_problems
short_description: What is wrong with the harbor role's settings, and what the cluster lacks for them
version_added: 0.1.0
description:
  - Takes the role's settings by name and returns one message per problem (empty when there is none), so that the
    role refuses them before anything changes.
  - C(harbor_external_url) an C(https://) URL of a host name or address with an optional port and nothing after
    it (Harbor puts it in the token realm it hands out); C(harbor_registry_storage) C(bucket) or C(volume);
    C(harbor_trivy_db_repository) C(<registry>/<path>); C(harbor_admin_password) set and as Harbor requires
    (8 characters or more with an upper-case letter, a lower-case letter and a digit; never shown in a message);
    C(harbor_tls_cert_file) and C(harbor_tls_key_file) files on the controller; C(harbor_node_port) in Kubernetes'
    NodePort range (30000-32767); each of C(harbor_proxy_caches) and C(harbor_publications) with a C(project) Harbor
    accepts (lower case letters, digits, C(.), C(_) and C(-); one project in one list only), an C(https://)
    C(endpoint_url) and, when set, a C(ca_file) on the controller, each publication's C(cron) six fields;
    C(harbor_database_password) set when C(harbor_database_host) is, C(harbor_database_port) and
    C(harbor_redis_port) TCP ports; C(harbor_gc_cron), C(harbor_scan_all_cron) and C(harbor_audit_purge_cron) six
    fields or empty, C(harbor_audit_retention_hours) 1 to 240000;
    C(harbor_cve_allowlist) IDs without blanks or repeats and C(harbor_cve_allowlist_expires_on) a day
    (C(YYYY-MM-DD)) that has not come, or empty; C(harbor_volume_storage_class) and, with C(bucket),
    C(harbor_bucket_storage_class) among the cluster's StorageClasses (O(storage_classes)); the database of
    C(harbor_database_host) (C(harbor-database), the in-cluster one, when it is empty) the one Harbor's data is in
    (O(database_in_use)), since the role does not move it.
options:
  _input:
    description: The settings, by name.
    type: dict
    required: true
  storage_classes:
    description: The names of the cluster's StorageClasses; not checked when omitted.
    type: list
    elements: str
  database_in_use:
    description: The database host Harbor's core uses now (its ConfigMap's C(POSTGRESQL_HOST)); empty or omitted when
      Harbor does not run yet, and then not checked.
    type: str
"""

EXAMPLES = r"""
- name: Refuse bad settings
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ {'harbor_external_url': harbor_external_url} | caas.platform.harbor_problems }}"
"""

RETURN = r"""
_value:
  description: One message per problem, naming the setting, its value and the fix.
  type: list
  elements: str
"""

import json
import os
import re

import time

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.module_utils.harbor import CRON, allowlist_problems

EXTERNAL_URL = re.compile(r'^https://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?/?$')
REPOSITORY = re.compile(r'^[^/\s]+/\S+$')
# Harbor's rule for a project's name.
PROJECT = re.compile(r'^[a-z0-9]+(?:[._-][a-z0-9]+)*$')
ENDPOINT_URL = re.compile(r'^https://[^/\s]+/?$')


def project_problems(settings):
    """The proxy caches' and publications' problems: each names its list, its index and the fix."""
    problems, seen = [], {}
    for name in ('harbor_proxy_caches', 'harbor_publications'):
        items = settings.get(name) or []
        if not isinstance(items, list):
            problems.append('%s is %s: set a list of {project, endpoint_url, ...} (docs/registry.md).'
                            % (name, json.dumps(items, default=str)))
            continue
        for index, item in enumerate(items):
            where = '%s[%d]' % (name, index)
            if not isinstance(item, dict):
                problems.append('%s is %s: set {project, endpoint_url, ...}.' % (where, json.dumps(item, default=str)))
                continue
            project = item.get('project')
            if not PROJECT.match(str(project or '')) or len(str(project)) > 255:
                problems.append('%s.project is %s: set a name Harbor accepts for a project (lower case letters and '
                                'digits, single ".", "_" or "-" between them).' % (where, json.dumps(project)))
            elif project in seen:
                problems.append('%s.project is %s, which %s already names: a project is one proxy cache or one '
                                'publication; give each its own.' % (where, json.dumps(project), seen[project]))
            else:
                seen[project] = where
            if not ENDPOINT_URL.match(str(item.get('endpoint_url') or '')):
                problems.append('%s.endpoint_url is %s: set the https:// URL of the registry Harbor reaches '
                                '(https://<host>[:port]).' % (where, json.dumps(item.get('endpoint_url'))))
            ca_file = item.get('ca_file')
            if ca_file and not os.path.isfile(str(ca_file)):
                problems.append('%s.ca_file is %s, which is not a file on the controller: set the PEM of the CA that '
                                'signed the endpoint\'s certificate, or leave it unset.' % (where, json.dumps(ca_file)))
            if name == 'harbor_publications' and 'cron' in item and not CRON.match(str(item['cron'])):
                problems.append('%s.cron is %s: set Harbor\'s cron expression of six fields, seconds first (for '
                                'example "0 0 * * * *", hourly).' % (where, json.dumps(item['cron'])))
    return problems


def whole_in(value, low, high):
    """Whether value is a whole number (an int or its digits) from low to high."""
    return str(value).isdigit() and low <= int(value) <= high


def connection_problems(settings):
    """The site's database and cache: a password with a database host, ports that are ports."""
    problems = []
    for name in ('harbor_database_port', 'harbor_redis_port'):
        port = settings.get(name, 1)
        if not whole_in(port, 1, 65535):
            problems.append('%s is %s: set the TCP port (1-65535).' % (name, json.dumps(port)))
    if settings.get('harbor_database_host') and not settings.get('harbor_database_password'):
        problems.append('harbor_database_password is empty while harbor_database_host is %s: set the password of '
                        'harbor_database_username from Vault (an ansible-vault variable).'
                        % json.dumps(settings.get('harbor_database_host')))
    return problems


def housekeeping_problems(settings):
    """The schedules of garbage collection, of scanning everything again and of purging the audit log, and the system
    CVE allowlist."""
    problems = []
    for name, example in (('harbor_gc_cron', '"0 0 3 * * 6", Saturdays at 03:00'),
                          ('harbor_scan_all_cron', '"0 0 4 * * *", daily at 04:00'),
                          ('harbor_audit_purge_cron', '"0 0 2 * * 0", Sundays at 02:00')):
        value = settings.get(name, '')
        if value and not CRON.match(str(value)):
            problems.append('%s is %s: set Harbor\'s cron expression of six fields, seconds first (for example %s), '
                            'or "" for never.' % (name, json.dumps(value), example))
    hours = settings.get('harbor_audit_retention_hours', 2160)
    if not whole_in(hours, 1, 240000):
        problems.append('harbor_audit_retention_hours is %s: set the hours of the audit log a purge keeps, 1 to 240000 '
                        '(2160 is 90 days).' % json.dumps(hours))
    problems.extend(message + '.' for message in allowlist_problems(
        settings.get('harbor_cve_allowlist', []), settings.get('harbor_cve_allowlist_expires_on', ''), time.time(),
        'harbor_cve_allowlist', 'harbor_cve_allowlist_expires_on'))
    return problems


def database_problems(settings, database_in_use):
    """A database other than the one Harbor's data is in: a new one would start Harbor empty."""
    wanted = settings.get('harbor_database_host') or 'harbor-database'
    if not database_in_use or database_in_use == wanted:
        return []
    where = ('the in-cluster PostgreSQL (harbor_database_host empty)' if database_in_use == 'harbor-database'
             else json.dumps(database_in_use))
    return ['harbor_database_host is %s, but Harbor\'s data is in %s, and the role does not move it: set '
            'harbor_database_host as it was, or move the data first (docs/registry.md, "Database and cache").'
            % (json.dumps(settings.get('harbor_database_host') or ''), where)]


def harbor_problems(settings, storage_classes=None, database_in_use=None):
    if not hasattr(settings, 'get'):
        raise AnsibleFilterError('harbor_problems expects the settings by name, a dict; got %r' % (settings,))
    problems = []
    url = settings.get('harbor_external_url')
    if not EXTERNAL_URL.match(str(url or '')):
        problems.append('harbor_external_url is %s: set it to the https:// URL clients reach Harbor at '
                        '(https://<name>[:port], nothing after it); Harbor puts it in the tokens it hands out.'
                        % json.dumps(url))
    storage = settings.get('harbor_registry_storage', 'bucket')
    if storage not in ('bucket', 'volume'):
        problems.append('harbor_registry_storage is %s: set bucket (a bucket of the object store) or volume '
                        '(one PersistentVolumeClaim).' % json.dumps(storage))
    repository = settings.get('harbor_trivy_db_repository')
    if not REPOSITORY.match(str(repository or '')):
        problems.append('harbor_trivy_db_repository is %s: set it to <registry>/<path> of the Trivy database '
                        '(by default the registry mirror, caas_registry_mirror, holds it).' % json.dumps(repository))
    password = str(settings.get('harbor_admin_password') or '')
    if not (len(password) >= 8 and re.search('[A-Z]', password) and re.search('[a-z]', password)
            and re.search('[0-9]', password)):
        problems.append('harbor_admin_password is %s: set it from Vault (an ansible-vault variable) to 8 characters or '
                        'more with an upper-case letter, a lower-case letter and a digit, as Harbor requires.'
                        % ('empty' if not password else 'not as Harbor requires (its value is not shown)'))
    for name, what in (('harbor_tls_cert_file', "Harbor's certificate for the host of harbor_external_url, issued "
                                                'by the site CA (PEM)'),
                       ('harbor_tls_key_file', 'its key (PEM, an ansible-vault encrypted file)')):
        path = settings.get(name)
        if not path or not os.path.isfile(str(path)):
            problems.append('%s is %s, which is not a file on the controller: set it to %s.'
                            % (name, json.dumps(path), what))
    port = settings.get('harbor_node_port', 30443)
    if not whole_in(port, 30000, 32767):
        problems.append('harbor_node_port is %s: set a port of Kubernetes\' NodePort range, 30000 to 32767.'
                        % json.dumps(port))
    problems.extend(project_problems(settings))
    problems.extend(connection_problems(settings))
    problems.extend(housekeeping_problems(settings))
    problems.extend(database_problems(settings, database_in_use))
    if storage_classes is not None:
        needed = [('harbor_volume_storage_class', settings.get('harbor_volume_storage_class'))]
        if storage == 'bucket':
            needed.append(('harbor_bucket_storage_class', settings.get('harbor_bucket_storage_class')))
        for name, value in needed:
            if value not in storage_classes:
                problems.append('%s is %s, which the cluster does not have (it has %s): set a StorageClass it has, '
                                'or run the storage layer (playbooks/40_storage.yml) first.'
                                % (name, json.dumps(value), ', '.join(sorted(storage_classes)) or 'none'))
    return problems


class FilterModule(object):
    def filters(self):
        return {'harbor_problems': harbor_problems}
