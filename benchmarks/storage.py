# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks and figures of the storage layer (Ceph through Rook) with real pods (docs/storage.md reports them).

  storage.py check [--kubeconfig FILE]
      Ceph HEALTH_OK with every OSD up and in; in a tenant namespace: a CephFS volume (ReadWriteMany) written by a
      pod on one node and read back, checksum compared, by a pod on another; an RBD volume provisioned and bound
      (its image in the pool: the lab's kernel cannot map it); a bucket claimed (ObjectBucketClaim) and used from a
      pod with real S3 requests (PUT, GET with the checksum compared, DELETE, then GET answering 404); what Ceph's
      pods request and use (the kubelets' stats summaries). The namespace is deleted at the end.

  storage.py osd-loss
      The lab only: a file written to a CephFS volume, then one storage host killed (podman kill: its OSD and
      mon go with it); a second file written and both read from another node while it is gone (how long the
      write took); the host started again (scripts/lab up); the time until Ceph is HEALTH_OK again with every
      placement group active+clean; both files read back, checksums compared, from the host that was lost.
      Writes benchmarks/results/storage_osd_loss.json.

  storage.py day2
      The lab only: storage hosts added and removed while a file on CephFS stays readable. First two removals
      refused before anything changes (a host still in the storage group; the lab without worker1, whose zone would
      then hold no copy). Then cp1 (the spare storage host, inventories/lab) added (playbooks/40_storage.yml, twice:
      the second changes nothing; its OSD holds placement groups); worker1, in the same zone, removed with
      playbooks/storage_remove_host.yml (its data moved, OSD purged, device signature erased, its monitor moved to
      cp1); worker1 added again; cp1 removed (the monitor moves back; a second run changes nothing): the lab as it
      began. Each step timed, Ceph HEALTH_OK after each; the file read back with its checksum. Writes
      benchmarks/results/storage_day2.json.

  storage.py drain
      The lab only: the PodDisruptionBudgets Rook keeps, as kubectl drain sees them. A file written to CephFS;
      a storage node drained (its OSD and mon evicted); while it is down, a drain of a storage node in another
      zone must be refused by Rook's budgets (within a bounded wait), and the file is read and a second one written;
      both nodes uncordoned, the time until HEALTH_OK again, both files read back. Writes
      benchmarks/results/storage_drain.json.

Without --kubeconfig `check` runs against the lab (admin.conf of the first control-plane host through the VIP; needs
scripts/lab main) and writes benchmarks/results/storage_check.json; with it (the molecule scenario) it prints only.
The S3 credentials stay in the claim's Secret: the pod reads them from its environment and prints none.
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
from kubernetes.stream import stream

sys.path.insert(0, str(Path(__file__).resolve().parent))
from control_plane import RESTRICTED, TEST_IMAGE, api, is_ready, wait  # noqa: E402  (the lab helpers)
from node_layer import recap  # noqa: E402
from ha_base import (INVENTORY, LAB_DIR, PREFIX, REPO, RESULTS, inventory_variant, lab_hosts,  # noqa: E402
                     lab_inventory, lab_zone, playbook, playbook_output, refused_with, sh, ssh)

NAMESPACE, ROOK = 'caas-storage-test', 'rook-ceph'
SIZE_MIB = 8
# Real S3 (AWS Signature Version 4, path-style) with Python's standard library, run in the Ceph image (it has
# python3): PUT an object, GET it and compare the checksum, DELETE it, GET again (404). Prints statuses and
# checksums only.
S3_SCRIPT = r'''
import datetime, hashlib, hmac, json, os, urllib.error, urllib.request
host = '%s:%s' % (os.environ['BUCKET_HOST'], os.environ['BUCKET_PORT'])
bucket, access, secret = os.environ['BUCKET_NAME'], os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_SECRET_ACCESS_KEY']
region = os.environ.get('BUCKET_REGION') or 'us-east-1'

def hmac256(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()

def s3(method, key, body=b''):
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp, day = now.strftime('%Y%m%dT%H%M%SZ'), now.strftime('%Y%m%d')
    path, digest = '/%s/%s' % (bucket, key), hashlib.sha256(body).hexdigest()
    headers = {'host': host, 'x-amz-content-sha256': digest, 'x-amz-date': stamp}
    names = ';'.join(sorted(headers))
    canonical = '\n'.join([method, path, '', ''.join('%s:%s\n' % (k, headers[k]) for k in sorted(headers)), names, digest])
    scope = '%s/%s/s3/aws4_request' % (day, region)
    to_sign = '\n'.join(['AWS4-HMAC-SHA256', stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key_ = hmac256(hmac256(hmac256(hmac256(('AWS4' + secret).encode(), day), region), 's3'), 'aws4_request')
    signature = hmac.new(key_, to_sign.encode(), hashlib.sha256).hexdigest()
    sent = {k: v for k, v in headers.items() if k != 'host'}
    sent['Authorization'] = 'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s' % (access, scope, names, signature)
    request = urllib.request.Request('http://%s%s' % (host, path), data=body if method == 'PUT' else None,
                                     method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()

body = os.urandom(SIZE_MIB * 1048576)
result = {'sent_sha256': hashlib.sha256(body).hexdigest()}
result['put'] = s3('PUT', 'caas-check/object.bin', body)[0]
status, got = s3('GET', 'caas-check/object.bin')
result.update(get=status, got_sha256=hashlib.sha256(got).hexdigest(), got_bytes=len(got))
result['delete'] = s3('DELETE', 'caas-check/object.bin')[0]
result['get_after_delete'] = s3('GET', 'caas-check/object.bin')[0]
print(json.dumps(result))
'''.replace('SIZE_MIB', str(SIZE_MIB))


def ceph(core, *args):
    """A ceph command's JSON answer, run in the operator's pod with the admin configuration Rook keeps there."""
    # The running operator (a restarted one leaves its predecessor terminating for a while).
    operator = next(pod.metadata.name for pod in core.list_namespaced_pod(ROOK, label_selector='app=rook-ceph-operator').items
                    if pod.status.phase == 'Running' and not pod.metadata.deletion_timestamp)
    command = ['ceph', '--conf', f'/var/lib/rook/{ROOK}/{ROOK}.config', '--keyring',
               f'/var/lib/rook/{ROOK}/client.admin.keyring', *args, '--format', 'json']
    return json.loads(stream(core.connect_get_namespaced_pod_exec, operator, ROOK, container='rook-ceph-operator',
                             command=command, stderr=False, stdin=False, stdout=True, tty=False))


def fresh_namespace(core):
    try:
        core.delete_namespace(NAMESPACE)
    except ApiException as exc:
        if exc.status != 404:
            raise
    wait(f'namespace {NAMESPACE} gone', lambda: NAMESPACE not in {n.metadata.name for n in core.list_namespace().items},
         timeout=300)
    core.create_namespace({'metadata': {'name': NAMESPACE}})


def pvc(name, storage_class, mode):
    return {'metadata': {'name': name}, 'spec': {'accessModes': [mode], 'storageClassName': storage_class,
                                                 'resources': {'requests': {'storage': '1Gi'}}}}


def run_pod(core, name, node, image, script, volume=None, env_from=(), timeout=300):
    """A restricted pod that runs script (sh -c, or python3 -c for the S3 one) on node; its phase and output."""
    command = ['python3', '-c', script] if image != TEST_IMAGE else ['sh', '-c', script]
    container = {'name': 'main', 'image': image, 'command': command, 'securityContext': RESTRICTED['container'],
                 'envFrom': list(env_from)}
    spec = {'securityContext': dict(RESTRICTED['securityContext'], fsGroup=65534), 'nodeName': node,
            'restartPolicy': 'Never', 'terminationGracePeriodSeconds': 0, 'containers': [container]}
    if volume:
        container['volumeMounts'] = [{'name': 'data', 'mountPath': '/data'}]
        spec['volumes'] = [{'name': 'data', 'persistentVolumeClaim': {'claimName': volume}}]
    core.create_namespaced_pod(NAMESPACE, {'metadata': {'name': name}, 'spec': spec})
    try:
        wait(f'{name} to finish',
             lambda: core.read_namespaced_pod(name, NAMESPACE).status.phase in ('Succeeded', 'Failed'), timeout=timeout)
    except SystemExit as timed_out:
        try:
            story = pod_story(core, name)
        except ApiException as exc:
            story = f'(the pod could not be read: {exc.reason})'
        raise SystemExit(f'{timed_out} on {node}: {story}') from None
    status = core.read_namespaced_pod(name, NAMESPACE).status
    return status.phase, core.read_namespaced_pod_log(name, NAMESPACE).strip()


def pod_story(core, name):
    """What a pod that did not finish was doing: its phase, its container's state and the events about it."""
    status = core.read_namespaced_pod(name, NAMESPACE).status
    states = [f'{c.name} {c.state.to_dict()}' for c in status.container_statuses or []]
    events = core.list_namespaced_event(NAMESPACE, field_selector=f'involvedObject.name={name}').items
    said = [f'{e.reason}: {e.message}' for e in sorted(events, key=lambda e: str(e.last_timestamp or ''))]
    return json.dumps({'phase': status.phase, 'containers': states, 'events': said[-8:]}, default=str)


def bound(core, name):
    return core.read_namespaced_persistent_volume_claim(name, NAMESPACE).status.phase == 'Bound'


def check(api_client):
    core, custom = client.CoreV1Api(api_client), client.CustomObjectsApi(api_client)
    data = {}
    status = ceph(core, 'status')
    osdmap = status['osdmap'].get('osdmap', status['osdmap'])
    data['ceph'] = {'health': status['health']['status'], 'osds': osdmap['num_osds'], 'osds_up': osdmap['num_up_osds'],
                    'mons_in_quorum': len(status['quorum_names']), 'pgs': status['pgmap']['num_pgs']}
    if data['ceph']['health'] != 'HEALTH_OK' or data['ceph']['osds_up'] != data['ceph']['osds']:
        raise SystemExit(f'Ceph is not healthy: {json.dumps(data["ceph"])}')
    storage_nodes = sorted(n.metadata.name for n in core.list_node(label_selector='caas.platform/storage=true').items)
    ceph_image = custom.get_namespaced_custom_object('ceph.rook.io', 'v1', ROOK, 'cephclusters', ROOK)['spec'][
        'cephVersion']['image']

    fresh_namespace(core)
    try:
        start = time.monotonic()
        core.create_namespaced_persistent_volume_claim(NAMESPACE, pvc('shared', 'cephfs', 'ReadWriteMany'))
        core.create_namespaced_persistent_volume_claim(NAMESPACE, pvc('block', 'ceph-block', 'ReadWriteOnce'))
        wait('the CephFS claim bound', lambda: bound(core, 'shared'), timeout=300)
        data['cephfs_bound_seconds'] = round(time.monotonic() - start, 1)
        wait('the RBD claim bound', lambda: bound(core, 'block'), timeout=300)
        data['rbd_bound_seconds'] = round(time.monotonic() - start, 1)
        volume = core.read_namespaced_persistent_volume_claim('block', NAMESPACE).spec.volume_name
        attributes = core.read_persistent_volume(volume).spec.csi.volume_attributes
        data['rbd_image'] = f'{attributes["pool"]}/{attributes["imageName"]}'

        writer, reader = storage_nodes[0], storage_nodes[-1]
        phase, out = run_pod(core, 'cephfs-writer', writer, TEST_IMAGE,
                             f'id && ls -lnd /data && dd if=/dev/urandom of=/data/blob bs=1M count={SIZE_MIB} && sync && '
                             'sha256sum /data/blob', volume='shared')
        # The checksum is the last line (id, the directory and dd's statistics, or its error, come first).
        written = out.splitlines()[-1].split()[0] if phase == 'Succeeded' and out else None
        # A pod that failed says why in its output (the last lines are kept).
        pods = {'writer': {'phase': phase, 'log': out[-300:]}}
        phase, out = run_pod(core, 'cephfs-reader', reader, TEST_IMAGE, 'sha256sum /data/blob && ls -ln /data/blob',
                             volume='shared')
        read_back = out.split()[0] if phase == 'Succeeded' and out else None
        pods['reader'] = {'phase': phase, 'log': out[-300:]}
        data['cephfs'] = {'writer_node': writer, 'reader_node': reader, 'written_sha256': written,
                          'read_sha256': read_back, 'same': bool(written) and written == read_back}
        if not data['cephfs']['same']:
            data['cephfs']['pods'] = pods
            raise SystemExit(f'CephFS: what {reader} read is not what {writer} wrote: {json.dumps(data["cephfs"])}')

        start = time.monotonic()
        custom.create_namespaced_custom_object('objectbucket.io', 'v1alpha1', NAMESPACE, 'objectbucketclaims', {
            'apiVersion': 'objectbucket.io/v1alpha1', 'kind': 'ObjectBucketClaim', 'metadata': {'name': 'bucket'},
            'spec': {'generateBucketName': 'caas-check', 'storageClassName': 'ceph-bucket'}})
        wait('the bucket claim bound', lambda: custom.get_namespaced_custom_object(
            'objectbucket.io', 'v1alpha1', NAMESPACE, 'objectbucketclaims', 'bucket').get('status', {}).get('phase')
            == 'Bound', timeout=300)
        data['bucket_bound_seconds'] = round(time.monotonic() - start, 1)
        phase, out = run_pod(core, 's3-client', writer, ceph_image, S3_SCRIPT,
                             env_from=({'configMapRef': {'name': 'bucket'}}, {'secretRef': {'name': 'bucket'}}))
        s3 = json.loads(out.splitlines()[-1]) if phase == 'Succeeded' else {'phase': phase, 'log': out[-500:]}
        data['s3'] = dict(s3, same=s3.get('sent_sha256') == s3.get('got_sha256'))
        if not (s3.get('put') == 200 and s3.get('get') == 200 and data['s3']['same'] and s3.get('delete') == 204
                and s3.get('get_after_delete') == 404):
            raise SystemExit(f'S3 round trip failed: {json.dumps(data["s3"])}')
    finally:
        core.delete_namespace(NAMESPACE)
    rook_pods = core.list_namespaced_pod(ROOK).items
    data['ceph_pods'] = dict(ceph_pod_resources(rook_pods), **ceph_pod_usage(core, rook_pods))
    return data


def ceph_component(pod):
    """The Rook component a pod belongs to (its app label: rook-ceph-osd, rook-ceph-mon, csi-rbdplugin, ...)."""
    return pod.metadata.labels.get('app', pod.metadata.name)


def ceph_pod_resources(rook_pods):
    """What Rook's pods request (memory, MiB), by component."""
    requested = {}
    for pod in rook_pods:
        for container in pod.spec.containers:
            memory = ((container.resources and container.resources.requests) or {}).get('memory')
            if memory:
                requested[ceph_component(pod)] = requested.get(ceph_component(pod), 0) + mebibytes(memory)
    return {'requested_memory_mib': requested, 'pods': len(rook_pods)}


def ceph_pod_usage(core, rook_pods):
    """What Rook's pods use now, by component: memory (working set, MiB) and CPU (millicores), from each node's
    kubelet (its stats summary, through the API server), summed over every node (the CSI plugins run on all)."""
    component = {pod.metadata.name: ceph_component(pod) for pod in rook_pods}
    memory, cpu = {}, {}
    for node in core.list_node().items:
        answer = core.connect_get_node_proxy_with_path(node.metadata.name, 'stats/summary', _preload_content=False)
        for pod in json.loads(answer.data).get('pods', []):
            name = pod['podRef']['name']
            if pod['podRef']['namespace'] != ROOK or name not in component:
                continue
            key = component[name]
            memory[key] = memory.get(key, 0) + (pod.get('memory') or {}).get('workingSetBytes', 0) // 1048576
            cpu[key] = cpu.get(key, 0) + (pod.get('cpu') or {}).get('usageNanoCores', 0) // 1000000
    return {'used_memory_mib': memory, 'used_cpu_millicores': cpu,
            'used_memory_mib_total': sum(memory.values()), 'used_cpu_millicores_total': sum(cpu.values())}


def mebibytes(quantity):
    units = {'Ki': 1 / 1024, 'Mi': 1, 'Gi': 1024, 'Ti': 1024 * 1024}
    for unit, factor in units.items():
        if quantity.endswith(unit):
            return int(float(quantity[:-2]) * factor)
    return int(int(quantity) / 1048576)


def healthy(core):
    status = ceph(core, 'status')
    pgs = status['pgmap']
    clean = dict((s['state_name'], s['count']) for s in pgs.get('pgs_by_state', [])).get('active+clean', 0)
    return status['health']['status'] == 'HEALTH_OK' and clean == pgs['num_pgs']


def osd_loss():
    with tempfile.TemporaryDirectory(prefix='caas-storage-') as work:
        api_client, server = api(work)
        core = client.CoreV1Api(api_client)
        wait('Ceph HEALTH_OK before the loss', lambda: healthy(core), timeout=600, every=10)
        nodes = sorted(n.metadata.name for n in core.list_node(label_selector='caas.platform/storage=true').items)
        lost, writer, reader = nodes[-1], nodes[0], nodes[1]
        fresh_namespace(core)
        data = {'api': server, 'lost_host': lost}
        try:
            core.create_namespaced_persistent_volume_claim(NAMESPACE, pvc('shared', 'cephfs', 'ReadWriteMany'))
            wait('the CephFS claim bound', lambda: bound(core, 'shared'), timeout=300)
            write = f'dd if=/dev/urandom of=/data/{{0}} bs=1M count={SIZE_MIB} 2>/dev/null && sync && sha256sum /data/{{0}}'
            phase, out = run_pod(core, 'before', writer, TEST_IMAGE, write.format('before'), volume='shared')
            sums = {'before': out.split()[0]}
            killed = time.monotonic()
            sh('podman', 'kill', f'{PREFIX}-{lost}')
            started = time.monotonic()
            phase, out = run_pod(core, 'during', reader, TEST_IMAGE,
                                 write.format('during') + ' && sha256sum /data/before', volume='shared',
                                 timeout=600)
            data['write_while_lost_seconds'] = round(time.monotonic() - started, 1)
            lines = dict(reversed(line.split()) for line in out.splitlines() if len(line.split()) == 2)
            sums['during'] = lines.get('/data/during')
            data['read_while_lost_same'] = lines.get('/data/before') == sums['before']
            data['degraded'] = ceph(core, 'status')['health']['status']
            time.sleep(max(0, 60 - (time.monotonic() - killed)))
            started = time.monotonic()
            sh(str(REPO / 'scripts' / 'lab'), 'up')
            wait(f'{lost} Ready again', lambda: is_ready(core.read_node(lost)), timeout=600)
            data['host_back_seconds'] = round(time.monotonic() - started, 1)
            wait('Ceph HEALTH_OK again', lambda: healthy(core), timeout=1200, every=5)
            data['health_ok_again_seconds'] = round(time.monotonic() - started, 1)
            phase, out = run_pod(core, 'after', lost, TEST_IMAGE, 'sha256sum /data/before /data/during', volume='shared',
                                 timeout=600)
            lines = dict(reversed(line.split()) for line in out.splitlines() if len(line.split()) == 2)
            data['files'] = {name: {'written_sha256': value, 'read_after_sha256': lines.get(f'/data/{name}')}
                             for name, value in sums.items()}
            data['nothing_lost'] = all(f['written_sha256'] == f['read_after_sha256'] for f in data['files'].values())
        finally:
            core.delete_namespace(NAMESPACE)
    save_result('storage_osd_loss', data)
    if not data['nothing_lost'] or not data['read_while_lost_same']:
        raise SystemExit('data was lost or unreadable across the loss of a storage host')


def osd_tree(core):
    """host -> [{id, in}] of Ceph's CRUSH map."""
    nodes = {n['id']: n for n in ceph(core, 'osd', 'tree')['nodes']}
    return {n['name']: [{'id': c, 'in': nodes[c].get('reweight', 0) > 0} for c in n.get('children', [])]
            for n in nodes.values() if n['type'] == 'host'}


def changed_total(output):
    """The sum of changed= over the play recap."""
    return sum(host.get('changed', 0) for host in recap(output).values())


def cephfs_file(core, name, node, write):
    """Write (or read) /data/<name> on the claim `shared` from a pod on node; its checksum."""
    script = (f'dd if=/dev/urandom of=/data/{name} bs=1M count={SIZE_MIB} 2>/dev/null && sync && ' if write else '') \
        + f'sha256sum /data/{name}'
    phase, out = run_pod(core, f'{"write" if write else "read"}-{name}-{int(time.monotonic())}', node, TEST_IMAGE,
                         script, volume='shared', timeout=600)
    if phase != 'Succeeded':
        raise SystemExit(f'{name} on {node}: {phase}: {out[-500:]}')
    return out.split()[0]


def mon_nodes(core):
    """mon id -> the node its pod runs on."""
    return {pod.metadata.labels['mon']: pod.spec.node_name
            for pod in core.list_namespaced_pod(ROOK, label_selector='app=rook-ceph-mon').items
            if pod.status.phase == 'Running' and not pod.metadata.deletion_timestamp}


def storage_state(core, api_client, host):
    """What Ceph and Kubernetes hold of one storage host: its OSDs in the CRUSH map, its OSD Deployments, its node's
    storage label, the monitors on it; and the cluster's OSD count and health."""
    tree = osd_tree(core)
    return {'osds': sum(len(v) for v in tree.values()), 'host_osds': [o['id'] for o in tree.get(host, [])],
            'host_in_crush': host in tree, 'healthy': healthy(core),
            'host_osd_deployments': len(client.AppsV1Api(api_client).list_namespaced_deployment(
                ROOK, label_selector=f'app=rook-ceph-osd,topology-location-host={host}').items),
            'host_storage_label': core.read_node(host).metadata.labels.get('caas.platform/storage'),
            'host_mons': sorted(m for m, node in mon_nodes(core).items() if node == host)}


def add_host(core, api_client, inventory, host, second_run=False):
    seconds, out = playbook('40_storage.yml', inventory=inventory)
    result = {'seconds': seconds, 'changed': changed_total(out)}
    if second_run:
        seconds, out = playbook('40_storage.yml', inventory=inventory)
        result['second_run'] = {'seconds': seconds, 'changed': changed_total(out)}
    state = storage_state(core, api_client, host)
    pgs = {n['id']: n.get('pgs', 0) for n in ceph(core, 'osd', 'df')['nodes']}
    result.update(state, host_pgs=sum(pgs.get(i, 0) for i in state['host_osds']))
    if len(state['host_osds']) != 1 or not result['host_pgs'] or not state['healthy'] \
            or result.get('second_run', {}).get('changed'):
        raise SystemExit(f'adding {host}: {json.dumps(result)}')
    return result


def remove_host(core, api_client, inventory, host, osds, second_run=False):
    mons_before = sorted(m for m, node in mon_nodes(core).items() if node == host)
    seconds, out = playbook('storage_remove_host.yml', '-e', f'rook_ceph_remove_host={host}', inventory=inventory)
    result = {'seconds': seconds, 'changed': changed_total(out), 'mons_before': mons_before}
    if second_run:
        seconds, out = playbook('storage_remove_host.yml', '-e', f'rook_ceph_remove_host={host}', inventory=inventory)
        result['second_run'] = {'seconds': seconds, 'changed': changed_total(out)}
    device = json.loads((LAB_DIR / 'storage' / 'devices.json').read_text())[host]
    result.update(storage_state(core, api_client, host), mons_after=mon_nodes(core),
                  device_signature=ssh(host, f'sudo blkid --probe --output value --match-tag TYPE {device}',
                                       check=False).stdout.strip())
    if result['osds'] != osds or result['host_in_crush'] or not result['healthy'] or result['host_osd_deployments'] \
            or result['host_storage_label'] or result['host_mons'] or result['device_signature'] \
            or result.get('second_run', {}).get('changed'):
        raise SystemExit(f'removing {host}: {json.dumps(result)}')
    return result


def day2():
    inventory = lab_inventory()
    spare = next(iter(inventory['lab_storage_spare']))
    storage = sorted(inventory['storage'])
    # The storage host in the spare's zone: removed while the spare holds its zone's copies, then back.
    mate = next(h for h in storage if lab_zone(h) == lab_zone(spare))
    other = next(h for h in storage if lab_zone(h) != lab_zone(spare))
    with tempfile.TemporaryDirectory(prefix='caas-storage-') as work:
        api_client, server = api(work)
        core = client.CoreV1Api(api_client)
        wait('Ceph HEALTH_OK at the start', lambda: healthy(core), timeout=600, every=10)
        before = osd_tree(core)
        osds = sum(len(v) for v in before.values())
        data = {'api': server, 'spare_host': spare, 'zone_mate': mate, 'osds_before': osds,
                'mons_before': mon_nodes(core)}
        fresh_namespace(core)
        try:
            core.create_namespaced_persistent_volume_claim(NAMESPACE, pvc('shared', 'cephfs', 'ReadWriteMany'))
            wait('the CephFS claim bound', lambda: bound(core, 'shared'), timeout=300)
            written = cephfs_file(core, 'kept', other, write=True)

            # Refused before any change: nothing in Ceph moves.
            out = playbook_output('storage_remove_host.yml', '-e', f'rook_ceph_remove_host={mate}', expect_failure=True)
            data['refused_still_in_group'] = refused_with(out, 'which is still in the storage group')
            without_mate = inventory_variant(lambda c: c['storage']['hosts'].pop(mate))
            out = playbook_output('storage_remove_host.yml', '-e', f'rook_ceph_remove_host={mate}',
                                  inventory=without_mate, expect_failure=True)
            data['refused_zone_left_empty'] = refused_with(out, 'rook_ceph_replicas is 3 but the storage hosts span 2')
            if osd_tree(core) != before:
                raise SystemExit('a refused removal changed the OSDs')

            with_spare = inventory_variant(lambda c: c['storage']['hosts'].update({spare: None}))
            data['add_spare'] = add_host(core, api_client, with_spare, spare, second_run=True)
            # The zone mate leaves (its OSD and monitor): the spare holds the zone now.
            only_spare = inventory_variant(lambda c: (c['storage']['hosts'].update({spare: None}),
                                                      c['storage']['hosts'].pop(mate)))
            data['remove_mate'] = remove_host(core, api_client, only_spare, mate, osds)
            data['add_mate_again'] = add_host(core, api_client, with_spare, mate)
            # The lab as its inventory says: the spare leaves (with the monitor that moved to it).
            data['remove_spare'] = remove_host(core, api_client, INVENTORY, spare, osds, second_run=True)
            data['kept_file'] = {'written_sha256': written,
                                 'read_sha256': cephfs_file(core, 'kept', mate, write=False)}
            data['nothing_lost'] = data['kept_file']['written_sha256'] == data['kept_file']['read_sha256']
        finally:
            core.delete_namespace(NAMESPACE)
    save_result('storage_day2', data)
    if not data['nothing_lost']:
        raise SystemExit('the file written before the storage hosts came and went was not read back')


def kubectl_on_cp(command, check=True):
    first = next(iter(lab_hosts()['control_plane']))
    return ssh(first, f'sudo /usr/local/bin/kubectl --kubeconfig /etc/kubernetes/admin.conf {command}', check=check)


def drain():
    storage = sorted(lab_hosts()['storage'])
    first, second, reader = storage[0], storage[1], storage[-1]
    with tempfile.TemporaryDirectory(prefix='caas-storage-') as work:
        api_client, server = api(work)
        core = client.CoreV1Api(api_client)
        policy = client.PolicyV1Api(api_client)
        wait('Ceph HEALTH_OK at the start', lambda: healthy(core), timeout=600, every=10)
        data = {'api': server, 'drained': first, 'refused': second}
        data['budgets_before'] = budgets(policy)
        fresh_namespace(core)
        try:
            core.create_namespaced_persistent_volume_claim(NAMESPACE, pvc('shared', 'cephfs', 'ReadWriteMany'))
            wait('the CephFS claim bound', lambda: bound(core, 'shared'), timeout=300)
            sums = {'before': cephfs_file(core, 'before', reader, write=True)}
            start = time.monotonic()
            out = kubectl_on_cp(f'drain {first} --ignore-daemonsets --delete-emptydir-data --timeout=300s')
            data['drain_seconds'] = round(time.monotonic() - start, 1)
            data['evicted'] = sorted(line.split()[0] for line in out.stdout.splitlines()
                                     if line.startswith('pod/') and 'evicted' in line)
            # Rook sees the drained node's OSD down and blocks the other failure domains with budgets of their own.
            wait('Rook to block the other zones',
                 lambda: any(b['max_unavailable'] == 0 for name, b in budgets(policy).items()
                             if name.startswith('rook-ceph-osd-')), timeout=300, every=5)
            data['budgets_during'] = budgets(policy)
            start = time.monotonic()
            refused = kubectl_on_cp(f'drain {second} --ignore-daemonsets --delete-emptydir-data --timeout=90s',
                                    check=False)
            data['second_drain'] = {'rc': refused.returncode, 'seconds': round(time.monotonic() - start, 1),
                                    'message': next((line.strip() for line in (refused.stderr + refused.stdout).splitlines()
                                                     if 'disruption budget' in line), '')}
            kubectl_on_cp(f'uncordon {second}')
            still = [p.metadata.labels.get('app') for p in core.list_namespaced_pod(
                ROOK, field_selector=f'spec.nodeName={second}').items if p.metadata.labels.get('app') in
                ('rook-ceph-osd', 'rook-ceph-mon')]
            data['second_kept'] = sorted(still)
            sums['during'] = cephfs_file(core, 'during', reader, write=True)
            data['read_while_drained_same'] = cephfs_file(core, 'before', reader, write=False) == sums['before']
            start = time.monotonic()
            kubectl_on_cp(f'uncordon {first}')
            wait('Ceph HEALTH_OK again', lambda: healthy(core), timeout=1200, every=5)
            data['health_ok_again_seconds'] = round(time.monotonic() - start, 1)
            data['budgets_after'] = budgets(policy)
            data['files'] = {name: {'written_sha256': value,
                                    'read_after_sha256': cephfs_file(core, name, first, write=False)}
                             for name, value in sums.items()}
            data['nothing_lost'] = all(f['written_sha256'] == f['read_after_sha256'] for f in data['files'].values())
        finally:
            kubectl_on_cp(f'uncordon {first} {second}', check=False)
            core.delete_namespace(NAMESPACE)
    save_result('storage_drain', data)
    if data['second_drain']['rc'] == 0 or 'rook-ceph-osd' not in data['second_kept']:
        raise SystemExit('the second drain was not stopped by Rook\'s budgets')
    if not data['nothing_lost'] or not data['read_while_drained_same']:
        raise SystemExit('data was lost or unreadable across the drain')


def budgets(policy):
    """Rook's PodDisruptionBudgets: name -> maxUnavailable and the disruptions allowed now."""
    return {b.metadata.name: {'max_unavailable': b.spec.max_unavailable,
                              'allowed': b.status.disruptions_allowed if b.status else None}
            for b in policy.list_namespaced_pod_disruption_budget(ROOK).items}


def save_result(name, data):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f'{name}.json').write_text(json.dumps(data, indent=2, sort_keys=True) + '\n')
    print(json.dumps(data, indent=2, sort_keys=True))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('command', choices=['check', 'osd-loss', 'day2', 'drain'])
    parser.add_argument('--kubeconfig', help='a kubeconfig instead of the lab\'s admin.conf')
    args = parser.parse_args()
    if args.command in ('osd-loss', 'day2', 'drain'):
        {'osd-loss': osd_loss, 'day2': day2, 'drain': drain}[args.command]()
        return
    if args.kubeconfig:
        print(json.dumps(check(config.new_client_from_config(args.kubeconfig)), indent=2,
                         sort_keys=True))
        return
    with tempfile.TemporaryDirectory(prefix='caas-storage-') as work:
        api_client, server = api(work)
        data = dict(check(api_client), api=server)
    save_result('storage_check', data)


if __name__ == '__main__':
    main()
