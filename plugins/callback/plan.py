# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: plan
type: aggregate
short_description: Says first what a playbook will do and to which hosts, then where a long run is
version_added: 0.1.0
description:
  - Before anything else a playbook prints, one line with the playbook's purpose (the first sentence of the comment
    at its top), its number of plays, the hosts it will contact (the inventory as limited, every play's hosts) and
    whether it runs in check mode.
  - At the start of each play, where the run is (play N of M, and the batch of a play with C(serial)), on how many
    hosts, and the time since the start.
  - Enable it in C(callbacks_enabled) (the collection's C(ansible.cfg) does); it works beside any stdout callback.
author:
  - caas.platform maintainers (@caas-platform)
requirements:
  - Enabled in C(callbacks_enabled).
'''

import os
import re
import time

from ansible import context
from ansible.plugins.callback import CallbackBase

# Host names shown in the first line; a longer list is cut with its count.
SHOWN_HOSTS = 12


def purpose(path):
    """The first sentence of the comment at the top of a playbook, or ''."""
    lines = []
    try:
        with open(path, encoding='utf-8') as handle:
            for line in handle:
                if line.strip() == '---':
                    continue
                if not line.startswith('#'):
                    break
                lines.append(line.lstrip('#').strip())
    except OSError:
        return ''
    text = ' '.join(line for line in lines if line)
    # A sentence ends at a full stop before a space ("Layer 2: the API VIP." is one sentence).
    match = re.match(r'(.+?\.)(\s|$)', text)
    return (match.group(1) if match else text).rstrip('.')


def counted(number, noun):
    return f'{number} {noun}' + ('' if number == 1 else 's')


def host_names(hosts):
    names = sorted(host.name for host in hosts)
    shown = ', '.join(names[:SHOWN_HOSTS])
    return shown + (f' and {len(names) - SHOWN_HOSTS} more' if len(names) > SHOWN_HOSTS else '')


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'caas.platform.plan'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._plays = 0
        self._play = 0
        # Ansible starts a play once per batch of serial (each a copy with the play's id): one play, its batches
        # counted.
        self._play_id = None
        self._batch = 0
        self._started = time.monotonic()

    @staticmethod
    def _hosts(play):
        # Plays keep the variable manager they were loaded with; its inventory is restricted by --limit.
        inventory = getattr(getattr(play, '_variable_manager', None), '_inventory', None)
        pattern = play.hosts
        if inventory is None or (isinstance(pattern, str) and '{{' in pattern):
            return None
        return inventory.get_hosts(pattern)

    def v2_playbook_on_start(self, playbook):
        plays = playbook.get_plays()
        self._plays, self._play, self._started = len(plays), 0, time.monotonic()
        hosts, unknown = {}, False
        for play in plays:
            found = self._hosts(play)
            if found is None:
                unknown = True
                continue
            hosts.update((host.name, host) for host in found)
        name = os.path.basename(playbook._file_name)  # pylint: disable=protected-access
        what = purpose(playbook._file_name) or 'no description'  # pylint: disable=protected-access
        where = f'{counted(len(hosts), "host")}: {host_names(hosts.values())}' if hosts else 'no host of the inventory'
        if unknown:
            where += ' (and hosts chosen at run time)'
        mode = '; check mode' if context.CLIARGS.get('check') else ''
        self._display.display(f'caas.platform {name}: {what}. {counted(len(plays), "play")} on {where}{mode}.')

    def v2_playbook_on_play_start(self, play):
        play_id = getattr(play, '_uuid', None)
        if play_id is not None and play_id == self._play_id:
            self._batch += 1
        else:
            self._play, self._play_id, self._batch = self._play + 1, play_id, 1
        found = self._hosts(play)
        count = counted(len(found), 'host') if found is not None else 'hosts chosen at run time'
        batch = f' (batch {self._batch})' if self._batch > 1 or play.serial else ''
        elapsed = int(time.monotonic() - self._started)
        self._display.display(f'caas.platform: play {self._play} of {self._plays}{batch}, {play.get_name()}, '
                              f'on {count}; {elapsed // 60}:{elapsed % 60:02d} since the start')
