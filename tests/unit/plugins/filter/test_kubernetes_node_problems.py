# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.kubernetes_node_problems import kubernetes_node_problems

GOOD = {'kubernetes_node_files_repo_url': 'https://artifacts.example:8443/files', 'kubernetes_node_pod_pids_limit': 4096,
        'kubernetes_node_max_pods': 110, 'kubernetes_node_event_record_qps': 5,
        'kubernetes_node_image_gc_high_threshold_percent': 85, 'kubernetes_node_image_gc_low_threshold_percent': 80}


def test_good_settings_have_no_problems():
    assert kubernetes_node_problems(GOOD) == []
    # Extra vars arrive as text.
    assert kubernetes_node_problems(dict((k, str(v)) for k, v in GOOD.items())) == []


def test_each_bad_setting_is_named_with_its_value_and_fix():
    bad = dict(GOOD, kubernetes_node_files_repo_url='', kubernetes_node_event_record_qps=0,
               kubernetes_node_max_pods='many', kubernetes_node_image_gc_high_threshold_percent='101')
    problems = kubernetes_node_problems(bad)
    assert len(problems) == 4
    assert problems[0].startswith('kubernetes_node_files_repo_url (caas_files_repo_url) is empty')
    assert 'kubernetes_node_max_pods is many: it must be positive. Fix' in problems[1]
    assert 'kubernetes_node_event_record_qps is 0: it must be positive (0 would be unlimited, CIS 4.2.8)' in problems[2]
    assert problems[3].startswith('kubernetes_node_image_gc_high_threshold_percent is 101: the kubelet takes a whole')


def test_the_low_threshold_must_be_below_the_high_one():
    problems = kubernetes_node_problems(dict(GOOD, kubernetes_node_image_gc_low_threshold_percent=85))
    assert problems == ["kubernetes_node_image_gc_low_threshold_percent is 85, not below "
                        "kubernetes_node_image_gc_high_threshold_percent (85): the kubelet needs low < high and would "
                        "not start. Fix: set the low threshold below the high one (the kubelet's defaults: high 85, "
                        "low 80)."]


def test_a_percentage_must_be_whole():
    assert len(kubernetes_node_problems(dict(GOOD, kubernetes_node_image_gc_low_threshold_percent='79.5'))) == 1


def test_bad_input_is_named():
    with pytest.raises(AnsibleFilterError, match='settings by name'):
        kubernetes_node_problems(['kubernetes_node_max_pods'])
