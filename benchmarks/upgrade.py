# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes 1.35 to 1.36 on the lab (docs/upgrade.md), with workloads serving throughout.

  upgrade.py site       the lab's hosts (no storage group) built at the manifest's 1.35 release: site.yml; a
                        Deployment (3 replicas, one per worker) with a PodDisruptionBudget (maxUnavailable 1) behind a
                        Service, and a probe DaemonSet on every node that requests it by its ClusterIP and resolves
                        its name 5 times a second
  upgrade.py refusals   with the inventory at 1.36: the files repository without 1.36 (refused), the 1.36 release
                        published (artifacts_publish.yml), a PodDisruptionBudget that allows no disruption (refused,
                        naming it), then deleted; nothing changed (versions, cordons)
  upgrade.py upgrade    upgrade.yml while a client writes a ConfigMap every 100 ms through the API VIP and the probes
                        run: the wall time, each node's time from cordon to Ready at 1.36 and uncordoned, the probes'
                        failed requests and longest gap, the VIP writes' failures and longest gap, the snapshot's
                        verification; then upgrade.yml again (changed=0) and a downgrade (refused)
  upgrade.py failure    a failure injected on the second control-plane node: a kubeadm patch that gives its API server
                        a flag it does not know; upgrade.yml stops there (kubeadm rolls that node's manifests back), the
                        patch removed, upgrade.yml again resumes and finishes; then as `upgrade` measures it
  upgrade.py all        site, refusals, then failure (the whole upgrade, interrupted and resumed)

With stacked etcd (the etcd hosts out of the cluster), workers upgraded two at a time:
  upgrade.py stacked-site      site.yml at 1.35 with stacked etcd, the same workload, the 1.36 release published
  upgrade.py stacked-drain     upgrade.yml with upgrade_worker_batch=2, upgrade_drain_timeout=60 and
                               upgrade_on_drain_failure=keep_cordoned; once the control plane runs 1.36, a
                               PodDisruptionBudget that allows no disruption of the web Deployment: the first batch's
                               drains stop the run, naming it, its nodes left cordoned and marked, the other worker
                               untouched (the stopped run measured as `upgrade` measures it); the budget deleted,
                               upgrade.yml again resumes and finishes, measured the same way (stacked etcd upgraded
                               by kubeadm, its snapshot verified)
  upgrade.py stacked           both

Run after `scripts/lab build && scripts/lab up && scripts/lab pki` (the build makes 1.35 and 1.36), not beside
another lab. Writes benchmarks/results/upgrade_<step>.json; exits 1 when a step does not do what it should.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

from kubernetes import client
from kubernetes.client.rest import ApiException

sys.path.insert(0, str(Path(__file__).resolve().parent))
from control_plane import RESTRICTED, TEST_IMAGE, Writer, api, ensure_namespace, is_ready, wait  # noqa: E402
from ha_base import RESULTS, inventory_variant, playbook, refused_with, run_steps, ssh  # noqa: E402
from lifecycle import counts  # noqa: E402
from stacked import stacked_inventory  # noqa: E402

FROM, TO = '1.35.4', '1.36.3'
NAMESPACE = 'upgrade-probe'
LABELS = {'app': 'web'}
# One request by the Service's ClusterIP and one DNS lookup of its name, every 200 ms; a line per failure and a
# count every 100 requests (Debian's static busybox: nc, since its wget crashes in glibc's static NSS).
PROBE = r'''
ip=$(nslookup web.upgrade-probe.svc.cluster.local | awk '/^Address/ {a=$NF} END {print a}')
n=0; while true; do
  n=$((n+1)); t=$(date +%s)
  printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 "$ip" 80 2>/dev/null | grep -q . || echo "$t http-fail"
  nslookup -timeout=2 web.upgrade-probe.svc.cluster.local >/dev/null 2>&1 || echo "$t dns-fail"
  [ $((n % 100)) -eq 0 ] && echo "$t count $n"
  sleep 0.2
done
'''


def variant(version):
    """The lab inventory without its storage groups, at the given release."""
    def edit(children):
        for group in ('storage', 'lab_storage_spare'):
            children.pop(group, None)
    return inventory_variant(edit, all_vars={'caas_kubernetes_version': version})


def stacked_variant(version):
    return stacked_inventory(all_vars={'caas_kubernetes_version': version})


def save(step, result):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f'upgrade_{step}.json').write_text(json.dumps(result, indent=2) + '\n')
    print(json.dumps(result, indent=2))


