# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of the HA base on the lab: external etcd and the API VIP (docs/etcd.md reports the figures).

  ha_base.py etcd-member-loss  a client writes through the cluster while the leader's host is killed; the lost
                               member is replaced by playbooks/etcd_replace_member.yml (the spare host etcd4);
                               every acknowledged write is read back
  ha_base.py lab-back          the lab as its inventory says again: the lost host rejoins, etcd4 is a spare again
                               (first the refusal of a host whose data is not a member's, then the fix)
  ha_base.py etcd-restore      keys written, playbooks/etcd_backup.yml, every member's data wiped,
                               playbooks/etcd_restore.yml: every key and value back
  ha_base.py refusals          an even member count, a reused member name, a corrupted snapshot: each refused
                               with its message, and nothing changed (members, etcd PIDs, keys)
  ha_base.py vip               the lb host that holds the API VIP is killed: the gap until new connections to the
                               VIP succeed again, each way
  ha_base.py kube-vip          the lab rebuilt from nothing with caas_api_lb_mode kube_vip (no lb hosts), site.yml
                               twice (the first at -vvv, searched by secrets.py grep; the second changes nothing),
                               then the same probe killing the control-plane host that holds the VIP (replaces the
                               running lab)

Needs the lab up with site.yml run (scripts/lab main). Results are printed and written as JSON to
benchmarks/results/ha_base_<name>.json.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / '.venv' / 'bin'
LAB_DIR = Path(os.environ.get('CAAS_LAB_DIR', '/var/lib/caas-lab'))
PREFIX = os.environ.get('CAAS_LAB_PREFIX', 'caas-lab')
INVENTORY = REPO / 'inventories' / 'lab'
RESULTS = REPO / 'benchmarks' / 'results'
ENV = dict(os.environ, CONTAINERS_CONF=str(REPO / 'lab' / 'containers.conf'), ANSIBLE_NOCOLOR='1',
           ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), CAAS_LAB_DIR=str(LAB_DIR))
SPARE = 'etcd4'


def sh(*cmd, check=True, **kwargs):
    return subprocess.run(cmd, check=check, text=True, capture_output=True, env=ENV, **kwargs)


def save(name, data):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f'ha_base_{name}.json').write_text(json.dumps(data, indent=2, sort_keys=True) + '\n')
    print(json.dumps(data, indent=2, sort_keys=True))


# -- the lab --------------------------------------------------------------------------------------

def lab_inventory():
    """group -> {host: its variables} from the lab inventory. A host listed in several groups has its variables
    where it is first defined (the storage group names workers without them): each group gets them all."""
    tree = yaml.safe_load((INVENTORY / 'hosts.yml').read_text())['all']['children']
    groups = {group: body.get('hosts') or {} for group, body in tree.items()}
    variables = {}
    for hosts in groups.values():
        for host, values in hosts.items():
            variables.setdefault(host, {}).update(values or {})
    return {group: {host: variables[host] for host in hosts} for group, hosts in groups.items()}


def lab_hosts():
    """group -> {host: address} from the lab inventory."""
    return {group: {h: v['ansible_host'] for h, v in hosts.items()} for group, hosts in lab_inventory().items()}


def lab_zone(host):
    return next(hosts[host]['caas_zone'] for hosts in lab_inventory().values() if host in hosts)


def address(host):
    return next(hosts[host] for hosts in lab_hosts().values() if host in hosts)


def ssh(host, command, check=True):
    return sh('ssh', '-i', str(LAB_DIR / 'ssh' / 'id_ed25519'), '-o', f'UserKnownHostsFile={LAB_DIR}/ssh/known_hosts',
              '-o', 'StrictHostKeyChecking=yes', '-o', 'ConnectTimeout=5', f'caas@{address(host)}', command,
              check=check)


def playbook(playbook_path, *extra, inventory=INVENTORY, expect_failure=False):
    """Run a playbook; its wall time and output. Fails the benchmark when the outcome is not the expected one."""
    start = time.monotonic()
    result = sh(str(VENV / 'ansible-playbook'), '-i', str(inventory), str(REPO / 'playbooks' / playbook_path), *extra,
                check=False, cwd=REPO)
    seconds = round(time.monotonic() - start, 1)
    if (result.returncode != 0) != expect_failure:
        sys.stderr.write(result.stdout[-8000:] + result.stderr[-3000:])
        raise SystemExit(f'{playbook_path}: rc {result.returncode}, expected {"a failure" if expect_failure else 0}')
    return seconds, result.stdout


