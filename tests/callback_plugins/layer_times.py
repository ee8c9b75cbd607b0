# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wall time of each layer's verify plays, for scripts/test's table (tests/times.py)."""

from __future__ import annotations

DOCUMENTATION = r'''
name: layer_times
type: aggregate
short_description: Wall time and result of each playbook run and each layer's verify plays, one JSON line each
description:
  - >-
    At the end of each playbook run, one JSON line names it after the playbook file without its extension, with
    C( --check) in check mode:
    C({"kind": "playbook", "name": "<scenario>/converge", "seconds": 301.2, "result": "passed"}). Molecule runs one
    playbook per action (create, prepare, converge, verify, destroy...), so a scenario's lines say where its time went.
    The result is C(failed) when a host failed or was unreachable.
  - >-
    A layer begins at a play named C(Verify layer <stem>: <text>) (the first play of each layer's verify file,
    C(<stem>) naming the layer as the file does, for example C(10_nodes)) and lasts until the next such play
    starts or the playbook ends. Plays of other names belong to the layer before them; plays before the first
    layer belong to none.
  - >-
    At its end, one JSON line is appended to O(path):
    C({"kind": "layer-verify", "name": "<scenario>/<stem>", "seconds": 12.34, "result": "passed"}).
  - >-
    The result is C(failed) when a task failed during the layer (neither ignored nor rescued by a block) or a host
    was unreachable (unless the task ignores unreachable hosts).
  - Does nothing unless O(path) is set. scripts/test sets it and tests/times.py prints the table.
author: caas.platform maintainers
requirements:
  - >-
    Enabled by name, for example with C(ANSIBLE_CALLBACK_PLUGINS=<checkout>/tests/callback_plugins) and
    C(ANSIBLE_CALLBACKS_ENABLED=layer_times).
options:
  path:
    description: The JSON lines file to append to. Unset or empty, the callback records nothing.
    type: str
    env:
      - name: CAAS_LAYER_TIMES
  scenario:
    description: The first part of each record's name. Molecule sets C(MOLECULE_SCENARIO_NAME).
    type: str
    default: lab
    env:
      - name: MOLECULE_SCENARIO_NAME
'''

import json
import os
import re
import time

from ansible import context
from ansible.plugins.callback import CallbackBase

LAYER_PLAY = re.compile(r'^Verify layer (\S+):')


def _task_of(result):
    task = getattr(result, 'task', None)
    return task if task is not None else getattr(result, '_task', None)


def _rescued(task):
    """Whether a failure of this task is caught by the rescue section of a block around it."""
    child, parent = task, getattr(task, '_parent', None)
    while child is not None and parent is not None:
        rescue = getattr(parent, 'rescue', None)
        if rescue and any(getattr(item, '_uuid', None) == child._uuid for item in parent.block or []):
            return True
        child, parent = parent, getattr(parent, '_parent', None)
    return False


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'layer_times'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super().__init__(display=display)
        self._layer = None
        self._playbook = None

    def _write(self, kind, stem, start, failed):
        path = self.get_option('path')
        if not path:
            return
        record = {
            'kind': kind,
            'name': '%s/%s' % (self.get_option('scenario') or 'lab', stem),
            'seconds': round(time.monotonic() - start, 2),
            'result': 'failed' if failed else 'passed',
        }
        try:
            path = os.path.abspath(os.path.expanduser(path))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, 'a', encoding='utf-8') as out:
                out.write(json.dumps(record, sort_keys=True) + '\n')
        except OSError as exc:
            self._display.warning('layer_times: cannot write %s: %s' % (path, exc))

    def _end_layer(self):
        layer, self._layer = self._layer, None
        if layer is not None:
            self._write('layer-verify', layer['stem'], layer['start'], layer['failed'])

    def _fail_layer(self):
        if self._layer is not None:
            self._layer['failed'] = True

    def v2_playbook_on_start(self, playbook):
        stem = os.path.splitext(os.path.basename(getattr(playbook, '_file_name', None) or 'playbook'))[0]
        if context.CLIARGS.get('check'):
            stem += ' --check'
        self._playbook = {'stem': stem, 'start': time.monotonic()}

    def v2_playbook_on_play_start(self, play):
        match = LAYER_PLAY.match((play.get_name() or '').strip())
        if match:
            self._end_layer()
            self._layer = {'stem': match.group(1), 'start': time.monotonic(), 'failed': False}

    def v2_runner_on_failed(self, result, ignore_errors=False):
        task = _task_of(result)
        if not ignore_errors and not (task is not None and _rescued(task)):
            self._fail_layer()

    def v2_runner_on_unreachable(self, result):
        task = _task_of(result)
        if not (task is not None and getattr(task, 'ignore_unreachable', False)):
            self._fail_layer()

    def v2_playbook_on_stats(self, stats):
        self._end_layer()
        if self._playbook is not None:
            failed = any(stats.failures.get(host) or stats.dark.get(host) for host in stats.processed)
            self._write('playbook', self._playbook['stem'], self._playbook['start'], failed)
            self._playbook = None