def create(call, *args):
    try:
        call(*args)
    except ApiException as exc:
        if exc.status != 409:
            raise


def container(command, port=None):
    return {'name': 'main', 'image': TEST_IMAGE, 'command': ['sh', '-c', command],
            'securityContext': RESTRICTED['container'], 'ports': [{'containerPort': port}] if port else None}


def workload(api_client):
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    policy, net = client.PolicyV1Api(api_client), client.NetworkingV1Api(api_client)
    create(core.create_namespace, {'metadata': {'name': NAMESPACE}})
    create(net.create_namespaced_network_policy, NAMESPACE, {
        'metadata': {'name': 'allow-same-namespace'},
        'spec': {'podSelector': {}, 'policyTypes': ['Ingress'], 'ingress': [{'from': [{'podSelector': {}}]}]}})
    spread = [{'maxSkew': 1, 'topologyKey': 'kubernetes.io/hostname', 'whenUnsatisfiable': 'ScheduleAnyway',
               'labelSelector': {'matchLabels': LABELS}}]
    create(apps.create_namespaced_deployment, NAMESPACE, {
        'metadata': {'name': 'web'},
        'spec': {'replicas': 3, 'selector': {'matchLabels': LABELS}, 'template': {
            'metadata': {'labels': LABELS},
            'spec': {'securityContext': RESTRICTED['securityContext'], 'topologySpreadConstraints': spread,
                     'containers': [dict(container('mkdir -p /tmp/www && hostname > /tmp/www/index.html && '
                                                   'exec httpd -f -p 8080 -h /tmp/www', 8080),
                                         readinessProbe={'tcpSocket': {'port': 8080}, 'periodSeconds': 2})]}}}})
    create(policy.create_namespaced_pod_disruption_budget, NAMESPACE, {
        'metadata': {'name': 'web'}, 'spec': {'maxUnavailable': 1, 'selector': {'matchLabels': LABELS}}})
    create(core.create_namespaced_service, NAMESPACE, {
        'metadata': {'name': 'web'}, 'spec': {'selector': LABELS, 'ports': [{'port': 80, 'targetPort': 8080}]}})
    create(apps.create_namespaced_daemon_set, NAMESPACE, {
        'metadata': {'name': 'probe'},
        'spec': {'selector': {'matchLabels': {'app': 'probe'}}, 'template': {
            'metadata': {'labels': {'app': 'probe'}},
            'spec': {'securityContext': RESTRICTED['securityContext'],
                     'tolerations': [{'key': 'node-role.kubernetes.io/control-plane', 'effect': 'NoSchedule'}],
                     'containers': [container(PROBE)]}}}})
    wait('the web Deployment', lambda: (apps.read_namespaced_deployment('web', NAMESPACE).status.available_replicas
                                        or 0) == 3, timeout=300)
    nodes = len(core.list_node().items)
    wait('a probe on every node', lambda: (apps.read_namespaced_daemon_set('probe', NAMESPACE).status.number_ready
                                           or 0) == nodes, timeout=300)
    return {'web': sorted(p.spec.node_name for p in core.list_namespaced_pod(NAMESPACE, label_selector='app=web').items),
            'probes': nodes}


def probe_logs(core):
    """Per probe pod: its node, requests made, failures (HTTP, DNS), and the longest run of failing seconds."""
    found = {}
    for pod in core.list_namespaced_pod(NAMESPACE, label_selector='app=probe').items:
        log = core.read_namespaced_pod_log(pod.metadata.name, NAMESPACE)
        lines = [line.split() for line in log.splitlines() if len(line.split()) >= 2]
        counted = [int(parts[2]) for parts in lines if parts[1] == 'count' and len(parts) > 2]
        failures = {kind: sorted({int(parts[0]) for parts in lines if parts[1] == f'{kind}-fail'})
                    for kind in ('http', 'dns')}
        found[pod.spec.node_name] = {
            'requests': max(counted, default=0), 'restarts': sum(s.restart_count for s in pod.status.container_statuses or []),
            **{f'{kind}_failures': sum(1 for parts in lines if parts[1] == f'{kind}-fail') for kind in ('http', 'dns')},
            **{f'{kind}_failing_seconds': len(seconds) for kind, seconds in failures.items()},
        }
    return found


