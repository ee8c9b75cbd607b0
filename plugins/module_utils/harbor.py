# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A client of Harbor's REST API (v2.0) for the modules: basic authentication (the admin or a robot account), the
site CA, Harbor's errors, pagination, and waiting until Harbor says it is healthy.

What Harbor does, and this code relies on (api/v2.0/swagger.yaml of Harbor 2.15):
  - An error is ``{"errors": [{"code": "NOT_FOUND", "message": "..."}]}`` with the HTTP status.
  - A list takes ``page`` (from 1) and ``page_size`` (at most 100) and says how many there are in ``X-Total-Count``.
  - ``GET /health`` answers without a login: ``{"status": "healthy", "components": [{"name", "status", "error"}]}``,
    healthy only when every component is.
  - ``GET /systeminfo`` answers without a login too, with fewer fields (no ``harbor_version``).
"""

from __future__ import annotations

import calendar
import datetime
import http.client
import json
import re
import socket
import time
import urllib.error
from urllib.parse import quote, urlencode

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

API = '/api/v2.0'
PAGE_SIZE = 100
# Harbor answers a list with at most this many pages before the client stops (a loop that never ends otherwise).
MAX_PAGES = 1000


def argument_spec():
    """The options that say how to reach Harbor, as the caas.platform.harbor doc fragment documents them."""
    return dict(
        url=dict(type='str', required=True),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
        ca_path=dict(type='path'),
        validate_certs=dict(type='bool', default=True),
        timeout=dict(type='int', default=30),
    )


class HarborError(Exception):
    """A request failed: Harbor's own message with its status and code, or why Harbor could not be reached."""

    def __init__(self, message, status=None, code=None):
        super().__init__(message)
        self.status = status
        self.code = code


class HarborRefused(HarborError):
    """What the options ask is refused (Harbor could not take it, or it would lose something): the message names the
    fix; fields are what the module's failure reports beside it (the state found, for one)."""

    def __init__(self, message, **fields):
        super().__init__(message)
        self.fields = fields


def error_message(raw):
    """Harbor's messages from an error body (``{"errors": [...]}``), or the body's start when it is not one."""
    try:
        errors = json.loads(raw.decode('utf-8')).get('errors') or []
        found = [(e.get('code'), e.get('message')) for e in errors if isinstance(e, dict)]
    except (ValueError, AttributeError, UnicodeDecodeError):
        found = []
    if found:
        return '; '.join('%s: %s' % (code, message) if code else str(message) for code, message in found), found[0][0]
    text = raw.decode('utf-8', 'replace').strip()
    return (text[:200] or '(no message)'), None


