# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.control_plane_problems import control_plane_problems

GOOD = {'control_plane_etcd_topology': 'external', 'control_plane_encryption_provider': 'aescbc',
        'control_plane_pod_security_enforce': 'baseline', 'control_plane_pod_security_audit': 'restricted',
        'control_plane_pod_security_warn': 'restricted', 'control_plane_endpoint': 'api.lab.internal:6443',
        'control_plane_audit_log_maxage': 30, 'control_plane_audit_log_maxbackup': '10',
        'control_plane_audit_log_maxsize': 100, 'control_plane_group': 'control_plane',
        'control_plane_etcd_group': 'etcd', 'control_plane_join_through': ''}
CPS = ['cp1', 'cp2', 'cp3']


def test_good_settings_on_the_whole_control_plane_have_no_problems():
    assert control_plane_problems(GOOD, CPS, CPS + ['worker1'], ['etcd1']) == []
    # Stacked etcd on an odd number of nodes needs no etcd group.
    assert control_plane_problems(dict(GOOD, control_plane_etcd_topology='stacked'), CPS, CPS) == []


def test_each_bad_setting_is_named_with_its_value_and_fix():
    bad = dict(GOOD, control_plane_etcd_topology='local', control_plane_pod_security_warn='strict',
               control_plane_endpoint='api.lab.internal', control_plane_audit_log_maxsize='0')
    problems = control_plane_problems(bad, CPS, CPS, ['etcd1'])
    assert len(problems) == 4
    assert problems[0].startswith("control_plane_etcd_topology is 'local': it must be stacked or external.")
    assert problems[1].startswith("control_plane_pod_security_warn is 'strict': it must be one of privileged, baseline")
    assert problems[2].startswith("control_plane_endpoint is 'api.lab.internal': it must be host:port")
    assert problems[3].startswith("control_plane_audit_log_maxsize is '0': it must be a whole number of at least 1.")
    assert all(problem.endswith('(docs/kubernetes.md).') for problem in problems)


def test_a_run_on_part_of_the_control_plane_is_refused_unless_new_nodes_join_through_the_one_left_out():
    problems = control_plane_problems(GOOD, CPS, ['cp1', 'cp2'], ['etcd1'])
    assert len(problems) == 1 and "every node of the group 'control_plane' in the run: cp3 missing" in problems[0]
    # playbooks/scale.yml: cp4 joins through cp1, a running node outside the run.
    assert control_plane_problems(dict(GOOD, control_plane_join_through='cp1'), CPS + ['cp4'], ['cp4'], ['etcd1']) == []
    # A node to join through that is in the run is no running node outside it.
    assert control_plane_problems(dict(GOOD, control_plane_join_through='cp4'), CPS + ['cp4'], ['cp4'], ['etcd1']) == [
        "The control plane is built with every node of the group 'control_plane' in the run: cp1, cp2, cp3 missing "
        "(unreachable or left out by --limit). Fix: run on the whole group, or let new nodes join through a running node "
        "of the group outside the run, control_plane_join_through (is 'cp4'; playbooks/scale.yml sets it)."]


def test_the_etcd_topology_needs_an_odd_control_plane_or_an_etcd_group():
    even = control_plane_problems(dict(GOOD, control_plane_etcd_topology='stacked'), CPS[:2], CPS[:2])
    assert even == ["With stacked etcd the group 'control_plane' needs an odd number of nodes (has 2): etcd keeps a "
                    'quorum of a majority. Fix: add or remove one node, or use external etcd.']
    assert control_plane_problems(GOOD, CPS, CPS, [])[0].startswith(
        "control_plane_etcd_topology is external but the group 'etcd' (control_plane_etcd_group) has no hosts.")


def test_settings_that_are_not_a_dict_are_refused():
    with pytest.raises(AnsibleFilterError, match='expects the settings by name'):
        control_plane_problems(['control_plane'], CPS, CPS)


def test_one_encryption_key_of_the_provider_set_passes():
    assert control_plane_problems(GOOD, CPS, CPS, ['etcd1'], encryption_holders=CPS, encryption_checksums=['a1'],
                                  encryption_provider='aescbc') == []
    # Before the first run no node has a key: the role makes one.
    assert control_plane_problems(GOOD, CPS, CPS, ['etcd1'], encryption_checksums=[]) == []


def test_nodes_with_different_encryption_keys_are_refused():
    problems = control_plane_problems(GOOD, CPS, CPS, ['etcd1'], encryption_holders=['cp1', 'cp2'],
                                      encryption_checksums=['a1', 'b2'], encryption_provider='aescbc',
                                      encryption_config='/etc/kubernetes/apiserver/encryption.yaml')
    assert problems == [
        'The control-plane nodes cp1, cp2 have different /etc/kubernetes/apiserver/encryption.yaml files: Secrets '
        'encrypted through one API server cannot be read through another. Nothing was changed. Keep the file of the '
        'node that has run longest, copy it to the others (0600 root), restart their API servers, then run this again '
        '(docs/kubernetes.md, encryption at rest).']


def test_a_new_encryption_provider_for_a_running_cluster_is_refused():
    problems = control_plane_problems(dict(GOOD, control_plane_encryption_provider='secretbox'), CPS, CPS, ['etcd1'],
                                      encryption_holders=CPS, encryption_checksums=['a1'], encryption_provider='aescbc')
    assert problems == [
        'control_plane_encryption_provider is secretbox, but the cluster encrypts Secrets with aescbc. Changing it is a '
        'key rotation (every Secret rewritten), not a setting: keep aescbc, or rotate as docs/kubernetes.md says.']
