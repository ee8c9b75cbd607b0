#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: etcd_member
short_description: List, add, remove and promote the members of an etcd v3 cluster
version_added: 0.1.0
description:
  - Drives C(etcdctl member) and C(etcdctl endpoint) (v3 API, JSON output) against a running etcd cluster.
  - C(listed) reports the members, the leader and the health of every member, and changes nothing.
  - C(present) adds a member (C(member add)) when no member has its name or peer URLs, and returns the
    C(initial_cluster) and C(initial_cluster_state) the new member must be started with. A name that exists with
    other peer URLs, or a peer URL of another member, is refused.
  - C(absent) removes a member (C(member remove)). The last member is never removed, and neither is a member whose
    removal would leave fewer healthy voting members than the new quorum, unless O(force=true).
  - C(promoted) promotes a learner to a voting member (C(member promote)) once it has caught up with the leader.
  - Member IDs are returned in hexadecimal, as etcdctl's table output and arguments spell them.
  - Errors carry etcdctl's own message.
options:
  state:
    description:
      - C(listed) only reports. C(present) adds the member, C(absent) removes it, C(promoted) makes a learner vote.
      - C(present) does not promote a member that already exists as a learner; use C(promoted).
    type: str
    choices: [listed, present, absent, promoted]
    default: present
  name:
    description:
      - The member's name (etcd's C(--name)).
      - Required with O(state=present). With O(state=absent) or O(state=promoted), O(name) or O(peer_urls) finds the
        member; a member that was added but has not started yet has no name and is found by its peer URLs.
    type: str
  peer_urls:
    description: The member's peer URLs (etcd's C(--initial-advertise-peer-urls)). Required with O(state=present).
    type: list
    elements: str
  learner:
    description: Add the member as a learner, a non-voting member that does not count for the quorum until promoted.
    type: bool
    default: false
  force:
    description: With O(state=absent), remove the member even when the healthy voting members left would be fewer
      than the new quorum.
    type: bool
    default: false
  wait:
    description:
      - Seconds to keep retrying while etcd refuses a change for a passing reason; its message is returned when
        the time is up.
      - etcd refuses to add or remove a member with C(unhealthy cluster) until every voting member has been
        connected for 5 seconds (just after a member started), and to promote a learner until it has caught up
        with the leader.
    type: int
    default: 60
  endpoints:
    description: The client URLs of the cluster etcdctl talks to.
    type: list
    elements: str
    default: ['https://127.0.0.1:2379']
  timeout:
    description: Seconds etcdctl waits to connect to an endpoint, and for each request.
    type: int
    default: 5
extends_documentation_fragment:
  - caas.platform.etcd
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the cluster, makes the same checks and refusals, and reports what would change without
      changing it.
  diff_mode:
    support: full
    description: Shows the members, one line each, before and after.
  platform:
    support: full
    platforms: posix
    description: Any POSIX host with etcdctl 3.4 or newer that can reach the cluster.
notes:
  - A member's health is C(endpoint health) at its first client URL for a voting member, and C(endpoint status) for
    a learner (learners do not answer C(endpoint health)). A member that has not started has no client URL and is
    unhealthy.
  - etcd allows one learner at a time.
seealso:
  - module: caas.platform.etcd_snapshot
  - name: etcd runtime reconfiguration
    description: How to add and remove members safely.
    link: https://etcd.io/docs/v3.5/op-guide/runtime-configuration/
