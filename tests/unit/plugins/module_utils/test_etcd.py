# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The etcd readers on what etcdctl and etcdutl 3.5.1 printed on a real 3-member TLS cluster (tests/unit/fixtures/etcd)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ansible_collections.caas.platform.plugins.module_utils import etcd

FIXTURES = Path(__file__).resolve().parents[2] / 'fixtures' / 'etcd'
M1, M2, M3, M4 = '17dfe0f1c53276f5', '368e1a7b5226c2f7', '6bd8a1b1e56338b2', 'a49c75270f8749a6'


def fixture(name):
    return (FIXTURES / name).read_text()


def members(name):
    return etcd.parse_member_list(fixture(name))['members']


def test_member_ids_are_hex_as_in_the_table_output():
    listing = etcd.parse_member_list(fixture('member-list-3-voters.json'))
    assert listing['cluster_id'] == 'de85f2c5816acf26'  # "added to cluster de85f2c5816acf26" in member-add-learner.txt
    assert [m['id'] for m in listing['members']] == [M1, M2, M3]
    assert listing['members'][0] == dict(id=M1, name='m1', peer_urls=['https://127.0.0.1:58163'],
                                         client_urls=['https://127.0.0.1:51493'], is_learner=False, started=True)
    assert etcd.hex_id(1720340911678977781) == M1


def test_an_unstarted_learner_has_no_name_and_no_client_url():
    learner = members('member-list-unstarted-learner.json')[3]
    assert learner == dict(id=M4, name='', peer_urls=['https://127.0.0.1:42927'], client_urls=[], is_learner=True,
                           started=False)
    started = members('member-list-started-learner.json')[3]
    assert started['name'] == 'm4' and started['is_learner'] and started['client_urls'] == ['https://127.0.0.1:58801']
    assert not members('member-list-4-voters.json')[3]['is_learner']


def test_member_add_answer_and_initial_cluster_like_etcdctl_prints_it():
    new, after = etcd.parse_member_add(fixture('member-add-learner.json'))
    assert new['id'] == M4 and new['is_learner'] and len(after) == 4
    assert etcd.initial_cluster(after, 'm4', member_id=new['id']) == (
        'm1=https://127.0.0.1:58163,m2=https://127.0.0.1:59129,m3=https://127.0.0.1:42359,m4=https://127.0.0.1:42927')
    # The same rule on the second capture, against the lines etcdctl printed itself.
    text = fixture('member-add-learner.txt')
    printed = dict(line.split('=', 1) for line in text.splitlines() if line.startswith('ETCD_'))
    assert printed['ETCD_INITIAL_CLUSTER_STATE'] == '"existing"'
    voters = members('member-list-4-voters.json')
    new_member = dict(id='d5c91e81441a6c4e', name='', peer_urls=['https://127.0.0.1:55765'], client_urls=[],
                      is_learner=True, started=False)
    assert '"%s"' % etcd.initial_cluster(voters + [new_member], 'm5', member_id=new_member['id']) == \
        printed['ETCD_INITIAL_CLUSTER']
    # In check mode the member is not there yet: its peer URLs are appended.
    assert etcd.initial_cluster(voters, 'm5', peer_urls=['https://127.0.0.1:55765']) == \
        printed['ETCD_INITIAL_CLUSTER'].strip('"')


def test_member_remove_answer_lists_the_members_left():
    left = etcd.parse_member_list(fixture('member-remove.json'))['members']
    assert [m['name'] for m in left] == ['m1', 'm2', 'm3', 'm4']


def test_endpoint_status():
    status = etcd.parse_endpoint_status(fixture('endpoint-status-3.json'))
    assert [s['member_id'] for s in status] == [M1, M2, M3]
    assert {s['leader'] for s in status} == {M2}
    assert status[0]['version'] == '3.5.1' and status[0]['db_size'] == 24576 and status[0]['raft_term'] == 2
    assert status[0]['is_learner'] is False and status[0]['errors'] == []
    with_learner = etcd.parse_endpoint_status(fixture('endpoint-status-with-learner.json'))
    assert with_learner[3]['member_id'] == M4 and with_learner[3]['is_learner'] is True


