# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks and checks of the Kubernetes control plane on the lab (docs/kubernetes.md reports the figures).

  control_plane.py workload   every node Ready; a Deployment (one pod per worker) serves through a ClusterIP Service
                              to a client pod, by the Service's DNS name; the namespace's default Pod Security
                              (baseline enforced) refuses a privileged pod
  control_plane.py cp-loss    a client writes through the API VIP (a ConfigMap every 100 ms, admin credentials)
                              while each control-plane host in turn is killed (podman kill); the longest gap
                              between acknowledged writes per host, every acknowledged write read back; each host
                              is started again and must be Ready before the next is killed

Needs the lab up with site.yml run (scripts/lab main). Results are printed and written as JSON to
benchmarks/results/control_plane_<name>.json.
"""

from __future__ import annotations

import base64
import json
import ssl
import sys
import urllib.request
import tempfile
import threading
import time
from pathlib import Path

import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ha_base import PREFIX, REPO, RESULTS, address, lab_hosts, sh, ssh  # noqa: E402  (the lab helpers)

NAMESPACE = 'caas-bench'
TEST_IMAGE = 'docker.io/library/busybox:1.35.0'
# A pod that passes the restricted Pod Security level (the cluster warns about anything less).
RESTRICTED = {
    'securityContext': {'runAsNonRoot': True, 'runAsUser': 65534, 'runAsGroup': 65534,
                        'seccompProfile': {'type': 'RuntimeDefault'}},
    'container': {'allowPrivilegeEscalation': False, 'capabilities': {'drop': ['ALL']}},
}


def save(name, data):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f'control_plane_{name}.json').write_text(json.dumps(data, indent=2, sort_keys=True) + '\n')
    print(json.dumps(data, indent=2, sort_keys=True))


def api(work):
    """A client of the cluster through the API VIP, with admin.conf of the first control-plane node."""
    first = next(iter(lab_hosts()['control_plane']))
    kubeconfig = Path(work) / 'admin.conf'
    kubeconfig.write_text(ssh(first, 'sudo cat /etc/kubernetes/admin.conf').stdout)
    kubeconfig.chmod(0o600)
    server = yaml.safe_load(kubeconfig.read_text())['clusters'][0]['cluster']['server']
    return config.new_client_from_config(str(kubeconfig)), server


def apiserver_ready(host, ca_file):
    """The host's own API server answers /readyz (allowed without credentials) with 200."""
    context = ssl.create_default_context(cafile=ca_file)
    with urllib.request.urlopen(f'https://{address(host)}:6443/readyz', context=context, timeout=3) as answer:
        return answer.status == 200


def is_ready(obj):
    """Whether a pod or node (the kubernetes client's object) has the condition Ready True."""
    return any(c.type == 'Ready' and c.status == 'True' for c in obj.status.conditions or [])


def wait(what, check, timeout=300, every=2):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (ApiException, OSError, ValueError, ssl.SSLError) as exc:  # the cluster may be between states
            last = exc
        time.sleep(every)
    raise SystemExit(f'timed out waiting for {what}' + (f': {last}' if last else ''))


def nodes_ready(core):
    return {n.metadata.name: is_ready(n) for n in core.list_node().items}


def ensure_namespace(core):
    """The benchmark's namespace, whose pods may talk to each other: with Calico's zero-trust baseline a tenant
    namespace opens its own traffic with a NetworkPolicy (docs/network.md)."""
    try:
        core.create_namespace({'metadata': {'name': NAMESPACE}})
    except ApiException as exc:
        if exc.status != 409:
            raise
    try:
        client.NetworkingV1Api(core.api_client).create_namespaced_network_policy(NAMESPACE, {
            'metadata': {'name': 'allow-same-namespace'},
            'spec': {'podSelector': {}, 'policyTypes': ['Ingress'], 'ingress': [{'from': [{'podSelector': {}}]}]}})
    except ApiException as exc:
        if exc.status != 409:
            raise


