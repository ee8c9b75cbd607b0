# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: kubernetes_node_problems
short_description: What is wrong with the kubernetes_node role's settings, each with its fix
version_added: 0.1.0
description:
  - Takes the role's settings by name and returns one message per bad value (empty when all are good), so that the
    role refuses them before it changes anything and a kubelet that would not start is never configured.
  - C(kubernetes_node_files_repo_url) not empty; C(kubernetes_node_pod_pids_limit), C(kubernetes_node_max_pods) and
    C(kubernetes_node_event_record_qps) positive; the image garbage collection thresholds whole percentages from 0 to
    100, the low one below the high one.
options:
  _input:
    description: The settings, by name (every one named above).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Refuse bad settings
  ansible.builtin.fail:
    msg: "kubernetes_node refuses these settings: {{ problems | join(' | ') }}"
  when: problems | length > 0
  vars:
    problems: >-
      {{ {'kubernetes_node_files_repo_url': kubernetes_node_files_repo_url,
          'kubernetes_node_max_pods': kubernetes_node_max_pods} | caas.platform.kubernetes_node_problems }}
"""

RETURN = r"""
_value:
  description: One message per bad setting, naming it, its value and the fix.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils.settings import whole_number

POSITIVE = ('kubernetes_node_pod_pids_limit', 'kubernetes_node_max_pods', 'kubernetes_node_event_record_qps')
GC_HIGH = 'kubernetes_node_image_gc_high_threshold_percent'
GC_LOW = 'kubernetes_node_image_gc_low_threshold_percent'
GC_DEFAULTS = "(the kubelet's defaults: high 85, low 80)"


def _percent(value):
    text = str(value).strip()
    return int(text) if text.isdigit() and int(text) <= 100 else None


def kubernetes_node_problems(settings):
    if not hasattr(settings, 'get'):
        raise AnsibleFilterError('kubernetes_node_problems expects the settings by name, a dict; got %r' % (settings,))
    problems = []
    if not settings.get('kubernetes_node_files_repo_url'):
        problems.append("kubernetes_node_files_repo_url (caas_files_repo_url) is empty: the binaries come from the site's "
                        'files repository. Fix: set caas_files_repo_url in group_vars (docs/artifacts.md).')
    for name in POSITIVE:
        value = settings.get(name)
        if (whole_number(value) or 0) <= 0:
            unlimited = ' (0 would be unlimited, CIS 4.2.8)' if name == 'kubernetes_node_event_record_qps' else ''
            problems.append('%s is %s: it must be positive%s. Fix: set a positive number in group_vars '
                            '(docs/kubernetes.md).' % (name, value, unlimited))
    for name in (GC_HIGH, GC_LOW):
        if _percent(settings.get(name)) is None:
            problems.append('%s is %s: the kubelet takes a whole percentage from 0 to 100 and would not start. Fix: set '
                            'it from 0 to 100 %s.' % (name, settings.get(name), GC_DEFAULTS))
    high, low = _percent(settings.get(GC_HIGH)), _percent(settings.get(GC_LOW))
    if high is not None and low is not None and low >= high:
        problems.append('%s is %s, not below %s (%s): the kubelet needs low < high and would not start. Fix: set the low '
                        'threshold below the high one %s.' % (GC_LOW, low, GC_HIGH, high, GC_DEFAULTS))
    return problems


class FilterModule(object):
    def filters(self):
        return {'kubernetes_node_problems': kubernetes_node_problems}
