#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ceph_osd
short_description: Take a storage host's OSDs out of a Rook-managed Ceph cluster, and purge them once their data has moved
version_added: 0.1.0
description:
  - Works on every OSD under one CRUSH host of the cluster (C(ceph osd tree)), with the ceph CLI of the Rook
    operator's pod, from a control-plane node.
  - O(state=out) marks the host's OSDs out, so Ceph copies their data to the other OSDs; with O(wait) it waits until
    Ceph says every one of them is safe to destroy (C(ceph osd safe-to-destroy)), that is when no placement group needs them.
    It refuses first when the data would fill the other OSDs beyond O(max_fill) (C(ceph osd df)).
  - O(state=stopped) stops them (Rook's OSD Deployments scaled to 0, the OSDs marked down), and O(state=absent)
    purges them as well (C(ceph osd purge), which itself refuses an OSD that still holds data), deletes the
    Deployments and Rook's preparation Job of the host, and removes the host's empty CRUSH bucket. Both refuse
    unless every OSD is out and safe to destroy. Take the host out of the CephCluster's storage nodes before, or
    Rook starts or prepares them again.
  - O(state=out) and O(state=stopped) return the device each OSD uses on its host (from C(ceph osd metadata)),
    which the host's clean-up needs before the OSDs are purged.
  - Both can be run again after an interruption; what is done is not done twice.
options:
  host:
    description: The CRUSH host, as Rook names it (the node's C(kubernetes.io/hostname) label).
    type: str
    required: true
  state:
    description: C(out) (data moves away), C(stopped) (daemons stopped) or C(absent) (purged).
    type: str
    choices: [out, stopped, absent]
    default: out
  wait:
    description: With O(state=out), wait until every OSD of the host is safe to destroy.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the data to move (O(wait)), and for an OSD's pod to stop.
    type: int
    default: 1800
  interval:
    description: Seconds between two reads while waiting.
    type: int
    default: 10
  max_fill:
    description: With O(state=out), refuse when the data would fill the remaining OSDs beyond this share of their
      capacity (Ceph warns at 0.85 and stops writes at 0.95).
    type: float
    default: 0.75
  namespace:
    description: The namespace of the Rook operator and its CephCluster.
    type: str
    default: rook-ceph
extends_documentation_fragment:
  - caas.platform.kubeadm.kubectl
  - caas.platform.kubeadm.cluster
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the OSDs and whether they are safe to destroy, and reports what it would mark out or purge.
  diff_mode:
    support: none
    description: The change is the OSDs' state, returned as O(state) and RV(osds).
  platform:
    support: full
    platforms: posix
    description: A control-plane node with kubectl and a kubeconfig; the cluster's Rook operator runs the ceph CLI.
notes:
  - A host whose OSDs are down (the host is lost) works the same; Ceph rebuilds their copies from the others.
seealso:
  - module: caas.platform.ceph_health
"""

EXAMPLES = r"""
- name: Move the data off worker4's OSDs
  caas.platform.ceph_osd:
    host: worker4
    state: out
    timeout: 3600

- name: Stop them (after worker4 has left the CephCluster's storage nodes); their devices are returned
  caas.platform.ceph_osd:
    host: worker4
    state: stopped
  register: stopped

- name: Purge them
  caas.platform.ceph_osd:
    host: worker4
    state: absent
"""

RETURN = r"""
osds:
  description: The host's OSDs as the run found them (id, name, up, in).
  returned: always
  type: list
  elements: dict
  sample: [{id: 3, name: osd.3, up: true, in: true}]
safe:
  description: Every OSD of the host is safe to destroy (no placement group needs it).
  returned: always
  type: bool
waiting_for:
  description: The OSD ids that are not safe to destroy yet, and Ceph's reason.
  returned: always
  type: dict
  sample: {ids: [3], reason: "Error EBUSY: OSD(s) 3 have 33 pgs currently mapped to them"}
purged:
  description: The OSD ids purged by this run (those it would purge, in check mode).
  returned: always
  type: list
  elements: int
devices:
  description: The device of each of the host's OSDs on the host (stable path when Ceph knows one), by OSD id; with
    O(state=absent), of those purged.
  returned: always
  type: dict
  sample: {"3": /dev/disk/by-path/pci-0000:00:10.0-scsi-0:0:1:0}
waited:
  description: Seconds spent waiting for the data to move.
  returned: always
  type: float
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.ceph import (
    ceph_argv, fill_after, host_osds, not_safe, osd_device, parse_json, prepare_job_name)
from ansible_collections.caas.platform.plugins.module_utils.commands import CommandError, argument_spec, run
from ansible_collections.caas.platform.plugins.module_utils.kubectl import base_argv


class Cluster(object):
    """The cluster's ceph CLI and the Rook objects of its OSDs."""

    def __init__(self, module):
        self.module = module
        self.namespace = module.params['namespace']
        self.kubectl = base_argv(module.params['kubectl_path'], module.params['kubeconfig'])

    def ceph(self, *args, **kwargs):
        return run(self.module, ceph_argv(self.kubectl, self.namespace, list(args)), **kwargs)

    def kube(self, *args, **kwargs):
        return run(self.module, self.kubectl + ['-n', self.namespace] + list(args), **kwargs)

    def osds(self, host):
        return host_osds(parse_json(self.ceph('osd', 'tree')[1], 'osd tree'), host)

    def waiting(self, ids):
        if not ids:
            return [], ''
        rc, stdout, stderr = self.ceph('osd', 'safe-to-destroy', *[str(i) for i in ids], check_rc=False)
        return not_safe(rc, stdout, stderr, ids)

    def deployments(self, host):
        """OSD id -> (name, replicas) of Rook's Deployment of an OSD that ran on this host (Rook's topology label)."""
        answer = json.loads(self.kube('get', 'deployments', '-l', 'app=rook-ceph-osd,topology-location-host=' + host,
                                      '-o', 'json')[1])
        return dict((int(item['metadata']['labels']['ceph-osd-id']),
                     (item['metadata']['name'], item.get('spec', {}).get('replicas', 1)))
                    for item in answer.get('items', []) if item['metadata'].get('labels', {}).get('ceph-osd-id'))

    def devices(self, ids):
        """OSD id (as a string) -> its device on its host, while Ceph still knows the OSD."""
        return dict((str(i), osd_device(parse_json(self.ceph('osd', 'metadata', str(i))[1], 'osd metadata')))
                    for i in ids)

    def stop(self, osd_id, deployment, timeout, interval):
        self.kube('scale', 'deployment/' + deployment, '--replicas=0')
        deadline = time.monotonic() + timeout
        while self.kube('get', 'pods', '-l', 'ceph-osd-id=%d' % osd_id, '-o', 'name')[1].strip():
            if time.monotonic() >= deadline:
                raise CommandError('the pod of osd.%d did not stop in %d s' % (osd_id, timeout))
            time.sleep(max(1, interval))


def result_of(osds, changed=False, safe=True, waiting=(), reason='', purged=(), devices=None, waited=0.0):
    return dict(changed=changed, osds=osds, safe=safe, waiting_for=dict(ids=list(waiting), reason=reason),
                purged=list(purged), devices=devices or {}, waited=waited)


def take_out(module, cluster, osds):
    p = module.params
    to_mark = [osd['id'] for osd in osds if osd['in']]
    if to_mark:
        fill = fill_after(parse_json(cluster.ceph('osd', 'df')[1], 'osd df'), to_mark)
        if fill > p['max_fill']:
            module.fail_json(msg='Taking %s out would fill the other OSDs to %d%% (max_fill is %d%%): Ceph stops '
                                 'writes when an OSD is full; add capacity first, then take it out.' % (
                                     p['host'], round(fill * 100), round(p['max_fill'] * 100)),
                             **result_of(osds, safe=False, waiting=to_mark, reason='not out'))
    if to_mark and not module.check_mode:
        cluster.ceph('osd', 'out', *[str(i) for i in to_mark])
    start = time.monotonic()
    ids = [osd['id'] for osd in osds]
    waiting, reason = cluster.waiting(ids) if not (module.check_mode and to_mark) else (ids, 'not out yet')
    while waiting and p['wait'] and not module.check_mode and time.monotonic() - start < p['timeout']:
        time.sleep(max(1, p['interval']))
        waiting, reason = cluster.waiting(ids)
    result = result_of(osds, changed=bool(to_mark), safe=not waiting, waiting=waiting, reason=reason,
                       devices=cluster.devices(ids), waited=round(time.monotonic() - start, 1))
    if waiting and p['wait'] and not module.check_mode:
        module.fail_json(msg='The data of %s has not moved off its OSDs in %d s: %s (%s)' % (
            p['host'], p['timeout'], ', '.join('osd.%d' % i for i in waiting), reason), **result)
    return result


def refuse_unless_moved(module, cluster, osds):
    """Fail unless every OSD is out and safe to destroy: what comes next loses what they hold."""
    ids = [osd['id'] for osd in osds]
    still_in = [osd['name'] for osd in osds if osd['in']]
    waiting, reason = cluster.waiting(ids)
    if still_in or waiting:
        module.fail_json(msg='%s of %s %s: %s would lose data; take the host out (state=out) and wait until its '
                             'data has moved (%s).' % (
                                 ', '.join(still_in or ['osd.%d' % i for i in waiting]), module.params['host'],
                                 'is still in' if still_in else 'is not safe to destroy yet',
                                 'stopping' if module.params['state'] == 'stopped' else 'purging',
                                 reason or 'still in'),
                         **result_of(osds, safe=False, waiting=waiting or ids, reason=reason))


def stop_all(module, cluster, osds, deployments):
    """Stop the host's OSD daemons (Rook's Deployments scaled to 0) and mark them down; the devices they used."""
    p = module.params
    refuse_unless_moved(module, cluster, osds)
    running = sorted(i for i, (_name, replicas) in deployments.items() if replicas)
    up = [osd['id'] for osd in osds if osd['up']]
    if not module.check_mode:
        for osd_id in running:
            cluster.stop(osd_id, deployments[osd_id][0], p['timeout'], p['interval'])
        for osd_id in up:
            # Its pod is gone; Ceph would take a while to notice.
            cluster.ceph('osd', 'down', str(osd_id))
    return result_of(osds, changed=bool(running or up), devices=cluster.devices([osd['id'] for osd in osds]))


def purge(module, cluster, osds, deployments, bucket):
    p = module.params
    stopped = stop_all(module, cluster, osds, deployments)
    ids = [osd['id'] for osd in osds]
    to_purge = sorted(set(ids) | set(deployments))
    if not module.check_mode:
        for osd_id in to_purge:
            if osd_id in ids:
                cluster.ceph('osd', 'purge', str(osd_id), '--yes-i-really-mean-it')
            if osd_id in deployments:
                cluster.kube('delete', 'deployment', deployments[osd_id][0], '--ignore-not-found')
        # Rook's finished preparation Job of the host (it makes no new one once the host has left the CephCluster).
        cluster.kube('delete', 'job', prepare_job_name(p['host']), '--ignore-not-found')
        # The host's bucket is empty now; the zone above it stays (other hosts may join it).
        if bucket:
            cluster.ceph('osd', 'crush', 'rm', p['host'])
    return result_of(osds, changed=True, purged=to_purge, devices=stopped['devices'])


def main():
    spec = argument_spec('kubectl', 'cluster')
    spec.update(
        host=dict(type='str', required=True),
        state=dict(type='str', default='out', choices=['out', 'stopped', 'absent']),
        wait=dict(type='bool', default=True),
        timeout=dict(type='int', default=1800),
        interval=dict(type='int', default=10),
        max_fill=dict(type='float', default=0.75),
        namespace=dict(type='str', default='rook-ceph'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    cluster = Cluster(module)
    try:
        osds = cluster.osds(module.params['host'])
        if module.params['state'] == 'out':
            result = take_out(module, cluster, osds or [])
        else:
            # Scaling a Deployment to 0 keeps its name: one listing serves the stop and the purge.
            deployments = cluster.deployments(module.params['host'])
            if osds is None and not deployments:
                result = result_of([])
            elif module.params['state'] == 'stopped':
                result = stop_all(module, cluster, osds or [], deployments)
            else:
                result = purge(module, cluster, osds or [], deployments, bucket=osds is not None)
    except CommandError as error:
        module.fail_json(msg=str(error))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