def playbook_to_log(playbook_path, log, *extra, inventory=INVENTORY):
    """Run a playbook with its whole output in `log` (a -vvv run is too large to keep in memory); its wall time."""
    start = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, 'w', encoding='utf-8') as handle:
        rc = subprocess.run([str(VENV / 'ansible-playbook'), '-i', str(inventory), str(REPO / 'playbooks' / playbook_path),
                             *extra], env=ENV, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, check=False).returncode
    if rc != 0:
        raise SystemExit(f'{playbook_path}: rc {rc}; its output is in {log}')
    return round(time.monotonic() - start, 1)


def playbook_output(*args, **kwargs):
    return playbook(*args, **kwargs)[1]


def inventory_variant(edit, all_vars=None):
    """A copy of the lab inventory whose hosts.yml `edit` changes (group_vars shared); its directory. all_vars:
    settings of the group all that override the lab's (a last file in group_vars/all)."""
    tmp = Path(tempfile.mkdtemp(prefix='caas-ha-inventory-'))
    tree = yaml.safe_load((INVENTORY / 'hosts.yml').read_text())
    edit(tree['all']['children'])
    (tmp / 'hosts.yml').write_text(yaml.safe_dump(tree, sort_keys=False))
    if not all_vars:
        (tmp / 'group_vars').symlink_to(INVENTORY / 'group_vars')
        return tmp
    for entry in (INVENTORY / 'group_vars').iterdir():
        if entry.name != 'all':
            (tmp / 'group_vars').mkdir(exist_ok=True)
            (tmp / 'group_vars' / entry.name).symlink_to(entry)
    (tmp / 'group_vars' / 'all').mkdir(parents=True)
    for entry in (INVENTORY / 'group_vars' / 'all').iterdir():
        (tmp / 'group_vars' / 'all' / entry.name).symlink_to(entry)
    # Files of a group_vars directory load in name order: this one last.
    (tmp / 'group_vars' / 'all' / 'zz_variant.yml').write_text(yaml.safe_dump(all_vars, sort_keys=False))
    return tmp


def run_steps(steps, argv, usage):
    """Run the named steps ({name: function}) in order, every one for `all`; the usage when a name is unknown."""
    names = list(steps) if argv == ['all'] else argv
    if not names or any(name not in steps for name in names):
        raise SystemExit(usage)
    for name in names:
        steps[name]()


def move_host(children, host, source, target, **host_vars):
    entry = children[source]['hosts'].pop(host)
    entry.update(host_vars)
    children[target].setdefault('hosts', {})
    children[target]['hosts'] = children[target]['hosts'] or {}
    children[target]['hosts'][host] = entry


def refused_with(output, text):
    """The output line that holds the refusal (its fatal: or msg line)."""
    for line in output.splitlines():
        if text in line:
            return line.strip()[:1500]
    sys.stderr.write(output[-6000:])
    raise SystemExit(f'expected the refusal to say: {text}')


# -- an etcd client: the v3 JSON gateway, with the admin client certificate of a member ------------

