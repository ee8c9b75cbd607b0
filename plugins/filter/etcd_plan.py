# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: etcd_plan
short_description: What the etcd role must do to make the etcd group one healthy cluster
version_added: 0.1.0
description:
  - Compares the etcd group of the inventory with the hosts that hold etcd data and the cluster's member list,
    and returns whether a new cluster starts, which members go, which hosts join, and every problem that must stop
    the run before anything changes (a member name reused by a new host, a host with data that is not a member, a
    removal of a member that is still in the group).
options:
  _input:
    description: The inventory's members, each a dict with C(host), C(name), C(peer_url) and C(client_url).
    type: list
    elements: dict
    required: true
  with_data:
    description: The hosts of the etcd group whose data directory holds a member (C(member/wal) exists).
    type: list
    elements: str
    required: true
  members:
    description: The cluster's member list (RV(caas.platform.etcd_member#module:members)); empty when no host holds data.
    type: list
    elements: dict
    default: []
  remove:
    description: Names of members to remove before any host joins (lost members being replaced).
    type: list
    elements: str
    default: []
  data_dir:
    description: The data directory, for the messages.
    type: str
    default: /var/lib/etcd
"""

EXAMPLES = r"""
- name: Plan the membership
  ansible.builtin.set_fact:
    etcd_plan: >-
      {{ inventory_members | caas.platform.etcd_plan(with_data=['etcd1', 'etcd3'], members=listing.members,
                                                     remove=['etcd2']) }}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    new_cluster:
      description: No host holds data; every member starts together with C(--initial-cluster-state new).
      type: bool
    removals:
      description: The members (as in the member list) to remove first.
      type: list
      elements: dict
    joiners:
      description: The inventory members (as in the input) that join the running cluster, in inventory order.
      type: list
      elements: dict
    problems:
      description: Why the run must stop; empty when it may go on. Each names the host or member and the fix.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

REPLACE = 'ansible-playbook playbooks/etcd_replace_member.yml -e etcd_replace_member={0}'


def etcd_plan(inventory_members, with_data, members=None, remove=None, data_dir='/var/lib/etcd'):
    if not isinstance(inventory_members, list) or not all(isinstance(item, dict) for item in inventory_members):
        raise AnsibleFilterError('etcd_plan expects the inventory members, a list of dicts')
    members, remove, with_data = list(members or []), list(remove or []), set(with_data or [])
    if not with_data:
        return dict(new_cluster=True, removals=[], joiners=[], problems=[])

    problems = []
    removals = [item for item in members if item.get('name') and item['name'] in remove]
    remaining = [item for item in members if item not in removals]
    by_name = dict((item['name'], item) for item in remaining if item.get('name'))
    joiners = []
    for host in inventory_members:
        name = host['name']
        if host['host'] in with_data:
            if name in remove:
                problems.append(
                    f"etcd_remove_members names {name}, but {host['host']} is in the etcd group and holds its data in "
                    f"{data_dir}: take the host out of the etcd group first (it is replaced, not kept), or drop {name} "
                    'from etcd_remove_members')
            elif name not in by_name and not any(host['peer_url'] in item['peer_urls'] for item in remaining):
                problems.append(
                    f"{host['host']} holds etcd data in {data_dir} but is not a member of the cluster (members: "
                    f"{', '.join(sorted(by_name)) or 'none'}): it was removed or belongs to another cluster. Move "
                    f"{data_dir} aside on {host['host']} so that it joins as a new member; nothing is deleted for you")
            continue
        joiners.append(host)
        same = by_name.get(name)
        if same:
            problems.append(
                f"etcd member name {name} is reused: the cluster already has a member {name} (ID {same['id']}, peer "
                f"URLs {', '.join(same['peer_urls'])}), and {host['host']} has no data in {data_dir}. If that member "
                f"is lost, replace it: {REPLACE.format(name)} (it removes the old member, then this host joins). If "
                'it is another host, give the new one another name (caas_node_name)')
            continue
        taken = [item for item in remaining if host['peer_url'] in item['peer_urls'] and item.get('name')]
        if taken:
            problems.append(
                f"{host['host']} would join with peer URL {host['peer_url']}, which member {taken[0]['name']} (ID "
                f"{taken[0]['id']}) already has: if that member is lost, replace it: {REPLACE.format(taken[0]['name'])}")
    return dict(new_cluster=False, removals=removals, joiners=joiners, problems=problems)


class FilterModule:
    def filters(self):
        return {'etcd_plan': etcd_plan}