def probe_delta(before, after):
    """Requests and failures between two reads of the probes' logs, per node."""
    counted = ('requests', 'http_failures', 'dns_failures', 'http_failing_seconds', 'dns_failing_seconds')
    return {node: {key: value - before.get(node, {}).get(key, 0) if key in counted else value
                   for key, value in found.items()} for node, found in after.items()}


class NodeWatch(threading.Thread):
    """Each node's first moment cordoned by the upgrade and first moment Ready at the release and uncordoned."""

    def __init__(self, core, target):
        super().__init__(daemon=True)
        self.core, self.target, self.stop = core, 'v' + target, threading.Event()
        self.cordoned, self.done = {}, {}

    def run(self):
        while not self.stop.is_set():
            try:
                for node in self.core.list_node(_request_timeout=3).items:
                    name, now = node.metadata.name, time.time()
                    ready = is_ready(node)
                    if node.spec.unschedulable:
                        self.cordoned.setdefault(name, now)
                    elif name in self.cordoned and ready and node.status.node_info.kubelet_version == self.target:
                        self.done.setdefault(name, now)
            except Exception:  # noqa: BLE001 - the API may be between servers; the next round reads again
                pass
            time.sleep(2)

    def per_node(self):
        return {name: round(self.done[name] - start, 1) if name in self.done else None
                for name, start in sorted(self.cordoned.items(), key=lambda item: item[1])}


def versions(core):
    return {n.metadata.name: {'kubelet': n.status.node_info.kubelet_version, 'cordoned': bool(n.spec.unschedulable),
                              'ready': is_ready(n)}
            for n in core.list_node().items}


def step_site(inventory=None, name='site', publish_inventory=None):
    """site.yml at the older release and the workload; with publish_inventory, the newer release published too."""
    seconds, output = playbook('site.yml', inventory=inventory or variant(FROM))
    with tempfile.TemporaryDirectory(prefix='caas-upgrade-') as work:
        api_client, _server = api(work)
        placed = workload(api_client)
        core = client.CoreV1Api(api_client)
        time.sleep(30)
        result = {'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'version': FROM,
                  'site_seconds': seconds, 'recap': counts(output), 'workload': placed,
                  'versions': versions(core), 'probes_before': probe_logs(core)}
    if publish_inventory is not None:
        result['publish_seconds'] = playbook('artifacts_publish.yml', inventory=publish_inventory)[0]
    save(name, result)


def step_refusals():
    inventory = variant(TO)
    result = {}
    with tempfile.TemporaryDirectory(prefix='caas-upgrade-') as work:
        api_client, _server = api(work)
        core, policy = client.CoreV1Api(api_client), client.PolicyV1Api(api_client)
        before = versions(core)
        _s, output = playbook('upgrade.yml', inventory=inventory, expect_failure=True)
        result['missing_artifacts'] = refused_with(output, 'does not serve v1.36.3')
        result['publish_seconds'], _o = playbook('artifacts_publish.yml', inventory=inventory)
        create(policy.create_namespaced_pod_disruption_budget, NAMESPACE, {
            'metadata': {'name': 'web-strict'}, 'spec': {'minAvailable': 3, 'selector': {'matchLabels': LABELS}}})
        time.sleep(5)
        _s, output = playbook('upgrade.yml', inventory=inventory, expect_failure=True)
        result['blocked_drain'] = refused_with(output, 'would be blocked')
        policy.delete_namespaced_pod_disruption_budget('web-strict', NAMESPACE)
        result['nothing_changed'] = versions(core) == before
        if not result['nothing_changed']:
            raise SystemExit(f'a refused upgrade changed the nodes: {before} -> {versions(core)}')
    save('refusals', result)