class HarborClient(object):
    """Requests to one Harbor, as one user (or none: what anonymous requests may read)."""

    def __init__(self, url, username=None, password=None, ca_path=None, validate_certs=True, timeout=30):
        self.base = url.rstrip('/') + API
        self.username = username
        self.password = password
        self.ca_path = ca_path
        self.validate_certs = validate_certs
        self.timeout = timeout

    @classmethod
    def from_module(cls, module):
        params = module.params
        if bool(params['username']) != bool(params['password']):
            module.fail_json(msg='username and password go together: set both (the admin or a robot account) '
                                 'or neither (anonymous requests)')
        return cls(params['url'], params['username'], params['password'], params['ca_path'],
                   params['validate_certs'], params['timeout'])

    def as_user(self, username, password):
        """A client of the same Harbor logging in as another user (or none, with username None)."""
        return HarborClient(self.base[:-len(API)], username, password, self.ca_path, self.validate_certs,
                            self.timeout)

    def request(self, method, path, body=None, query=None, expect=(200,), headers=None):
        """(status, headers, document) of the request; raises HarborError when the status is not expected."""
        url = self.base + path + ('?' + urlencode(query) if query else '')
        headers = dict(headers or {}, Accept='application/json')
        data = None
        if body is not None:
            data = json.dumps(body)
            headers['Content-Type'] = 'application/json'
        try:
            response = open_url(url, method=method, data=data, headers=headers, url_username=self.username,
                                url_password=self.password, force_basic_auth=bool(self.username),
                                ca_path=self.ca_path, validate_certs=self.validate_certs, timeout=self.timeout,
                                http_agent='caas.platform')
            status, answer_headers, raw = response.getcode(), response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, answer_headers, raw = exc.code, exc.headers, exc.read()
            exc.close()
        except urllib.error.URLError as exc:
            raise HarborError('%s %s: Harbor cannot be reached: %s' % (method, url, exc.reason))
        except (UrlsConnectionError, http.client.HTTPException, socket.timeout, OSError, ValueError) as exc:
            raise HarborError('%s %s: Harbor cannot be reached: %s' % (method, url, exc))
        if status not in expect:
            message, code = error_message(raw)
            raise HarborError('%s %s: HTTP %s: %s' % (method, url, status, message), status, code)
        document = None
        if raw:
            try:
                document = json.loads(raw.decode('utf-8'))
            except (ValueError, UnicodeDecodeError):
                raise HarborError('%s %s: Harbor answered HTTP %s with a body that is not JSON' % (method, url, status),
                                  status)
        return status, answer_headers, document

    def get(self, path, query=None):
        return self.request('GET', path, query=query)[2]

    def find(self, kind, name):
        """The resource of a kind that takes a name or an ID in its path (projects), by name; None when Harbor has
        no such one."""
        status, _headers, document = self.request('GET', '/%s/%s' % (kind, quote(name, safe='')), expect=(200, 404),
                                                  headers={'X-Is-Resource-Name': 'true'})
        return document if status == 200 else None

    def project(self, name):
        """A project by name; HarborError naming how to make it when Harbor has none (for the modules that work in
        a project)."""
        project = self.find('projects', name)
        if project is None:
            raise HarborError('project %s does not exist in Harbor (make it with caas.platform.harbor_project first)'
                              % name)
        return project

    def get_all(self, path, query=None):
        """Every item of a paginated list."""
        items = []
        for page in range(1, MAX_PAGES + 1):
            _status, headers, document = self.request('GET', path, query=dict(query or {}, page=page,
                                                                              page_size=PAGE_SIZE))
            document = document or []
            items.extend(document)
            total = headers.get('X-Total-Count') if headers else None
            if len(document) < PAGE_SIZE or (total is not None and len(items) >= int(total)):
                return items
        raise HarborError('GET %s%s: more than %d pages' % (self.base, path, MAX_PAGES))

    def health(self):
        """{status, components: {name: {status, error}}} of GET /health."""
        document = self.get('/health') or {}
        components = dict((c.get('name'), dict(status=c.get('status'), error=c.get('error')))
                          for c in document.get('components') or [])
        return dict(status=document.get('status'), components=components)

    def wait_healthy(self, timeout, interval=5, clock=time.monotonic, sleep=time.sleep):
        """The health once Harbor says healthy; HarborError naming the unhealthy components (or why Harbor did not
        answer) when timeout seconds pass first."""
        deadline = clock() + timeout
        while True:
            try:
                health = self.health()
                if health['status'] == 'healthy':
                    return health
                problem = 'unhealthy: ' + ', '.join(
                    '%s (%s)' % (name, c['error']) if c.get('error') else name
                    for name, c in sorted(health['components'].items()) if c['status'] != 'healthy')
            except HarborError as exc:
                problem = str(exc)
            if clock() + interval > deadline:
                raise HarborError('Harbor at %s is not healthy after %s s: %s' % (self.base, timeout, problem))
            sleep(interval)


# -- Rules the modules and the harbor role's checks share ---------------------------------------------------------

# Harbor's cron expressions: six fields, seconds first.
CRON = re.compile(r'^\S+( \S+){5}$')


def expiry_seconds(day):
    """Seconds since the epoch of 00:00 UTC on day (YYYY-MM-DD), or None for never; ValueError when not a day."""
    if not day:
        return None
    return calendar.timegm(datetime.datetime.strptime(day, '%Y-%m-%d').timetuple())


def expiry_day(seconds):
    """The day (YYYY-MM-DD, UTC) of seconds since the epoch, as expiry_seconds takes it; empty for never."""
    return time.strftime('%Y-%m-%d', time.gmtime(seconds)) if seconds else ''


