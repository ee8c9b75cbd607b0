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
from control_plane import RESTRICTED, TEST_IMAGE, api, wait  # noqa: E402  (the lab helpers)
from ha_base import PREFIX, REPO, RESULTS, sh  # noqa: E402

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
    wait(f'{name} to finish', lambda: core.read_namespaced_pod(name, NAMESPACE).status.phase in ('Succeeded', 'Failed'),
         timeout=timeout)
    status = core.read_namespaced_pod(name, NAMESPACE).status
    return status.phase, core.read_namespaced_pod_log(name, NAMESPACE).strip()


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
            wait(f'{lost} Ready again', lambda: any(c.type == 'Ready' and c.status == 'True' for c in
                                                    core.read_node(lost).status.conditions), timeout=600)
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
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'storage_osd_loss.json').write_text(json.dumps(data, indent=2, sort_keys=True) + '\n')
    print(json.dumps(data, indent=2, sort_keys=True))
    if not data['nothing_lost'] or not data['read_while_lost_same']:
        raise SystemExit('data was lost or unreadable across the loss of a storage host')


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('command', choices=['check', 'osd-loss'])
    parser.add_argument('--kubeconfig', help='a kubeconfig instead of the lab\'s admin.conf')
    args = parser.parse_args()
    if args.command == 'osd-loss':
        osd_loss()
        return
    if args.kubeconfig:
        print(json.dumps(check(config.new_client_from_config(args.kubeconfig)), indent=2,
                         sort_keys=True))
        return
    with tempfile.TemporaryDirectory(prefix='caas-storage-') as work:
        api_client, server = api(work)
        data = dict(check(api_client), api=server)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'storage_check.json').write_text(json.dumps(data, indent=2, sort_keys=True) + '\n')
    print(json.dumps(data, indent=2, sort_keys=True))


if __name__ == '__main__':
    main()