def pod_spec(command, node=None, labels=None):
    return {
        'securityContext': RESTRICTED['securityContext'],
        'nodeName': node,
        'containers': [{'name': 'main', 'image': TEST_IMAGE, 'command': command,
                        'securityContext': RESTRICTED['container'],
                        'ports': [{'containerPort': 8080}] if labels else None}],
        'restartPolicy': 'Always' if labels else 'Never',
    }


def workload():
    with tempfile.TemporaryDirectory(prefix='caas-cp-') as work:
        api_client, server = api(work)
        core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
        ready = nodes_ready(core)
        if not all(ready.values()):
            raise SystemExit(f'nodes not Ready: {ready}')
        ensure_namespace(core)
        workers = sorted(lab_hosts()['workers'])
        labels = {'app': 'echo'}
        body = {
            'metadata': {'name': 'echo', 'namespace': NAMESPACE},
            'spec': {
                'replicas': len(workers), 'selector': {'matchLabels': labels},
                'template': {'metadata': {'labels': labels}, 'spec': {
                    **pod_spec(['sh', '-c', 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && '
                                            'exec httpd -f -p 8080 -h /tmp/www'], labels=labels),
                    'topologySpreadConstraints': [{'maxSkew': 1, 'topologyKey': 'kubernetes.io/hostname',
                                                   'whenUnsatisfiable': 'DoNotSchedule', 'labelSelector':
                                                   {'matchLabels': labels}}]}}}}
        try:
            apps.create_namespaced_deployment(NAMESPACE, body)
        except ApiException as exc:
            if exc.status != 409:
                raise
        try:
            core.create_namespaced_service(NAMESPACE, {
                'metadata': {'name': 'echo'},
                'spec': {'selector': labels, 'ports': [{'port': 80, 'targetPort': 8080}]}})
        except ApiException as exc:
            if exc.status != 409:
                raise
        started = time.monotonic()
        wait('the echo Deployment', lambda: (apps.read_namespaced_deployment(
            'echo', NAMESPACE).status.available_replicas or 0) == len(workers), timeout=180)
        deploy_seconds = round(time.monotonic() - started, 1)
        pods = core.list_namespaced_pod(NAMESPACE, label_selector='app=echo').items
        backends = {p.metadata.name: p.spec.node_name for p in pods}
        # The client runs on a control-plane node? No: control-plane nodes are tainted; it runs on each worker in turn,
        # so one of the answers crosses nodes.
        answers = {}
        for worker in workers:
            name = f'client-{worker}'
            try:
                core.delete_namespaced_pod(name, NAMESPACE, grace_period_seconds=0)
                wait(f'{name} gone', lambda: not any(p.metadata.name == name for p in
                                                     core.list_namespaced_pod(NAMESPACE).items), timeout=60)
            except ApiException as exc:
                if exc.status != 404:
                    raise
            core.create_namespaced_pod(NAMESPACE, {
                'metadata': {'name': name},
                # Debian's static busybox: nslookup asks the cluster DNS itself; its wget crashes in glibc's static
                # NSS, so the HTTP request goes through nc.
                'spec': pod_spec(['sh', '-c', f'set -e; ip=$(nslookup echo.{NAMESPACE}.svc.cluster.local | '
                                              "awk '/^Address/ {a=$NF} END {print a}'); "
                                              'for i in 1 2 3 4 5 6; do printf "GET / HTTP/1.0\\r\\n\\r\\n" '
                                              '| nc -w 3 $ip 80 | tail -1; done'],
                                 node=worker)})
            wait(f'{name} to finish', lambda: core.read_namespaced_pod(name, NAMESPACE).status.phase
                 in ('Succeeded', 'Failed'), timeout=120)
            phase = core.read_namespaced_pod(name, NAMESPACE).status.phase
            log = core.read_namespaced_pod_log(name, NAMESPACE)
            answers[worker] = {'phase': phase, 'answered_by': sorted(set(log.split()))}
            if phase != 'Succeeded':
                raise SystemExit(f'{name}: {phase}: {log}')
        # Pod Security Admission: baseline is enforced where a namespace says nothing.
        try:
            core.create_namespaced_pod(NAMESPACE, {'metadata': {'name': 'privileged'}, 'spec': {
                'containers': [{'name': 'main', 'image': TEST_IMAGE, 'command': ['true'],
                                'securityContext': {'privileged': True}}]}})
            refused = None
        except ApiException as exc:
            refused = json.loads(exc.body).get('message', '')[:300]
        if not refused:
            raise SystemExit('a privileged pod was admitted in a namespace without Pod Security labels')
        save('workload', {'api': server, 'nodes_ready': ready, 'deployment_available_seconds': deploy_seconds,
                          'backends': backends, 'service_answers': answers, 'privileged_pod_refused': refused})