class Etcd:
    def __init__(self, endpoints, work):
        for name in ('ca.crt', 'admin.crt', 'admin.key'):
            (work / name).write_text(ssh('etcd1', f'sudo cat /etc/etcd/pki/{name}').stdout)
            (work / name).chmod(0o600)
        self.context = ssl.create_default_context(cafile=str(work / 'ca.crt'))
        self.context.load_cert_chain(str(work / 'admin.crt'), str(work / 'admin.key'))
        self.endpoints, self.current = list(endpoints), 0

    def call(self, endpoint, path, body, timeout=2.0):
        request = urllib.request.Request(f'{endpoint}/v3/{path}', data=json.dumps(body).encode(),
                                         headers={'Content-Type': 'application/json'})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                             urllib.request.HTTPSHandler(context=self.context))
        with opener.open(request, timeout=timeout) as answer:
            return json.loads(answer.read())

    def any(self, path, body, timeout=2.0):
        """Like a client with several endpoints: the current one, else the next that answers."""
        for step in range(len(self.endpoints)):
            index = (self.current + step) % len(self.endpoints)
            try:
                answer = self.call(self.endpoints[index], path, body, timeout)
            except Exception:  # noqa: BLE001 - any failure moves to the next endpoint
                continue
            self.current = index
            return answer
        raise ConnectionError('no endpoint answered')

    def put(self, key, value, timeout=0.5):
        return self.any('kv/put', {'key': b64(key), 'value': b64(value)}, timeout)

    def dump(self, prefix):
        answer = self.any('kv/range', {'key': b64(prefix), 'range_end': b64(prefix[:-1] + chr(ord(prefix[-1]) + 1))},
                          timeout=10)
        return {unb64(kv['key']): unb64(kv.get('value', '')) for kv in answer.get('kvs', [])}

    def members(self):
        return self.any('cluster/member/list', {})['members']

    def leader(self):
        """(leader's name, its endpoint)."""
        names = {m['ID']: m.get('name', '') for m in self.members()}
        for endpoint in self.endpoints:
            try:
                status = self.call(endpoint, 'maintenance/status', {})
            except Exception:  # noqa: BLE001 - a member that does not answer is not the leader
                continue
            return names[status['leader']], endpoint
        raise ConnectionError('no member answered')


def b64(text):
    return base64.b64encode(text.encode()).decode()


def unb64(text):
    # Kubernetes stores protobuf: values need not be text.
    return base64.b64decode(text).decode('utf-8', 'backslashreplace')


class Writer(threading.Thread):
    """Writes /bench/<run>/<seq> every 20 ms through the cluster; records every acknowledged write."""

    def __init__(self, etcd, run):
        super().__init__(daemon=True)
        self.etcd, self.run_id, self.acked, self.failed, self.stop = etcd, run, [], 0, threading.Event()

    def run(self):
        seq = 0
        while not self.stop.is_set():
            seq += 1
            try:
                self.etcd.put(f'/bench/{self.run_id}/{seq:07d}', str(seq))
                self.acked.append((time.time(), seq))
            except Exception:  # noqa: BLE001 - a failed write is what is measured
                self.failed += 1
            time.sleep(0.02)

    def gap_around(self, moment):
        """The longest time between two acknowledged writes that spans `moment` or follows it."""
        times = [moment_acked for moment_acked, _seq in self.acked]
        gaps = [(b - a, a) for a, b in zip(times, times[1:]) if b >= moment]
        return round(max(gaps)[0], 2) if gaps else None


def etcd_client(work):
    return Etcd([f'https://{a}:2379' for a in lab_hosts()['etcd'].values()], work)


# -- benchmarks -----------------------------------------------------------------------------------

def etcd_member_loss():
    work = Path(tempfile.mkdtemp(prefix='caas-ha-'))
    try:
        etcd = etcd_client(work)
        lost = etcd.leader()[0]
        writer = Writer(etcd, f'loss-{int(time.time())}')
        writer.start()
        time.sleep(5)
        killed_at = time.time()
        sh('podman', 'kill', f'{PREFIX}-{lost}')
        time.sleep(15)
        gap = writer.gap_around(killed_at)
        new_leader = etcd.leader()[0]
        # The new host takes the lost one's place in its failure domain (the inventory validation wants 3 zones).
        zone = lab_zone(lost)
        variant = inventory_variant(lambda c: (c['etcd']['hosts'].pop(lost),
                                               move_host(c, SPARE, 'lab_spare', 'etcd', caas_zone=zone)))
        etcd.endpoints = [f'https://{address(h)}:2379' for h in ['etcd1', 'etcd2', 'etcd3', SPARE] if h != lost]
        seconds = playbook('etcd_replace_member.yml', '-e', f'etcd_replace_member={lost}', inventory=variant)[0]
        time.sleep(2)
        writer.stop.set()
        writer.join()
        stored = etcd.dump(f'/bench/{writer.run_id}/')
        missing = [seq for _moment, seq in writer.acked if f'/bench/{writer.run_id}/{seq:07d}' not in stored]
        members = etcd.members()
        health = {}
        for endpoint in etcd.endpoints:
            health[endpoint] = bool(etcd.call(endpoint, 'maintenance/status', {}).get('header'))
        shutil.rmtree(variant)
        save('etcd_member_loss', {
            'killed': lost, 'killed_was_leader': True, 'new_leader': new_leader,
            'write_gap_seconds': gap, 'failed_write_attempts': writer.failed,
            'acknowledged_writes': len(writer.acked), 'acknowledged_writes_missing_after': len(missing),
            'replacement': SPARE, 'replace_playbook_seconds': seconds,
            'members_after': sorted(m.get('name', '') for m in members),
            'learners_after': [m.get('name', '') for m in members if m.get('isLearner')],
            'members_answering_after': sum(health.values()),
        })
    finally:
        shutil.rmtree(work, ignore_errors=True)


