# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Harbor API client (module_utils/harbor.py), harbor_info and harbor_project, against an HTTP server on loopback
that answers as Harbor 2.15's API does (api/v2.0/swagger.yaml: the error body, X-Total-Count, /health, anonymous
/systeminfo, projects by name with X-Is-Resource-Name, quotas by reference).
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

    def body(self):
        length = int(self.headers.get('Content-Length') or 0)
        return json.loads(self.rfile.read(length)) if length else None

    def do_GET(self):  # pylint: disable=invalid-name
        self.route('GET')

    def do_POST(self):  # pylint: disable=invalid-name
        self.route('POST')

    def do_PUT(self):  # pylint: disable=invalid-name
        self.route('PUT')

    def do_DELETE(self):  # pylint: disable=invalid-name
        self.route('DELETE')

    def route(self, method):
        state = self.server.state
        url = urlsplit(self.path)
        query = dict((k, v[0]) for k, v in parse_qs(url.query).items())
        user = self.user()
        body = self.body() if method in ('POST', 'PUT') else None
        state['log'].append((url.path, query, user) if method == 'GET' else (method, url.path, body, user))
        path = url.path.removeprefix('/api/v2.0')
        if user and user.startswith('!'):
            self.answer(401, {'errors': [{'code': 'UNAUTHORIZED', 'message': 'unauthorized'}]})
        elif path == '/health':
            self.answer(200, state['health'].pop(0) if len(state['health']) > 1 else state['health'][0])
        elif path == '/systeminfo':
            self.answer(200, dict({'auth_mode': 'db_auth'}, **({'harbor_version': 'v2.15.2-080b0220'} if user else {})))
        elif not user:
            self.answer(401, {'errors': [{'code': 'UNAUTHORIZED', 'message': 'unauthorized'}]})
        elif path in ('/scanners', '/registries'):
            items = state[path[1:]]
            page, size = int(query.get('page', 1)), int(query.get('page_size', 10))
            self.answer(200, items[(page - 1) * size:page * size], {'X-Total-Count': str(len(items))})
        elif path.startswith('/projects') or path.startswith('/quotas'):
            self.projects(method, path, query, body)
        else:
            self.answer(404, {'errors': [{'code': 'NOT_FOUND', 'message': 'no such path %s' % url.path}]})

    def projects(self, method, path, query, body):
        """Projects and their quotas, as Harbor keeps them: by name with X-Is-Resource-Name, else by ID."""
        state = self.server.state
        projects, quotas = state['projects'], state['quotas']
        if method == 'POST' and path == '/projects':
            if body['project_name'] in projects:
                self.answer(409, {'errors': [{'code': 'CONFLICT', 'message': 'project exists'}]})
                return
            number = len(state['ids']) + 1
            state['ids'].append(body['project_name'])
            projects[body['project_name']] = {'project_id': number, 'name': body['project_name'], 'repo_count': 0,
                                              'metadata': dict({'public': 'false'}, **(body.get('metadata') or {})),
                                              'registry_id': body.get('registry_id')}
            quotas[number] = {'id': 100 + number, 'ref': {'id': number}, 'hard': {'storage': body.get('storage_limit', -1)}}
            self.send_response(201)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        if path == '/quotas' and method == 'GET':
            quota = quotas.get(int(query['reference_id']))
            self.answer(200, [quota] if quota else [])
            return
        if path.startswith('/quotas/') and method == 'PUT':
            quota = next(q for q in quotas.values() if q['id'] == int(path.rsplit('/', 1)[1]))
            quota['hard'].update(body['hard'])
            self.answer(200, {})
            return
        key = path.split('/', 2)[2]
        if self.headers.get('X-Is-Resource-Name') == 'true' or not key.isdigit():
            project = projects.get(key)
        else:
            project = next((p for p in projects.values() if p['project_id'] == int(key)), None)
        if project is None:
            self.answer(404, {'errors': [{'code': 'NOT_FOUND', 'message': 'project %s not found' % key}]})
        elif method == 'GET':
            self.answer(200, project)
        elif method == 'PUT':
            project['metadata'].update(body.get('metadata') or {})
            self.answer(200, {})
        elif method == 'DELETE':
            del projects[project['name']]
            self.answer(200, {})


HEALTHY = {'status': 'healthy', 'components': [{'name': 'core', 'status': 'healthy'},
                                               {'name': 'database', 'status': 'healthy'}]}
TRIVY_DOWN = {'status': 'unhealthy', 'components': [
    {'name': 'core', 'status': 'healthy'},
    {'name': 'trivy', 'status': 'unhealthy', 'error': 'failed to ping http://trivy-adapter:8080/probe/healthy'}]}