class Writer(threading.Thread):
    """Creates ConfigMap w-<seq> every 100 ms through the API VIP; records every acknowledged write."""

    def __init__(self, core, run):
        super().__init__(daemon=True)
        self.core, self.run_id, self.acked, self.failed, self.stop = core, run, [], 0, threading.Event()

    def run(self):
        seq = 0
        while not self.stop.is_set():
            seq += 1
            try:
                self.core.create_namespaced_config_map(NAMESPACE, {
                    'metadata': {'name': f'{self.run_id}-{seq:06d}', 'labels': {'run': self.run_id}},
                    'data': {'seq': str(seq)}}, _request_timeout=2)
                self.acked.append((time.time(), seq))
            except Exception:  # noqa: BLE001 - a failed write is what is measured
                self.failed += 1
            time.sleep(0.1)

    def gap_after(self, moment):
        times = [at for at, _seq in self.acked]
        gaps = [b - a for a, b in zip(times, times[1:]) if b >= moment]
        return round(max(gaps), 2) if gaps else None


def cp_loss():
    with tempfile.TemporaryDirectory(prefix='caas-cp-') as work:
        api_client, server = api(work)
        core = client.CoreV1Api(api_client)
        ensure_namespace(core)
        ca_file = Path(work) / 'ca.crt'
        ca_file.write_bytes(base64.b64decode(yaml.safe_load((Path(work) / 'admin.conf').read_text())
                                             ['clusters'][0]['cluster']['certificate-authority-data']))
        runs = []
        for host in lab_hosts()['control_plane']:
            run_id = f'loss-{host}-{int(time.time())}'
            writer = Writer(core, run_id)
            writer.start()
            time.sleep(5)
            killed_at = time.time()
            sh('podman', 'kill', f'{PREFIX}-{host}')
            time.sleep(20)
            gap = writer.gap_after(killed_at)
            writer.stop.set()
            writer.join()
            stored = {cm.metadata.name for cm in core.list_namespaced_config_map(
                NAMESPACE, label_selector=f'run={run_id}').items}
            missing = [seq for _at, seq in writer.acked if f'{run_id}-{seq:06d}' not in stored]
            started = time.monotonic()
            sh(str(REPO / 'scripts' / 'lab'), 'up')
            # The node stays Ready in the API for a while after its host died: its own API server says more.
            wait(f'the API server of {host} ready again', lambda: apiserver_ready(host, str(ca_file)), timeout=300)
            wait(f'{host} Ready again', lambda: nodes_ready(core).get(host), timeout=300)
            back_seconds = round(time.monotonic() - started, 1)
            core.delete_collection_namespaced_config_map(NAMESPACE, label_selector=f'run={run_id}')
            runs.append({'killed': host, 'write_gap_seconds': gap, 'failed_write_attempts': writer.failed,
                         'acknowledged_writes': len(writer.acked), 'acknowledged_writes_missing': len(missing),
                         'apiserver_ready_again_seconds': back_seconds})
        save('cp_loss', {'api': server, 'writes': 'a ConfigMap every 100 ms through the VIP, 2 s timeout',
                         'runs': runs})


COMMANDS = {'workload': workload, 'cp-loss': cp_loss}

if __name__ == '__main__':
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        raise SystemExit(__doc__)
    COMMANDS[sys.argv[1]]()
