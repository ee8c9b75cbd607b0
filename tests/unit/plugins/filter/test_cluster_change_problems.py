# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Settings a running cluster cannot take, read from what kubeadm 1.36 stores (kubeadm-config ClusterConfiguration)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.cluster_change_problems import cluster_change_problems

RUNNING = """apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.36.3
networking:
  dnsDomain: cluster.local
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/12
"""
SAME = {'caas_pod_cidr': '10.244.0.0/16', 'caas_service_cidr': '10.96.0.0/12', 'caas_cluster_domain': 'cluster.local'}


def test_the_same_settings_and_no_cluster_yet_pass():
    assert cluster_change_problems(RUNNING, SAME) == []
    assert cluster_change_problems('', dict(SAME, caas_pod_cidr='10.50.0.0/16')) == []


@pytest.mark.parametrize('variable, value, running', [
    ('caas_pod_cidr', '10.50.0.0/16', '10.244.0.0/16'),
    ('caas_service_cidr', '10.97.0.0/16', '10.96.0.0/12'),
    ('caas_cluster_domain', 'dc1.example', 'cluster.local'),
])
def test_a_new_network_or_domain_is_refused_with_the_running_one(variable, value, running):
    problems = cluster_change_problems(RUNNING, dict(SAME, **{variable: value}))
    assert len(problems) == 1
    assert problems[0].startswith('%s = %r: the running cluster was built with %s' % (variable, value, running))
    assert 'Fix: set %s back to %s' % (variable, running) in problems[0]


def test_garbage_is_an_error():
    with pytest.raises(AnsibleFilterError):
        cluster_change_problems('[', SAME)


def test_a_new_release_is_an_upgrade_not_a_setting():
    settings = {'caas_pod_cidr': '10.244.0.0/16', 'caas_kubernetes_version': '1.36.3'}
    assert cluster_change_problems(RUNNING, settings) == []
    problems = cluster_change_problems(RUNNING, dict(settings, caas_kubernetes_version='1.37.1'))
    assert len(problems) == 1
    assert problems[0].startswith("caas_kubernetes_version = '1.37.1': the running cluster runs v1.36.3")
    assert 'playbooks/upgrade.yml' in problems[0] and 'back to 1.36.3' in problems[0]
