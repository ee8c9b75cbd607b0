# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.etcd_plan import etcd_plan


def host(name, address):
    return dict(host=name, name=name, peer_url=f'https://{address}:2380', client_url=f'https://{address}:2379')


def member(name, address, ident, learner=False, started=True):
    return dict(id=ident, name=name if started else '', peer_urls=[f'https://{address}:2380'],
                client_urls=[f'https://{address}:2379'] if started else [], is_learner=learner, started=started)


ETCD1, ETCD2, ETCD3, ETCD4 = (host('etcd1', '10.0.1.11'), host('etcd2', '10.0.1.12'), host('etcd3', '10.0.1.13'),
                              host('etcd4', '10.0.1.14'))
RUNNING = [member('etcd1', '10.0.1.11', 'a1'), member('etcd2', '10.0.1.12', 'a2'), member('etcd3', '10.0.1.13', 'a3')]


def test_no_data_anywhere_starts_a_new_cluster():
    plan = etcd_plan([ETCD1, ETCD2, ETCD3], with_data=[])
    assert plan == dict(new_cluster=True, removals=[], joiners=[], problems=[])


def test_a_converged_cluster_needs_nothing():
    plan = etcd_plan([ETCD1, ETCD2, ETCD3], with_data=['etcd1', 'etcd2', 'etcd3'], members=RUNNING)
    assert plan == dict(new_cluster=False, removals=[], joiners=[], problems=[])


def test_a_lost_member_is_removed_and_its_replacement_joins():
    plan = etcd_plan([ETCD1, ETCD3, ETCD4], with_data=['etcd1', 'etcd3'], members=RUNNING, remove=['etcd2'])
    assert plan['problems'] == []
    assert [item['id'] for item in plan['removals']] == ['a2']
    assert plan['joiners'] == [ETCD4]


def test_a_replacement_may_reuse_the_lost_members_name_when_asked():
    new_etcd2 = host('etcd2', '10.0.1.22')
    plan = etcd_plan([ETCD1, new_etcd2, ETCD3], with_data=['etcd1', 'etcd3'], members=RUNNING, remove=['etcd2'])
    assert plan['problems'] == []
    assert plan['joiners'] == [new_etcd2]


def test_a_reused_name_is_refused_with_the_fix():
    new_etcd2 = host('etcd2', '10.0.1.22')
    plan = etcd_plan([ETCD1, new_etcd2, ETCD3], with_data=['etcd1', 'etcd3'], members=RUNNING)
    assert len(plan['problems']) == 1
    problem = plan['problems'][0]
    assert 'etcd member name etcd2 is reused' in problem
    assert 'ID a2' in problem and 'https://10.0.1.12:2380' in problem
    assert 'etcd_replace_member.yml -e etcd_replace_member=etcd2' in problem


def test_a_peer_url_of_another_member_is_refused():
    other = dict(ETCD2, host='etcd9', name='etcd9')
    plan = etcd_plan([ETCD1, other, ETCD3], with_data=['etcd1', 'etcd3'], members=RUNNING)
    assert len(plan['problems']) == 1
    assert 'peer URL https://10.0.1.12:2380, which member etcd2 (ID a2) already has' in plan['problems'][0]


def test_a_host_with_data_that_is_not_a_member_is_refused_and_nothing_deleted():
    members = [item for item in RUNNING if item['name'] != 'etcd2']
    plan = etcd_plan([ETCD1, ETCD2, ETCD3], with_data=['etcd1', 'etcd2', 'etcd3'], members=members,
                     data_dir='/data/etcd')
    assert len(plan['problems']) == 1
    assert 'etcd2 holds etcd data in /data/etcd but is not a member' in plan['problems'][0]
    assert 'Move /data/etcd aside on etcd2' in plan['problems'][0]


def test_removing_a_member_still_in_the_group_with_its_data_is_refused():
    plan = etcd_plan([ETCD1, ETCD2, ETCD3], with_data=['etcd1', 'etcd2', 'etcd3'], members=RUNNING,
                     remove=['etcd2'])
    assert len(plan['problems']) == 1
    assert 'etcd_remove_members names etcd2, but etcd2 is in the etcd group' in plan['problems'][0]


def test_an_added_member_that_never_started_is_joined_again():
    # A run that stopped after the member add: the learner has no name yet, only its peer URL.
    members = RUNNING[:1] + RUNNING[2:] + [member('', '10.0.1.14', 'b4', learner=True, started=False)]
    plan = etcd_plan([ETCD1, ETCD3, ETCD4], with_data=['etcd1', 'etcd3'], members=members)
    assert plan['problems'] == []
    assert plan['joiners'] == [ETCD4]


def test_removing_an_unknown_member_changes_nothing():
    plan = etcd_plan([ETCD1, ETCD2, ETCD3], with_data=['etcd1', 'etcd2', 'etcd3'], members=RUNNING,
                     remove=['etcd7'])
    assert plan == dict(new_cluster=False, removals=[], joiners=[], problems=[])


def test_bad_input_is_an_error():
    with pytest.raises(AnsibleFilterError, match='list of dicts'):
        etcd_plan('etcd1', with_data=[])
