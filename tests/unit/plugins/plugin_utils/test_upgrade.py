# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of playbooks/upgrade.yml: refusals before any change, and which nodes are still to upgrade (a
resumed run continues where one stopped; at the release nothing is left)."""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.upgrade_node_ready import upgrade_node_ready
from ansible_collections.caas.platform.plugins.filter.upgrade_plan import upgrade_plan
from ansible_collections.caas.platform.plugins.filter.upgrade_settings_problems import upgrade_settings_problems
from ansible_collections.caas.platform.plugins.plugin_utils.upgrade import settings_problems

GROUPS = {'control_plane': ['cp1', 'cp2', 'cp3'], 'workers': ['worker1', 'worker2']}
NAMES = {host: host for host in GROUPS['control_plane'] + GROUPS['workers']}
RELEASES = {'1.34': '1.34.9', '1.35': '1.35.4', '1.36': '1.36.3'}
ETCD = {'members': [{'name': f'etcd{i}', 'is_learner': False} for i in (1, 2, 3)],
        'endpoints': [{'name': f'etcd{i}', 'healthy': True} for i in (1, 2, 3)]}
YEAR = 365 * 86400
CERTS = {cp: [{'name': 'apiserver', 'seconds_left': YEAR}, {'name': 'ca', 'seconds_left': 10 * YEAR}]
         for cp in GROUPS['control_plane']}
DRAIN = {name: {'blockers': []} for name in NAMES}


def state(version='v1.35.4', cluster=None, **kubelets):
    nodes = [{'name': name, 'ready': True, 'kubelet_version': kubelets.get(name, version), 'pressure': [],
              'cordoned_by': None, 'control_plane': name.startswith('cp')} for name in NAMES]
    components = [{'node': cp, 'component': component, 'version': kubelets.get(cp, version), 'ready': True}
                  for cp in GROUPS['control_plane'] for component in ('kube-apiserver', 'kube-scheduler')]
    return {'cluster_version': cluster or version, 'nodes': nodes, 'components': components, 'deprecated_apis': []}


def plan(current, target='1.36.3', **kwargs):
    args = dict(etcd=ETCD, certificates=CERTS, drain=DRAIN)
    args.update(kwargs)
    return upgrade_plan(current, target, GROUPS, NAMES, RELEASES, args['etcd'], args['certificates'], args['drain'],
                        **{k: v for k, v in kwargs.items() if k not in ('etcd', 'certificates', 'drain')})


def test_a_whole_upgrade_is_planned():
    result = plan(state())
    assert result['problems'] == []
    assert result['apply'] is True
    assert result['control_plane'] == ['cp1', 'cp2', 'cp3'] and result['workers'] == ['worker1', 'worker2']
    assert (result['from'], result['to'], result['reason']) == ('v1.35.4', 'v1.36.3', 'upgrade v1.36.3')


def test_a_resumed_run_continues_where_one_stopped_and_a_finished_one_has_nothing_left():
    # cp1 upgraded (apply done), cp2 upgraded but still cordoned by the upgrade, cp3 and the workers not yet.
    half = state(cluster='v1.36.3', cp1='v1.36.3', cp2='v1.36.3')
    next(n for n in half['nodes'] if n['name'] == 'cp2')['cordoned_by'] = 'upgrade v1.36.3'
    result = plan(half)
    assert result['problems'] == [] and result['apply'] is False
    assert result['control_plane'] == ['cp2', 'cp3'] and result['workers'] == ['worker1', 'worker2']
    done = plan(state('v1.36.3'))
    assert done['problems'] == [] and not done['apply'] and done['control_plane'] == [] and done['workers'] == []
    # An operator's own cordon is not the upgrade's: the node is done.
    operator = state('v1.36.3')
    operator['nodes'][0]['cordoned_by'] = 'disk replacement'
    assert plan(operator)['control_plane'] == []


@pytest.mark.parametrize('target, expected', [
    ('1.37.0', 'is not a release the artifact manifest pins (1.34: 1.34.9, 1.35: 1.35.4, 1.36: 1.36.3)'),
    ('1.36.2', 'is not a release the artifact manifest pins'),
    ('1.34.9', 'is older than the cluster (v1.35.4): kubeadm does not downgrade. Set it back to 1.35.4'),
    ('v1.36', 'write the release to upgrade to as "1.36.3"'),
])
def test_releases_are_refused(target, expected):
    problems = plan(state(), target)['problems']
    assert any(expected in problem for problem in problems), problems


def test_a_skipped_minor_is_refused():
    problems = plan(state('v1.34.9'), '1.36.3')['problems']
    assert problems == ['caas_kubernetes_version 1.36.3 skips a minor: the cluster runs v1.34.9. Upgrade one minor at '
                        'a time: set caas_kubernetes_version to the manifest\'s 1.35 release, run this, then go on.']


def test_the_cluster_must_be_healthy_and_within_the_skew():
    sick = state(worker2='v1.31.0')
    sick['nodes'][3]['ready'] = False
    sick['components'][0]['version'] = 'v1.33.9'
    etcd = copy.deepcopy(ETCD)
    etcd['endpoints'][2]['healthy'] = False
    problems = ' '.join(plan(sick, etcd=etcd)['problems'])
    assert 'kube-apiserver on cp1 runs v1.33.9, neither the cluster\'s v1.35.4 nor 1.36.3' in problems
    assert 'The kubelet of worker2 runs v1.31.0, more than three minors older than 1.36.3' in problems
    assert 'Node worker1 is not Ready' in problems
    assert 'etcd members etcd3 are not healthy' in problems
    assert 'etcd did not answer' in ' '.join(plan(state(), etcd={'failed': True, 'msg': 'x'})['problems'])
    missing = dict(NAMES, worker3='worker3')
    problems = upgrade_plan(state(), '1.36.3', GROUPS, missing, RELEASES, ETCD, CERTS, DRAIN)['problems']
    assert problems == ["The inventory's nodes worker3 are not in the cluster: join them with playbooks/scale.yml, or "
                        'take them out of the inventory, first.']


def test_certificates_removed_apis_blocked_drains_and_missing_artifacts_are_refused_when_there_is_work():
    certs = copy.deepcopy(CERTS)
    certs['cp2'][0]['seconds_left'] = 5 * 86400
    drain = copy.deepcopy(DRAIN)
    drain['worker1']['blockers'] = [{'namespace': 'web', 'pod': 'web-1', 'budgets': ['web'],
                                     'reason': 'PodDisruptionBudget web/web allows 0 disruptions (2 healthy, 2 needed)'}]
    current = state()
    current['deprecated_apis'] = [
        {'group': 'flowcontrol.apiserver.k8s.io', 'version': 'v1beta3', 'resource': 'flowschemas',
         'removed_release': '1.32'},
        {'group': 'example.io', 'version': 'v1beta1', 'resource': 'widgets', 'removed_release': '1.40'}]
    problems = plan(current, certificates=certs, drain=drain, artifacts_problem='1 of 30 artifacts are not as pinned')
    text = ' '.join(problems['problems'])
    assert 'The certificate apiserver on cp2 expires in 5 days, within upgrade_cert_min_days (30)' in text
    assert 'flowcontrol.apiserver.k8s.io/v1beta3 flowschemas (removed in 1.32)' in text
    assert 'widgets' not in text
    assert 'A drain of worker1 would be blocked: pod web/web-1 (PodDisruptionBudget web/web allows 0 disruptions' in text
    assert 'does not serve v1.36.3 as the artifact manifest pins it: 1 of 30 artifacts are not as pinned.' in text
    assert 'removed in' not in ' '.join(plan(current, allow_removed_apis=True)['problems'])
    # At the release there is nothing to drain, renew or fetch: the same findings stop nothing.
    finished = state('v1.36.3')
    finished['deprecated_apis'] = current['deprecated_apis']
    assert plan(finished, certificates=certs, drain=drain, artifacts_problem='missing')['problems'] == []


def test_stacked_etcd_runs_its_own_version():
    # kubeadm's etcd static pod is a control-plane pod too, at etcd's version: neither skew nor work nor a wait.
    stacked = state('v1.36.3')
    stacked['components'] += [{'node': cp, 'component': 'etcd', 'version': '3.6.8-0', 'ready': True}
                              for cp in GROUPS['control_plane']]
    done = plan(stacked)
    assert done['problems'] == [] and done['control_plane'] == [] and not done['apply']
    assert upgrade_node_ready(stacked, 'cp1', '1.36.3')
    stacked['components'][-1]['ready'] = False
    assert not upgrade_node_ready(stacked, 'cp3', '1.36.3')
    assert 'etcd on cp3 is not Ready' in ' '.join(plan(stacked)['problems'])


def test_a_node_is_ready_at_the_release_with_its_control_plane_pods():
    upgraded = state(cluster='v1.36.3', cp1='v1.36.3', worker1='v1.36.3')
    assert upgrade_node_ready(upgraded, 'cp1', '1.36.3') and upgrade_node_ready(upgraded, 'worker1', 'v1.36.3')
    assert not upgrade_node_ready(upgraded, 'cp2', '1.36.3')
    upgraded['components'][1]['ready'] = False
    assert not upgrade_node_ready(upgraded, 'cp1', '1.36.3')
    assert not upgrade_node_ready(upgraded, 'nosuchnode', '1.36.3')
    with pytest.raises(AnsibleFilterError):
        upgrade_node_ready([], 'cp1', '1.36.3')
    with pytest.raises(AnsibleFilterError):
        upgrade_plan(state(), '1.36.3', GROUPS, NAMES, RELEASES, ETCD, [], DRAIN)


@pytest.mark.parametrize('settings', [
    {},
    {'upgrade_worker_batch': 2, 'upgrade_drain_timeout': 60, 'upgrade_on_drain_failure': 'keep_cordoned'},
    {'upgrade_worker_batch': '2', 'upgrade_drain_timeout': '60', 'upgrade_cert_min_days': '0',
     'upgrade_allow_removed_apis': 'true'},
    {'upgrade_worker_batch': '25%', 'upgrade_node_ready_timeout': 600, 'upgrade_allow_removed_apis': False},
    {'upgrade_worker_batch': '100%'},
])
def test_good_settings_pass(settings):
    assert settings_problems(settings) == []


@pytest.mark.parametrize('name, value, says', [
    ('upgrade_worker_batch', 0, "upgrade_worker_batch is 0: set how many workers"),
    ('upgrade_worker_batch', '0%', 'a percentage of the workers'),
    ('upgrade_worker_batch', '150%', "upgrade_worker_batch is '150%'"),
    ('upgrade_worker_batch', 'two', "upgrade_worker_batch is 'two'"),
    ('upgrade_worker_batch', True, 'upgrade_worker_batch is True'),
    ('upgrade_drain_timeout', 0, 'upgrade_drain_timeout is 0: set a whole number of seconds, 1 or more'),
    ('upgrade_drain_timeout', '5m', "upgrade_drain_timeout is '5m'"),
    ('upgrade_node_ready_timeout', -1, 'upgrade_node_ready_timeout is -1'),
    ('upgrade_cert_min_days', 'soon', "upgrade_cert_min_days is 'soon': set a whole number of days, 0 or more"),
    ('upgrade_on_drain_failure', 'force', "upgrade_on_drain_failure is 'force': set uncordon"),
    ('upgrade_allow_removed_apis', 'maybe', "upgrade_allow_removed_apis is 'maybe': set true or false"),
])
def test_each_bad_setting_is_named_with_its_value_and_fix(name, value, says):
    problems = settings_problems({name: value})
    assert len(problems) == 1 and says in problems[0]


def test_every_bad_setting_is_reported_at_once():
    assert len(settings_problems({'upgrade_worker_batch': 0, 'upgrade_drain_timeout': 0,
                                  'upgrade_on_drain_failure': 'x'})) == 3


def test_the_filter_wants_the_settings_by_name():
    assert upgrade_settings_problems({'upgrade_worker_batch': 3}) == []
    with pytest.raises(AnsibleFilterError, match='by name'):
        upgrade_settings_problems(['upgrade_worker_batch'])
