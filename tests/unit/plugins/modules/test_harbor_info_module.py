# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Harbor API client (module_utils/harbor.py) and harbor_info, against an HTTP server on loopback that answers
as Harbor 2.15's API does (api/v2.0/swagger.yaml: the error body, X-Total-Count, /health, anonymous /systeminfo).
What Harbor itself answers is proven on the lab's Harbor (docs/registry.md); these pin the client's side: the
pages it asks for, the errors it reports, the login it sends, and the secret it never shows."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from ansible_collections.caas.platform.plugins.module_utils.harbor import HarborClient, HarborError, PAGE_SIZE

PASSWORD = 'Harbor-s3cret-Passw0rd'


class HarborLike(BaseHTTPRequestHandler):
    """Answers /api/v2.0/{health,systeminfo,scanners} from the server's state; logs (path, query, auth user)."""

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass

    def user(self):
        header = self.headers.get('Authorization') or ''
        if not header.startswith('Basic '):
            return None
        name, _, password = base64.b64decode(header[6:]).decode().partition(':')
        return name if password == PASSWORD else '!' + name

    def answer(self, code, document, headers=None):
        body = json.dumps(document).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # pylint: disable=invalid-name
        state = self.server.state
        url = urlsplit(self.path)
        query = dict((k, v[0]) for k, v in parse_qs(url.query).items())
        user = self.user()
        state['log'].append((url.path, query, user))
        if user and user.startswith('!'):
            self.answer(401, {'errors': [{'code': 'UNAUTHORIZED', 'message': 'unauthorized'}]})
        elif url.path == '/api/v2.0/health':
            self.answer(200, state['health'].pop(0) if len(state['health']) > 1 else state['health'][0])
        elif url.path == '/api/v2.0/systeminfo':
            self.answer(200, dict({'auth_mode': 'db_auth'}, **({'harbor_version': 'v2.15.2-080b0220'} if user else {})))
        elif url.path == '/api/v2.0/scanners':
            if not user:
                self.answer(401, {'errors': [{'code': 'UNAUTHORIZED', 'message': 'unauthorized'}]})
                return
            page, size = int(query.get('page', 1)), int(query.get('page_size', 10))
            items = state['scanners'][(page - 1) * size:page * size]
            self.answer(200, items, {'X-Total-Count': str(len(state['scanners']))})
        else:
            self.answer(404, {'errors': [{'code': 'NOT_FOUND', 'message': 'no such path %s' % url.path}]})


HEALTHY = {'status': 'healthy', 'components': [{'name': 'core', 'status': 'healthy'},
                                               {'name': 'database', 'status': 'healthy'}]}
TRIVY_DOWN = {'status': 'unhealthy', 'components': [
    {'name': 'core', 'status': 'healthy'},
    {'name': 'trivy', 'status': 'unhealthy', 'error': 'failed to ping http://trivy-adapter:8080/probe/healthy'}]}


@pytest.fixture
def harbor():
    server = ThreadingHTTPServer(('127.0.0.1', 0), HarborLike)
    server.daemon_threads = True
    server.state = {'log': [], 'health': [HEALTHY], 'scanners': []}
    thread = threading.Thread(target=server.serve_forever, kwargs=dict(poll_interval=0.05), daemon=True)
    thread.start()
    server.url = 'http://127.0.0.1:%d' % server.server_address[1]
    yield server
    server.shutdown()
    server.server_close()


def scanner(number, default=False):
    return {'uuid': 'u%d' % number, 'name': 'scanner-%d' % number, 'url': 'http://scanner-%d:8080' % number,
            'is_default': default, 'disabled': False, 'health': 'healthy',
            'access_credential': 'Bearer %s' % PASSWORD}


def test_health_by_component(harbor):
    harbor.state['health'] = [TRIVY_DOWN]
    health = HarborClient(harbor.url).health()
    assert health['status'] == 'unhealthy'
    assert health['components']['trivy'] == {'status': 'unhealthy',
                                             'error': 'failed to ping http://trivy-adapter:8080/probe/healthy'}
    assert health['components']['core'] == {'status': 'healthy', 'error': None}


