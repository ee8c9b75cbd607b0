#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: node_drain
short_description: Drain, check and uncordon Kubernetes nodes, naming the PodDisruptionBudgets that block a drain
version_added: 0.1.0
description:
  - C(checked) changes nothing. For each node it lists the pods a drain would evict and asks the API server to
    evict each with a server-side dry run. A refused eviction is reported with the PodDisruptionBudgets that select
    the pod and what they allow. A pod no controller owns is reported too (a drain would delete it for good).
  - C(drained) cordons each node, marks it with the annotation C(caas.platform/cordoned-by) (O(reason)), and drains
    it with C(kubectl drain). The evictions hold PodDisruptionBudgets, and the wait is bounded by O(timeout). DaemonSet
    pods stay, and emptyDir data goes with its pod. A drain that does not finish names the blocked pods and their
    budgets. The node is uncordoned again when this run cordoned it (O(on_failure=uncordon)), or stays cordoned
    and marked (O(on_failure=keep_cordoned)).
  - C(uncordoned) uncordons each node that is cordoned and removes the annotation. With O(only_reason), only the
    nodes this collection cordoned for that reason, so a node an operator cordoned stays so.
  - Pods no controller owns are never deleted (no C(--force)).
options:
  nodes:
    description: The nodes' names in the cluster.
    type: list
    elements: str
    required: true
  state:
    description: What to do.
    type: str
    choices: [checked, drained, uncordoned]
    default: checked
  timeout:
    description: Seconds a drain may take per node (C(kubectl drain --timeout)).
    type: int
    default: 300
  on_failure:
    description: What a drain that did not finish leaves, when this run cordoned the node.
    type: str
    choices: [uncordon, keep_cordoned]
    default: uncordon
  reason:
    description: The value of the C(caas.platform/cordoned-by) annotation a drain sets (who cordoned, and why).
    type: str
    default: caas.platform
  only_reason:
    description: With O(state=uncordoned), uncordon only nodes whose annotation has this value.
    type: str
extends_documentation_fragment:
  - caas.platform.kubeadm.kubectl
  - caas.platform.kubeadm.cluster
  - caas.platform.kubeadm.api_wait
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the nodes, pods and budgets and runs the server-side dry-run evictions; cordons, drains and
      uncordons nothing.
  diff_mode:
    support: full
    description: Each node's cordon before and after.
  platform:
    support: full
    platforms: posix
    description: A host with kubectl and a kubeconfig of the cluster (a control-plane node).
seealso:
  - name: Safely drain a node
    description: Evictions, PodDisruptionBudgets and kubectl drain.
    link: https://kubernetes.io/docs/tasks/administer-cluster/safely-drain-node/
"""

EXAMPLES = r"""
- name: Which PodDisruptionBudgets would block a drain of the workers?
  caas.platform.node_drain:
    nodes: [worker1, worker2]
    state: checked
  register: drain_check

- name: Drain worker1 for its upgrade (left cordoned if it cannot be drained)
  caas.platform.node_drain:
    nodes: [worker1]
    state: drained
    timeout: 300
    reason: upgrade v1.36.3
    on_failure: keep_cordoned

- name: Uncordon what the upgrade cordoned
  caas.platform.node_drain:
    nodes: [worker1]
    state: uncordoned
    only_reason: upgrade v1.36.3
"""

RETURN = r"""
nodes:
  description: Per node (by name), what was found and done.
  returned: always
  type: dict
  contains:
    unschedulable:
      description: Whether the node was cordoned before the task.
      type: bool
    cordoned_by:
      description: The C(caas.platform/cordoned-by) annotation before the task, or null.
      type: str
    pods:
      description: The pods a drain evicts (C(namespace/name)).
      type: list
      elements: str
    blockers:
      description: The pods whose eviction the server refused in a dry run (O(state=checked), and O(state=drained)
        in check mode) or, after a failed drain, that were left; each with C(namespace), C(pod), C(budgets) (the
        PodDisruptionBudgets that select it) and C(reason). Empty otherwise.
      type: list
      elements: dict
  sample: {"worker1": {"unschedulable": false, "cordoned_by": null, "pods": ["web/web-7d9c-abcde"],
           "blockers": [{"namespace": "web", "pod": "web-7d9c-abcde", "budgets": ["web"],
                         "reason": "PodDisruptionBudget web/web allows 0 disruptions (2 healthy, 2 needed)"}]}}