"""

EXAMPLES = r"""
- name: Members, leader and health of the cluster
  caas.platform.etcd_member:
    state: listed
    endpoints: [https://10.0.1.11:2379, https://10.0.1.12:2379, https://10.0.1.13:2379]
    cacert: /etc/etcd/pki/ca.crt
    cert: /etc/etcd/pki/healthcheck-client.crt
    key: /etc/etcd/pki/healthcheck-client.key
  register: etcd

- name: Add etcd4 as a learner
  caas.platform.etcd_member:
    name: etcd4
    peer_urls: [https://10.0.1.14:2380]
    learner: true
    endpoints: "{{ etcd_client_urls }}"
    cacert: /etc/etcd/pki/ca.crt
    cert: /etc/etcd/pki/admin.crt
    key: /etc/etcd/pki/admin.key
  register: added
  # start etcd on etcd4 with --initial-cluster "{{ added.initial_cluster }}"
  # and --initial-cluster-state "{{ added.initial_cluster_state }}"

- name: Promote it once it has caught up
  caas.platform.etcd_member:
    state: promoted
    name: etcd4
    endpoints: "{{ etcd_client_urls }}"
    cacert: /etc/etcd/pki/ca.crt
    cert: /etc/etcd/pki/admin.crt
    key: /etc/etcd/pki/admin.key

- name: Remove etcd2
  caas.platform.etcd_member:
    state: absent
    name: etcd2
    endpoints: "{{ etcd_client_urls }}"
    cacert: /etc/etcd/pki/ca.crt
    cert: /etc/etcd/pki/admin.crt
    key: /etc/etcd/pki/admin.key
"""

RETURN = r"""
cluster_id:
  description: The cluster ID, in hexadecimal.
  returned: always
  type: str
  sample: de85f2c5816acf26
members:
  description: The members after the change (in check mode, as they are).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The member ID, in hexadecimal.
      type: str
      sample: 17dfe0f1c53276f5
    name:
      description: The member's name; empty until the member has started.
      type: str
      sample: etcd1
    peer_urls:
      description: Its peer URLs.
      type: list
      elements: str
      sample: [https://10.0.1.11:2380]
    client_urls:
      description: Its client URLs; empty until the member has started.
      type: list
      elements: str
      sample: [https://10.0.1.11:2379]
    is_learner:
      description: Whether it is a learner.
      type: bool
      sample: false
    started:
      description: Whether it has started (it has a name).
      type: bool
      sample: true
member:
  description: The member O(name) or O(peer_urls) names, as in RV(members); null when there is none (or, in check
    mode, when it would be added).
  returned: when O(state) is not C(listed)
  type: dict
  sample: {id: a49c75270f8749a6, name: '', peer_urls: [https://10.0.1.14:2380], client_urls: [], is_learner: true,
           started: false}
initial_cluster:
  description: The C(--initial-cluster) the member must start with, every member's name=peer URL, as
    C(etcdctl member add) prints it.
  returned: when O(state=present)
  type: str
  sample: etcd1=https://10.0.1.11:2380,etcd2=https://10.0.1.12:2380,etcd3=https://10.0.1.13:2380,etcd4=https://10.0.1.14:2380
initial_cluster_state:
  description: The C(--initial-cluster-state) a member added to a running cluster starts with.
  returned: when O(state=present)
  type: str
  sample: existing
leader:
  description: The ID of the leader, in hexadecimal; null when no member answered.
  returned: when O(state=listed)
  type: str
  sample: 368e1a7b5226c2f7
endpoints:
  description: Health and status of each member, at its first client URL.
  returned: when O(state=listed)
  type: list
  elements: dict
  contains:
    endpoint:
      description: The client URL probed; null for a member that has not started.
      type: str
    member_id:
      description: The member ID, in hexadecimal.
      type: str
    name:
      description: The member's name.
      type: str
    healthy:
      description: Whether it answered (C(endpoint health) for a voting member, C(endpoint status) for a learner).
      type: bool
    error:
      description: etcdctl's error when it is not healthy.
      type: str
    is_leader:
      description: Whether it is the leader.
      type: bool
    is_learner:
      description: Whether it is a learner.
      type: bool
    version:
      description: The etcd version it runs.
      type: str
    db_size:
      description: The size of its database in bytes.
      type: int
    raft_term:
      description: Its raft term.
      type: int
    raft_index:
      description: Its raft index.
      type: int
    took:
      description: How long the health check took, as etcdctl prints it.
      type: str
  sample:
    - {endpoint: https://10.0.1.11:2379, member_id: 17dfe0f1c53276f5, name: etcd1, healthy: true, error: null,
       is_leader: false, is_learner: false, version: 3.5.1, db_size: 24576, raft_term: 2, raft_index: 11,
       took: 9.05ms}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.etcd import (
    EtcdError, Etcdctl, connection_argument_spec, find_member, initial_cluster, member_lines, removal_problem)


def probe(ctl, members):
    """(IDs of the healthy members, one health/status entry per member, leader ID)."""
    first = dict((item['id'], item['client_urls'][0]) for item in members if item['client_urls'])
    voters = [item for item in members if not item['is_learner'] and item['id'] in first]
    health = dict((entry['endpoint'], entry) for entry in ctl.endpoint_health([first[item['id']] for item in voters]))
    answered = [item for item in members if item['id'] in first and
                (item['is_learner'] or health.get(first[item['id']], {}).get('health'))]
    statuses, failed = ctl.endpoint_status([first[item['id']] for item in answered])
    status = dict((entry['endpoint'], entry) for entry in statuses)
    leader = next((entry['leader'] for entry in statuses if entry['leader']), None)
    healthy, entries = set(), []
    for item in members:
        endpoint = first.get(item['id'])
        checked, found = health.get(endpoint) or {}, status.get(endpoint) or {}
        ok = bool(found) if item['is_learner'] else bool(checked.get('health'))
        error = None
        if endpoint is None:
            error = 'not started'
        elif not ok:
            error = checked.get('error') or failed.get(endpoint) or 'no answer'
        if ok:
            healthy.add(item['id'])
        entries.append(dict(endpoint=endpoint, member_id=item['id'], name=item['name'], healthy=ok, error=error,
                            is_leader=item['id'] == leader, is_learner=item['is_learner'],
                            version=found.get('version'), db_size=found.get('db_size'),
                            raft_term=found.get('raft_term'), raft_index=found.get('raft_index'),
                            took=checked.get('took')))
    return healthy, entries, leader


def target_of(module, members):
    params = module.params
    found, problem = find_member(members, params['name'], params['peer_urls'])
    if problem:
        module.fail_json(msg=problem)
    return found


def present(module, ctl, members):
    params = module.params
    found = target_of(module, members)
    result = dict(initial_cluster_state='existing')
    if found:
        result.update(changed=False, member=found, members=members,
                      initial_cluster=initial_cluster(members, params['name'], member_id=found['id']))
        return result, members
    wanted = dict(id='(new)', name='', peer_urls=params['peer_urls'], client_urls=[], is_learner=params['learner'],
                  started=False)
    if module.check_mode:
        result.update(changed=True, member=None, members=members,
                      initial_cluster=initial_cluster(members, params['name'], peer_urls=params['peer_urls']))
        return result, members + [wanted]
    new, after = ctl.member_add(params['name'], params['peer_urls'], params['learner'], params['wait'])
    result.update(changed=True, member=new, members=after,
                  initial_cluster=initial_cluster(after, params['name'], member_id=new['id']))
    return result, after


def absent(module, ctl, members):
    params = module.params
    found = target_of(module, members)
    if not found:
        return dict(changed=False, member=None, members=members), members
    healthy = set()
    if len(members) > 1 and not found['is_learner']:
        healthy = probe(ctl, members)[0]
    kind, problem = removal_problem(members, found, healthy)
    if kind == 'last' or (kind and not params['force']):
        module.fail_json(msg=problem)
    if problem:
        module.warn('forced: ' + problem)
    after = [item for item in members if item['id'] != found['id']]
    if not module.check_mode:
        after = ctl.member_remove(found['id'], params['wait'])['members']
    return dict(changed=True, member=found, members=members if module.check_mode else after), after


def promoted(module, ctl, members):
    params = module.params
    found = target_of(module, members)
    if not found:
        module.fail_json(msg='no member named %s%s to promote' % (
            params['name'] or '', ' with peer URLs %s' % ','.join(params['peer_urls']) if params['peer_urls'] else ''))
    if not found['is_learner']:
        return dict(changed=False, member=found, members=members), members
    if not found['started']:
        module.fail_json(msg='learner %s (%s) has not started: start etcd on it (initial_cluster_state existing) '
                             'before promoting it' % (params['name'] or ','.join(found['peer_urls']), found['id']))
    after = [dict(item, is_learner=False) if item['id'] == found['id'] else item for item in members]
    if module.check_mode:
        return dict(changed=True, member=found, members=members), after
    ctl.member_promote(found['id'], params['wait'])
    after = ctl.member_list()['members']
    return dict(changed=True, member=next((i for i in after if i['id'] == found['id']), None), members=after), after


def main():
    argument_spec = connection_argument_spec()
    argument_spec.update(
        state=dict(type='str', choices=['listed', 'present', 'absent', 'promoted'], default='present'),
        name=dict(type='str'),
        peer_urls=dict(type='list', elements='str'),
        learner=dict(type='bool', default=False),
        force=dict(type='bool', default=False),
        wait=dict(type='int', default=60),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[('state', 'present', ('name', 'peer_urls')),
                     ('state', 'absent', ('name', 'peer_urls'), True),
                     ('state', 'promoted', ('name', 'peer_urls'), True)],
        supports_check_mode=True,
    )
    ctl = Etcdctl(module)
    state = module.params['state']
    try:
        listing = ctl.member_list()
        members = listing['members']
        if state == 'listed':
            healthy, entries, leader = probe(ctl, members)
            module.exit_json(changed=False, cluster_id=listing['cluster_id'], members=members, leader=leader,
                             endpoints=entries)
        result, after = dict(present=present, absent=absent, promoted=promoted)[state](module, ctl, members)
    except EtcdError as exc:
        module.fail_json(msg=str(exc))
    result['cluster_id'] = listing['cluster_id']
    if module._diff:
        result['diff'] = dict(before=member_lines(members), after=member_lines(after))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
