# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks and figures of the pod network (Calico) with real pods (docs/network.md reports the figures).

  network.py check [--kubeconfig FILE]
      calico-node Ready on every node; in a tenant namespace that allows its own traffic (the documented
      NetworkPolicy), a client on each node reaches an echo pod on every node by pod IP (so across nodes) and
      through the Service's DNS name; the pods' MTU; a host-network client on each node reaches the echo pods on
      every node (the baseline admits the nodes); a client in a second namespace is refused by the zero-trust
      baseline (by pod IP and through the Service), then a tenant NetworkPolicy allowing that namespace opens it:
      how long the policy took to apply on the nodes; the namespaces are deleted at the end.

Without --kubeconfig it runs against the lab (admin.conf of the first control-plane host through the VIP; needs
scripts/lab main) and writes benchmarks/results/network_check.json; with it (the molecule scenario) it prints only.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from kubernetes import client, config
from kubernetes.client.rest import ApiException

sys.path.insert(0, str(Path(__file__).resolve().parent))
from control_plane import RESTRICTED, TEST_IMAGE, api, is_ready, wait  # noqa: E402  (the lab helpers)
from ha_base import RESULTS  # noqa: E402

SERVER_NS, CLIENT_NS, HOST_NS = 'caas-net-a', 'caas-net-b', 'kube-system'
PORT, SERVICE_PORT = 8080, 80
# What a pod may reach on its own node: sshd, the kubelet and etcd never; the API on control-plane nodes.
HOST_PORTS_CLOSED = {22: 'closed', 10250: 'closed', 2379: 'closed'}
HOST_PORTS_OPEN_ON_CONTROL_PLANE = {6443: 'open'}
ECHO = ['sh', '-c', f'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p {PORT} -h /tmp/www']


def pod(name, command, node, labels=None, restart='Never'):
    return {'metadata': {'name': name, 'labels': labels or {}},
            'spec': {'securityContext': RESTRICTED['securityContext'], 'nodeName': node, 'restartPolicy': restart,
                     'terminationGracePeriodSeconds': 0,
                     'containers': [{'name': 'main', 'image': TEST_IMAGE, 'command': command,
                                     'securityContext': RESTRICTED['container']}]}}


def allow_policy(name, from_namespace):
    """The tenant's way to open traffic: a Kubernetes NetworkPolicy in the namespace that receives it."""
    peer = {'podSelector': {}} if from_namespace is None else {
        'namespaceSelector': {'matchLabels': {'kubernetes.io/metadata.name': from_namespace}}}
    return {'metadata': {'name': name},
            'spec': {'podSelector': {}, 'policyTypes': ['Ingress'], 'ingress': [{'from': [peer]}]}}


def delete_pod(core, namespace, name):
    try:
        core.delete_namespaced_pod(name, namespace, grace_period_seconds=0)
    except ApiException as exc:
        if exc.status != 404:
            raise
    wait(f'{namespace}/{name} gone', lambda: name not in {p.metadata.name for p in core.list_namespaced_pod(
        namespace, field_selector=f'metadata.name={name}').items}, timeout=120)


def fresh_namespace(core, name):
    try:
        core.delete_namespace(name)
    except ApiException as exc:
        if exc.status != 404:
            raise
    wait(f'namespace {name} gone', lambda: name not in {n.metadata.name for n in core.list_namespace().items},
         timeout=180)
    core.create_namespace({'metadata': {'name': name}})


def host_pod(name, command, node):
    """A pod in the node's own network namespace (kube-system: the only namespace Pod Security admits it in), on
    any node (control-plane ones too); it sends what a host-network component of the platform would send."""
    body = pod(name, command, node)
    body['spec'].update(hostNetwork=True, tolerations=[{'operator': 'Exists', 'effect': 'NoSchedule'}])
    return body


def run_client(core, namespace, name, node, script, timeout=120, host_network=False):
    """A pod that runs script on node and ends; its phase and output."""
    core.create_namespaced_pod(namespace, (host_pod if host_network else pod)(name, ['sh', '-c', script], node))
    wait(f'{name} to finish', lambda: core.read_namespaced_pod(name, namespace).status.phase
         in ('Succeeded', 'Failed'), timeout=timeout)
    status = core.read_namespaced_pod(name, namespace).status
    # An evicted pod's container is gone with its log (the API answers 400 "container ... is terminated"): say so.
    if status.reason:
        raise SystemExit(f'pod {namespace}/{name} on {node} ended {status.phase} ({status.reason}): {status.message}')
    return status.phase, core.read_namespaced_pod_log(name, namespace).strip()


def fetch(targets, attempts=1, seconds=3, port=PORT):
    """Shell: one HTTP GET per target through nc (Debian's static busybox wget crashes); prints the answer or FAIL."""
    return '; '.join(f'for i in $(seq {attempts}); do printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w {seconds} {t} {port} '
                     f'| tail -1 | grep . && break || {{ [ $i = {attempts} ] && echo FAIL-{t}; sleep 1; }}; done'
                     for t in targets)