def test_endpoint_status_leaves_out_what_it_cannot_reach():
    status = etcd.parse_endpoint_status(fixture('endpoint-status-one-down.json'))
    assert len(status) == 3
    stderr = fixture('endpoint-status-one-down.stderr')
    assert etcd.tool_message('', stderr) == \
        'Failed to get the status of endpoint https://127.0.0.1:58801 (context deadline exceeded)'


def test_endpoint_health():
    health = etcd.parse_endpoint_health(fixture('endpoint-health-3.json'))
    assert all(h['health'] for h in health) and len(health) == 3
    down = etcd.parse_endpoint_health(fixture('endpoint-health-one-down.json'))
    assert [(h['endpoint'], h['health'], h['error']) for h in down if not h['health']] == [
        ('https://127.0.0.1:58801', False, 'context deadline exceeded')]
    assert etcd.tool_message('', fixture('endpoint-health-one-down.stderr')) == 'unhealthy cluster'
    learner = etcd.parse_endpoint_health(fixture('endpoint-health-cluster-with-learner.json'))[3]
    assert learner['error'] == 'etcdserver: rpc not supported for learner' and not learner['health']


@pytest.mark.parametrize('name, message', [
    ('member-add-duplicate-peer-url.stderr', 'etcdserver: Peer URLs already exists'),
    ('member-add-second-learner.stderr', 'etcdserver: too many learner members in cluster'),
    ('member-promote-learner-not-ready.stderr', 'etcdserver: can only promote a learner member which is in sync '
                                                'with leader'),
    ('member-promote-voter.stderr', 'etcdserver: can only promote a learner member'),
    ('member-remove-not-found.stderr', 'etcdserver: member not found'),
    ('snapshot-save-multiple-endpoints.stderr', 'snapshot must be requested to one selected node, not multiple '
                                                '[https://127.0.0.1:51493 https://127.0.0.1:53547 '
                                                'https://127.0.0.1:51521]'),
    ('snapshot-status-invalid.stderr', 'invalid database'),
    ('snapshot-status-missing.stderr', 'stat nonexist.db: no such file or directory'),
    ('snapshot-restore-data-dir-exists.stderr', 'data-dir "r1" not empty or could not be read'),
])
def test_tool_message_is_etcds_own(name, message):
    assert etcd.tool_message('', fixture(name)) == message


def test_crashes_are_named_without_their_stack_trace():
    assert etcd.tool_message('', fixture('member-promote-json-panic.stderr')) == \
        'crashed: panic: runtime error: invalid memory address or nil pointer dereference'
    assert etcd.tool_message('', fixture('snapshot-status-truncated.stderr')).startswith(
        'crashed: unexpected fault address')
    assert etcd.tool_message('', fixture('snapshot-restore-corrupt.stderr')).startswith('expected sha256 [97 23')


def test_snapshot_outputs():
    assert etcd.parse_snapshot_status(fixture('snapshot-status.json')) == dict(
        hash='dfebddf3', revision=4, total_keys=14, total_size=24576)
    assert fixture('snapshot-save.stdout').startswith('Snapshot saved at ')
    assert '"msg":"saved"' in fixture('snapshot-save.stderr')
    assert 'restored snapshot' in fixture('snapshot-restore.stderr')


def test_no_json_is_an_error_with_what_was_printed():
    with pytest.raises(etcd.EtcdError, match='etcdctl member list printed no JSON: Error: boom'):
        etcd.parse_member_list('Error: boom\n')


def test_find_member_by_name_or_unstarted_peer_urls():
    three = members('member-list-3-voters.json')
    assert etcd.find_member(three, 'm2', ['https://127.0.0.1:59129'])[0]['id'] == M2
    assert etcd.find_member(three, 'm4', ['https://127.0.0.1:42927']) == (None, None)
    unstarted = members('member-list-unstarted-learner.json')
    assert etcd.find_member(unstarted, 'm4', ['https://127.0.0.1:42927'])[0]['id'] == M4
    assert etcd.find_member(unstarted, None, ['https://127.0.0.1:42927'])[0]['id'] == M4
    assert etcd.find_member(three, 'm2')[0]['id'] == M2


