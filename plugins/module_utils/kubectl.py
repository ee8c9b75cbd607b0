# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Server-side apply with kubectl, the way the layer roles put resources into a cluster from a control-plane node.

What kubectl (1.31+) does, and this code relies on:
  - ``kubectl diff`` exits 0 when the server-side dry run changes nothing, 1 when it would change something (the
    unified diff is on stdout), and above 1 when it failed.
  - A kind whose CustomResourceDefinition is not installed fails with ``no matches for kind`` (or ``ensure CRDs are
    installed first``): in check mode on a cluster the same run would first give the CRDs, that is "would create".
  - An object in a namespace the cluster does not have yet fails the diff with ``namespaces "<name>" not found``:
    when the same input creates that namespace first (a release's manifest often starts with its Namespace), that
    too is "would create".
  - ``kubectl apply -o name`` prints one ``<resource>.<group>/<name>`` line per object; ``kubectl delete -o name``
    the same for each object it deleted (followed by `` (server dry run)`` in a dry run).
  - Secret values are masked in ``kubectl diff`` output (``***``).
"""

from __future__ import annotations

import json
import re
import time

from ansible_collections.caas.platform.plugins.module_utils.commands import (
    CommandError, PrivateFile, command_message, command_name, run)

MISSING_KIND = re.compile(r'no matches for kind "([^"]+)"|ensure CRDs are installed first', re.I)
MISSING_NAMESPACE = re.compile(r'namespaces "([^"]+)" not found')


# What kubectl gets while the API VIP hands a request to an API server that is (re)starting, as during an upgrade: a
# refused or dropped connection, or, for a moment before its RBAC caches have synced, Forbidden even for the admin;
# or no answer within kubectl's own timeout (Client.Timeout: on the loaded lab, kubectl's OpenAPI download through
# the VIP went unanswered for 32 s while a control-plane node joined).
TRANSIENT = re.compile(r'connection refused|connection to the server \S+ was refused|is forbidden|ServiceUnavailable|'
                       r'currently unable to handle the request|TLS handshake timeout|i/o timeout|\bEOF\b|'
                       r'Unable to connect to the server|etcdserver: leader changed|context deadline exceeded|'
                       r'Client\.Timeout exceeded', re.I)


class KubectlError(CommandError):
    """kubectl failed; the message is its own."""


def base_argv(kubectl, kubeconfig):
    return [kubectl, '--kubeconfig', kubeconfig]


def apply_flags(field_manager, force_conflicts):
    flags = ['--server-side', '--field-manager=' + field_manager]
    if force_conflicts:
        flags.append('--force-conflicts')
    return flags


def missing_kinds(stderr):
    """The kinds kubectl did not know (their CRDs are not installed yet); an empty list if that was not the error."""
    if not MISSING_KIND.search(stderr or ''):
        return []
    return sorted(set(m.group(1) for m in MISSING_KIND.finditer(stderr) if m.group(1))) or ['(a custom resource)']


def interpret_diff(rc, stdout, stderr):
    """(changed, diff text) of a ``kubectl diff`` run; KubectlError when it failed for another reason than a
    kind the cluster does not have yet (that is reported as changed, the diff saying which kinds)."""
    if rc == 0:
        return False, ''
    kinds = missing_kinds(stderr)
    if kinds:
        return True, 'the cluster has no %s yet (its CustomResourceDefinition comes first): all would be created\n' \
            % ', '.join(kinds)
    namespaces = sorted(set(MISSING_NAMESPACE.findall(stderr or '')))
    if namespaces:
        return True, 'the cluster has no namespace %s yet: all would be created\n' % ', '.join(namespaces)
    # Differences found; stderr may still hold warnings (deprecations, Pod Security), but no error line.
    if rc == 1 and not re.search(r'^\s*error', stderr or '', re.M | re.I):
        return True, stdout
    raise KubectlError('kubectl diff failed (rc=%d): %s' % (rc, command_message(stdout, stderr)))


CRD = 'customresourcedefinition.apiextensions.k8s.io/'


def resource_names(stdout):
    """The ``kind.group/name`` lines of ``kubectl apply -o name`` (or ``delete -o name``, without its dry-run note)."""
    return [line.split()[0] for line in (stdout or '').splitlines() if '/' in line]


def file_flags(paths):
    """kubectl's ``-f`` flags for one path or several."""
    return [flag for path in ([paths] if isinstance(paths, str) else paths) for flag in ('-f', path)]


def list_document(definitions):
    """One kubectl input for any number of objects: a v1 List, as JSON (JSON is YAML; the node needs no YAML)."""
    items = []
    for index, item in enumerate(definitions):
        if not isinstance(item, dict) or not item.get('apiVersion') or not item.get('kind') \
                or not (item.get('metadata') or {}).get('name'):
            raise ValueError('definition %d has no apiVersion, kind or metadata.name' % index)
        items.append(item)
    return json.dumps({'apiVersion': 'v1', 'kind': 'List', 'items': items}, sort_keys=True)


class ManifestFile(PrivateFile):
    """kubectl's input as a PrivateFile (the objects may hold Secrets)."""

    def __init__(self, text):
        super(ManifestFile, self).__init__(text, 'caas-kubectl-', 'objects.json')


def server_side_apply(module, kubectl, kubeconfig, path, field_manager, force_conflicts, check_mode):
    """Diff, then apply when something differs (not in check mode), each retried on TRANSIENT errors (run_retrying).
    path is one manifest file or a list of them. Returns (changed, diff text, names applied)."""
    flags = apply_flags(field_manager, force_conflicts)
    # kubectl diff exits 1 when it found differences: an answer, not an error.
    rc, stdout, stderr = run_retrying(module, base_argv(kubectl, kubeconfig) + ['diff'] + flags + file_flags(path),
                                      answers=(0, 1))
    changed, diff = interpret_diff(rc, stdout, stderr)
    if not changed or check_mode:
        return changed, diff, []
    rc, stdout, stderr = run_retrying(module, base_argv(kubectl, kubeconfig) + ['apply'] + flags
                                      + file_flags(path) + ['-o', 'name'])
    if rc != 0:
        raise KubectlError('kubectl apply failed (rc=%d): %s' % (rc, command_message(stdout, stderr)))
    return True, diff, resource_names(stdout)


def wait_established(module, kubectl, kubeconfig, names, timeout):
    """Wait until the API server serves the CustomResourceDefinitions among names (just applied), so that objects of
    their kinds can be applied next."""
    crds = [name for name in names if name.startswith(CRD)]
    if crds:
        checked(module, base_argv(kubectl, kubeconfig) + ['wait', '--for=condition=Established',
                                                          '--timeout=%ds' % timeout] + crds)


def delete_present(module, kubectl, kubeconfig, names, check_mode):
    """Delete those of names (``<resource>.<group>/<name>``, cluster-scoped) the cluster has; a server-side dry run in
    check mode. Returns the names deleted (or that would be)."""
    if not names:
        return []
    argv = base_argv(kubectl, kubeconfig) + ['delete', '--ignore-not-found', '-o', 'name'] + list(names)
    return resource_names(checked(module, argv + (['--dry-run=server'] if check_mode else [])))


def wait_for(module, kubectl, kubeconfig, waits, timeout):
    """Wait for each of waits in turn: ``kubectl wait --for`` its O(for) (every object of the resource when no name is
    given), else ``kubectl rollout status``; KubectlError with kubectl's message when one does not come in time."""
    for wait in waits:
        argv = base_argv(kubectl, kubeconfig) + (['-n', wait['namespace']] if wait.get('namespace') else [])
        if wait.get('for'):
            argv += ['wait', wait['resource'], '--for=' + wait['for']] + ([] if '/' in wait['resource'] else ['--all'])
        else:
            argv += ['rollout', 'status', wait['resource']]
        checked(module, argv + ['--timeout=%ds' % timeout])


def kubectl_json(module, kubectl, kubeconfig, args):
    """kubectl's JSON answer."""
    _rc, stdout, _stderr = run(module, base_argv(kubectl, kubeconfig) + list(args) + ['-o', 'json'])
    return json.loads(stdout)


def attempts_within(seconds, delay=5):
    """How many tries fit in seconds of retrying, every delay seconds (at least one)."""
    return max(1, int(seconds) // delay + 1)


def run_retrying(module, argv, attempts=None, delay=5, data=None, answers=(0,)):
    """kubectl's (rc, stdout, stderr), run again while it exits with a code not in answers and its error (stderr)
    is one a (re)starting API server gives (TRANSIENT), up to attempts times (default: as many as the module's
    api_wait option allows, or 12); the last answer otherwise. The caller judges rc. Only stderr is searched: stdout
    is the objects themselves (a diff of a ConfigMap may well say EOF)."""
    attempts = attempts or attempts_within(module.params.get('api_wait', 60), delay)
    for attempt in range(1, attempts + 1):
        rc, stdout, stderr = module.run_command(argv, data=data)
        if rc in answers or attempt == attempts or not TRANSIENT.search(stderr or ''):
            return rc, stdout, stderr
        time.sleep(delay)
    return rc, stdout, stderr


def checked(module, argv, attempts=None, delay=5):
    """run_retrying, raising KubectlError with kubectl's own message when it still fails."""
    rc, stdout, stderr = run_retrying(module, argv, attempts, delay)
    if rc != 0:
        raise KubectlError('%s failed (rc=%d): %s' % (command_name(argv), rc, command_message(stdout, stderr)))
    return stdout
