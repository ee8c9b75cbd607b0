# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A benchmark's view of one playbook run (benchmarks/site.py enables it; not part of the collection).

Writes $CAAS_SITE_PROFILE as JSON at the end of the run:
- layers: each playbook file (a layer of site.yml) with its wall time;
- hosts: task results per host, as the recap counts them (ok, changed, skipped, failed, unreachable);
- by_role: per host, how many of those results each role (or the playbook's own tasks) gave: where to cut;
- tasks: every task's wall time, the layer it is in, its results and each host's (order: its place in the run),
  slowest first.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: site_profile
type: aggregate
short_description: Per-layer wall time, task results per host and a per-task profile, as JSON
description:
  - Used by C(benchmarks/site.py). Writes the file named by the environment variable E(CAAS_SITE_PROFILE).
requirements:
  - enabled in the callbacks of the run
"""

import collections
import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'site_profile'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._layers = collections.OrderedDict()
        self._hosts = collections.defaultdict(collections.Counter)
        self._by_role = collections.defaultdict(collections.Counter)
        self._tasks = []
        self._layer = None
        self._task = None
        self._started = time.monotonic()

    # -- where we are ---------------------------------------------------------------------------
    def _close_task(self):
        if self._task is not None:
            self._task['seconds'] = round(time.monotonic() - self._task.pop('_started'), 3)
            self._tasks.append(self._task)
            self._task = None

    def _close_layer(self):
        self._close_task()
        if self._layer is not None:
            entry = self._layers[self._layer]
            entry['seconds'] = round(entry['seconds'] + time.monotonic() - entry.pop('_started'), 3)

    def v2_playbook_on_play_start(self, play):
        self._close_layer()
        path = (play.get_path() or '').rsplit(':', 1)[0]
        self._layer = os.path.basename(path) or play.get_name()
        entry = self._layers.setdefault(self._layer, {'seconds': 0.0, 'plays': 0, 'tasks': 0})
        entry['plays'] += 1
        entry['_started'] = time.monotonic()

    def _task_start(self, task):
        self._close_task()
        role = getattr(task, '_role', None)
        self._task = {'name': task.get_name(), 'layer': self._layer, 'action': task.action,
                      'role': role.get_name() if role else '(playbook) ' + str(self._layer),
                      'order': len(self._tasks), 'results': collections.Counter(), 'by_host': {},
                      '_started': time.monotonic()}
        if self._layer is not None:
            self._layers[self._layer]['tasks'] += 1

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._task_start(task)

    # -- results, counted as the recap counts them ----------------------------------------------------
    def _count(self, result, status):
        host = result._host.get_name()
        if status == 'ok' and result._result.get('changed', False):
            status = 'changed'
        self._hosts[host][status] += 1
        if self._task is not None:
            self._task['results'][status] += 1
            self._task['by_host'][host] = status
            self._by_role[host][self._task['role']] += 1

    def v2_runner_on_ok(self, result):
        self._count(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, 'ignored' if ignore_errors else 'failed')

    def v2_runner_on_skipped(self, result):
        self._count(result, 'skipped')

    def v2_runner_on_unreachable(self, result):
        self._count(result, 'unreachable')

    def v2_playbook_on_stats(self, stats):
        self._close_layer()
        path = os.environ.get('CAAS_SITE_PROFILE')
        if not path:
            return
        tasks = sorted(self._tasks, key=lambda task: task['seconds'], reverse=True)
        for task in tasks:
            task['results'] = dict(task['results'])
        data = {
            'seconds': round(time.monotonic() - self._started, 3),
            'layers': self._layers,
            'hosts': {host: dict(counts, total=sum(counts.values())) for host, counts in sorted(self._hosts.items())},
            'by_role': {host: dict(counts.most_common()) for host, counts in sorted(self._by_role.items())},
            'tasks': tasks,
        }
        with open(path, 'w', encoding='utf-8') as handle:
            json.dump(data, handle, indent=1)