def check(api_client):
    core, apps, net = client.CoreV1Api(api_client), client.AppsV1Api(api_client), client.NetworkingV1Api(api_client)
    result = {}
    nodes = sorted(n.metadata.name for n in core.list_node().items)
    daemonset = apps.read_namespaced_daemon_set('calico-node', 'kube-system').status
    calico_pods = core.list_namespaced_pod('kube-system', label_selector='k8s-app=calico-node').items
    ready_on = sorted(p.spec.node_name for p in calico_pods if is_ready(p))
    result['calico_node'] = {'nodes': nodes, 'ready_on': ready_on, 'desired': daemonset.desired_number_scheduled,
                             'ready': daemonset.number_ready}
    if ready_on != nodes:
        raise SystemExit(f'calico-node is not Ready on every node: {result["calico_node"]}')

    # Echo pods on every schedulable node (control-plane nodes are tainted; tolerate it to cover them too).
    fresh_namespace(core, SERVER_NS)
    fresh_namespace(core, CLIENT_NS)
    net.create_namespaced_network_policy(SERVER_NS, allow_policy('allow-same-namespace', None))
    for node in nodes:
        body = pod(f'echo-{node}', ECHO, node, labels={'app': 'echo'}, restart='Always')
        body['spec']['tolerations'] = [{'operator': 'Exists', 'effect': 'NoSchedule'}]
        core.create_namespaced_pod(SERVER_NS, body)
    core.create_namespaced_service(SERVER_NS, {'metadata': {'name': 'echo'}, 'spec': {
        'selector': {'app': 'echo'}, 'ports': [{'port': SERVICE_PORT, 'targetPort': PORT}]}})
    started = time.monotonic()
    wait('the echo pods', lambda: all(p.status.phase == 'Running' and p.status.pod_ip for p in
                                      core.list_namespaced_pod(SERVER_NS, label_selector='app=echo').items)
         and len(core.list_namespaced_pod(SERVER_NS, label_selector='app=echo').items) == len(nodes), timeout=240)
    result['echo_pods_running_seconds'] = round(time.monotonic() - started, 1)
    echo = {p.spec.node_name: p.status.pod_ip for p in
            core.list_namespaced_pod(SERVER_NS, label_selector='app=echo').items}
    result['echo_pod_ips'] = echo
    names = {f'echo-{node}' for node in nodes}  # what each echo pod answers (its hostname)
    service = f'echo.{SERVER_NS}.svc.cluster.local'
    resolve = (f'ip=$(nslookup {service} | awk \'/^Address/ {{a=$NF}} END {{print a}}\'); '
               'echo SERVICE-IP=$ip; ')
    # Within the namespace: every node to every node by pod IP, and the Service by name; the pod's MTU.
    within = {}
    for node in nodes:
        script = ('echo MTU=$(cat /sys/class/net/eth0/mtu); ' + fetch(echo.values(), attempts=5) + '; '
                  + resolve + 'for i in 1 2 3 4 5 6; do ' + fetch(['$ip'], port=SERVICE_PORT) + '; done')
        phase, log = run_client(core, SERVER_NS, f'client-{node}', node, script)
        lines = log.splitlines()
        service_from = next((i for i, line in enumerate(lines) if line.startswith('SERVICE-IP=')), len(lines))
        within[node] = {'phase': phase, 'mtu': next((line.split('=')[1] for line in lines
                                                     if line.startswith('MTU=')), None),
                        'by_pod_ip': lines[1:service_from], 'through_service': lines[service_from + 1:],
                        'answers': sorted({line for line in lines if line in names}),
                        'failures': [line for line in lines if line.startswith('FAIL')]}
    result['same_namespace'] = within
    bad = {n: w for n, w in within.items() if w['phase'] != 'Succeeded' or w['failures']
           or set(w['answers']) != names}
    if bad:
        raise SystemExit(f'pod-to-pod or pod-to-Service failed within {SERVER_NS}: {bad}')

    # The nodes reach tenant pods on every node (the baseline admits them): traffic a host sends to a pod on another
    # node leaves through the VXLAN tunnel with the node's tunnel address as its source, which the baseline knows
    # from the node's host endpoint. Rook's CSI plugins (host network) reach Ceph's daemons this way.
    result['host_to_pods'] = from_host = {}
    for node in nodes:
        name = f'caas-net-host-{node}'
        delete_pod(core, HOST_NS, name)
        try:
            phase, log = run_client(core, HOST_NS, name, node, fetch(echo.values(), attempts=5), host_network=True)
        finally:
            delete_pod(core, HOST_NS, name)
        from_host[node] = {'phase': phase, 'answers': sorted({line for line in log.splitlines() if line in names}),
                           'failures': [line for line in log.splitlines() if line.startswith('FAIL')]}
    bad = {n: h for n, h in from_host.items() if h['phase'] != 'Succeeded' or h['failures'] or set(h['answers']) != names}
    if bad:
        raise SystemExit(f'a node does not reach the tenant pods of {SERVER_NS} on every node: {bad}')

    # A pod reaches on its own node only what accepts any source (the API on control-plane nodes), never sshd,
    # the kubelet or etcd (node_prep's firewall); on the next node the same, though its traffic arrives there
    # masqueraded to its node's address (node_prep's forward chain). nc -e runs its program only when the connection
    # opened.
    result['pod_to_own_node'] = own = {}
    result['pod_to_next_node'] = other = {}
    listed = core.list_node().items
    expectations = {}
    for node in listed:
        address = next(a.address for a in node.status.addresses if a.type == 'InternalIP')
        control_plane = 'node-role.kubernetes.io/control-plane' in (node.metadata.labels or {})
        expectations[node.metadata.name] = (address, {**HOST_PORTS_CLOSED,
                                                      **(HOST_PORTS_OPEN_ON_CONTROL_PLANE if control_plane else {})})
    names_in_order = [node.metadata.name for node in listed]
    for index, name in enumerate(names_in_order):
        next_name = names_in_order[(index + 1) % len(names_in_order)]
        probes = {'own': expectations[name], 'next': expectations[next_name]}
        script = '; '.join(f'nc -w 3 {address} {port} -e /bin/true >/dev/null 2>&1 && echo {which}-{port}=open '
                           f'|| echo {which}-{port}=closed'
                           for which, (address, expect) in probes.items() for port in expect)
        phase, log = run_client(core, SERVER_NS, f'host-probe-{name}', name, script)
        for which, (address, expect), record in (('own', probes['own'], own), ('next', probes['next'], other)):
            seen = dict(line[len(which) + 1:].split('=') for line in log.splitlines() if line.startswith(which + '-'))
            record[name] = {'target': name if which == 'own' else next_name, 'address': address, 'phase': phase,
                            'ports': seen}
            wrong = {port: seen.get(str(port)) for port, want in expect.items() if seen.get(str(port)) != want}
            if phase != 'Succeeded' or wrong:
                raise SystemExit(f'a pod on {name} reaches the {which} node where it must not, or not where it '
                                 f'must (expected {expect}): {record[name]}')

    # Across namespaces: the baseline refuses, by pod IP and through the Service.
    target_ip = echo[nodes[-1]]
    phase, log = run_client(core, CLIENT_NS, 'before-allow', nodes[0],
                            fetch([target_ip], seconds=3) + '; ' + resolve
                            + fetch(['$ip'], seconds=3, port=SERVICE_PORT))
    result['cross_namespace_before_allow'] = log.splitlines()
    if any(line in names for line in log.splitlines()):
        raise SystemExit(f'the baseline let {CLIENT_NS} reach {SERVER_NS}: {log}')
    # The tenant opens it; how long until the nodes apply the policy (one request a second).
    net.create_namespaced_network_policy(SERVER_NS, allow_policy(f'allow-from-{CLIENT_NS}', CLIENT_NS))
    opened = time.monotonic()
    phase, log = run_client(core, CLIENT_NS, 'after-allow', nodes[0],
                            'start=$(date +%s); ' + fetch([target_ip], attempts=60, seconds=1)
                            + '; echo SECONDS=$(( $(date +%s) - start )); ' + resolve
                            + fetch(['$ip'], attempts=5, port=SERVICE_PORT))
    result['cross_namespace_after_allow'] = log.splitlines()
    result['allow_policy_to_first_answer_seconds'] = round(time.monotonic() - opened, 1)
    if phase != 'Succeeded' or any(line.startswith('FAIL') for line in log.splitlines()) \
            or not any(line in names for line in log.splitlines()):
        raise SystemExit(f'the tenant NetworkPolicy did not open {SERVER_NS} to {CLIENT_NS}: {log}')
    for namespace in (SERVER_NS, CLIENT_NS):
        core.delete_namespace(namespace)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('command', choices=['check'])
    parser.add_argument('--kubeconfig', help='a kubeconfig instead of the lab\'s admin.conf')
    args = parser.parse_args()
    if args.kubeconfig:
        print(json.dumps(check(config.new_client_from_config(args.kubeconfig)), indent=2, sort_keys=True))
        return
    with tempfile.TemporaryDirectory(prefix='caas-net-') as work:
        api_client, server = api(work)
        data = dict(check(api_client), api=server)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'network_check.json').write_text(json.dumps(data, indent=2, sort_keys=True) + '\n')
    print(json.dumps(data, indent=2, sort_keys=True))


if __name__ == '__main__':
    main()
