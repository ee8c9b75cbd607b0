# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""workloads: rollout state and stuck StatefulSet pods, on Harbor's workloads and pods as kubectl returned them from
the lab (fixture captured 2026-12-06; managedFields, the templates' and pods' specs removed). The stuck cases are
that capture with the status a broken database gives (a new update revision, the old pod in CrashLoopBackOff).
The module against a real stuck pod: verify_45_registry.yml."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ansible_collections.caas.platform.plugins.module_utils.workloads import rollout_state, stuck_pods

FIXTURE = Path(__file__).resolve().parent / 'fixtures' / 'harbor_workloads_lab.json'
REASONS = ['CrashLoopBackOff', 'ImagePullBackOff', 'CreateContainerConfigError']


@pytest.fixture
def lab():
    return json.loads(FIXTURE.read_text())


def named(items, name):
    return next(i for i in items if i['metadata']['name'] == name)


def crash_looping(pod):
    status = pod['status']
    status['conditions'] = [dict(c, status='False') if c['type'] == 'Ready' else c for c in status['conditions']]
    status['containerStatuses'][0]['ready'] = False
    status['containerStatuses'][0]['state'] = {'waiting': {'reason': 'CrashLoopBackOff',
                                                           'message': 'back-off 5m0s restarting failed container'}}
    return pod


def test_the_lab_harbor_has_rolled_out(lab):
    states = [rollout_state(o) for o in lab['workloads']]
    assert [(s['kind'], s['name']) for s in states] == [
        ('StatefulSet', 'harbor-database'), ('StatefulSet', 'harbor-trivy'), ('StatefulSet', 'harbor-valkey'),
        ('Deployment', 'harbor-core'), ('Deployment', 'harbor-jobservice'), ('Deployment', 'harbor-portal'),
        ('Deployment', 'harbor-proxy'), ('Deployment', 'harbor-registry')]
    assert all(s['rolled_out'] and s['waiting_for'] == '' and s['ready'] == s['desired'] >= 1 for s in states)
    for sts in (o for o in lab['workloads'] if o['kind'] == 'StatefulSet'):
        assert stuck_pods(sts, lab['pods'], REASONS) == []


def test_a_database_pod_stuck_on_the_older_template_is_found(lab):
    sts = named(lab['workloads'], 'harbor-database')
    old = sts['status']['updateRevision']
    sts['metadata']['generation'] += 1
    sts['status'].update(observedGeneration=sts['metadata']['generation'], updateRevision='harbor-database-6b9f8d7c5',
                         readyReplicas=0, availableReplicas=0, updatedReplicas=0)
    crash_looping(named(lab['pods'], 'harbor-database-0'))
    assert rollout_state(sts) == dict(kind='StatefulSet', name='harbor-database', desired=1, ready=0,
                                      rolled_out=False, waiting_for='0 of 1 replicas ready')
    assert stuck_pods(sts, lab['pods'], REASONS) == [
        dict(pod='harbor-database-0', revision=old, reason='CrashLoopBackOff', current=False)]
    # Another StatefulSet's pods are not its own; a reason not listed is not stuck.
    assert stuck_pods(named(lab['workloads'], 'harbor-valkey'), lab['pods'], REASONS) == []
    assert stuck_pods(sts, lab['pods'], ['ImagePullBackOff']) == []


def test_a_pod_of_the_current_template_is_marked_current_and_one_being_deleted_is_left(lab):
    sts = named(lab['workloads'], 'harbor-database')
    pod = crash_looping(named(lab['pods'], 'harbor-database-0'))
    assert [p['current'] for p in stuck_pods(sts, lab['pods'], REASONS)] == [True]
    pod['metadata']['deletionTimestamp'] = '2026-12-06T22:10:00Z'
    assert stuck_pods(sts, lab['pods'], REASONS) == []


def test_a_ready_pod_is_never_stuck_even_on_an_older_revision(lab):
    sts = named(lab['workloads'], 'harbor-database')
    sts['status']['updateRevision'] = 'harbor-database-6b9f8d7c5'
    pod = named(lab['pods'], 'harbor-database-0')
    pod['status']['containerStatuses'][0]['state'] = {'waiting': {'reason': 'CrashLoopBackOff'}}
    assert stuck_pods(sts, lab['pods'], REASONS) == []


@pytest.mark.parametrize('change, waiting_for', [
    (lambda o: o['metadata'].update(generation=o['status']['observedGeneration'] + 1),
     'its controller has not seen the newest template yet'),
    (lambda o: o['status'].update(updatedReplicas=0), '0 of 1 replicas updated'),
    (lambda o: o['status'].update(replicas=2), '1 old replicas terminating'),
    (lambda o: o['status'].update(availableReplicas=0), '0 of 1 updated replicas available'),
])
def test_a_deployment_mid_rollout(lab, change, waiting_for):
    core = copy.deepcopy(named(lab['workloads'], 'harbor-core'))
    change(core)
    state = rollout_state(core)
    assert not state['rolled_out'] and state['waiting_for'] == waiting_for


def test_a_statefulset_partition_and_a_daemonset():
    sts = {'kind': 'StatefulSet', 'metadata': {'name': 'db', 'generation': 2},
           'spec': {'replicas': 3, 'updateStrategy': {'type': 'RollingUpdate', 'rollingUpdate': {'partition': 2}}},
           'status': {'observedGeneration': 2, 'readyReplicas': 3, 'updatedReplicas': 1,
                      'currentRevision': 'db-1', 'updateRevision': 'db-2'}}
    assert rollout_state(sts)['rolled_out']
    sts['status']['updatedReplicas'] = 0
    assert rollout_state(sts)['waiting_for'] == '0 of 1 replicas above the partition updated'
    ds = {'kind': 'DaemonSet', 'metadata': {'name': 'calico-node', 'generation': 1},
          'status': {'observedGeneration': 1, 'desiredNumberScheduled': 6, 'updatedNumberScheduled': 6,
                     'numberAvailable': 5, 'numberReady': 5}}
    assert rollout_state(ds) == dict(kind='DaemonSet', name='calico-node', desired=6, ready=5, rolled_out=False,
                                     waiting_for='5 of 6 updated pods available')
    assert rollout_state({'kind': 'Job', 'metadata': {'name': 'x'}})['waiting_for'] == \
        'not a Deployment, StatefulSet or DaemonSet'
