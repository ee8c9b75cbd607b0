# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rook_ceph_problems
short_description: What is wrong with the Ceph cluster an inventory asks for, and what a running one cannot take
version_added: 0.1.0
description:
  - Takes the rook_ceph role's settings and its storage hosts and returns one message per problem, each naming the
    variable, the bad value and the fix; an empty list when all is good.
  - Checks the storage hosts (Kubernetes nodes, at least one device each, stable C(/dev/disk/by-id/) paths, loop
    devices only with C(rook_ceph_allow_loop_devices)), the monitor count (odd, one host each), the replicas against
    the failure domains that have OSDs, and the default StorageClass.
  - With O(cluster) (the running CephCluster's spec), refuses fewer monitors and an OSD device or storage host taken
    away.
options:
  _input:
    description: The settings - C(mon_count), C(mgr_count), C(replicas), C(failure_domain), C(default_storage_class),
      C(storage_classes) (C(block), C(filesystem), C(bucket)), C(allow_loop_devices), C(probe_timeout_seconds),
      and C(leaving_nodes) - the node names of storage hosts whose OSDs playbooks/storage_remove_host.yml is
      removing (their absence from the storage group is then no problem).
    type: dict
    required: true
  hosts:
    description: The variables of each storage host (C(hostvars[name])) - its node name, C(caas_zone) and
      C(rook_ceph_osd_devices) are read from them.
    type: list
    elements: dict
    required: true
  nodes:
    description: The inventory names of the Kubernetes nodes (the control-plane and worker groups).
    type: list
    elements: str
    required: true
  cluster:
    description: The running CephCluster's spec, or null.
    type: dict
"""

EXAMPLES = r"""
- name: Refuse a bad storage plan before anything changes
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: >-
      {{ settings | caas.platform.rook_ceph_problems(groups['storage'] | map('extract', hostvars) | list,
                                                     groups['control_plane'] + groups['workers'], cluster) }}
"""

RETURN = r"""
_value:
  description: One message per problem.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils import node_identity
from ansible_collections.caas.platform.plugins.plugin_utils.rook_ceph_plan import plan_problems


def rook_ceph_problems(settings, hosts, nodes, cluster=None):
    if not isinstance(settings, dict) or not isinstance(hosts, list) or not all(hasattr(h, 'get') for h in hosts):
        raise AnsibleFilterError('rook_ceph_problems expects the settings (a dict) and the storage hosts\' variables')
    entries = [{'host': h.get('inventory_hostname'), 'node_name': node_identity.node_name(h),
                'zone': h.get('caas_zone'), 'is_node': h.get('inventory_hostname') in nodes,
                'devices': h.get('rook_ceph_osd_devices', [])} for h in hosts]
    return plan_problems(settings, entries, cluster or None)


class FilterModule(object):
    def filters(self):
        return {'rook_ceph_problems': rook_ceph_problems}