def measured_upgrade(core, inventory, extra=(), expect_failure=False, settle_seconds=0):
    """upgrade.yml while a client writes a ConfigMap through the API VIP every 100 ms and the probes run: its wall
    time, its output, and what the writer, the node watch and the probes saw (settle_seconds after it ends)."""
    ensure_namespace(core)  # the writer's
    before = probe_logs(core)
    writer, watch = Writer(core, f'upgrade-{int(time.time())}'), NodeWatch(core, TO)
    for thread in (writer, watch):
        thread.start()
    started = time.time()
    seconds, output = playbook('upgrade.yml', *extra, inventory=inventory, expect_failure=expect_failure)
    time.sleep(settle_seconds)
    for thread in (writer, watch):
        thread.stop.set()
        thread.join()
    return seconds, output, {
        'node_seconds_cordon_to_ready_uncordoned': watch.per_node(),
        'vip_writes': {'acknowledged': len(writer.acked), 'failed_attempts': writer.failed,
                       'longest_gap_seconds': writer.gap_after(started)},
        'probes': probe_delta(before, probe_logs(core)),
    }


def step_upgrade(inventory=None, extra=(), name='upgrade', downgrade_inventory=None):
    inventory = inventory or variant(TO)
    with tempfile.TemporaryDirectory(prefix='caas-upgrade-') as work:
        api_client, server = api(work)
        core = client.CoreV1Api(api_client)
        # After a stopped run (step failure) a node may still be NotReady: its probe's log is read through its kubelet.
        wait('every node Ready', lambda: all(is_ready(n) for n in core.list_node().items), timeout=600)
        seconds, output, seen = measured_upgrade(core, inventory, extra, settle_seconds=10)
        snapshot = re.search(r'Snapshot (\S+etcd-upgrade-v[0-9.]+-\S+\.db) on (\S+) \(sha256 (\w+), revision (\d+)', output)
        second_seconds, second = playbook('upgrade.yml', *extra, inventory=inventory)
        changed = {host: c['changed'] for host, c in counts(second).items() if c['changed']}
        _s, downgrade = playbook('upgrade.yml', inventory=downgrade_inventory or variant(FROM), expect_failure=True)
        result = {
            'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'from': FROM, 'to': TO, 'api': server,
            'upgrade_seconds': seconds, 'recap': counts(output), **seen,
            'snapshot': dict(zip(('path', 'host', 'sha256', 'revision'), snapshot.groups())) if snapshot else None,
            'versions_after': versions(core),
            'second_run_seconds': second_seconds, 'second_run_changed': changed,
            'downgrade_refused': refused_with(downgrade, 'kubeadm does not downgrade'),
        }
        save(name, result)
        if changed or result['snapshot'] is None or any(v['kubelet'] != 'v' + TO for v in result['versions_after'].values()):
            raise SystemExit('the upgrade did not end at the release with a snapshot and a second run that changes nothing')


BAD_PATCH = '/etc/kubernetes/caas/patches/kube-apiserver9+json.json'


def step_failure():
    """The upgrade with a failure on cp2 (a patch kubeadm applies to its API server's manifest only): the run stops,
    kubeadm rolls cp2 back; the patch removed, the next run resumes."""
    inventory = variant(TO)
    patch = json.dumps([{'op': 'add', 'path': '/spec/containers/0/command/-', 'value': '--no-such-flag=upgrade-test'}])
    ssh('cp2', f'echo {base64.b64encode(patch.encode()).decode()} | base64 -d | sudo tee {BAD_PATCH} >/dev/null')
    with tempfile.TemporaryDirectory(prefix='caas-upgrade-') as work:
        api_client, _server = api(work)
        core = client.CoreV1Api(api_client)
        started = time.monotonic()
        _s, output = playbook('upgrade.yml', inventory=inventory, expect_failure=True)
        failed = {'seconds': round(time.monotonic() - started, 1),
                  'message': refused_with(output, 'kubeadm upgrade node failed'),
                  'versions_after_failure': versions(core),
                  'cp2_manifest': ssh('cp2', "sudo grep -o 'kube-apiserver:v[0-9.]*' /etc/kubernetes/manifests/kube-apiserver.yaml").stdout.strip(),
                  'cp2_backups': ssh('cp2', 'sudo ls /etc/kubernetes/tmp').stdout.split()}
        started = time.monotonic()
        wait('cp2 Ready again at the old release', lambda: versions(core)['cp2']['ready'], timeout=600)
        failed['cp2_ready_again_seconds'] = round(time.monotonic() - started, 1)
    ssh('cp2', f'sudo rm -f {BAD_PATCH}')
    save('failure', failed)
    step_upgrade()


