# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stacked etcd on the lab (docs/lifecycle.md): the lab's hosts built with caas_etcd_topology stacked (the etcd
hosts out of the cluster, no storage), then a lost control-plane host and a lost quorum, each followed by the
health report (all green). Run after `scripts/lab build && scripts/lab up && scripts/lab pki`, not beside the
external-etcd lab (the same hosts).

  stacked.py site      site.yml with the stacked variant, the CIS scan and a backup (etcd_backup.yml)
  stacked.py replace   cp3 destroyed for good (container and volume removed, a new one from `scripts/lab up`);
                       restore_control_plane.yml refused while the quorum holds; replace_control_plane.yml removes
                       cp3's member through cp1 and joins the new host
  stacked.py restore   a ConfigMap written before a backup and one after it; cp2 and cp3 destroyed (the quorum of
                       three is lost); the refusals; restore_control_plane.yml from the backup on cp1: the first
                       ConfigMap is there, the second is not, three members and every node Ready again
  stacked.py drain     cp3's place in the control plane moved to cp4 (the inventory lists cp1, cp2, cp4: the
                       contract refuses an even number of stacked members) and worker4 added: scale.yml adds cp4 (a
                       fourth member for a while) and worker4; a Deployment pinned to worker4 with a
                       PodDisruptionBudget that allows no disruption; remove_node.yml fails within its drain timeout,
                       naming the pod, and leaves worker4 uncordoned with the pod running; the budget deleted,
                       remove_node.yml removes worker4; then cp3, its live member removed through cp1
  stacked.py all       the four in order

Writes benchmarks/results/lifecycle_stacked_<step>.json; exits 1 when a step does not do what it should.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ha_base import LAB_DIR, inventory_variant, playbook, refused_with, run_steps, ssh  # noqa: E402
from health import KUBECTL, report  # noqa: E402
from lifecycle import counts, destroy, lab_up, save, wait_for  # noqa: E402

CLUSTER = 'lab'
BACKUPS = LAB_DIR / 'stacked-backups'
ETCDCTL = ('sudo /usr/local/bin/etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt '
           '--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key')


def stacked_inventory(workers=(), control_plane=(), out_of_control_plane=(), host_vars=None, all_vars=None):
    """The lab inventory with stacked etcd: the etcd hosts spare, no storage groups; spare hosts also in workers or
    control_plane (with host_vars[host] over their own); control-plane hosts moved to the spare ones; all_vars over
    the group all's."""
    def edit(children):
        children['lab_spare']['hosts'].update(children.pop('etcd')['hosts'])
        for group in ('storage', 'lab_storage_spare'):
            children.pop(group, None)
        for host in workers:
            children['workers']['hosts'][host] = dict(children['lab_spare']['hosts'][host])
        for host in control_plane:
            # Out of lab_spare: a host's variables under two groups merge, the later group's winning.
            children['control_plane']['hosts'][host] = dict(children['lab_spare']['hosts'].pop(host),
                                                            **(host_vars or {}).get(host, {}))
        for host in out_of_control_plane:
            children['lab_spare']['hosts'][host] = children['control_plane']['hosts'].pop(host)
    return inventory_variant(edit, all_vars={'caas_etcd_topology': 'stacked', **(all_vars or {})})


INVENTORY = stacked_inventory()
# A Deployment pinned to worker4 and a budget that allows no disruption of it.
BLOCKER = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: caas-drain-blocker, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: caas-drain-blocker}}
  template:
    metadata: {labels: {app: caas-drain-blocker}}
    spec:
      nodeSelector: {kubernetes.io/hostname: worker4}
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, runAsUser: 65534, seccompProfile: {type: RuntimeDefault}}
      containers:
        - name: pause
          image: registry.k8s.io/pause:3.10.2
          securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: caas-drain-blocker, namespace: default}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: caas-drain-blocker}}
