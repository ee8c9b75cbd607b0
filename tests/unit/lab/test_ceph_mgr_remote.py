# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Ceph image's edit of ceph-mgr's remote() (lab/artifacts/builder/images.py CEPH_MGR_REMOTE): applied to the
method as Debian's Ceph 18.2.7 has it, only bytes cross from one module to another, arguments and results arrive
whole, and a missing method is still a NameError in the caller."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / 'lab' / 'artifacts'))

from builder.images import CEPH_MGR_REMOTE  # noqa: E402  pylint: disable=wrong-import-position,import-error

# remote() as mgr_module.py of Debian's ceph-mgr 18.2.7 ends it, in a stand-in for MgrModule.
ORIGINAL = '''
class Module:
    def __init__(self, name, registry):
        self.name, self.registry, self.crossed = name, registry, []

    def _ceph_dispatch_remote(self, module_name, method_name, args, kwargs):
        # What ceph-mgr's C++ does, plus a record of the types that crossed between the two interpreters.
        self.crossed.extend(type(value) for value in (*args, *kwargs.values()))
        callee = self.registry[module_name]
        if not hasattr(callee, method_name):
            raise NameError(method_name)
        result = getattr(callee, method_name)(*args, **kwargs)
        self.crossed.append(type(result))
        return result

    def remote(self, module_name, method_name, *args, **kwargs):
        return self._ceph_dispatch_remote(module_name, method_name,
                                          args, kwargs)


class Progress(Module):
    def update(self, ev_id, ev_msg, ev_progress, refs=None, add_to_ceph_s=False):
        return {'id': ev_id, 'message': ev_msg, 'progress': ev_progress, 'refs': refs, 'ceph_s': add_to_ceph_s}
'''


def modules(text):
    namespace = {}
    exec(compile(text, 'mgr_module.py', 'exec'), namespace)  # pylint: disable=exec-used
    registry = {}
    registry['progress'] = namespace['Progress']('progress', registry)
    registry['rbd_support'] = namespace['Module']('rbd_support', registry)
    return registry


def edited():
    _path, old, new, _count = CEPH_MGR_REMOTE
    assert textwrap.dedent(ORIGINAL).count(old) == 1
    return modules(textwrap.dedent(ORIGINAL).replace(old, new))


def test_the_original_hands_over_the_callers_objects():
    caller = modules(textwrap.dedent(ORIGINAL))['rbd_support']
    caller.remote('progress', 'update', 'ev', 'Removing image', 0.5, refs=[{'pool': 'replicapool'}])
    assert dict in caller.crossed and list in caller.crossed


def test_only_bytes_cross_and_everything_arrives():
    caller = edited()['rbd_support']
    result = caller.remote('progress', 'update', 'ev', 'Removing image', 0.5, refs=[{'pool': 'replicapool'}],
                           add_to_ceph_s=True)
    assert result == {'id': 'ev', 'message': 'Removing image', 'progress': 0.5, 'refs': [{'pool': 'replicapool'}],
                      'ceph_s': True}
    assert set(caller.crossed) == {bytes}


def test_a_missing_method_is_a_name_error():
    with pytest.raises(NameError, match='is_orchestrator_module not found in module progress'):
        edited()['rbd_support'].remote('progress', 'is_orchestrator_module')
