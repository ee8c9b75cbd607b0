# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a drain of a node would evict, and what would stop it: the pods kubectl drain evicts (not DaemonSet pods,
static pods or finished ones), the PodDisruptionBudgets that select each, and the pods no controller owns (kubectl
drain deletes those for good only with --force, which the collection never passes)."""

from __future__ import annotations

CORDONED_BY = 'caas.platform/cordoned-by'
MIRROR = 'kubernetes.io/config.mirror'


def _requirement_holds(labels, requirement):
    key, operator, values = requirement.get('key'), requirement.get('operator'), requirement.get('values') or []
    if operator == 'In':
        return key in labels and labels[key] in values
    if operator == 'NotIn':
        return key not in labels or labels[key] not in values
    if operator == 'Exists':
        return key in labels
    if operator == 'DoesNotExist':
        return key not in labels
    return False


def selects(selector, labels):
    """Whether a label selector (matchLabels, matchExpressions) selects these labels. A PodDisruptionBudget with
    an empty selector selects every pod of its namespace (policy/v1); a missing one selects none."""
    if selector is None:
        return False
    labels = labels or {}
    if any(labels.get(key) != value for key, value in (selector.get('matchLabels') or {}).items()):
        return False
    return all(_requirement_holds(labels, req) for req in selector.get('matchExpressions') or [])


def owner_kind(pod):
    for owner in pod['metadata'].get('ownerReferences') or []:
        if owner.get('controller'):
            return owner.get('kind')
    return None


def evictable(pods, node):
    """The pods of the node kubectl drain would evict, as (namespace, name, pod): not finished, not a static
    pod's mirror, not a DaemonSet's (drain ignores those with --ignore-daemonsets)."""
    found = []
    for pod in pods:
        if (pod.get('spec') or {}).get('nodeName') != node:
            continue
        if (pod.get('status') or {}).get('phase') in ('Succeeded', 'Failed'):
            continue
        if MIRROR in (pod['metadata'].get('annotations') or {}) or owner_kind(pod) == 'DaemonSet':
            continue
        found.append((pod['metadata'].get('namespace'), pod['metadata']['name'], pod))
    return sorted(found, key=lambda entry: (entry[0], entry[1]))


def budgets_of(pod, budgets):
    """The PodDisruptionBudgets of the pod's namespace that select it, as dicts with what allows a disruption."""
    namespace = pod['metadata'].get('namespace')
    chosen = []
    for budget in budgets:
        if budget['metadata'].get('namespace') != namespace:
            continue
        if not selects((budget.get('spec') or {}).get('selector'), pod['metadata'].get('labels')):
            continue
        status = budget.get('status') or {}
        chosen.append({'name': budget['metadata']['name'],
                       'disruptions_allowed': status.get('disruptionsAllowed', 0),
                       'current_healthy': status.get('currentHealthy', 0),
                       'desired_healthy': status.get('desiredHealthy', 0)})
    return sorted(chosen, key=lambda budget: budget['name'])


def blocker(namespace, name, pod, budgets, eviction_error):
    """What stops the eviction of one pod, or None: the server's refusal of a dry-run eviction (naming the
    budgets that select the pod), or no controller to recreate it."""
    if owner_kind(pod) is None:
        return {'namespace': namespace, 'pod': name, 'budgets': [],
                'reason': 'no controller owns it: a drain would delete it for good (kubectl drain refuses it '
                          'without --force); move it to a controller or delete it yourself'}
    if eviction_error is None:
        return None
    chosen = budgets_of(pod, budgets)
    # Name the budgets that allow no disruption now; when none does (the server counted otherwise), all of them.
    chosen = [b for b in chosen if b['disruptions_allowed'] < 1] or chosen
    if chosen:
        reason = '; '.join('PodDisruptionBudget %s/%s allows %d disruptions (%d healthy, %d needed)'
                           % (namespace, b['name'], b['disruptions_allowed'], b['current_healthy'],
                              b['desired_healthy']) for b in chosen)
    else:
        reason = eviction_error
    return {'namespace': namespace, 'pod': name, 'budgets': [b['name'] for b in chosen], 'reason': reason}


def describe(node_blockers):
    """One line per node for a failure message: each blocked pod and why."""
    lines = []
    for node, blocked in sorted(node_blockers.items()):
        if blocked:
            lines.append('%s: %s' % (node, '; '.join('pod %s/%s (%s)' % (b['namespace'], b['pod'], b['reason'])
                                                     for b in blocked)))
    return ' | '.join(lines)
