# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of playbooks/upgrade.yml (docs/upgrade.md): whether the cluster may be upgraded to the inventory's
caas_kubernetes_version now, and which nodes are still to upgrade. The inputs are what the preflight reads: the
upgrade_state module's answer, the etcd member listing, each control-plane node's kubeadm certificates and the
server-side dry-run drain of each node; nothing here reads a host."""

from __future__ import annotations

import re

VERSION = re.compile(r'^v?(\d+)\.(\d+)\.(\d+)$')
# The control-plane pods that run the Kubernetes release; stacked etcd's pod (also tier=control-plane) runs etcd's
# own version (3.6.8-0), which kubeadm chooses for the release.
KUBERNETES_COMPONENTS = ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler')


def version_tuple(version):
    match = VERSION.match(str(version or '').strip())
    return tuple(int(part) for part in match.groups()) if match else None


def _minor(version):
    parsed = version_tuple(version)
    return '%d.%d' % parsed[:2] if parsed else ''


def _release_problems(target, current, releases):
    """The target against the cluster's version and the artifact manifest's releases ({minor: version})."""
    wanted, now = version_tuple(target), version_tuple(current)
    if wanted is None:
        return ['caas_kubernetes_version is %r: write the release to upgrade to as "1.36.3".' % (target,)]
    if now is None:
        return ['The cluster\'s ClusterConfiguration (ConfigMap kube-system/kubeadm-config) names no version (%r): '
                'is this a kubeadm cluster the inventory describes? Nothing was changed.' % (current,)]
    problems = []
    minor = _minor(target)
    pinned = str((releases or {}).get(minor, ''))
    if pinned != '%d.%d.%d' % wanted:
        problems.append('caas_kubernetes_version %s is not a release the artifact manifest pins (%s): set it to one '
                        'of those, or use a manifest (caas_artifacts_manifest) that pins %s.'
                        % (target, ', '.join('%s: %s' % item for item in sorted((releases or {}).items())) or 'none',
                           target))
    if wanted < now:
        problems.append('caas_kubernetes_version %s is older than the cluster (%s): kubeadm does not downgrade. Set it '
                        'back to %s; to go back to an older release, restore the etcd snapshot the upgrade took '
                        '(docs/upgrade.md, rollback).' % (target, current, current.lstrip('v')))
    elif wanted[1] > now[1] + 1 or wanted[0] != now[0]:
        problems.append('caas_kubernetes_version %s skips a minor: the cluster runs %s. Upgrade one minor at a time: '
                        'set caas_kubernetes_version to the manifest\'s %d.%d release, run this, then go on.'
                        % (target, current, now[0], now[1] + 1))
    return problems


def _version_skew(target, current, state):
    """Every control-plane component at the target's minor or the one before, not newer than the target (the cluster's
    version, or the target's in a resumed upgrade); every kubelet neither newer than the target nor more than three
    minors older than it."""
    wanted = version_tuple(target)
    problems = []
    for component in state.get('components') or []:
        if component.get('component') not in KUBERNETES_COMPONENTS:
            continue
        running = version_tuple(component.get('version'))
        if running is None or running > wanted or running[1] < wanted[1] - 1:
            problems.append('%s on %s runs %s, neither the cluster\'s %s nor %s: bring it to the cluster\'s version '
                            'first (playbooks/20_control_plane.yml with caas_kubernetes_version %s).'
                            % (component.get('component'), component.get('node'), component.get('version'), current,
                               target, current.lstrip('v')))
    wanted = version_tuple(target)
    for node in state.get('nodes') or []:
        kubelet = version_tuple(node.get('kubelet_version'))
        if kubelet is None:
            problems.append('Node %s reports no kubelet version.' % node['name'])
        elif kubelet > wanted:
            problems.append('The kubelet of %s runs %s, newer than %s: a kubelet is never newer than the API servers.'
                            % (node['name'], node.get('kubelet_version'), target))
        elif kubelet[1] < wanted[1] - 3:
            problems.append('The kubelet of %s runs %s, more than three minors older than %s: upgrade it to the '
                            'cluster\'s minor first.' % (node['name'], node.get('kubelet_version'), target))
    return problems


def _health_problems(state, node_names, etcd):
    problems = []
    registered = dict((node['name'], node) for node in state.get('nodes') or [])
    missing = [name for name in node_names.values() if name not in registered]
    if missing:
        problems.append('The inventory\'s nodes %s are not in the cluster: join them with playbooks/scale.yml, or take '
                        'them out of the inventory, first.' % ', '.join(sorted(missing)))
    for node in state.get('nodes') or []:
        if not node.get('ready'):
            problems.append('Node %s is not Ready: repair or replace it first (playbooks/health.yml says why).'
                            % node['name'])
        if node.get('pressure'):
            problems.append('Node %s reports %s: free it first.' % (node['name'], ', '.join(node['pressure'])))
    for component in state.get('components') or []:
        if not component.get('ready'):
            problems.append('%s on %s is not Ready: repair it first.' % (component.get('component'), component.get('node')))
    if etcd is None or etcd.get('failed') or not etcd.get('members'):
        problems.append('etcd did not answer its member list (no quorum, or no member reachable): repair etcd first '
                        '(docs/etcd.md). Nothing was changed.')
    else:
        unhealthy = [e.get('name') or e.get('member_id') for e in etcd.get('endpoints') or [] if not e.get('healthy')]
        if unhealthy:
            problems.append('etcd members %s are not healthy: an upgrade restarts every member, so each must be '
                            'healthy first (docs/etcd.md).' % ', '.join(str(name) for name in unhealthy))
    return problems


def _certificate_problems(certificates, min_days):
    problems = []
    for host, certs in sorted((certificates or {}).items()):
        for cert in certs or []:
            if cert.get('missing') or cert.get('seconds_left') is None:
                continue
            days = int(cert['seconds_left']) // 86400
            if days < min_days:
                problems.append('The certificate %s on %s expires in %d days, within upgrade_cert_min_days (%d): renew '
                                'it first (playbooks/renew_certs.yml; a CA, by hand: docs/certificates.md).'
                                % (cert.get('name'), host, days, min_days))
    return problems


def _removed_apis(state, target):
    wanted = version_tuple(target)
    removed = set()
    for api in state.get('deprecated_apis') or []:
        release = version_tuple(str(api.get('removed_release') or '') + '.0')
        if release and release[:2] <= wanted[:2]:
            removed.add('%s/%s %s (removed in %s)' % (api.get('group') or 'core', api.get('version'),
                                                      api.get('resource'), api.get('removed_release')))
    if not removed:
        return []
    return ['Clients still use APIs that %s no longer serves: %s (the API servers\' apiserver_requested_deprecated_apis '
            'metric). Move those clients to the newer APIs (kubectl convert, the deprecation guide) and restart the '
            'API servers to reset the counts, or set upgrade_allow_removed_apis=true once you know these requests are '
            'gone.' % (target, '; '.join(sorted(removed)))]


def _drain_problems(drain, pending_names):
    problems = []
    for name in pending_names:
        for blocked in ((drain or {}).get(name) or {}).get('blockers') or []:
            problems.append('A drain of %s would be blocked: pod %s/%s (%s).'
                            % (name, blocked.get('namespace'), blocked.get('pod'), blocked.get('reason')))
    if problems:
        problems.append('Fix those (scale the workload up or relax its PodDisruptionBudget; move a bare pod to a '
                        'controller) so that each node can be drained, then run this again.')
    return problems


def pending(state, target, groups, node_names, reason):
    """The inventory hosts still to upgrade, in inventory order: {'control_plane': [...], 'workers': [...]}. A node
    is done when its kubelet (and on a control-plane node, each static pod) runs the target and the upgrade's own
    cordon is gone."""
    wanted = 'v' + str(target).lstrip('v')
    nodes = dict((node['name'], node) for node in state.get('nodes') or [])
    components = {}
    for component in state.get('components') or []:
        if component.get('component') in KUBERNETES_COMPONENTS:
            components.setdefault(component.get('node'), []).append(component.get('version'))

    def done(host):
        node = nodes.get(node_names.get(host), {})
        return (node.get('kubelet_version') == wanted and node.get('cordoned_by') != reason
                and all(version == wanted for version in components.get(node.get('name'), [])))
    return dict((group, [host for host in groups.get(group) or [] if host in node_names and not done(host)])
                for group in ('control_plane', 'workers'))


def node_ready(state, name, target):
    """Whether the node is Ready with its kubelet at the target and, when it runs control-plane pods, each of them
    Ready at the target."""
    wanted = 'v' + str(target).lstrip('v')
    node = next((n for n in state.get('nodes') or [] if n.get('name') == name), None)
    if not node or not node.get('ready') or node.get('kubelet_version') != wanted:
        return False
    return all(c.get('ready') and (c.get('version') == wanted or c.get('component') not in KUBERNETES_COMPONENTS)
               for c in state.get('components') or [] if c.get('node') == name)


def upgrade_plan(state, target, groups, node_names, releases, etcd, certificates, drain, cert_min_days=30,
                 allow_removed_apis=False, artifacts_problem=''):
    """{'problems': [...], 'apply': bool, 'control_plane': [...], 'workers': [...], 'from': ..., 'to': ...,
    'reason': the cordon annotation's value}.

    state: the upgrade_state module's answer; node_names: {inventory host: node name} of the control_plane and
    workers groups; releases: the artifact manifest's {minor: version}; etcd: the etcd_member listing (None when it
    did not answer); certificates: {host: kubeadm_certs' certificates}; drain: node_drain's checked nodes;
    artifacts_problem: artifact_check's message when the release's files or images are missing or differ."""
    current = str(state.get('cluster_version') or '')
    wanted = 'v' + str(target).lstrip('v')
    reason = 'upgrade ' + wanted
    plan = {'problems': [], 'apply': False, 'control_plane': [], 'workers': [], 'from': current, 'to': wanted,
            'reason': reason}
    plan['problems'] = _release_problems(target, current, releases)
    if plan['problems']:
        return plan
    todo = pending(state, target, groups, node_names, reason)
    apply = current != wanted
    problems = _version_skew(target, current, state) + _health_problems(state, node_names, etcd)
    if apply or todo['control_plane'] or todo['workers']:
        if artifacts_problem:
            problems.append('The files repository or the registry mirror does not serve %s as the artifact manifest '
                            'pins it: %s Publish the release first (playbooks/artifacts_publish.yml, docs/artifacts.md).'
                            % (wanted, artifacts_problem.rstrip('.') + '.'))
        problems += _certificate_problems(certificates, cert_min_days)
        if not allow_removed_apis:
            problems += _removed_apis(state, target)
        problems += _drain_problems(drain, [node_names[h] for h in todo['control_plane'] + todo['workers']])
    plan.update(problems=problems, apply=apply, control_plane=todo['control_plane'], workers=todo['workers'])
    return plan


BATCH = re.compile(r'^\s*(\d+)\s*(%?)\s*$')
BOOLEANS = ('true', 'false', 'yes', 'no', '1', '0', 'on', 'off')
# name: (default, least, unit)
WHOLE_NUMBERS = {
    'upgrade_drain_timeout': (300, 1, 'seconds'),
    'upgrade_node_ready_timeout': (300, 1, 'seconds'),
    'upgrade_cert_min_days': (30, 0, 'days'),
}


def _whole(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value.strip()) if isinstance(value, str) and value.strip().isdigit() else None


def settings_problems(settings):
    """The upgrade's own settings ({name: value}, extra vars arrive as text), each refused with its fix, before the
    preflight reads anything: a bad one would otherwise stop the run half-way (the workers' play, a drain)."""
    problems = []
    batch = settings.get('upgrade_worker_batch', 1)
    match = None if isinstance(batch, bool) else BATCH.match(str(batch))
    if not match or int(match.group(1)) < 1 or (match.group(2) and int(match.group(1)) > 100):
        problems.append('upgrade_worker_batch is %r: set how many workers to upgrade at a time, a number (1 or more) '
                        'or a percentage of the workers ("25%%", 1 to 100).' % (batch,))
    for name, (default, least, unit) in WHOLE_NUMBERS.items():
        value = settings.get(name, default)
        number = _whole(value)
        if number is None or number < least:
            problems.append('%s is %r: set a whole number of %s, %d or more.' % (name, value, unit, least))
    failure = settings.get('upgrade_on_drain_failure', 'uncordon')
    if failure not in ('uncordon', 'keep_cordoned'):
        problems.append('upgrade_on_drain_failure is %r: set uncordon (a node that cannot be drained is schedulable '
                        'again, the default) or keep_cordoned (it stays cordoned, marked by the upgrade).' % (failure,))
    allow = settings.get('upgrade_allow_removed_apis', False)
    if not isinstance(allow, bool) and str(allow).strip().lower() not in BOOLEANS:
        problems.append('upgrade_allow_removed_apis is %r: set true or false.' % (allow,))
    return problems