"""


def kubectl(command, check=True):
    return ssh('cp1', f'{KUBECTL} {command}', check=check)


def members():
    return ssh('cp1', f'{ETCDCTL} member list -w table').stdout.splitlines()


def newest_backup():
    return max(BACKUPS.glob('etcd-backup-*.db'), key=lambda p: p.stat().st_mtime)


def backup():
    seconds = playbook('etcd_backup.yml', '-e', f'etcd_backup_fetch_dir={BACKUPS}/', inventory=INVENTORY)[0]
    return seconds, newest_backup()


def scan(hosts, inventory=None):
    playbook('cis_scan.yml', *(['--limit', ','.join(hosts)] if hosts else []),
             '-e', f'cis_scan_results_dir={LAB_DIR}/cis-scan', inventory=inventory or INVENTORY)


def step_site():
    result = {'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}
    seconds, output = playbook('site.yml', inventory=INVENTORY)
    result['site'] = {'seconds': seconds, 'task_results': counts(output)}
    scan([])
    result['backup_seconds'], snapshot = backup()
    result['backup'] = snapshot.name
    result['members'] = members()
    result['etcd_pods'] = kubectl('get pods -n kube-system -l component=etcd -o wide --no-headers').stdout.splitlines()
    save('stacked_site', result)
    if len(result['etcd_pods']) != 3:
        raise SystemExit('three stacked etcd pods expected')
    report('stacked-health-after-site', inventory=INVENTORY)


def step_replace():
    result = {'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'members_before': members()}
    destroy('cp3')
    result['not_ready_after_seconds'] = wait_for(
        'cp3 NotReady', lambda: 'NotReady' in kubectl('get node cp3 --no-headers').stdout)
    lab_up()
    snapshot = newest_backup()
    output = playbook('restore_control_plane.yml', '-e', f'restore_snapshot={snapshot}', '-e',
                      f'restore_confirm={CLUSTER}', inventory=INVENTORY, expect_failure=True)[1]
    result['refused_restore_with_quorum'] = refused_with(output, 'holds its quorum')
    seconds, output = playbook('replace_control_plane.yml', '-e', 'replace_node=cp3', inventory=INVENTORY)
    result['replace'] = {'seconds': seconds, 'task_results': counts(output)}
    result['members_after'] = members()
    scan(['cp3'])
    result['nodes_after'] = kubectl('get nodes -o wide').stdout.splitlines()
    save('stacked_replace', result)
    if not result['refused_restore_with_quorum'] or len([m for m in result['members_after'] if 'started' in m]) != 3:
        raise SystemExit('the restore should have been refused, and three members started after the replacement')
    report('stacked-health-after-replace', inventory=INVENTORY)


def step_restore():
    result = {'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}
    kubectl('create configmap caas-written-before-backup -n default --from-literal=at=before')
    result['backup_seconds'], snapshot = backup()
    kubectl('create configmap caas-written-after-backup -n default --from-literal=at=after')
    destroy('cp2', 'cp3')
    lost = time.monotonic()
    result['api_failing_after_seconds'] = wait_for(
        'the API failing', lambda: kubectl('get --raw /readyz --request-timeout=5s', check=False).returncode != 0)
    lab_up()
    output = playbook('replace_control_plane.yml', '-e', 'replace_node=cp3', inventory=INVENTORY,
                      expect_failure=True)[1]
    result['refused_replace_without_quorum'] = refused_with(output, 'did not read the cluster')
    output = playbook('restore_control_plane.yml', '-e', f'restore_snapshot={snapshot}', inventory=INVENTORY,
                      expect_failure=True)[1]
    result['refused_restore_unconfirmed'] = refused_with(output, 'restore_confirm is')
    seconds, output = playbook('restore_control_plane.yml', '-e', 'restore_host=cp1', '-e', f'restore_snapshot={snapshot}',
                               '-e', f'restore_confirm={CLUSTER}', inventory=INVENTORY)
    result['restore'] = {'seconds': seconds, 'task_results': counts(output), 'snapshot': snapshot.name}
    result['quorum_lost_to_restored_seconds'] = round(time.monotonic() - lost, 1)
    result['configmaps_after'] = kubectl('get configmap -n default -o name').stdout.split()
    result['members_after'] = members()
    result['nodes_after'] = kubectl('get nodes -o wide').stdout.splitlines()
    scan(['cp2', 'cp3'])
    save('stacked_restore', result)
    if ('configmap/caas-written-before-backup' not in result['configmaps_after']
            or 'configmap/caas-written-after-backup' in result['configmaps_after']
            or len([m for m in result['members_after'] if 'started' in m]) != 3
            or not result['refused_restore_unconfirmed'] or not result['refused_replace_without_quorum']):
        raise SystemExit('the restore should hold the snapshot\'s state and three members, after both refusals')
    kubectl('delete configmap -n default caas-written-before-backup')
    report('stacked-health-after-restore', inventory=INVENTORY)


def step_drain():
    result = {'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}
    # cp4 takes cp3's zone: the contract wants the control plane over three zones.
    zone = {'cp4': {'caas_zone': 'zone-c', 'caas_rack': 'c06'}}
    moved = stacked_inventory(control_plane=['cp4'], out_of_control_plane=['cp3'], host_vars=zone)
    seconds = playbook('scale.yml', inventory=stacked_inventory(workers=['worker4'], control_plane=['cp4'],
                                                                out_of_control_plane=['cp3'], host_vars=zone))[0]
    result['add_worker4_and_cp4_seconds'] = seconds
    result['members_with_cp4'] = members()
    ssh('cp1', f"{KUBECTL} apply -f - <<'EOF'\n{BLOCKER}\nEOF")
    kubectl('rollout status deployment/caas-drain-blocker -n default --timeout=180s')
    seconds, output = playbook('remove_node.yml', '-e', 'remove_node=worker4', '-e', 'remove_node_drain_timeout=30',
                               inventory=moved, expect_failure=True)
    result['blocked_drain'] = {'seconds': seconds, 'refusal': refused_with(output, 'did not finish within')}
    result['worker4_after_blocked_drain'] = kubectl(
        "get node worker4 -o jsonpath='{.spec.unschedulable} {.status.conditions[?(@.type==\"Ready\")].status}'").stdout
    result['blocker_pod_after'] = kubectl('get pods -n default -l app=caas-drain-blocker -o wide --no-headers').stdout.strip()
    kubectl('delete pdb -n default caas-drain-blocker')
    seconds, output = playbook('remove_node.yml', '-e', 'remove_node=worker4', inventory=moved)
    result['remove_without_budget'] = {'seconds': seconds, 'task_results': counts(output)}
    kubectl('delete deployment -n default caas-drain-blocker')
    seconds, output = playbook('remove_node.yml', '-e', 'remove_node=cp3', inventory=moved)
    result['remove_cp3'] = {'seconds': seconds, 'task_results': counts(output)}
    result['members_after'] = members()
    result['nodes_after'] = kubectl('get nodes -o name').stdout.split()
    scan(['cp4'], inventory=moved)
    save('stacked_drain', result)
    if (not result['blocked_drain']['refusal'] or 'caas-drain-blocker' not in result['blocked_drain']['refusal']
            or result['worker4_after_blocked_drain'].strip() != 'True' or 'Running' not in result['blocker_pod_after']
            or {'node/worker4', 'node/cp3'} & set(result['nodes_after'])
            or len([m for m in result['members_with_cp4'] if 'started' in m]) != 4
            or len([m for m in result['members_after'] if 'started' in m]) != 3
            or any(' cp3 ' in m for m in result['members_after'])):
        raise SystemExit('the drain should have stopped on the budget, worker4 uncordoned and Ready, then worker4 and '
                         'cp3 removed, cp3\'s member with it')
    report('stacked-health-after-drain', inventory=moved)


if __name__ == '__main__':
    run_steps({'site': step_site, 'replace': step_replace, 'restore': step_restore, 'drain': step_drain}, sys.argv[1:],
              __doc__)
