# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules the single Harbor modules and caas.platform.harbor_configuration share (module_utils/harbor_*.py): what
they refuse before Harbor is asked, how Harbor's answers are compared with the options, what a failure reports, and
the endpoint's retry. What they ask of Harbor runs against the real Harbor of the molecule platform scenario and the
lab (extensions/molecule/platform/verify_45_registry.yml), not a stand-in (issue 18)."""

from __future__ import annotations

import pytest

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, HarborRefused, failure_fields, retried)
from ansible_collections.caas.platform.plugins.module_utils.harbor_allowlists import (
    allowlist_option_problems, allowlist_options)
from ansible_collections.caas.platform.plugins.module_utils.harbor_projects import (
    project_options, project_problems, project_summary, storage_limit_bytes, wanted_metadata)
from ansible_collections.caas.platform.plugins.module_utils.harbor_registries import registry_summary
from ansible_collections.caas.platform.plugins.module_utils.harbor_replications import (
    comparable_policy, replication_options, replication_problems, wanted_policy)
from ansible_collections.caas.platform.plugins.module_utils.harbor_schedules import (
    schedule_options, schedule_problems)


def defaults(spec, **options):
    """Options as AnsibleModule hands them over: every one, unset ones None."""
    params = dict((name, option.get('default')) for name, option in spec.items())
    params.update(options)
    return params


class Clock(object):
    """A clock that moves only when slept on."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_an_endpoint_that_fails_is_tried_again_for_its_time_then_its_last_error_raised():
    clock, calls = Clock(), []

    def ping():
        calls.append(clock.now)
        raise HarborError('no such host %d' % len(calls))
    with pytest.raises(HarborError, match='no such host 7'):
        retried(ping, 60, 10, clock=clock, sleep=clock.sleep)
    assert calls == [0, 10, 20, 30, 40, 50, 60]


def test_an_endpoint_that_answers_on_a_later_try_is_its_answer():
    clock, answers = Clock(), [HarborError('no such host'), HarborError('no such host'), 'saved']

    def save():
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer
    assert retried(save, 60, 10, clock=clock, sleep=clock.sleep) == 'saved' and clock.sleeps == [10, 10]


def test_a_refusal_reports_its_own_fields_and_an_error_harbors_status_and_code():
    assert failure_fields(HarborRefused('no', project={'name': 'a'})) == {'project': {'name': 'a'}}
    assert failure_fields(HarborError('GET x: HTTP 404', 404, 'NOT_FOUND')) == {'status': 404, 'code': 'NOT_FOUND'}


def test_another_login_reaches_the_same_harbor_the_same_way():
    client = HarborClient('https://registry.example.com/', 'admin', 'a', '/ca.crt', False, 7)
    other = client.as_user('robot$ci', 'b')
    assert (other.base, other.username, other.password, other.ca_path, other.validate_certs, other.timeout) == \
        (client.base, 'robot$ci', 'b', '/ca.crt', False, 7)


def test_an_endpoint_is_returned_without_its_secret():
    summary = registry_summary({'id': 1, 'name': 'up', 'type': 'harbor', 'url': 'https://up',
                                'credential': {'access_key': 'puller', 'access_secret': 'Not-Shown'}})
    assert summary['access_key'] == 'puller' and 'Not-Shown' not in repr(summary)
    assert registry_summary(None) == {}


@pytest.mark.parametrize('options, found', [
    ({'name': 'team-a', 'storage_limit': '10G'}, []),
    ({'name': 'team-a..b'}, ["name is 'team-a..b': a Harbor project name is lower-case letters and digits"]),
    ({'name': 'team-a', 'storage_limit': 'lots'}, ["storage_limit is 'lots': "]),
])
def test_a_project_harbor_would_refuse_is_named(options, found):
    problems = project_problems(defaults(project_options(), **options))
    assert len(problems) == len(found) and all(p.startswith(f) for p, f in zip(problems, found))


def test_a_projects_settings_are_harbors_metadata_and_read_back_as_options():
    params = defaults(project_options(), name='cache', public=True, severity='high')
    assert wanted_metadata(params) == {'public': 'true', 'severity': 'high'}
    assert storage_limit_bytes('10G') == 10 * 1024 ** 3 and storage_limit_bytes(' -1 ') == -1
    assert storage_limit_bytes(None) is None
    summary = project_summary({'name': 'cache', 'project_id': 2, 'registry_id': 3, 'metadata': {'public': 'true'}},
                              {'hard': {'storage': -1}})
    assert summary == {'name': 'cache', 'project_id': 2, 'public': True, 'auto_scan': False,
                       'prevent_vulnerable': False, 'severity': None, 'storage_limit': -1,
                       'proxy_cache_registry_id': 3, 'repo_count': 0}


def test_a_publications_policy_as_harbor_returns_it_is_what_was_asked():
    params = defaults(replication_options(), name='publish-p', description='d', direction='pull',
                      registry='p-source', repositories='**', destination_namespace='p',
                      destination_namespace_replace_count=0, trigger='scheduled', cron='0 0 * * * *')
    wanted = wanted_policy(params, {'id': 4})
    harbors = {'id': 9, 'name': 'publish-p', 'description': 'd', 'src_registry': {'id': 4}, 'dest_registry': None,
               'dest_namespace': 'p', 'dest_namespace_replace_count': 0,
               'trigger': {'type': 'scheduled', 'trigger_settings': {'cron': '0 0 * * * *'}},
               'filters': [{'type': 'name', 'value': '**'}], 'override': True, 'replicate_deletion': False,
               'enabled': True, 'speed': -1}
    assert comparable_policy(harbors) == wanted
    assert comparable_policy(dict(harbors, dest_namespace='q')) != wanted
    assert replication_problems(params) == []
    assert replication_problems(dict(params, trigger='event_based'))[0].startswith('trigger is event_based with ')


def test_every_problem_of_a_schedule_is_named():
    params = defaults(schedule_options(), job='purge_audit', schedule='custom', cron='nightly', workers=0,
                      audit_retention_hours=0, audit_event_types=[''])
    assert [p.split(':')[0] for p in schedule_problems(params)] == [
        "cron is 'nightly'", 'workers is 0', 'audit_retention_hours is 0', 'audit_event_types is empty']
    assert schedule_problems(defaults(schedule_options(), job='gc', schedule='custom', cron='0 0 3 * * 6')) == []


def test_the_system_allowlist_needs_no_project_and_a_project_that_uses_it_no_list():
    today = 1798761600
    assert allowlist_option_problems(defaults(allowlist_options(), cves=['CVE-2024-3094']), today) == []
    found = allowlist_option_problems(defaults(allowlist_options(), cves=['CVE-1'], use_system=True), today)
    assert [f.split(':')[0] for f in found] == ['use_system is true without a project',
                                                'cves has 1 IDs while use_system is true']
