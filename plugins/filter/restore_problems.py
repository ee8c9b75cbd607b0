# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: restore_problems
short_description: What keeps a stacked control plane from being restored from a snapshot now
version_added: 0.1.0
description:
  - Takes the inventory name of the surviving control-plane host (C(restore_host)) and returns one message per
    problem; an empty list when playbooks/restore_control_plane.yml may start.
  - Only stacked etcd; the host must be in the group control_plane; the snapshot must be a file on the controller;
    the etcd cluster must have lost its quorum (a cluster that still answers with a quorum of healthy members is
    repaired by replacing the lost hosts instead); the restore must be confirmed with the cluster's name.
options:
  _input:
    description: The inventory name of the surviving control-plane host.
    type: str
    required: true
  topology:
    description: C(caas_etcd_topology).
    type: str
    required: true
  cluster_name:
    description: C(caas_cluster_name).
    type: str
    required: true
  confirm:
    description: What the operator confirmed with (C(restore_confirm)).
    type: str
    required: true
  snapshot_is_file:
    description: Whether the snapshot named by C(restore_snapshot) is a file on the controller.
    type: bool
    required: true
  etcd:
    description: The caas.platform.etcd_member module's C(listed) result read through the host (C(members),
      C(endpoints)), or null when etcd did not answer (without a quorum its linearizable reads fail).
    type: dict
extends_documentation_fragment:
  - caas.platform.node_lifecycle
"""

EXAMPLES = r"""
- name: Refuse a restore that cannot start
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: >-
      {{ restore_host | caas.platform.restore_problems(groups, caas_etcd_topology, caas_cluster_name, restore_confirm,
         restore_snapshot is file, None if etcd is failed else etcd) }}
"""

RETURN = r"""
_value:
  description: One message per problem.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.node_lifecycle import restore_problems as problems


def restore_problems(host, groups, topology, cluster_name, confirm, snapshot_is_file, etcd=None):
    if not hasattr(groups, 'get') or (etcd is not None and not hasattr(etcd, 'get')):
        raise AnsibleFilterError('restore_problems expects the inventory groups and the etcd listing (or null)')
    return problems(host, groups, topology, cluster_name, '' if confirm is None else str(confirm),
                    bool(snapshot_is_file), etcd)


class FilterModule(object):
    def filters(self):
        return {'restore_problems': restore_problems}
