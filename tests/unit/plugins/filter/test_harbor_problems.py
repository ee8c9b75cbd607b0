# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The harbor role's refusals (caas.platform.harbor_problems)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.harbor_problems import harbor_problems

SECRET = 'Vault-Passw0rd'
GOOD = {'harbor_external_url': 'https://registry.example.com', 'harbor_registry_storage': 'bucket',
        'harbor_trivy_db_repository': '10.0.0.5:5000/ghcr.io/aquasecurity/trivy-db',
        'harbor_volume_storage_class': 'ceph-block', 'harbor_bucket_storage_class': 'ceph-bucket',
        'harbor_admin_password': SECRET, 'harbor_tls_cert_file': __file__, 'harbor_tls_key_file': __file__,
        'harbor_node_port': '30443'}


def test_good_settings_have_no_problem():
    assert harbor_problems(GOOD, ['ceph-block', 'ceph-bucket', 'cephfs']) == []
    assert harbor_problems(dict(GOOD, harbor_external_url='https://10.0.0.9:8443/')) == []


@pytest.mark.parametrize('url', ['', None, 'http://registry.example.com', 'https://registry.example.com/harbor',
                                 'registry.example.com', 'https://-bad.example.com'])
def test_an_external_url_clients_cannot_use_is_refused(url):
    [problem] = harbor_problems(dict(GOOD, harbor_external_url=url))
    assert problem.startswith('harbor_external_url is ') and 'https://<name>[:port]' in problem


def test_storage_and_trivy_settings():
    problems = harbor_problems(dict(GOOD, harbor_registry_storage='nfs', harbor_trivy_db_repository=''))
    assert problems[0] == 'harbor_registry_storage is "nfs": set bucket (a bucket of the object store) or volume ' \
                          '(one PersistentVolumeClaim).'
    assert problems[1].startswith('harbor_trivy_db_repository is "": set it to <registry>/<path>')


def test_storage_classes_the_cluster_lacks():
    [problem] = harbor_problems(GOOD, ['ceph-block'])
    assert problem.startswith('harbor_bucket_storage_class is "ceph-bucket", which the cluster does not have '
                              '(it has ceph-block)')
    # A volume needs no bucket class.
    assert harbor_problems(dict(GOOD, harbor_registry_storage='volume'), ['ceph-block']) == []
    [problem] = harbor_problems(dict(GOOD, harbor_registry_storage='volume'), [])
    assert '(it has none)' in problem and 'playbooks/40_storage.yml' in problem


def test_settings_must_be_by_name():
    with pytest.raises(AnsibleFilterError, match='expects the settings by name'):
        harbor_problems(['x'])


@pytest.mark.parametrize('password', ['', 'short1A', 'alllowercase1', 'ALLUPPER1', 'NoDigitsHere'])
def test_an_admin_password_harbor_would_refuse_is_refused_without_showing_it(password):
    [problem] = harbor_problems(dict(GOOD, harbor_admin_password=password))
    assert problem.startswith('harbor_admin_password is ')
    assert not password or password not in problem


def test_tls_files_and_node_port():
    problems = harbor_problems(dict(GOOD, harbor_tls_cert_file='/nonexistent/harbor.crt', harbor_tls_key_file='',
                                    harbor_node_port=443))
    assert problems[0].startswith('harbor_tls_cert_file is "/nonexistent/harbor.crt", which is not a file')
    assert problems[1].startswith('harbor_tls_key_file is "", which is not a file')
    assert problems[2] == "harbor_node_port is 443: set a port of Kubernetes' NodePort range, 30000 to 32767."


def test_good_proxy_caches_and_publications():
    caches = [{'project': 'site-mirror-cache', 'endpoint_url': 'https://mirror.example.com:5000', 'ca_file': __file__}]
    publications = [{'project': 'caas-platform', 'endpoint_url': 'https://mirror.example.com:5000/',
                     'cron': '0 0 * * * *'}]
    assert harbor_problems(dict(GOOD, harbor_proxy_caches=caches, harbor_publications=publications)) == []


def test_proxy_caches_and_publications_harbor_could_not_make_are_refused():
    problems = harbor_problems(dict(
        GOOD,
        harbor_proxy_caches=[{'project': 'Mirror', 'endpoint_url': 'http://mirror.example.com'},
                             {'project': 'caas-platform', 'endpoint_url': 'https://m.example.com',
                              'ca_file': '/nonexistent/ca.crt'}],
        harbor_publications=[{'project': 'caas-platform', 'endpoint_url': 'https://m.example.com', 'cron': '@hourly'},
                             'caas-other']))
    assert problems == [
        'harbor_proxy_caches[0].project is "Mirror": set a name Harbor accepts for a project (lower case letters and '
        'digits, single ".", "_" or "-" between them).',
        'harbor_proxy_caches[0].endpoint_url is "http://mirror.example.com": set the https:// URL of the registry '
        'Harbor reaches (https://<host>[:port]).',
        'harbor_proxy_caches[1].ca_file is "/nonexistent/ca.crt", which is not a file on the controller: set the PEM '
        "of the CA that signed the endpoint's certificate, or leave it unset.",
        'harbor_publications[0].project is "caas-platform", which harbor_proxy_caches[1] already names: a project is '
        'one proxy cache or one publication; give each its own.',
        'harbor_publications[0].cron is "@hourly": set Harbor\'s cron expression of six fields, seconds first (for '
        'example "0 0 * * * *", hourly).',
        'harbor_publications[1] is "caas-other": set {project, endpoint_url, ...}.']
    assert harbor_problems(dict(GOOD, harbor_publications={'project': 'x'}))[0].startswith(
        'harbor_publications is {"project": "x"}: set a list')