STRICT = {'metadata': {'name': 'web-strict'}, 'spec': {'minAvailable': 3, 'selector': {'matchLabels': LABELS}}}
DRAIN_STOP = ('-e', 'upgrade_worker_batch=2', '-e', 'upgrade_drain_timeout=60', '-e',
              'upgrade_on_drain_failure=keep_cordoned')


def step_stacked_site():
    step_site(stacked_variant(FROM), 'stacked_site', publish_inventory=stacked_variant(TO))


class BudgetOnceControlPlaneUpgraded(threading.Thread):
    """Creates the budget that allows no disruption once every control-plane node runs the release: the workers'
    drains meet it, the preflight did not."""

    def __init__(self, api_client, control_plane):
        super().__init__(daemon=True)
        self.core, self.policy = client.CoreV1Api(api_client), client.PolicyV1Api(api_client)
        self.control_plane, self.stop, self.created = control_plane, threading.Event(), None

    def run(self):
        while not self.stop.is_set() and self.created is None:
            try:
                found = versions(self.core)
                if all(found[name]['kubelet'] == 'v' + TO and found[name]['ready'] and not found[name]['cordoned']
                       for name in self.control_plane):
                    create(self.policy.create_namespaced_pod_disruption_budget, NAMESPACE, STRICT)
                    self.created = time.time()
            except Exception:  # noqa: BLE001 - the API may be between servers; the next round reads again
                pass
            time.sleep(2)


def cordons(core):
    return {n.metadata.name: (n.metadata.annotations or {}).get('caas.platform/cordoned-by')
            for n in core.list_node().items if n.spec.unschedulable}


def step_stacked_drain():
    inventory = stacked_variant(TO)
    with tempfile.TemporaryDirectory(prefix='caas-upgrade-') as work:
        api_client, _server = api(work)
        core, policy = client.CoreV1Api(api_client), client.PolicyV1Api(api_client)
        budget = BudgetOnceControlPlaneUpgraded(api_client, ['cp1', 'cp2', 'cp3'])
        budget.start()
        started = time.time()
        seconds, output, seen = measured_upgrade(core, inventory, DRAIN_STOP, expect_failure=True)
        budget.stop.set()
        budget.join()
        stopped = {'seconds': seconds, 'budget_created_after_seconds': round(budget.created - started, 1)
                   if budget.created else None,
                   'message': refused_with(output, 'did not finish within'), **seen,
                   'versions_after_stop': versions(core), 'cordoned_after_stop': cordons(core),
                   'recap': counts(output)}
        policy.delete_namespaced_pod_disruption_budget('web-strict', NAMESPACE)
    save('stacked_drain_stop', stopped)
    workers = {name: v for name, v in stopped['versions_after_stop'].items() if name.startswith('worker')}
    kept = [name for name, reason in stopped['cordoned_after_stop'].items() if reason and reason.startswith('upgrade')]
    if budget.created is None or len(kept) != 2 or any(workers[name]['kubelet'] == 'v' + TO for name in workers):
        raise SystemExit('the first batch of two workers should have stopped the run, cordoned and marked, '
                         'and no worker should run the release yet')
    step_upgrade(inventory, DRAIN_STOP, 'stacked_upgrade', downgrade_inventory=stacked_variant(FROM))


STEPS = {'site': step_site, 'refusals': step_refusals, 'failure': step_failure, 'upgrade': step_upgrade,
         'stacked-site': step_stacked_site, 'stacked-drain': step_stacked_drain}
GROUPS = {'all': ('site', 'refusals', 'failure'), 'stacked': ('stacked-site', 'stacked-drain')}

if __name__ == '__main__':
    ARGS = sys.argv[1:]
    run_steps(STEPS, list(GROUPS[ARGS[0]]) if len(ARGS) == 1 and ARGS[0] in GROUPS else ARGS, __doc__)
