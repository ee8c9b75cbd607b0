# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every Harbor module run as Ansible runs it, against a Harbor that does not answer: each fails with the client's
message naming the request, Harbor's HTTP status (none) and error code (none), its password nowhere in the result;
and what a module refuses before it asks Harbor anything. What the modules do to a Harbor runs against the real
Harbor of the molecule platform scenario and the lab (extensions/molecule/platform/verify_45_registry.yml)."""

from __future__ import annotations

import json

import pytest

# Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
HARBOR = {'url': 'http://127.0.0.1:9', 'username': 'admin', 'password': 'Not-Shown-1', 'timeout': 2}

CASES = {
    'harbor_info': {},
    'harbor_project': {'name': 'team-a'},
    'harbor_robot': {'name': 'ci', 'project': 'team-a',
                     'permissions': [{'namespace': 'team-a', 'access': [{'resource': 'repository', 'action': 'pull'}]}]},
    'harbor_registry': {'name': 'upstream', 'endpoint_url': 'https://mirror.example.com'},
    'harbor_replication': {'name': 'copy', 'registry': 'upstream', 'direction': 'pull'},
    'harbor_schedule': {'job': 'purge_audit', 'schedule': 'daily'},
    'harbor_webhook': {'project': 'team-a', 'name': 'ci', 'address': 'https://ci.example.com/hook'},
    'harbor_project_member': {'project': 'team-a', 'user': 'dev'},
    'harbor_auth': {'mode': 'db'},
    'harbor_immutable_tags': {'project': 'team-a', 'rules': [{'tags': 'v*'}]},
    'harbor_retention': {'project': 'team-a', 'rules': [{'retain': 'latest_pushed', 'count': 3}]},
    'harbor_scan': {'project': 'team-a', 'repository': 'app', 'reference': '1.0'},
    'harbor_scanner': {'name': 'trivy-security', 'endpoint_url': 'http://trivy-adapter:8080', 'auth': 'Bearer',
                       'access_credential': 'Not-Shown-2', 'default': True},
    'harbor_label': {'name': 'release', 'project': 'team-a', 'color': '#0065AB'},
    'harbor_cve_allowlist': {'project': 'team-a', 'cves': ['CVE-2024-3094'], 'expires_on': '2999-01-01'},
    'harbor_user': {'name': 'dev', 'email': 'dev@example.com', 'realname': 'Dev', 'user_password': 'Dev-Passw0rd'},
    'harbor_configuration': {'old_password': 'Not-Shown-2',
                             'registries': [{'name': 'upstream', 'endpoint_url': 'https://mirror.example.com',
                                             'access_key': 'puller', 'access_secret': 'Not-Shown-2'}],
                             'registry_retry_timeout': 0, 'projects': [{'name': 'team-a'}]},
}


@pytest.mark.parametrize('module', sorted(CASES))
def test_a_harbor_that_does_not_answer_fails_the_module_with_its_request_named(run_module, module):
    result = run_module(module, expect_failure=True, **HARBOR, **CASES[module])
    assert 'http://127.0.0.1:9/api/v2.0/' in result['msg'] and 'Harbor cannot be reached' in result['msg']
    assert result['status'] is None and result['code'] is None
    assert HARBOR['password'] not in json.dumps(result) and 'Not-Shown-2' not in json.dumps(result)


def test_a_pull_replication_on_harbors_own_events_is_refused_before_harbor_is_asked(run_module):
    result = run_module('harbor_replication', expect_failure=True, **HARBOR, name='copy', registry='upstream',
                        direction='pull', trigger='event_based')
    assert result['msg'].startswith('trigger is event_based with direction pull: ')


@pytest.mark.parametrize('options, message', [
    ({'use_system': True}, 'use_system is true without a project: '),
    ({'project': 'team-a', 'use_system': True, 'cves': ['CVE-2024-3094']},
     'cves has 1 IDs while use_system is true: '),
    ({'cves': ['CVE-2024-3094', 'CVE-2024-3094']}, 'cves has CVE-2024-3094 more than once: '),
    ({'cves': [' CVE-2024-3094']}, 'cves has " CVE-2024-3094": '),
    ({'cves': ['CVE-2024-3094'], 'expires_on': '01/02/2030'}, 'expires_on is "01/02/2030": give a day as YYYY-MM-DD'),
    ({'cves': ['CVE-2024-3094'], 'expires_on': '2020-01-01'}, 'expires_on is 2020-01-01, which has come: '),
])
def test_a_bad_cve_allowlist_is_refused_before_harbor_is_asked(run_module, options, message):
    result = run_module('harbor_cve_allowlist', expect_failure=True, **HARBOR, **options)
    assert message in result['msg'] and 'cannot be reached' not in result['msg']


def test_an_allowlist_expires_at_midnight_utc_of_its_day_and_reads_back_as_that_day():
    from ansible_collections.caas.platform.plugins.module_utils.harbor import expiry_seconds
    from ansible_collections.caas.platform.plugins.module_utils import harbor_allowlists as allowlists
    seconds = expiry_seconds('2027-01-01')
    assert seconds == 1798761600
    assert allowlists.allowlist_summary({'items': [{'cve_id': 'B'}, {'cve_id': 'A'}], 'expires_at': seconds}) == \
        {'cves': ['A', 'B'], 'expires_on': '2027-01-01'}
    assert allowlists.allowlist_summary({'items': [], 'expires_at': None}) == {'cves': [], 'expires_on': ''}
    assert allowlists.project_allowlist_summary({'metadata': {'reuse_sys_cve_allowlist': 'false'},
                                                 'cve_allowlist': None}) == \
        {'cves': [], 'expires_on': '', 'use_system': False}
    assert allowlists.project_allowlist_summary({'metadata': {}})['use_system'] is True


@pytest.mark.parametrize('options, message', [
    ({'audit_retention_hours': 0}, 'audit_retention_hours is 0: Harbor keeps 1 to 240000 hours of the audit log'),
    ({'audit_event_types': [' ', '']}, 'audit_event_types is empty: '),
])
def test_a_bad_audit_purge_is_refused_before_harbor_is_asked(run_module, options, message):
    result = run_module('harbor_schedule', expect_failure=True, **HARBOR, job='purge_audit', schedule='daily',
                        **options)
    assert result['msg'].startswith(message)


def test_event_types_compare_in_one_order_whatever_harbor_or_the_play_gave():
    from ansible_collections.caas.platform.plugins.module_utils.harbor_schedules import event_types, schedule_summary
    assert event_types('pull_artifact, create_artifact,,create_artifact') == 'create_artifact,pull_artifact'
    assert schedule_summary({'schedule': {'type': 'Custom', 'cron': '0 0 2 * * 0'},
                             'job_parameters': '{"audit_retention_hour": 2160, "dry_run": false, '
                                               '"include_event_types": "delete_artifact,create_artifact"}'}) == {
        'type': 'Custom', 'cron': '0 0 2 * * 0',
        'parameters': {'audit_retention_hour': 2160, 'dry_run': False,
                       'include_event_types': 'create_artifact,delete_artifact'}}
    assert schedule_summary(None) == {'type': 'None', 'cron': '', 'parameters': {}}


@pytest.mark.parametrize('options, message', [
    ({'projects': [{'name': 'Team_A'}]}, "projects Team_A: name is 'Team_A': a Harbor project name is lower-case"),
    ({'projects': [{'name': 'team-a', 'storage_limit': 'lots'}]}, "projects team-a: storage_limit is 'lots': "),
    ({'replications': [{'name': 'copy', 'registry': 'upstream', 'direction': 'pull', 'trigger': 'event_based'}]},
     'replications copy: trigger is event_based with direction pull: '),
    ({'schedules': [{'job': 'gc', 'schedule': 'custom', 'cron': '0 3 * * 6'}]},
     "schedules gc: cron is '0 3 * * 6': Harbor takes six fields"),
    ({'schedules': [{'job': 'gc', 'schedule': 'daily', 'workers': 9}]}, 'schedules gc: workers is 9: '),
    ({'cve_allowlist': {'cves': ['CVE-2024-3094'], 'expires_on': '2020-01-01'}},
     'cve_allowlist: expires_on is 2020-01-01, which has come: '),
])
def test_what_harbor_would_refuse_in_any_step_is_refused_before_harbor_is_asked(run_module, options, message):
    result = run_module('harbor_configuration', expect_failure=True, **HARBOR, wait=True, wait_timeout=2, **options)
    assert result['msg'].startswith(message) and 'cannot be reached' not in result['msg']


def test_every_refusal_of_the_configuration_is_named_at_once(run_module):
    result = run_module('harbor_configuration', expect_failure=True, **HARBOR,
                        projects=[{'name': 'A'}], schedules=[{'job': 'scan_all', 'schedule': 'custom', 'cron': 'x'}])
    assert result['msg'].startswith("projects A: name is 'A': ") and "; schedules scan_all: cron is 'x': " in result['msg']


def test_the_configuration_needs_the_account_whose_password_changes(run_module):
    result = run_module('harbor_configuration', expect_failure=True, url=HARBOR['url'], old_password='Not-Shown-2')
    assert result['msg'].startswith('old_password is set without username and password: ')
    assert 'Not-Shown-2' not in json.dumps(result)


def test_the_configuration_in_check_mode_does_not_wait_for_harbor(run_module):
    result = run_module('harbor_configuration', **HARBOR, wait=True, wait_timeout=600, _ansible_check_mode=True)
    assert result['changed'] is False and 'health' not in result


def test_a_step_that_fails_is_named_and_no_secret_is_in_the_failure(run_module):
    result = run_module('harbor_configuration', expect_failure=True, **HARBOR, old_password='Not-Shown-2',
                        _ansible_check_mode=True)
    assert result['msg'].startswith('password: GET http://127.0.0.1:9/api/v2.0/users/current: ')
    assert result['changed'] is False
    assert HARBOR['password'] not in json.dumps(result) and 'Not-Shown-2' not in json.dumps(result)


@pytest.mark.parametrize('options, message', [
    ({'name': ' '}, 'name is empty: '),
    ({'name': 'release', 'color': 'blue'}, "color is 'blue': give #RRGGBB"),
])
def test_a_bad_label_is_refused_before_harbor_is_asked(run_module, options, message):
    result = run_module('harbor_label', expect_failure=True, **HARBOR, **options)
    assert result['msg'].startswith(message)


TRIVY = {'uuid': 'u-1', 'name': 'Trivy', 'url': 'http://harbor-trivy:8080', 'description': '', 'auth': 'none',
         'skip_cert_verify': False, 'use_internal_addr': True, 'disabled': False, 'default': True}


def scanner_params(**options):
    params = dict.fromkeys(('endpoint_url', 'description', 'auth', 'access_credential', 'skip_cert_verify',
                            'use_internal_addr', 'disabled', 'default'))
    params.update(name='Trivy', state='present')
    params.update(options)
    return params


def test_a_scanner_option_left_unset_keeps_harbors_setting_and_a_new_one_gets_the_default():
    from ansible_collections.caas.platform.plugins.modules import harbor_scanner as module
    kept = module.wanted_settings(scanner_params(default=True), TRIVY)
    assert kept == {key: TRIVY[key] for key in kept} and module.problems(scanner_params(default=True), TRIVY, kept) == []
    new = module.wanted_settings(scanner_params(name='second', endpoint_url='http://adapter:8080/'), {})
    assert new == {'url': 'http://adapter:8080', 'description': '', 'auth': 'none', 'skip_cert_verify': False,
                   'use_internal_addr': False, 'disabled': False}


@pytest.mark.parametrize('options, before, message', [
    ({'state': 'absent'}, TRIVY, "scanner Trivy is Harbor's default, so it is not deleted: "),
    ({'name': 'second'}, {}, 'endpoint_url is not set and Harbor has no scanner second: '),
    ({'default': False}, TRIVY, "default is false, but Trivy is Harbor's default scanner"),
    ({'disabled': True}, TRIVY, 'disabled is true for Trivy, which is (or would become) the default scanner: '),
    ({'name': 'second', 'endpoint_url': 'http://adapter:8080', 'disabled': True, 'default': True}, {},
     'disabled is true for second'),
    ({'auth': 'Bearer'}, TRIVY, 'auth is Bearer but access_credential is not set: '),
])
def test_a_scanner_change_harbor_cannot_take_is_refused_with_its_fix(options, before, message):
    from ansible_collections.caas.platform.plugins.modules import harbor_scanner as module
    params = scanner_params(**options)
    found = module.problems(params, before, module.wanted_settings(params, before))
    assert len(found) == 1 and found[0].startswith(message)