def test_the_sites_database_needs_its_password_and_ports_are_ports():
    assert harbor_problems(dict(GOOD, harbor_database_host='db.example.com', harbor_database_password='Db-Passw0rd',
                                harbor_database_port=5432, harbor_redis_host='cache.example.com',
                                harbor_redis_port='6380')) == []
    assert harbor_problems(dict(GOOD, harbor_database_host='db.example.com', harbor_database_port='postgres',
                                harbor_redis_port=70000)) == [
        'harbor_database_port is "postgres": set the TCP port (1-65535).',
        'harbor_redis_port is 70000: set the TCP port (1-65535).',
        'harbor_database_password is empty while harbor_database_host is "db.example.com": set the password of '
        'harbor_database_username from Vault (an ansible-vault variable).']


def test_a_database_other_than_the_one_harbors_data_is_in_is_refused():
    assert harbor_problems(GOOD, database_in_use='') == []
    assert harbor_problems(GOOD, database_in_use='harbor-database') == []
    site = dict(GOOD, harbor_database_host='db.example.com', harbor_database_password='Db-Passw0rd')
    assert harbor_problems(site, database_in_use='db.example.com') == []
    assert harbor_problems(site, database_in_use='harbor-database') == [
        'harbor_database_host is "db.example.com", but Harbor\'s data is in the in-cluster PostgreSQL '
        '(harbor_database_host empty), and the role does not move it: set harbor_database_host as it was, or move '
        'the data first (docs/registry.md, "Database and cache").']
    assert harbor_problems(GOOD, database_in_use='db.example.com') == [
        'harbor_database_host is "", but Harbor\'s data is in "db.example.com", and the role does not move it: set '
        'harbor_database_host as it was, or move the data first (docs/registry.md, "Database and cache").']


def test_housekeeping_schedules_and_the_system_allowlist():
    assert harbor_problems(dict(GOOD, harbor_gc_cron='', harbor_scan_all_cron='0 0 4 * * *',
                                harbor_cve_allowlist=['CVE-2024-3094'],
                                harbor_cve_allowlist_expires_on='2999-01-01')) == []
    assert harbor_problems(dict(GOOD, harbor_gc_cron='0 3 * * 6', harbor_scan_all_cron='daily',
                                harbor_cve_allowlist=['CVE-2024-3094', 'CVE-2024-3094', ''],
                                harbor_cve_allowlist_expires_on='2020-01-01')) == [
        'harbor_gc_cron is "0 3 * * 6": set Harbor\'s cron expression of six fields, seconds first (for example '
        '"0 0 3 * * 6", Saturdays at 03:00), or "" for never.',
        'harbor_scan_all_cron is "daily": set Harbor\'s cron expression of six fields, seconds first (for example '
        '"0 0 4 * * *", daily at 04:00), or "" for never.',
        'harbor_cve_allowlist has "": an ID is the scanner\'s (CVE-2024-3094), without spaces.',
        'harbor_cve_allowlist has CVE-2024-3094 more than once: Harbor refuses a repeated ID; give each once.',
        'harbor_cve_allowlist_expires_on is 2020-01-01, which has come: Harbor would ignore the allowlist; review the '
        'exceptions and give a later day, or "" for never.']
    assert harbor_problems(dict(GOOD, harbor_audit_purge_cron='0 0 2 * * 0', harbor_audit_retention_hours=1)) == []
    assert harbor_problems(dict(GOOD, harbor_audit_purge_cron='weekly', harbor_audit_retention_hours=0)) == [
        'harbor_audit_purge_cron is "weekly": set Harbor\'s cron expression of six fields, seconds first (for example '
        '"0 0 2 * * 0", Sundays at 02:00), or "" for never.',
        'harbor_audit_retention_hours is 0: set the hours of the audit log a purge keeps, 1 to 240000 (2160 is 90 days).']
    assert harbor_problems(dict(GOOD, harbor_audit_retention_hours='90d')) == [
        'harbor_audit_retention_hours is "90d": set the hours of the audit log a purge keeps, 1 to 240000 '
        '(2160 is 90 days).']
    assert harbor_problems(dict(GOOD, harbor_cve_allowlist='CVE-2024-3094', harbor_cve_allowlist_expires_on='soon')) == [
        'harbor_cve_allowlist is "CVE-2024-3094": give a list of the scanner\'s IDs (CVE-2024-3094, GHSA-...).',
        'harbor_cve_allowlist_expires_on is "soon": give a day as YYYY-MM-DD (UTC), or "" for never.']