@pytest.fixture
def harbor():
    server = ThreadingHTTPServer(('127.0.0.1', 0), HarborLike)
    server.daemon_threads = True
    server.state = {'log': [], 'health': [HEALTHY], 'scanners': [], 'registries': [], 'projects': {}, 'quotas': {},
                    'ids': []}
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
        HarborClient(harbor.url, 'admin', PASSWORD).get('/projects/nope')
    assert error.value.status == 404 and error.value.code == 'NOT_FOUND'
    assert str(error.value).endswith('/api/v2.0/projects/nope: HTTP 404: NOT_FOUND: project nope not found')
    assert HarborClient(harbor.url, 'admin', PASSWORD).find('projects', 'nope') is None


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


def project_args(harbor, **args):
    return dict(url=harbor.url, username='admin', password=PASSWORD, **args)


def writes(harbor):
    return [entry[:3] for entry in harbor.state['log'] if entry[0] in ('POST', 'PUT', 'DELETE')]


def test_a_project_is_created_with_its_settings_and_quota_then_left_alone(harbor, run_module):
    args = project_args(harbor, name='team-a', public=False, auto_scan=True, prevent_vulnerable=True, severity='high',
                        storage_limit='50G')
    checked = run_module('harbor_project', _ansible_check_mode=True, **args)
    assert checked['changed'] is True and writes(harbor) == []
    created = run_module('harbor_project', _ansible_diff=True, **args)
    assert created['changed'] is True
    assert created['project'] == {'name': 'team-a', 'project_id': 1, 'public': False, 'auto_scan': True,
                                  'prevent_vulnerable': True, 'severity': 'high', 'storage_limit': 50 * 1024 ** 3,
                                  'proxy_cache_registry_id': None, 'repo_count': 0}
    assert created['diff']['before'] == {} and PASSWORD not in json.dumps(created)
    assert writes(harbor) == [('POST', '/api/v2.0/projects', {
        'project_name': 'team-a', 'storage_limit': 50 * 1024 ** 3,
        'metadata': {'public': 'false', 'auto_scan': 'true', 'prevent_vul': 'true', 'severity': 'high'}})]
    again = run_module('harbor_project', **args)
    assert again['changed'] is False and len(writes(harbor)) == 1


def test_only_what_differs_is_written(harbor, run_module):
    run_module('harbor_project', **project_args(harbor, name='team-b', auto_scan=False))
    harbor.state['log'].clear()
    result = run_module('harbor_project', **project_args(harbor, name='team-b', auto_scan=True, storage_limit='-1'))
    assert result['changed'] is True and result['project']['auto_scan'] is True
    assert writes(harbor) == [('PUT', '/api/v2.0/projects/1', {'metadata': {'auto_scan': 'true'}})]
    result = run_module('harbor_project', **project_args(harbor, name='team-b', storage_limit='10G'))
    assert result['project']['storage_limit'] == 10 * 1024 ** 3
    assert writes(harbor)[-1] == ('PUT', '/api/v2.0/quotas/101', {'hard': {'storage': 10 * 1024 ** 3}})


def test_a_project_with_images_is_never_deleted(harbor, run_module):
    run_module('harbor_project', **project_args(harbor, name='team-c'))
    harbor.state['projects']['team-c']['repo_count'] = 2
    refused = run_module('harbor_project', expect_failure=True, **project_args(harbor, name='team-c', state='absent'))
    assert refused['msg'].startswith('project team-c holds 2 repositories')
    assert 'team-c' in harbor.state['projects']
    harbor.state['projects']['team-c']['repo_count'] = 0
    assert run_module('harbor_project', **project_args(harbor, name='team-c', state='absent'))['changed'] is True
    assert 'team-c' not in harbor.state['projects']
    assert run_module('harbor_project', **project_args(harbor, name='team-c', state='absent'))['changed'] is False


def test_proxy_cache_endpoints_by_name_and_only_at_creation(harbor, run_module):
    harbor.state['registries'] = [{'id': 7, 'name': 'dockerhub', 'url': 'https://mirror.example.com'}]
    created = run_module('harbor_project', **project_args(harbor, name='hub', proxy_cache_registry='dockerhub'))
    assert created['project']['proxy_cache_registry_id'] == 7
    refused = run_module('harbor_project', expect_failure=True,
                         **project_args(harbor, name='plain', proxy_cache_registry='nowhere'))
    assert "proxy_cache_registry is 'nowhere': Harbor has no registry endpoint of that name" in refused['msg']
    run_module('harbor_project', **project_args(harbor, name='plain'))
    refused = run_module('harbor_project', expect_failure=True,
                         **project_args(harbor, name='plain', proxy_cache_registry='dockerhub'))
    assert 'project plain is not a proxy cache; Harbor fixes that when a project is created' in refused['msg']


@pytest.mark.parametrize('name', ['Team', 'a..b', '-a', 'a/b', ''])
def test_a_name_harbor_would_refuse_is_refused_first(harbor, run_module, name):
    refused = run_module('harbor_project', expect_failure=True, **project_args(harbor, name=name))
    assert refused['msg'].startswith('name is %r: a Harbor project name is lower-case' % name)
    assert harbor.state['log'] == []
