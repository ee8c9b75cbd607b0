# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Harbor API client's own handling (module_utils/harbor.py): Harbor's error bodies read into messages, a Harbor
that does not answer, and the rule shape shared by the immutability and retention modules. Everything the modules
ask of Harbor runs against the real Harbor of the molecule platform scenario and the lab
(extensions/molecule/platform/verify_45_registry.yml), not a stand-in (issue 18)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, comparable_rule, error_message, rule_selectors)


def test_harbors_error_body_is_the_message():
    body = json.dumps({'errors': [{'code': 'NOT_FOUND', 'message': 'project team-a not found'}]}).encode()
    assert error_message(body) == ('NOT_FOUND: project team-a not found', 'NOT_FOUND')
    two = json.dumps({'errors': [{'code': 'BAD_REQUEST', 'message': 'a'}, {'message': 'b'}]}).encode()
    assert error_message(two) == ('BAD_REQUEST: a; b', 'BAD_REQUEST')
    assert error_message(b'<html>502 Bad Gateway</html>') == ('<html>502 Bad Gateway</html>', None)
    assert error_message(b'') == ('(no message)', None)


def test_a_harbor_that_does_not_answer_is_named():
    with pytest.raises(HarborError, match=r'GET http://127.0.0.1:9/api/v2.0/health: Harbor cannot be reached'):
        HarborClient('http://127.0.0.1:9', timeout=2).health()


def test_rules_round_trip_through_harbors_shape():
    rule = {'repositories': 'team-a/**', 'repositories_match': 'excludes', 'tags': 'v*', 'tags_match': 'matches',
            'untagged': True}
    tag_selectors, scope_selectors = rule_selectors(rule)
    assert scope_selectors == {'repository': [{'kind': 'doublestar', 'decoration': 'repoExcludes',
                                               'pattern': 'team-a/**'}]}
    assert json.loads(tag_selectors[0]['extras']) == {'untagged': True}
    back = comparable_rule({'template': 'always', 'params': {}, 'disabled': False, 'tag_selectors': tag_selectors,
                            'scope_selectors': scope_selectors})
    assert back == {'template': 'always', 'params': {}, 'disabled': False, 'tags': 'v*', 'tags_match': 'matches',
                    'untagged': True, 'repositories': 'team-a/**', 'repositories_match': 'excludes'}
