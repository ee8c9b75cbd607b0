#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: workload_rollout
short_description: Wait until workloads have rolled out, replacing a StatefulSet's pod stuck on an older template
version_added: 0.1.0
description:
  - Waits until each of O(workloads) runs its current template on every replica, ready - what
    C(kubectl rollout status) waits for - up to O(timeout) seconds.
  - A StatefulSet does not replace a pod that never became ready, even once its template is fixed. Kubernetes
    waits for the broken pod, and its documented way out is to delete that pod (a forced rollback). So a pod of a
    StatefulSet whose revision is not the StatefulSet's update revision, that is not ready, and whose container waits
    for a reason it does not recover from by itself (O(stuck_reasons), C(CrashLoopBackOff) among them) is deleted
    once. The StatefulSet starts it again from the current template, with the same volumes. A pod of the current
    template is never deleted. When that template is broken too, the wait ends at O(timeout), naming the pod and
    its reason.
  - With O(restart), first starts every pod of the workloads again (C(kubectl rollout restart)), as when credentials
    the pods read at start have changed, then waits for the new pods.
  - Changed only when a pod was replaced, or the workloads restarted.
options:
  namespace:
    description: The workloads' namespace.
    type: str
    required: true
  workloads:
    description: The workloads, each C(<kind>/<name>) (C(statefulset/harbor-database), C(deployment/harbor-core),
      C(daemonset/...)).
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait for every workload.
    type: int
    default: 600
  restart:
    description: Restart the workloads (C(kubectl rollout restart)) before waiting; every one of them must exist.
    type: bool
    default: false
  stuck_reasons:
    description: The reasons a container waits for that mark its pod as stuck.
    type: list
    elements: str
    default: [CrashLoopBackOff, ImagePullBackOff, ErrImagePull, InvalidImageName, CreateContainerConfigError,
              CreateContainerError, RunContainerError]
extends_documentation_fragment:
  - caas.platform.kubeadm.kubectl
  - caas.platform.kubeadm.cluster
  - caas.platform.kubeadm.api_wait
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the workloads and their pods once, without waiting, and reports the pods it would replace
      (a workload that does not exist yet as not rolled out) and the restart O(restart) asks for; deletes and restarts
      nothing.
  diff_mode:
    support: none
    description: What it replaces is in RV(replaced); there is no object of its own to compare.
  platform:
    support: full
    platforms: posix
    description: A host with kubectl and a kubeconfig of the cluster (a control-plane node).
seealso:
  - name: StatefulSet forced rollback
    description: Why a StatefulSet waits for a broken pod, and deleting it as the way out.
    link: https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#forced-rollback
"""

EXAMPLES = r"""
- name: Start Harbor's core and registry again (their credentials changed), and wait for the new pods
  caas.platform.workload_rollout:
    namespace: harbor
    workloads: [deployment/harbor-core, deployment/harbor-registry]
    restart: true

- name: Wait for Harbor's database and core; a database pod stuck on a broken older template is started again
  caas.platform.workload_rollout:
    namespace: harbor
    workloads: [statefulset/harbor-database, deployment/harbor-core]
    timeout: 600
"""

RETURN = r"""
workloads:
  description: Each workload as last read - C(kind), C(name), C(desired) and C(ready) replicas, C(rolled_out).
  returned: always
  type: list
  elements: dict
  sample: [{kind: StatefulSet, name: harbor-database, desired: 1, ready: 1, rolled_out: true}]
restarted:
  description: The workloads restarted (in check mode, that would be) with O(restart), each C(<kind>/<name>).
  returned: always
  type: list
  elements: str
  sample: [deployment/harbor-core]
replaced:
  description: The pods deleted (in check mode, that would be) so their StatefulSet starts them from its current
    template - C(pod), C(revision) (the old one), C(reason).
  returned: always
  type: list
  elements: dict
  sample: [{pod: harbor-database-0, revision: harbor-database-5d8f7c9b6, reason: CrashLoopBackOff}]
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError, argument_spec
from ansible_collections.caas.platform.plugins.module_utils.kubectl import base_argv, checked
from ansible_collections.caas.platform.plugins.module_utils.workloads import rollout_state, stuck_pods

KINDS = {'statefulset': 'StatefulSet', 'sts': 'StatefulSet', 'deployment': 'Deployment', 'deploy': 'Deployment',
         'daemonset': 'DaemonSet', 'ds': 'DaemonSet'}
POLL_SECONDS = 5


def parse_workloads(names):
    """The workloads as (Kind, name); an error message for the first that is not <kind>/<name>."""
    parsed = []
    for entry in names:
        kind, _sep, name = str(entry).partition('/')
        if kind.lower() not in KINDS or not name:
            return None, ('workloads has %s: give <kind>/<name>, the kind statefulset, deployment or daemonset '
                          '(statefulset/harbor-database).' % json.dumps(entry))
        parsed.append((KINDS[kind.lower()], name))
    return parsed, None