def allowlist_problems(cves, expires_on, today, cves_name='cves', expires_name='expires_on'):
    """What is wrong with a CVE allowlist (IDs and the day it expires on), each message naming the setting, the
    value and the fix; today in seconds since the epoch."""
    found = []
    if not isinstance(cves, list):
        found.append('%s is %s: give a list of the scanner\'s IDs (CVE-2024-3094, GHSA-...)'
                     % (cves_name, json.dumps(cves)))
        cves = []
    blank = [c for c in cves if not isinstance(c, str) or not c.strip() or c.strip() != c]
    if blank:
        found.append('%s has %s: an ID is the scanner\'s (CVE-2024-3094), without spaces'
                     % (cves_name, ', '.join(json.dumps(c) for c in blank)))
    repeated = sorted(set(c for c in cves if isinstance(c, str) and cves.count(c) > 1))
    if repeated:
        found.append('%s has %s more than once: Harbor refuses a repeated ID; give each once'
                     % (cves_name, ', '.join(repeated)))
    try:
        seconds = expiry_seconds(str(expires_on or ''))
    except ValueError:
        found.append('%s is %s: give a day as YYYY-MM-DD (UTC), or "" for never' % (expires_name, json.dumps(expires_on)))
    else:
        if seconds is not None and seconds <= today:
            found.append('%s is %s, which has come: Harbor would ignore the allowlist; review the exceptions and give '
                         'a later day, or "" for never' % (expires_name, expires_on))
    return found


# -- The modules' ends --------------------------------------------------------------------------------------------


def failure_fields(exc):
    """What a module's failure reports beside the message: a refusal's own fields, else the HTTP status and Harbor's
    error code."""
    if isinstance(exc, HarborRefused):
        return dict(exc.fields)
    return dict(status=exc.status, code=exc.code)


def fail_with(module, exc):
    """Harbor's error as the module's failure: its message with failure_fields."""
    module.fail_json(msg=str(exc), **failure_fields(exc))


def retried(action, seconds, interval=10, clock=time.monotonic, sleep=time.sleep):
    """What action returns, asked again every interval seconds while it raises HarborError, until seconds have passed;
    then its last error."""
    deadline = clock() + seconds
    while True:
        try:
            return action()
        except HarborError:
            if clock() + interval > deadline:
                raise
        sleep(interval)


def exit_with(module, changed, name, before, after, **extra):
    """The module's result: whether it changed, what Harbor holds (or would hold in check mode) under name, the extra
    fields, and with --diff the state before and after."""
    result = dict(extra, changed=changed)
    result[name] = after
    if module._diff:
        result['diff'] = dict(before=before, after=after)
    module.exit_json(**result)


# -- Tag rules (immutability and retention share Harbor's rule shape) ---------------------------------------------


def rule_selectors(rule):
    """(tag_selectors, scope_selectors) of a rule given as repositories/tags patterns and whether each matches or
    excludes, the way Harbor's UI writes them (doublestar patterns)."""
    tag_extras = {'untagged': True} if rule.get('untagged') else None
    tag = dict(kind='doublestar', decoration=rule.get('tags_match') or 'matches', pattern=rule.get('tags') or '**')
    if tag_extras is not None:
        tag['extras'] = json.dumps(tag_extras)
    repository = dict(kind='doublestar', decoration='repo' + (rule.get('repositories_match') or 'matches').capitalize(),
                      pattern=rule.get('repositories') or '**')
    return [tag], {'repository': [repository]}


def comparable_rule(rule):
    """A Harbor rule reduced to what the modules manage, in one form."""
    tags = (rule.get('tag_selectors') or [{}])[0]
    repositories = ((rule.get('scope_selectors') or {}).get('repository') or [{}])[0]
    extras = tags.get('extras') or ''
    try:
        untagged = bool(json.loads(extras).get('untagged')) if extras else False
    except ValueError:
        untagged = False
    return dict(template=rule.get('template'), params=rule.get('params') or {}, disabled=bool(rule.get('disabled')),
                tags=tags.get('pattern'), tags_match=tags.get('decoration'), untagged=untagged,
                repositories=repositories.get('pattern'),
                repositories_match=(repositories.get('decoration') or 'repoMatches')[4:].lower())