def lab_back():
    """After etcd_member_loss: the lost host is back as in the inventory, the spare is a spare again."""
    work = Path(tempfile.mkdtemp(prefix='caas-ha-'))
    try:
        sh(str(REPO / 'scripts' / 'lab'), 'up')
        etcd = Etcd([f'https://{address(h)}:2379' for h in ['etcd1', 'etcd2', 'etcd3', SPARE]], work)
        names = {m.get('name', '') for m in etcd.members()}
        lost = next(h for h in ('etcd1', 'etcd2', 'etcd3') if h not in names)
        # The lost host still holds its old data: the role refuses it, and says what to do.
        output = playbook_output('16_etcd.yml', expect_failure=True)
        refusal = refused_with(output, f'{lost} holds etcd data in /var/lib/etcd but is not a member')
        stamp = time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())
        ssh(lost, f'sudo systemctl stop etcd; sudo mv /var/lib/etcd /var/lib/etcd.removed-{stamp}')
        seconds = playbook('etcd_replace_member.yml', '-e', f'etcd_replace_member={SPARE}')[0]
        ssh(SPARE, f'sudo systemctl disable --now etcd; sudo mv /var/lib/etcd /var/lib/etcd.removed-{stamp}', check=False)
        etcd.endpoints = [f'https://{a}:2379' for a in lab_hosts()['etcd'].values()]
        save('lab_back', {'rejoined': lost, 'refusal_before_fix': refusal, 'replace_playbook_seconds': seconds,
                          'members_after': sorted(m.get('name', '') for m in etcd.members())})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def etcd_restore():
    work = Path(tempfile.mkdtemp(prefix='caas-ha-'))
    backups = LAB_DIR / 'backups' / 'etcd'
    try:
        etcd = etcd_client(work)
        for seq in range(1000):
            etcd.put(f'/restore-bench/{seq:05d}', f'value-{seq}-' + 'x' * 100, timeout=5)
        # The benchmark's keys are compared; Kubernetes' own keys change all the time and are only counted.
        before = etcd.dump('/restore-bench/')
        registry_before = len(etcd.dump('/registry/'))
        backup_seconds, output = playbook('etcd_backup.yml', '-e', f'etcd_backup_fetch_dir={backups}')
        snapshot = max(backups.glob('etcd-backup-*.db'), key=lambda p: p.stat().st_mtime)
        etcd.put('/restore-bench/after-backup', 'must be gone after the restore', timeout=5)
        for host in lab_hosts()['etcd']:
            ssh(host, 'sudo systemctl stop etcd && sudo rm -rf /var/lib/etcd/member')
        restore_seconds, output = playbook('etcd_restore.yml', '-e', f'etcd_restore_snapshot={snapshot}',
                                           '-e', 'etcd_restore_confirm=lab')
        after = etcd.dump('/restore-bench/')
        registry_after = len(etcd.dump('/registry/'))
        save('etcd_restore', {
            'kubernetes_keys_before': registry_before, 'kubernetes_keys_after': registry_after,
            'keys_before': len(before), 'snapshot': snapshot.name, 'snapshot_bytes': snapshot.stat().st_size,
            'backup_playbook_seconds': backup_seconds, 'restore_playbook_seconds': restore_seconds,
            'keys_after': len(after), 'every_key_and_value_back': before == after,
            'written_after_backup_gone': '/restore-bench/after-backup' not in after,
        })
    finally:
        shutil.rmtree(work, ignore_errors=True)