def test_find_member_refuses_a_reused_name_or_peer_url():
    three = members('member-list-3-voters.json')
    found, problem = etcd.find_member(three, 'm2', ['https://127.0.0.1:1'])
    assert found['id'] == M2 and problem == (
        'member m2 (368e1a7b5226c2f7) already exists with peer URLs https://127.0.0.1:59129, not https://127.0.0.1:1: '
        'remove it first (state=absent) or give its peer URLs')
    assert etcd.find_member(three, 'm9', ['https://127.0.0.1:58163'])[1] == (
        'peer URL https://127.0.0.1:58163 already belongs to m1 (17dfe0f1c53276f5), not to m9')
    unstarted = members('member-list-unstarted-learner.json')
    assert 'belongs to a member that has not started yet (a49c75270f8749a6)' in etcd.find_member(
        unstarted, 'm9', ['https://127.0.0.1:42927', 'https://127.0.0.1:2'])[1]


def test_removal_keeps_quorum():
    three = members('member-list-3-voters.json')
    assert etcd.removal_problem(three, three[2], {M1, M2, M3}) == (None, None)
    assert etcd.removal_problem(three, three[2], {M1, M2}) == (None, None)  # the unhealthy one goes
    kind, message = etcd.removal_problem(three, three[1], {M1, M2})
    assert kind == 'quorum' and message == (
        'removing member m2 (368e1a7b5226c2f7) would leave 1 healthy of 2 voting members, below the quorum of 2; '
        'unhealthy: m3 (6bd8a1b1e56338b2). Bring them back first, or set force=true')
    four = members('member-list-4-voters.json')
    assert etcd.removal_problem(four, four[0], {M1, M2, M3}) == (None, None)
    learner = members('member-list-unstarted-learner.json')
    assert etcd.removal_problem(learner, learner[3], set()) == (None, None)  # learners do not vote
    assert etcd.removal_problem(three[:1], three[0], {M1})[0] == 'last'


def test_quorum():
    assert [etcd.quorum(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]


def test_member_lines_for_diffs():
    assert etcd.member_lines(members('member-list-unstarted-learner.json')[2:]) == (
        '(not started) a49c75270f8749a6 peer_urls=https://127.0.0.1:42927 learner\n'
        'm3 6bd8a1b1e56338b2 peer_urls=https://127.0.0.1:42359\n')


def snapshot(tmp_path, body):
    path = tmp_path / 'snap.db'
    path.write_bytes(body + hashlib.sha256(body).digest())
    return path


def test_embedded_hash(tmp_path):
    good = snapshot(tmp_path, b'\1' * 4096)
    assert etcd.embedded_hash_problem(str(good)) is None
    data = bytearray(good.read_bytes())
    data[100] ^= 0xff
    good.write_bytes(bytes(data))
    assert 'does not match the sha256 etcdctl snapshot save appended to it' in etcd.embedded_hash_problem(str(good))
    good.write_bytes(bytes(data[:1000]))
    assert 'size 1000 is not 32 bytes past a 512-byte boundary' in etcd.embedded_hash_problem(str(good))
    assert etcd.file_sha256(str(good)) == hashlib.sha256(bytes(data[:1000])).hexdigest()


def test_snapshot_files_newest_first(tmp_path):
    import os
    for age, name in enumerate(['c.db', 'b.db', 'a.db']):
        (tmp_path / name).write_text(name)
        os.utime(tmp_path / name, (1000 - age, 1000 - age))
    (tmp_path / 'other.txt').write_text('')
    (tmp_path / 'dir.db').mkdir()
    (tmp_path / 'link.db').symlink_to(tmp_path / 'a.db')
    assert [Path(p).name for p in etcd.snapshot_files(str(tmp_path), '*.db')] == ['c.db', 'b.db', 'a.db']


def test_read_marker(tmp_path):
    assert etcd.read_marker(str(tmp_path)) is None
    (tmp_path / 'member').mkdir()
    (tmp_path / etcd.RESTORE_MARKER).write_text(json.dumps({'sha256': 'x'}))
    assert etcd.read_marker(str(tmp_path)) == {'sha256': 'x'}
