# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a drain evicts and what blocks it (node_drain): the pods, the budgets that select them, the bare pods.
The dry-run evictions and the drains themselves run on the lab (benchmarks/upgrade.py)."""

from __future__ import annotations

from ansible_collections.caas.platform.plugins.module_utils.drain import blocker, budgets_of, describe, evictable, selects


def pod(name, node='worker1', namespace='web', labels=None, owner='ReplicaSet', phase='Running', mirror=False):
    metadata = {'name': name, 'namespace': namespace, 'labels': labels or {'app': 'web'}}
    if owner:
        metadata['ownerReferences'] = [{'kind': owner, 'name': 'x', 'controller': True}]
    if mirror:
        metadata['annotations'] = {'kubernetes.io/config.mirror': 'abc'}
    return {'metadata': metadata, 'spec': {'nodeName': node}, 'status': {'phase': phase}}


def budget(name, selector, allowed=0, namespace='web'):
    return {'metadata': {'name': name, 'namespace': namespace}, 'spec': {'selector': selector},
            'status': {'disruptionsAllowed': allowed, 'currentHealthy': 2, 'desiredHealthy': 2}}


def test_selectors():
    labels = {'app': 'web', 'tier': 'front'}
    assert selects({}, labels) and not selects(None, labels)
    assert selects({'matchLabels': {'app': 'web'}}, labels)
    assert not selects({'matchLabels': {'app': 'db'}}, labels)
    assert selects({'matchExpressions': [{'key': 'tier', 'operator': 'In', 'values': ['front', 'back']},
                                         {'key': 'canary', 'operator': 'DoesNotExist'}]}, labels)
    assert not selects({'matchExpressions': [{'key': 'tier', 'operator': 'NotIn', 'values': ['front']}]}, labels)
    assert not selects({'matchExpressions': [{'key': 'zone', 'operator': 'Exists'}]}, labels)


def test_a_drain_evicts_neither_daemonset_nor_static_nor_finished_pods():
    pods = [pod('web-2'), pod('web-1'), pod('calico-node-x', owner='DaemonSet'), pod('kube-apiserver-w', mirror=True,
            owner='Node'), pod('job-1', phase='Succeeded', owner='Job'), pod('web-3', node='worker2')]
    assert [entry[:2] for entry in evictable(pods, 'worker1')] == [('web', 'web-1'), ('web', 'web-2')]


def test_what_blocks_an_eviction_is_named():
    budgets = [budget('web', {'matchLabels': {'app': 'web'}}), budget('all', {}, allowed=1),
               budget('other-namespace', {}, namespace='db')]
    web = pod('web-1')
    assert [b['name'] for b in budgets_of(web, budgets)] == ['all', 'web']
    assert blocker('web', 'web-1', web, budgets, None) is None
    blocked = blocker('web', 'web-1', web, budgets, 'Cannot evict pod as it would violate the pod\'s disruption budget.')
    # The budget that allows no disruption is named, not the one that allows one.
    assert blocked['budgets'] == ['web']
    assert blocked['reason'] == 'PodDisruptionBudget web/web allows 0 disruptions (2 healthy, 2 needed)'
    loose = blocker('web', 'web-1', web, budgets[1:], 'Cannot evict pod')
    assert loose['budgets'] == ['all']
    bare = blocker('web', 'debug', pod('debug', owner=None), budgets, None)
    assert bare['reason'].startswith('no controller owns it')
    assert describe({'worker1': [blocked], 'worker2': []}) == ('worker1: pod web/web-1 (PodDisruptionBudget web/web allows 0 '
                                                               'disruptions (2 healthy, 2 needed))')
