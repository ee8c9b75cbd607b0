# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""With CAAS_TEST_NO_SKIP=1 (scripts/test sets it), a skipped test fails: in CI a missing binary, package
or privilege is a broken machine, not a reason to pass. A developer's run without it may still skip."""

from __future__ import annotations

import os

import pytest

NO_SKIP = os.environ.get('CAAS_TEST_NO_SKIP') == '1'


def _refuse_skip(report):
    if NO_SKIP and report.skipped and not hasattr(report, 'wasxfail'):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = 'failed'
        report.longrepr = f'skipped, and CAAS_TEST_NO_SKIP=1 forbids it: {reason}'


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # pylint: disable=unused-argument
    outcome = yield
    _refuse_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):  # pylint: disable=unused-argument
    outcome = yield
    _refuse_skip(outcome.get_result())
