#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ceph_health
short_description: Read the health of a Rook-managed Ceph cluster, and wait for it
version_added: 0.1.0
description:
  - Runs C(ceph status) in the Rook operator's pod (C(kubectl exec), with the admin configuration and keyring the
    operator keeps) from a control-plane node, and returns Ceph's health with its checks, the monitors in quorum,
    the OSDs up and in, the placement groups by state and the capacity.
  - With O(wait), asks again every O(interval) seconds until the cluster is at least as healthy as O(health), has
    O(min_osds_up) OSDs up and in and, with O(pgs_active_clean), every placement group active+clean; when
    O(timeout) passes first it fails with what is missing (Ceph's own check messages).
  - Changes nothing. Used by the rook_ceph role before and after every change, and by later layers.
options:
  namespace:
    description: The namespace of the Rook operator and its CephCluster.
    type: str
    default: rook-ceph
  health:
    description: The least healthy state accepted.
    type: str
    choices: [HEALTH_OK, HEALTH_WARN, HEALTH_ERR]
    default: HEALTH_OK
  min_osds_up:
    description: OSDs that must be up and in.
    type: int
    default: 0
  pgs_active_clean:
    description: Every placement group must be active+clean (the data has all its copies).
    type: bool
    default: true
  wait:
    description: Wait until the cluster is in the state asked for; without it, report and fail at once when not.
    type: bool
    default: false
  fail_unmet:
    description: Fail when the state asked for is not reached; without it, report C(unmet) and succeed.
    type: bool
    default: true
  timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 600
  interval:
    description: Seconds between two reads with O(wait).
    type: int
    default: 10
extends_documentation_fragment:
  - caas.platform.attributes.read_only
  - caas.platform.kubeadm.kubectl
  - caas.platform.kubeadm.cluster
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  platform:
    support: full
    platforms: posix
    description: A control-plane node with kubectl and a kubeconfig; the cluster's Rook operator runs the ceph CLI.
notes:
  - The cluster must exist (Rook's operator writes the admin configuration once the mons run).
seealso:
  - module: caas.platform.kubectl_apply
"""

EXAMPLES = r"""
- name: Wait until Ceph is healthy with its three OSDs and every placement group clean
  caas.platform.ceph_health:
    min_osds_up: 3
    wait: true
    timeout: 900

- name: Read the health without judging it
  caas.platform.ceph_health:
    health: HEALTH_ERR
    pgs_active_clean: false
  register: ceph
"""

RETURN = r"""
health:
  description: Ceph's health status.
  returned: always
  type: str
  sample: HEALTH_OK
checks:
  description: Ceph's health checks by name, with their severity and message.
  returned: always
  type: dict
  sample: {MON_DOWN: {severity: HEALTH_WARN, message: 1/3 mons down, quorum a,b, muted: false}}
fsid:
  description: The cluster's id.
  returned: always
  type: str
mons:
  description: The monitors (count) and those in quorum.
  returned: always
  type: dict
  sample: {count: 3, quorum: [a, b, c]}
mgr_available:
  description: A manager is active.
  returned: always
  type: bool
osds:
  description: The OSDs, those up and those in.
  returned: always
  type: dict
  sample: {count: 3, up: 3, in: 3}
pgs:
  description: The placement groups, those active+clean, and the count of each state.
  returned: always
  type: dict
  sample: {count: 97, active_clean: 97, states: {active+clean: 97}}
capacity:
  description: Raw capacity, used and available, in bytes.
  returned: always
  type: dict
unmet:
  description: What keeps the cluster from the state asked for, one sentence each; empty when it is there.
  returned: always
  type: list
  elements: str
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.ceph import ceph_argv, parse_status, summarize, unmet
from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError, argument_spec, run
from ansible_collections.caas.platform.plugins.module_utils.kubectl import base_argv


def read(module):
    argv = ceph_argv(base_argv(module.params['kubectl_path'], module.params['kubeconfig']),
                     module.params['namespace'], ['status'])
    _rc, stdout, _stderr = run(module, argv)
    return summarize(parse_status(stdout))


def main():
    spec = argument_spec('kubectl', 'cluster')
    spec.update(
        namespace=dict(type='str', default='rook-ceph'),
        health=dict(type='str', default='HEALTH_OK', choices=['HEALTH_OK', 'HEALTH_WARN', 'HEALTH_ERR']),
        min_osds_up=dict(type='int', default=0),
        pgs_active_clean=dict(type='bool', default=True),
        wait=dict(type='bool', default=False),
        fail_unmet=dict(type='bool', default=True),
        timeout=dict(type='int', default=600),
        interval=dict(type='int', default=10),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    start = time.monotonic()
    deadline = start + (p['timeout'] if p['wait'] else 0)
    last_error = None
    while True:
        try:
            summary = read(module)
            problems = unmet(summary, p['health'], p['min_osds_up'], p['pgs_active_clean'])
            last_error = None
        except CommandError as error:
            summary, problems, last_error = None, [str(error)], str(error)
        if not problems or time.monotonic() >= deadline:
            break
        time.sleep(max(1, p['interval']))
    waited = round(time.monotonic() - start, 1)
    if summary is None:
        module.fail_json(msg='Ceph could not be read%s: %s' % (' in %d s' % p['timeout'] if p['wait'] else '',
                                                               last_error), unmet=problems, waited=waited)
    result = dict(changed=False, unmet=problems, waited=waited, **summary)
    if problems and p['fail_unmet']:
        module.fail_json(msg='Ceph is not %s%s: %s' % (
            p['health'], ' after %d s' % p['timeout'] if p['wait'] else '', '; '.join(problems)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
