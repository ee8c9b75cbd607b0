# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a Deployment, StatefulSet or DaemonSet has rolled out (what kubectl rollout status waits for), and which
pods of a StatefulSet are stuck: not ready, with a container waiting for a reason it does not recover from alone."""

from __future__ import annotations

REVISION = 'controller-revision-hash'


def _count(status, key):
    return int(status.get(key) or 0)


def rollout_state(obj):
    """kind, name, desired and ready replicas, rolled_out, and waiting_for (what is missing, '' when rolled out)."""
    kind, meta = obj.get('kind', ''), obj.get('metadata') or {}
    spec, status = obj.get('spec') or {}, obj.get('status') or {}
    desired = _count(status, 'desiredNumberScheduled') if kind == 'DaemonSet' else int(spec.get('replicas', 1))
    ready = _count(status, 'numberReady' if kind == 'DaemonSet' else 'readyReplicas')
    waiting = ''
    if _count(status, 'observedGeneration') < int(meta.get('generation') or 0):
        waiting = 'its controller has not seen the newest template yet'
    elif kind == 'Deployment':
        updated = _count(status, 'updatedReplicas')
        if updated < desired:
            waiting = '%d of %d replicas updated' % (updated, desired)
        elif _count(status, 'replicas') > updated:
            waiting = '%d old replicas terminating' % (_count(status, 'replicas') - updated)
        elif _count(status, 'availableReplicas') < desired:
            waiting = '%d of %d updated replicas available' % (_count(status, 'availableReplicas'), desired)
    elif kind == 'StatefulSet':
        strategy = spec.get('updateStrategy') or {}
        partition = int((strategy.get('rollingUpdate') or {}).get('partition') or 0)
        if ready < desired:
            waiting = '%d of %d replicas ready' % (ready, desired)
        elif strategy.get('type', 'RollingUpdate') == 'RollingUpdate':
            if partition > 0 and _count(status, 'updatedReplicas') < desired - partition:
                waiting = '%d of %d replicas above the partition updated' % (
                    _count(status, 'updatedReplicas'), desired - partition)
            elif partition == 0 and status.get('updateRevision') != status.get('currentRevision'):
                waiting = '%d of %d replicas updated' % (_count(status, 'updatedReplicas'), desired)
    elif kind == 'DaemonSet':
        if _count(status, 'updatedNumberScheduled') < desired:
            waiting = '%d of %d nodes updated' % (_count(status, 'updatedNumberScheduled'), desired)
        elif _count(status, 'numberAvailable') < desired:
            waiting = '%d of %d updated pods available' % (_count(status, 'numberAvailable'), desired)
    else:
        waiting = 'not a Deployment, StatefulSet or DaemonSet'
    return dict(kind=kind, name=meta.get('name', ''), desired=desired, ready=ready, rolled_out=not waiting,
                waiting_for=waiting)


def _ready(pod):
    return any(c.get('type') == 'Ready' and c.get('status') == 'True'
               for c in (pod.get('status') or {}).get('conditions') or [])


def _waiting_reason(pod, reasons):
    status = pod.get('status') or {}
    for container in (status.get('initContainerStatuses') or []) + (status.get('containerStatuses') or []):
        reason = ((container.get('state') or {}).get('waiting') or {}).get('reason')
        if reason in reasons:
            return reason
    return None


def stuck_pods(sts, pods, reasons):
    """The StatefulSet's pods (its controller's, not being deleted) that are not ready and wait for one of reasons:
    pod, revision, reason, and current (whether the pod runs the StatefulSet's update revision)."""
    name = (sts.get('metadata') or {}).get('name')
    update = (sts.get('status') or {}).get('updateRevision')
    stuck = []
    for pod in pods:
        meta = pod.get('metadata') or {}
        owned = any(ref.get('kind') == 'StatefulSet' and ref.get('name') == name and ref.get('controller')
                    for ref in meta.get('ownerReferences') or [])
        if not owned or meta.get('deletionTimestamp') or _ready(pod):
            continue
        reason = _waiting_reason(pod, reasons)
        if reason:
            revision = (meta.get('labels') or {}).get(REVISION, '')
            stuck.append(dict(pod=meta.get('name'), revision=revision, reason=reason, current=revision == update))
    return stuck