def test_wait_until_healthy_asks_again(harbor):
    harbor.state['health'] = [TRIVY_DOWN, TRIVY_DOWN, HEALTHY]
    slept = []
    health = HarborClient(harbor.url).wait_healthy(60, interval=5, sleep=slept.append)
    assert health['status'] == 'healthy' and slept == [5, 5]


def test_a_wait_that_times_out_names_what_is_unhealthy(harbor):
    harbor.state['health'] = [TRIVY_DOWN]
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds
    with pytest.raises(HarborError, match=r'not healthy after 12 s: unhealthy: trivy \(failed to ping '):
        HarborClient(harbor.url).wait_healthy(12, interval=5, clock=lambda: now[0], sleep=sleep)


def test_harbors_error_is_the_message(harbor):
    with pytest.raises(HarborError) as error:
        HarborClient(harbor.url).get('/projects/nope')
    assert error.value.status == 404 and error.value.code == 'NOT_FOUND'
    assert str(error.value).endswith('HTTP 404: NOT_FOUND: no such path /api/v2.0/projects/nope')


def test_every_page_is_read_with_the_largest_page_size(harbor):
    harbor.state['scanners'] = [scanner(n) for n in range(PAGE_SIZE + 50)]
    items = HarborClient(harbor.url, 'admin', PASSWORD).get_all('/scanners')
    assert [s['uuid'] for s in items] == ['u%d' % n for n in range(PAGE_SIZE + 50)]
    pages = [(q['page'], q['page_size']) for path, q, _user in harbor.state['log'] if path.endswith('/scanners')]
    assert pages == [('1', str(PAGE_SIZE)), ('2', str(PAGE_SIZE))]
    # A full last page: X-Total-Count ends the reading without asking for an empty page.
    harbor.state['log'].clear()
    harbor.state['scanners'] = harbor.state['scanners'][:PAGE_SIZE]
    assert len(HarborClient(harbor.url, 'admin', PASSWORD).get_all('/scanners')) == PAGE_SIZE
    assert len(harbor.state['log']) == 1


def test_the_login_is_sent_and_a_wrong_one_is_harbors_401_without_the_password(harbor):
    HarborClient(harbor.url, 'robot$ci', PASSWORD).get('/systeminfo')
    assert harbor.state['log'][-1][2] == 'robot$ci'
    HarborClient(harbor.url).get('/systeminfo')
    assert harbor.state['log'][-1][2] is None
    with pytest.raises(HarborError, match='HTTP 401: UNAUTHORIZED: unauthorized') as error:
        HarborClient(harbor.url, 'admin', 'wrong').get('/systeminfo')
    assert 'wrong' not in str(error.value)


def test_a_harbor_that_does_not_answer():
    with pytest.raises(HarborError, match='Harbor cannot be reached'):
        HarborClient('http://127.0.0.1:9', timeout=2).health()


def test_harbor_info_reads_health_version_and_scanners_without_credentials(harbor, run_module):
    harbor.state['scanners'] = [scanner(1), scanner(2, default=True)]
    result = run_module('harbor_info', url=harbor.url, username='admin', password=PASSWORD)
    assert result['changed'] is False and result['healthy'] is True
    assert result['system_info']['harbor_version'] == 'v2.15.2-080b0220'
    assert result['default_scanner'] == 'scanner-2'
    assert [s['name'] for s in result['scanners']] == ['scanner-1', 'scanner-2']
    assert PASSWORD not in json.dumps(result)
    assert all('access_credential' not in s for s in result['scanners'])


def test_harbor_info_anonymous_and_unhealthy(harbor, run_module):
    harbor.state['health'] = [TRIVY_DOWN]
    result = run_module('harbor_info', url=harbor.url)
    assert result['healthy'] is False and 'scanners' not in result
    assert 'harbor_version' not in result['system_info']
    failed = run_module('harbor_info', expect_failure=True, url=harbor.url, wait=True, wait_timeout=1, interval=1)
    assert 'unhealthy: trivy (failed to ping' in failed['msg']
    failed = run_module('harbor_info', expect_failure=True, url=harbor.url, username='admin')
    assert 'username and password go together' in failed['msg']