def read(module, kubectl, namespace, workloads):
    """The workloads' objects in the order asked (None for one that does not exist) and, when a StatefulSet has not
    rolled out, the namespace's pods."""
    answer = json.loads(checked(module, kubectl + ['-n', namespace, 'get', '--ignore-not-found', '-o', 'json']
                                + ['%s/%s' % (kind.lower(), name) for kind, name in workloads]) or '{}')
    found = answer.get('items', []) if answer.get('kind') == 'List' else [answer] if answer else []
    by_key = dict(((o.get('kind'), (o.get('metadata') or {}).get('name')), o) for o in found)
    objects = [by_key.get(key) for key in workloads]
    pods = []
    if any(o and o.get('kind') == 'StatefulSet' and not rollout_state(o)['rolled_out'] for o in objects):
        pods = json.loads(checked(module, kubectl + ['-n', namespace, 'get', 'pods', '-o', 'json'])).get('items', [])
    return objects, pods


def state_of(key, obj):
    if obj is None:
        return dict(kind=key[0], name=key[1], desired=0, ready=0, rolled_out=False, waiting_for='it does not exist')
    return rollout_state(obj)


def main():
    spec = argument_spec('kubectl', 'cluster', 'api_wait')
    spec.update(
        namespace=dict(type='str', required=True),
        workloads=dict(type='list', elements='str', required=True),
        timeout=dict(type='int', default=600),
        restart=dict(type='bool', default=False),
        stuck_reasons=dict(type='list', elements='str', default=[
            'CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'CreateContainerConfigError',
            'CreateContainerError', 'RunContainerError']),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    params = module.params
    workloads, problem = parse_workloads(params['workloads'])
    if problem:
        module.fail_json(msg=problem + ' Nothing was changed.')
    if params['timeout'] <= 0:
        module.fail_json(msg='timeout is %d: give the seconds to wait, more than 0. Nothing was changed.'
                         % params['timeout'])
    kubectl = base_argv(params['kubectl_path'], params['kubeconfig'])
    replaced, deleted = [], set()
    to_restart = ['%s/%s' % (kind.lower(), name) for kind, name in workloads] if params['restart'] else []
    restarted = to_restart if module.check_mode else []
    deadline = time.monotonic() + params['timeout']
    try:
        if to_restart and not module.check_mode:
            checked(module, kubectl + ['-n', params['namespace'], 'rollout', 'restart'] + to_restart)
            restarted = to_restart
        while True:
            objects, pods = read(module, kubectl, params['namespace'], workloads)
            states = [state_of(key, obj) for key, obj in zip(workloads, objects)]
            missing = [key for key, obj in zip(workloads, objects) if obj is None]
            if missing and not module.check_mode:
                module.fail_json(msg='%s does not exist in namespace %s: apply it before waiting for it.'
                                 % (', '.join('%s/%s' % key for key in missing), params['namespace']),
                                 changed=bool(replaced), replaced=replaced, restarted=restarted)
            for sts in (o for o in objects if o and o.get('kind') == 'StatefulSet'):
                for pod in stuck_pods(sts, pods, params['stuck_reasons']):
                    if pod['current'] or pod['pod'] in deleted:
                        continue
                    deleted.add(pod['pod'])
                    replaced.append(dict(pod=pod['pod'], revision=pod['revision'], reason=pod['reason']))
                    if not module.check_mode:
                        checked(module, kubectl + ['-n', params['namespace'], 'delete', 'pod', pod['pod'],
                                                   '--wait=false'])
            done = all(s['rolled_out'] for s in states)
            if done or module.check_mode or time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
    except CommandError as exc:
        module.fail_json(msg='the workloads could not be restarted, read or a stuck pod deleted: %s' % exc,
                         changed=bool(replaced or restarted) and not module.check_mode, replaced=replaced,
                         restarted=restarted)
    result = dict(changed=bool(replaced or restarted), workloads=states, replaced=replaced, restarted=restarted)
    if not done and not module.check_mode:
        waiting = ['%s/%s (%s)' % (s['kind'], s['name'], s['waiting_for']) for s in states if not s['rolled_out']]
        stuck = ['%s: %s' % (p['pod'], p['reason'])
                 for o in objects if o and o.get('kind') == 'StatefulSet'
                 for p in stuck_pods(o, pods, params['stuck_reasons']) if p['current']]
        module.fail_json(msg='not rolled out after %d s: %s%s. Look at the pods (kubectl -n %s describe pod) and fix '
                             'the cause in the settings; a run that fixes it replaces a stuck pod of an older template.'
                             % (params['timeout'], ', '.join(waiting),
                                ('; stuck on the current template: ' + ', '.join(stuck)) if stuck else '',
                                params['namespace']), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