"""

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError, argument_spec, command_message
from ansible_collections.caas.platform.plugins.module_utils.drain import CORDONED_BY, blocker, describe, evictable
from ansible_collections.caas.platform.plugins.module_utils.kubectl import base_argv, checked, run_retrying


def items(module, kubectl, args):
    return json.loads(checked(module, kubectl + args + ['-o', 'json'])).get('items') or []


def dry_run_eviction(module, kubectl, namespace, name):
    """None when the API server would evict the pod; its refusal otherwise."""
    body = json.dumps({'apiVersion': 'policy/v1', 'kind': 'Eviction',
                       'metadata': {'name': name, 'namespace': namespace}, 'deleteOptions': {'dryRun': ['All']}})
    path = '/api/v1/namespaces/%s/pods/%s/eviction?dryRun=All' % (namespace, name)
    rc, stdout, stderr = run_retrying(module, kubectl + ['create', '--raw', path, '-f', '-'], data=body)
    return None if rc == 0 else command_message(stdout, stderr)


def read(module, kubectl, names, dry_run=True):
    """Each node's cordon, annotation and evictable pods; with dry_run, the pods whose eviction the server refuses."""
    nodes = dict((n['metadata']['name'], n) for n in items(module, kubectl, ['get', 'nodes']))
    missing = [name for name in names if name not in nodes]
    if missing:
        module.fail_json(msg='nodes: %s not in the cluster (its nodes: %s). Nothing was changed.'
                         % (', '.join(missing), ', '.join(sorted(nodes))))
    pods = items(module, kubectl, ['get', 'pods', '--all-namespaces'])
    budgets = items(module, kubectl, ['get', 'poddisruptionbudgets', '--all-namespaces'])
    report = {}
    for name in names:
        node = nodes[name]
        found = evictable(pods, name)
        report[name] = {
            'unschedulable': bool((node.get('spec') or {}).get('unschedulable')),
            'cordoned_by': (node['metadata'].get('annotations') or {}).get(CORDONED_BY),
            'pods': ['%s/%s' % (entry[0], entry[1]) for entry in found],
            'blockers': [b for b in (blocker(namespace, pod, body, budgets,
                                             dry_run_eviction(module, kubectl, namespace, pod))
                                     for namespace, pod, body in found) if b] if dry_run else [],
        }
    return report


def drain(module, kubectl, name, state):
    params = module.params
    if not state['unschedulable']:
        checked(module, kubectl + ['cordon', name])
        checked(module, kubectl + ['annotate', '--overwrite', 'node', name, '%s=%s' % (CORDONED_BY, params['reason'])])
    rc, stdout, stderr = module.run_command(kubectl + ['drain', name, '--ignore-daemonsets', '--delete-emptydir-data',
                                                       '--timeout=%ds' % params['timeout']])
    if rc == 0:
        return None
    # What is left on the node, and why: read again after kubectl gave up.
    left = read(module, kubectl, [name])
    uncordoned = not state['unschedulable'] and params['on_failure'] == 'uncordon'
    if uncordoned:
        uncordon(module, kubectl, name)
    blocked = describe({name: left[name]['blockers']}) or 'kubectl: %s' % command_message(stdout, stderr)
    return ('the drain of %s did not finish within timeout (%d s): %s. The node is %s. Fix what blocks it (a '
            'PodDisruptionBudget that allows no disruption, a pod no controller owns) or give it more time, and run '
            'this again.' % (name, params['timeout'], blocked,
                             'uncordoned again' if uncordoned else 'left cordoned (%s=%s)' % (CORDONED_BY, params['reason'])),
            left[name])


def uncordon(module, kubectl, name):
    checked(module, kubectl + ['uncordon', name])
    checked(module, kubectl + ['annotate', 'node', name, CORDONED_BY + '-'])


def main():
    spec = argument_spec('kubectl', 'cluster', 'api_wait')
    spec.update(
        nodes=dict(type='list', elements='str', required=True),
        state=dict(type='str', choices=['checked', 'drained', 'uncordoned'], default='checked'),
        timeout=dict(type='int', default=300),
        on_failure=dict(type='str', choices=['uncordon', 'keep_cordoned'], default='uncordon'),
        reason=dict(type='str', default='caas.platform'),
        only_reason=dict(type='str'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    if params['timeout'] <= 0:
        module.fail_json(msg='timeout is %d: a drain needs a positive number of seconds. Nothing was changed.'
                         % params['timeout'])
    kubectl = base_argv(params['kubectl_path'], params['kubeconfig'])
    try:
        # A dry-run eviction per pod is what a check is for (and what check mode of a drain reports); a drain itself
        # asks for the blockers only when it fails, an uncordon never.
        report = read(module, kubectl, params['nodes'], dry_run=params['state'] == 'checked'
                      or (params['state'] == 'drained' and module.check_mode))
        if params['state'] == 'uncordoned':
            todo = [name for name, found in report.items() if found['unschedulable']
                    and (params['only_reason'] is None or found['cordoned_by'] == params['only_reason'])]
        elif params['state'] == 'drained':
            todo = [name for name, found in report.items() if not found['unschedulable'] or found['pods']]
        else:
            todo = []
        result = dict(changed=bool(todo), nodes=report)
        if module._diff:
            # uncordoned clears the cordon of the nodes it acts on; drained sets it on every node.
            after = dict((name, False if params['state'] == 'uncordoned' and name in todo
                          else found['unschedulable'] or params['state'] == 'drained')
                         for name, found in report.items())
            result['diff'] = dict(
                before=''.join('%s: unschedulable=%s\n' % (n, f['unschedulable']) for n, f in sorted(report.items())),
                after=''.join('%s: unschedulable=%s\n' % (n, after[n]) for n in sorted(after)))
        if module.check_mode:
            module.exit_json(**result)
        for name in todo:
            if params['state'] == 'uncordoned':
                uncordon(module, kubectl, name)
                continue
            failure = drain(module, kubectl, name, report[name])
            if failure:
                report[name] = failure[1]
                module.fail_json(msg=failure[0], nodes=report, changed=True)
    except (CommandError, ValueError) as error:
        module.fail_json(msg='kubectl failed: %s' % error)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
