# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab build's edits of upstream files (lab/artifacts/builder/common.py replace_checked): applied when the text is
there the expected number of times, refused, with the file left as it was, when it is not."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / 'lab' / 'artifacts'))

from builder.common import BuildError, replace_checked  # noqa: E402  pylint: disable=wrong-import-position,import-error


def test_applies_when_found_the_expected_times(tmp_path):
    path = tmp_path / 'task.py'
    path.write_text('f(cb=a)\ng(cb=a)\n')
    replace_checked(path, 'cb=a', 'cb=None', 2)
    assert path.read_text() == 'f(cb=None)\ng(cb=None)\n'


@pytest.mark.parametrize('text, count', [('f(cb=a)\n', 2), ('f(cb=a)\ng(cb=a)\n', 1), ('f(cb=b)\n', 1)])
def test_refuses_and_leaves_the_file_when_the_count_differs(tmp_path, text, count):
    path = tmp_path / 'task.py'
    path.write_text(text)
    with pytest.raises(BuildError, match=r"ceph 18\.2\.7 task\.py holds 'cb=a' \d times, not %d" % count):
        replace_checked(path, 'cb=a', 'cb=None', count, what='ceph 18.2.7 task.py')
    assert path.read_text() == text