def etcd_state(etcd):
    """Members, etcd PIDs and the benchmark's own keys (Kubernetes writes its keys all the time)."""
    pids = {h: ssh(h, 'systemctl show -p MainPID --value etcd').stdout.strip() for h in lab_hosts()['etcd']}
    return {'members': sorted((m['ID'], m.get('name', '')) for m in etcd.members()), 'pids': pids,
            'keys': etcd.dump('/refusals-bench/')}


def fingerprint(host):
    """Every file etcd and its role would touch on a host: path, size, mode, time."""
    return ssh(host, 'sudo find /etc/etcd /var/lib/etcd /usr/local/bin /etc/systemd/system -printf "%p %s %m %T@\\n" '
                     '2>/dev/null | sort | sha256sum', check=False).stdout


def refusals():
    work = Path(tempfile.mkdtemp(prefix='caas-ha-'))
    results = {}
    try:
        etcd = etcd_client(work)
        for seq in range(100):
            etcd.put(f'/refusals-bench/{seq:03d}', f'value-{seq}', timeout=5)
        before = etcd_state(etcd)

        even = inventory_variant(lambda c: move_host(c, SPARE, 'lab_spare', 'etcd'))
        output = playbook_output('site.yml', inventory=even, expect_failure=True)
        contacted = [line.split()[0] for line in output.split('PLAY RECAP', 1)[-1].splitlines() if ' : ok=' in line]
        results['even_member_count'] = {'message': refused_with(output, 'even number of etcd members'),
                                        'hosts_contacted': contacted}

        spare_before = fingerprint(SPARE)
        reused = inventory_variant(lambda c: (c['etcd']['hosts'].pop('etcd2'),
                                              move_host(c, SPARE, 'lab_spare', 'etcd', caas_node_name='etcd2')))
        output = playbook_output('16_etcd.yml', inventory=reused, expect_failure=True)
        results['reused_member_name'] = {'message': refused_with(output, 'etcd member name etcd2 is reused'),
                                         'spare_untouched': spare_before == fingerprint(SPARE)}

        good = next((LAB_DIR / 'backups' / 'etcd').glob('etcd-backup-*.db'), None)
        if good is None:
            playbook('etcd_backup.yml', '-e', f'etcd_backup_fetch_dir={LAB_DIR / "backups" / "etcd"}')
            good = next((LAB_DIR / 'backups' / 'etcd').glob('etcd-backup-*.db'))
        corrupted = work / 'corrupted.db'
        data = bytearray(good.read_bytes())
        data[len(data) // 2] ^= 0xFF
        corrupted.write_bytes(bytes(data))
        output = playbook_output('etcd_restore.yml', '-e', f'etcd_restore_snapshot={corrupted}',
                                 '-e', 'etcd_restore_confirm=lab', expect_failure=True)
        results['corrupted_snapshot'] = {'message': refused_with(output, 'no member was stopped')}

        after = etcd_state(etcd)
        results['nothing_changed'] = {'members': before['members'] == after['members'],
                                      'etcd_pids': before['pids'] == after['pids'],
                                      'keys': before['keys'] == after['keys']}
        for variant in (even, reused):
            shutil.rmtree(variant)
        save('refusals', results)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def vip_holder(vip, group, dead=None):
    """The host of `group` that holds the VIP; a killed host (`dead`) is not asked."""
    for host in lab_hosts()[group]:
        if host != dead and f' {vip}/' in ssh(host, 'ip -o -4 addr show', check=False).stdout:
            return host
    return None


def vip_failover(group, runs=2, observe=15):
    """Kills the host of `group` that holds the API VIP, `runs` times (each brought back by scripts/lab up): the
    longest gap between successful TCP connects to the VIP that ends after the kill, watched for `observe` seconds
    (longer than the time the VIP may take to move)."""
    settings = yaml.safe_load((INVENTORY / 'group_vars' / 'all' / 'cluster.yml').read_text())
    target, port = settings['caas_api_vip'], settings['caas_api_port']
    results = []
    for _run in range(runs):
        holder = vip_holder(target, group)
        if holder is None:
            raise SystemExit(f'no host of the {group} group holds the VIP {target}')
        oks, stop = [], threading.Event()

        def probe():
            while not stop.is_set():
                try:
                    with socket.create_connection((target, port), timeout=0.3):
                        oks.append(time.time())
                except OSError:
                    pass
                time.sleep(0.05)

        thread = threading.Thread(target=probe, daemon=True)
        thread.start()
        time.sleep(3)
        killed_at = time.time()
        sh('podman', 'kill', f'{PREFIX}-{holder}')
        time.sleep(observe)
        stop.set()
        thread.join()
        gaps = [b - a for a, b in zip(oks, oks[1:]) if b >= killed_at]
        new_holder = vip_holder(target, group, dead=holder)
        results.append({'killed': holder, 'vip_moved_to': new_holder, 'connects_after_kill': len(gaps),
                        'gap_seconds': round(max(gaps), 2) if gaps else None})
        sh(str(REPO / 'scripts' / 'lab'), 'up')
        time.sleep(20 if group == 'control_plane' else 5)   # a control-plane host takes its static pods back
    return {'vip': f'{target}:{port}', 'probe': 'TCP connect every 50 ms, 0.3 s timeout', 'runs': results}


def vip():
    save('vip', {'held_by': 'keepalived on the lb hosts (haproxy_keepalived)', **vip_failover('lb')})


def kube_vip():
    """caas_api_lb_mode kube_vip on a lab built from nothing: the lab inventory without its lb hosts, site.yml, then
    the `vip` probe killing the control-plane host that holds the VIP. Replaces the running lab (scripts/lab down
    first); leaves it in kube_vip mode: `scripts/lab down && scripts/lab main` brings the usual lab back."""
    def without_lb(children):
        children['lb']['hosts'] = {}
    inventory = inventory_variant(without_lb)
    try:
        lab = str(REPO / 'scripts' / 'lab')
        for step in ('down', 'up', 'pki'):
            subprocess.run([lab, step], check=True, env=ENV)
        mode = ('-e', 'caas_api_lb_mode=kube_vip')
        # The first run at -vvv: benchmarks/secrets.py searches its output for every secret it handled.
        log = LAB_DIR / 'logs' / 'site-kube-vip-vvv.log'
        first = playbook_to_log('site.yml', log, '-vvv', *mode, inventory=inventory)
        second, output = playbook('site.yml', *mode, inventory=inventory)
        changed = re.findall(r'^(\S+)\s+: ok=\d+\s+changed=([1-9]\d*)', output.split('PLAY RECAP', 1)[1], re.M)
        if changed:
            raise SystemExit(f'the second site run changed: {changed}')
        secret_hits = subprocess.run([str(VENV / 'python'), str(REPO / 'benchmarks' / 'secrets.py'), 'grep', str(log)],
                                     env=ENV, check=False).returncode
        holder = vip_holder(yaml.safe_load((INVENTORY / 'group_vars' / 'all' / 'cluster.yml').read_text())
                            ['caas_api_vip'], 'control_plane')
        lease = ssh(holder, 'sudo kubectl --kubeconfig /etc/kubernetes/admin.conf -n kube-system get lease '
                    'plndr-cp-lock -o jsonpath={.spec.holderIdentity}').stdout.strip()
        result = {'held_by': 'kube-vip on the control-plane hosts (kube_vip), Lease plndr-cp-lock',
                  'site_seconds': {'first_at_vvv': first, 'second_changed_0': second},
                  'secret_search_of_the_first_run': 'no hit' if secret_hits == 0 else 'HITS',
                  'lease_holder_before': lease,
                  # The Lease is 15 s (control_plane_kube_vip_lease_duration): watched well beyond it.
                  **vip_failover('control_plane', observe=45)}
    finally:
        shutil.rmtree(inventory, ignore_errors=True)
    keepalived = RESULTS / 'ha_base_vip.json'
    if keepalived.is_file():
        result['keepalived_gaps_same_probe'] = [r['gap_seconds'] for r in json.loads(keepalived.read_text())['runs']]
    save('kube_vip', result)
    if secret_hits:
        raise SystemExit(f'a secret is in the output of the first site run ({log}): benchmarks/results/secrets_grep.json')


COMMANDS = {'etcd-member-loss': etcd_member_loss, 'lab-back': lab_back, 'etcd-restore': etcd_restore,
            'refusals': refusals, 'vip': vip, 'kube-vip': kube_vip}

if __name__ == '__main__':
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        raise SystemExit(__doc__)
    COMMANDS[sys.argv[1]]()
