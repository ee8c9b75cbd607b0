# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Figures of the registry layer (Harbor with Trivy) on the lab, from the controller, as clients see it: skopeo
through Harbor's TLS front with the lab CA, robot accounts for pushes and pulls (docs/registry.md reports them).

  registry.py push-pull
      A 100 MiB image (one layer of random bytes, written here as an OCI layout) pushed to a project by a robot and
      pulled back: the seconds and MB/s of each, the pulled layer's digest compared.

  registry.py proxy-cache
      The proxy-cache project the harbor role made over the lab's mirror (lab-mirror-cache); a platform image pulled
      through it twice: cold (Harbor fetches it from the mirror) and warm (from its storage).

  registry.py node-pull
      The platform's images published into Harbor's project caas-platform (harbor_publications in inventories/lab,
      copied from the lab's mirror by the harbor role), and a node pulling from there: an image no worker runs
      (kube-scheduler, by digest) pulled on the first worker with crictl, which containerd asks Harbor for first
      (container_runtime_registry_pull_through); Harbor's pull count of that repository goes up. The image is
      removed from the worker again.

  registry.py scan-block
      The scan-and-block round trip: a project that scans on push and refuses HIGH vulnerabilities; the lab's
      scan-target image pushed; the seconds until the scan report is there (it must name exactly CAAS-LAB-0001); the
      pull refused with Harbor's policy message.

  registry.py replication
      Replication between two projects: an image pushed to caas-repl-src, a push-based policy to caas-repl-dst over
      a registry endpoint that is Harbor itself (its external URL, as another site's Harbor would be), run by hand;
      the seconds until the execution succeeds, the copy's digest compared.

  registry.py worker-loss
      Harbor's pods survive the loss of a worker: the worker that runs Harbor's database is killed (podman kill);
      once its node is NotReady, the out-of-service taint (Kubernetes' non-graceful node shutdown, the operator's
      step for a node that is gone, docs/registry.md) lets its pods and volumes move; Harbor healthy again and the
      image pushed before pulled back, timed from the kill. Then the worker comes back and the taint goes.

  registry.py database-stuck
      A database pod stuck on a broken template is started again by the next run that fixes it (the StatefulSet's
      forced rollback, caas.platform.workload_rollout): 45_registry.yml with a database memory limit PostgreSQL cannot
      start in fails at its wait, the pod crash-looping; 45_registry.yml with the inventory's settings replaces that
      pod, and Harbor is healthy with the image pushed before pulled back. Timed: the broken run, the fixing run.

Each writes benchmarks/results/registry_<name>.json. Needs the lab with its registry layer (scripts/lab main) and
nothing else running: the 2 cores are the measurement. The admin's password is read from the lab's stand-in for
Vault (CAAS_LAB_DIR/pki/harbor-admin-password); robot secrets and logins go to skopeo in 0600 files, never on its
command line, and are printed nowhere.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / 'benchmarks' / 'results'
sys.path.insert(0, str(REPO / 'collections'))
sys.path.insert(0, str(REPO / 'benchmarks'))
# pylint: disable=wrong-import-position,import-error
from ansible_collections.caas.platform.plugins.module_utils.harbor import HarborClient, HarborError  # noqa: E402
from control_plane import api, is_ready, nodes_ready, wait  # noqa: E402  (the lab helpers)
import yaml  # noqa: E402
from kubernetes import client  # noqa: E402
from ha_base import PREFIX, address, playbook, sh, ssh  # noqa: E402

LAB_DIR = Path(os.environ.get('CAAS_LAB_DIR', '/var/lib/caas-lab'))
BUNDLE = Path(os.environ.get('CAAS_LAB_BUNDLE', '/var/cache/caas-lab/bundle'))
MIB = 1024 * 1024
# Harbor's name in the lab (harbor_external_url): what skopeo asks for and the token realm names.
NAME = 'registry.lab.internal'
HOST = f'{NAME}:30443'
# The lab's registry mirror (caas_registry_mirror in inventories/lab), which lab-mirror-cache caches.
MIRROR = 'artifacts1.lab.internal:5000'


def harbor_address(avoid=()):
    """registry.lab.internal resolves on the lab's network only: the controller reaches the NodePort of the first
    worker not in avoid by its address (Harbor's certificate names the workers' addresses too, scripts/lab pki)."""
    hosts = subprocess.run(['scripts/lab', 'status'], cwd=REPO, capture_output=True, text=True, check=False).stdout
    # Its lines: HOST STATE ADDRESS SSH.
    for line in hosts.splitlines():
        parts = line.split()
        if len(parts) > 2 and parts[0].startswith('worker') and parts[0] not in avoid and parts[1] == 'running':
            return f'{parts[2]}:30443'
    raise SystemExit('no worker is up: start the lab (scripts/lab main)')


class Lab:
    """Harbor of the lab as its admin, and a scratch directory for skopeo's logins and the CA."""

    def __init__(self, scratch, avoid=()):
        self.scratch = Path(scratch)
        self.address = harbor_address(avoid)
        self.ca = LAB_DIR / 'pki' / 'lab-ca.crt'
        password = (LAB_DIR / 'pki' / 'harbor-admin-password').read_text().strip()
        self.url = f'https://{self.address}'
        self.admin = HarborClient(self.url, 'admin', password, str(self.ca))
        certs = self.scratch / 'certs'
        certs.mkdir()
        (certs / 'ca.crt').write_bytes(self.ca.read_bytes())
        self.certs = certs

    def robot(self, project, name, actions):
        """A project robot's (name, secret), made anew for this run."""
        # Harbor lists a project's robots only when asked by the project's ID.
        project_id = self.admin.find('projects', project)['project_id']
        for robot in self.admin.get_all('/robots', query={'q': f'Level=project,ProjectID={project_id}'}):
            if robot.get('name') == f'robot${project}+{name}':
                self.admin.request('DELETE', f'/robots/{robot["id"]}')
        created = self.admin.request('POST', '/robots', expect=(201,), body={
            'name': name, 'level': 'project', 'duration': 1, 'disable': False,
            'permissions': [{'kind': 'project', 'namespace': project,
                             'access': [{'resource': 'repository', 'action': a} for a in actions]}]})[2]
        return created['name'], created['secret']

    def authfile(self, name, secret):
        path = self.scratch / 'auth.json'
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            json.dump({'auths': {HOST: {'auth': base64.b64encode(f'{name}:{secret}'.encode()).decode()}}},
                      handle)
        return path

    def project(self, name, **metadata):
        if self.admin.find('projects', name) is None:
            body = {'project_name': name, 'metadata': dict((k, str(v).lower()) for k, v in metadata.items())}
            self.admin.request('POST', '/projects', body=body, expect=(201,))

    def skopeo(self, *args, check=True):
        """skopeo with registry.lab.internal named in an /etc/hosts of its own mount namespace (Harbor's token realm
        names it; the machine's file is untouched)."""
        hosts = self.scratch / 'hosts'
        hosts.write_text(Path('/etc/hosts').read_text() + f'\n{self.address.split(":", maxsplit=1)[0]} {NAME}\n')
        argv = ['unshare', '--mount', 'sh', '-c', 'mount --bind "$1" /etc/hosts && shift && exec skopeo "$@"', 'sh',
                str(hosts), *args]
        return subprocess.run(argv, capture_output=True, text=True, check=check)


def big_image(layout, size):
    """An OCI layout of one image whose one layer is size random bytes (gzip-stored, not compressible)."""
    blobs = layout / 'blobs' / 'sha256'
    blobs.mkdir(parents=True)
    raw = layout / 'layer.tar'
    with open(raw, 'wb') as handle:
        header = bytearray(512)
        name = b'random.bin'
        header[:len(name)] = name
        header[100:108] = b'0000644\0'
        header[108:116] = header[116:124] = b'0000000\0'
        header[124:136] = f'{size:011o}\0'.encode()
        header[136:148] = b'00000000000\0'
        header[156:157] = b'0'
        header[257:263] = b'ustar\0'
        header[263:265] = b'00'
        header[148:156] = b' ' * 8
        header[148:156] = f'{sum(header):06o}\0 '.encode()
        handle.write(header)
        for _mebibyte in range(size // MIB):
            handle.write(os.urandom(MIB))
        handle.write(bytes(-size % 512) + bytes(1024))
    diff_id = hashlib.sha256(raw.read_bytes()).hexdigest()
    compressed = gzip.compress(raw.read_bytes(), compresslevel=1)
    raw.unlink()
    layer = hashlib.sha256(compressed).hexdigest()
    (blobs / layer).write_bytes(compressed)
    config = json.dumps({'architecture': 'amd64', 'os': 'linux', 'rootfs': {'type': 'layers',
                                                                            'diff_ids': [f'sha256:{diff_id}']}}).encode()
    (blobs / hashlib.sha256(config).hexdigest()).write_bytes(config)
    manifest = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                           'config': {'mediaType': 'application/vnd.oci.image.config.v1+json',
                                      'digest': f'sha256:{hashlib.sha256(config).hexdigest()}', 'size': len(config)},
                           'layers': [{'mediaType': 'application/vnd.oci.image.layer.v1.tar+gzip',
                                       'digest': f'sha256:{layer}', 'size': len(compressed)}]}).encode()
    (blobs / hashlib.sha256(manifest).hexdigest()).write_bytes(manifest)
    (layout / 'oci-layout').write_text('{"imageLayoutVersion":"1.0.0"}')
    (layout / 'index.json').write_text(json.dumps({'schemaVersion': 2, 'manifests': [{
        'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'size': len(manifest),
        'digest': f'sha256:{hashlib.sha256(manifest).hexdigest()}', 'annotations': {'org.opencontainers.image.ref.name': '1'}}]}))
    return f'sha256:{layer}', len(compressed)


def push_pull(lab):
    lab.project('caas-bench')
    name, secret = lab.robot('caas-bench', 'bench', ['push', 'pull'])
    auth = lab.authfile(name, secret)
    layer, size = big_image(lab.scratch / 'big', 100 * MIB)
    start = time.monotonic()
    lab.skopeo('copy', '--quiet', '--dest-authfile', str(auth), '--dest-cert-dir', str(lab.certs),
               f'oci:{lab.scratch / "big"}:1', f'docker://{HOST}/caas-bench/big:1')
    push = time.monotonic() - start
    start = time.monotonic()
    lab.skopeo('copy', '--quiet', '--src-authfile', str(auth), '--src-cert-dir', str(lab.certs),
               f'docker://{HOST}/caas-bench/big:1', f'oci:{lab.scratch / "pulled"}:1')
    pull = time.monotonic() - start
    same = (lab.scratch / 'pulled' / 'blobs' / 'sha256' / layer.split(':')[1]).is_file()
    return {'layer_bytes': size, 'push_seconds': round(push, 1), 'push_mb_per_s': round(size / MIB / push, 1),
            'pull_seconds': round(pull, 1), 'pull_mb_per_s': round(size / MIB / pull, 1), 'layer_same': same}


def proxy_cache(lab):
    """The project the harbor role made over the lab's mirror (harbor_proxy_caches in inventories/lab)."""
    if lab.admin.find('projects', 'lab-mirror-cache') is None:
        raise SystemExit('Harbor has no project lab-mirror-cache: run site.yml with the lab inventory (harbor_proxy_caches)')
    image = 'registry.k8s.io/coredns/coredns'
    # The nodes pull through this project too: the cached copy goes first, so that the first pull here is cold.
    try:
        lab.admin.request('DELETE', repository_path('lab-mirror-cache', image))
    except HarborError as exc:
        if exc.status != 404:
            raise
    # A tag the mirror serves (the bundle may hold images of two releases; the mirror those of the one it serves).
    tags = json.loads(sh('curl', '-sf', '--cacert', str(lab.ca), '--resolve', f'{MIRROR}:{address("artifacts1")}',
                         f'https://{MIRROR}/v2/{image}/tags/list').stdout)['tags']
    tag = sorted(tags)[-1]
    times = []
    for run in ('cold', 'warm'):
        target = lab.scratch / f'cache-{run}'
        start = time.monotonic()
        lab.skopeo('copy', '--quiet', '--src-cert-dir', str(lab.certs),
                   f'docker://{HOST}/lab-mirror-cache/{image}:{tag}', f'oci:{target}:{tag}')
        times.append(round(time.monotonic() - start, 1))
    return {'image': f'{image}:{tag}', 'cold_seconds': times[0], 'warm_seconds': times[1]}


def repository_path(project, repository):
    """Harbor's API path of a repository whose name has slashes (encoded twice, as Harbor asks)."""
    return f'/projects/{project}/repositories/{quote(quote(repository, safe=""), safe="")}'


def node_pull(lab):
    """The published project and a worker's pull of an image it lacks, which Harbor counts."""
    project, repository, worker = 'caas-platform', 'registry.k8s.io/kube-scheduler', 'worker1'
    if lab.admin.find('projects', project) is None:
        raise SystemExit(f'Harbor has no project {project}: run site.yml with the lab inventory (harbor_publications)')
    # The mirrored registries' images (the lab's test images, lab.caas.invalid, are not published).
    bundled = sorted({str(p.relative_to(BUNDLE / 'images').parent) for p in (BUNDLE / 'images').rglob('*.oci.tar')
                      if not p.relative_to(BUNDLE / 'images').parts[0] == 'lab.caas.invalid'})
    published = sorted(r['name'].split('/', 1)[1] for r in lab.admin.get_all(f'/projects/{project}/repositories'))
    missing = [image for image in bundled if image not in published]
    artifact = (lab.admin.get_all(repository_path(project, repository) + '/artifacts') or [{}])[0]
    digest = artifact.get('digest')
    if missing or not digest:
        raise SystemExit(f'images of the bundle not published into {project}: {missing or [repository]}')
    reference = f'{repository}@{digest}'
    # A run before this one may have left it; no container runs it on a worker.
    ssh(worker, f'sudo crictl rmi {reference}', check=False)
    before = lab.admin.get(repository_path(project, repository))['pull_count']
    start = time.monotonic()
    ssh(worker, f'sudo crictl pull {reference}')
    seconds = time.monotonic() - start
    # Harbor counts pulls a little after it serves them.
    counted = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        counted = lab.admin.get(repository_path(project, repository))['pull_count']
        if counted > before:
            break
        time.sleep(2)
    ssh(worker, f'sudo crictl rmi {reference}', check=False)
    result = {'project': project, 'bundle_repositories': len(bundled), 'published_repositories': len(published),
              'pulled': reference, 'node': worker, 'pull_seconds': round(seconds, 1),
              'harbor_pull_count_before': before, 'harbor_pull_count_after': counted}
    if counted is None or counted <= before:
        raise SystemExit(f'the node did not pull from Harbor: {json.dumps(result)}')
    return result


def scan_block(lab):
    lab.project('caas-scan', auto_scan=True, prevent_vul=True, severity='high')
    name, secret = lab.robot('caas-scan', 'pusher', ['push', 'pull'])
    auth = lab.authfile(name, secret)
    archive = next((BUNDLE / 'images' / 'lab.caas.invalid' / 'scan-target').glob('*.oci.tar'))
    tag = archive.name.removesuffix('.oci.tar')
    # A run before this one left the image and its report: gone first, so that this push is scanned anew.
    try:
        lab.admin.request('DELETE', '/projects/caas-scan/repositories/scan-target')
    except HarborError as exc:
        if exc.status != 404:
            raise
    start = time.monotonic()
    lab.skopeo('copy', '--quiet', '--dest-authfile', str(auth), '--dest-cert-dir', str(lab.certs),
               f'oci-archive:{archive}', f'docker://{HOST}/caas-scan/scan-target:{tag}')
    pushed = time.monotonic()
    path = f'/projects/caas-scan/repositories/scan-target/artifacts/{tag}'
    report = {}
    while time.monotonic() - pushed < 600:
        overview = (lab.admin.get(path, query={'with_scan_overview': 'true'}) or {}).get('scan_overview') or {}
        report = next(iter(overview.values()), {})
        if report.get('scan_status') in ('Success', 'Error'):
            break
        time.sleep(1)
    scanned = time.monotonic()
    additions = lab.admin.get(path + '/additions/vulnerabilities') or {}
    found = [v.get('id') for v in next(iter(additions.values()), {}).get('vulnerabilities') or []]
    pull = lab.skopeo('copy', '--quiet', '--src-authfile', str(auth), '--src-cert-dir', str(lab.certs),
                      f'docker://{HOST}/caas-scan/scan-target:{tag}', f'oci:{lab.scratch / "refused"}:x',
                      check=False)
    refused = pull.returncode != 0 and 'cannot be pulled due to configured policy' in pull.stderr
    result = {'push_seconds': round(pushed - start, 1), 'scan_seconds_after_push': round(scanned - pushed, 1),
              'scan_status': report.get('scan_status'), 'vulnerabilities': found, 'pull_refused': refused}
    if found != ['CAAS-LAB-0001'] or not refused:
        raise SystemExit(f'scan-and-block failed: {json.dumps(result)}')
    return result


def push_small(lab, project, size=4 * MIB):
    """A small image of random bytes pushed to project:1 by a robot of the project; (auth file, layer digest)."""
    lab.project(project)
    name, secret = lab.robot(project, 'bench', ['push', 'pull'])
    auth = lab.authfile(name, secret)
    layout = lab.scratch / f'small-{project}'
    layer, _size = big_image(layout, size)
    lab.skopeo('copy', '--quiet', '--dest-authfile', str(auth), '--dest-cert-dir', str(lab.certs),
               f'oci:{layout}:1', f'docker://{HOST}/{project}/small:1')
    return auth, layer


def pulled_layer(lab, auth, reference, target):
    """Whether the image pulls with the robot's login, and its layer digests."""
    lab.skopeo('copy', '--quiet', '--src-authfile', str(auth), '--src-cert-dir', str(lab.certs),
               f'docker://{HOST}/{reference}', f'oci:{lab.scratch / target}:1')
    return sorted(f'sha256:{p.name}' for p in (lab.scratch / target / 'blobs' / 'sha256').iterdir())


def replication(lab):
    source, destination, endpoint, policy = 'caas-repl-src', 'caas-repl-dst', 'caas-bench-self', 'caas-bench-repl'
    _auth, layer = push_small(lab, source)
    lab.project(destination)
    password = (LAB_DIR / 'pki' / 'harbor-admin-password').read_text().strip()
    for name, path in ((policy, '/replication/policies'), (endpoint, '/registries')):
        for item in lab.admin.get_all(path):
            if item.get('name') == name:
                lab.admin.request('DELETE', f'{path}/{item["id"]}')
    # Harbor by its external URL from inside the cluster (CoreDNS forwards the lab's names to podman's DNS), with the
    # lab CA, which Harbor's components trust.
    lab.admin.request('POST', '/registries', expect=(201,), body={
        'name': endpoint, 'type': 'harbor', 'url': f'https://{HOST}', 'insecure': False,
        'credential': {'type': 'basic', 'access_key': 'admin', 'access_secret': password}})
    endpoint_id = next(r['id'] for r in lab.admin.get_all('/registries') if r.get('name') == endpoint)
    lab.admin.request('POST', '/replication/policies', expect=(201,), body={
        'name': policy, 'enabled': True, 'dest_registry': {'id': endpoint_id}, 'dest_namespace': destination,
        'dest_namespace_replace_count': 1, 'override': True, 'trigger': {'type': 'manual'},
        'filters': [{'type': 'name', 'value': f'{source}/**'}]})
    policy_id = next(p['id'] for p in lab.admin.get_all('/replication/policies') if p.get('name') == policy)
    start = time.monotonic()
    _status, headers, _body = lab.admin.request('POST', '/replication/executions', expect=(201,),
                                                body={'policy_id': policy_id})
    execution = headers.get('Location', '').rstrip('/').rsplit('/', 1)[-1]
    state = {}
    while time.monotonic() - start < 600:
        state = lab.admin.get(f'/replication/executions/{execution}') or {}
        if state.get('status') in ('Succeed', 'Failed', 'Stopped'):
            break
        time.sleep(1)
    seconds = round(time.monotonic() - start, 1)
    copied = lab.admin.get(f'/projects/{destination}/repositories/small/artifacts/1') or {}
    result = {'status': state.get('status'), 'seconds': seconds, 'succeed': state.get('succeed'),
              'failed': state.get('failed'), 'copy_digest_same': copied.get('digest') == (
                  lab.admin.get(f'/projects/{source}/repositories/small/artifacts/1') or {}).get('digest'),
              'layer': layer}
    if result['status'] != 'Succeed' or not result['copy_digest_same']:
        raise SystemExit(f'replication failed: {json.dumps(result)}')
    return result


OUT_OF_SERVICE = {'key': 'node.kubernetes.io/out-of-service', 'value': 'nodeshutdown', 'effect': 'NoExecute'}


def set_out_of_service(core, node, present):
    taints = [t for t in (core.read_node(node).spec.taints or []) if t.key != OUT_OF_SERVICE['key']]
    taints = [{'key': t.key, 'value': t.value, 'effect': t.effect} for t in taints]
    core.patch_node(node, {'spec': {'taints': taints + ([OUT_OF_SERVICE] if present else [])}})


def database_pod(core):
    pods = core.list_namespaced_pod('harbor', label_selector='app.kubernetes.io/component=database').items
    return pods[0] if pods else None


def worker_loss(lab):
    with tempfile.TemporaryDirectory(prefix='caas-registry-kube-') as work:
        api_client, _server = api(work)
        core = client.CoreV1Api(api_client)
        victim = database_pod(core).spec.node_name
        if not victim.startswith('worker'):
            raise SystemExit(f'Harbor\'s database runs on {victim}, not a worker')
        # Harbor asked through another worker's NodePort, as registry.lab.internal resolves to the living workers.
        scratch = lab.scratch / 'avoiding'
        scratch.mkdir()
        lab = Lab(scratch, avoid=(victim,))
        auth, layer = push_small(lab, 'caas-bench-loss')
        killed = time.monotonic()
        sh('podman', 'kill', f'{PREFIX}-{victim}')
        try:
            wait(f'{victim} NotReady', lambda: nodes_ready(core).get(victim) is False, timeout=300)
            not_ready = time.monotonic()
            set_out_of_service(core, victim, True)
            wait('Harbor\'s database running and ready on another node', lambda: (
                (pod := database_pod(core)) is not None and pod.spec.node_name not in (None, victim)
                and is_ready(pod)), timeout=900,
                every=5)
            moved = time.monotonic()
            lab.admin.wait_healthy(600)
            healthy = time.monotonic()
            same = layer in pulled_layer(lab, auth, 'caas-bench-loss/small:1', 'after-loss')
        finally:
            sh(str(REPO / 'scripts' / 'lab'), 'up')
            wait(f'{victim} Ready again', lambda: nodes_ready(core).get(victim), timeout=600)
            set_out_of_service(core, victim, False)
        result = {'worker': victim, 'not_ready_seconds': round(not_ready - killed, 1),
                  'database_moved_seconds': round(moved - killed, 1), 'healthy_seconds': round(healthy - killed, 1),
                  'pull_after_loss_layer_same': same, 'database_now_on': database_pod(core).spec.node_name}
        if not same:
            raise SystemExit(f'worker-loss failed: {json.dumps(result)}')
        return result


def database_stuck(lab):
    with tempfile.TemporaryDirectory(prefix='caas-registry-kube-') as work:
        api_client, _server = api(work)
        core = client.CoreV1Api(api_client)
        auth, layer = push_small(lab, 'caas-bench-stuck')
        before = database_pod(core)
        # 45_registry.yml as the inventory has it, but the database's memory limit too small for PostgreSQL.
        settings = yaml.safe_load((REPO / 'roles' / 'harbor' / 'defaults' / 'main.yml').read_text())['harbor_resources']
        settings['database'] = {'requests': {'cpu': '100m', 'memory': '8Mi'}, 'limits': {'memory': '8Mi'}}
        extra = Path(work) / 'broken.json'
        extra.write_text(json.dumps({'harbor_resources': settings, 'harbor_wait_timeout': 180}))
        broken_seconds, _out = playbook('45_registry.yml', '-e', f'@{extra}', expect_failure=True)

        def stuck_pod():
            pod = database_pod(core)
            waiting = [c.state.waiting.reason for c in pod.status.container_statuses or []
                       if c.state and c.state.waiting and c.state.waiting.reason]
            return (pod, waiting[0]) if pod.metadata.uid != before.metadata.uid and waiting else None
        # Between two crashes the container runs for a moment: its waiting reason is read within a minute.
        stuck, reason = wait('the database pod of the broken template waiting to start again', stuck_pod, timeout=60)
        # -v: the wait's result names the pods it replaced.
        fixing_seconds, out = playbook('45_registry.yml', '-v')
        fixed = database_pod(core)
        ready = is_ready(fixed)
        replaced = '"pod": "harbor-database-0"' in out and fixed.metadata.uid != stuck.metadata.uid
        lab.admin.wait_healthy(300)
        same = layer in pulled_layer(lab, auth, 'caas-bench-stuck/small:1', 'after-stuck')
        result = {'broken_run_seconds': broken_seconds, 'stuck_reason': reason,
                  'fixing_run_seconds': fixing_seconds, 'stuck_pod_replaced': replaced, 'database_ready': ready,
                  'pull_after_fix_layer_same': same}
        if not (replaced and ready and same):
            raise SystemExit(f'database-stuck failed: {json.dumps(result)}')
        return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('figure', choices=['push-pull', 'proxy-cache', 'node-pull', 'scan-block', 'replication',
                                           'worker-loss', 'database-stuck'])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix='caas-registry-') as scratch:
        lab = Lab(scratch)
        try:
            data = {'push-pull': push_pull, 'proxy-cache': proxy_cache, 'node-pull': node_pull,
                    'scan-block': scan_block, 'replication': replication, 'worker-loss': worker_loss,
                    'database-stuck': database_stuck}[args.figure](lab)
        except (HarborError, subprocess.CalledProcessError) as exc:
            raise SystemExit(f'{args.figure}: {exc}{" " + exc.stderr if getattr(exc, "stderr", None) else ""}')
    data['measured_at'] = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
    out = RESULTS / f'registry_{args.figure.replace("-", "_")}.json'
    out.write_text(json.dumps(data, indent=1) + '\n')
    print(json.dumps(data, indent=1))


if __name__ == '__main__':
    main()
