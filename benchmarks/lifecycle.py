# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The node lifecycle on the lab (docs/lifecycle.md), each step followed by the health report (all green).

  lifecycle.py scale     adds worker4 together with worker5, a host that does not exist (unreachable: it fails
                         alone), then cp4; per run the wall time and the task results of every host (the running
                         nodes other than the one joined through: none); the new nodes scanned (cis_scan.yml)
  lifecycle.py remove    refusals first (worker4 still in workers; reset.yml on a node), then removes worker4 and
                         cp4 (drain, delete, load balancers, reset: data moved aside); reset.yml on worker4 again
                         changes nothing
  lifecycle.py replace   destroys cp3 for good (its container and volume removed, a new one started by
                         `scripts/lab up`), waits for its node to be NotReady, replaces it
  lifecycle.py all       the three in order

The inventories are copies of the lab's with the spare hosts moved into their groups. Writes
benchmarks/results/lifecycle_<step>.json; exits 1 when a step does not do what it should.
"""

from __future__ import annotations

import collections
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ha_base import INVENTORY, LAB_DIR, PREFIX, REPO, RESULTS, inventory_variant, playbook, run_steps, sh, ssh  # noqa: E402
from health import KUBECTL, report  # noqa: E402
from node_layer import recap  # noqa: E402

MISSING = {'worker5': {'ansible_host': '10.250.0.39', 'caas_zone': 'zone-c', 'caas_rack': 'c05'}}


def variant(workers=(), control_plane=(), missing=()):
    """The lab inventory with spare hosts also in the workers or control_plane group (they stay in lab_spare), and
    hosts that do not exist."""
    def edit(children):
        spare = children['lab_spare']['hosts']
        for host in workers:
            children['workers']['hosts'][host] = dict(spare.get(host) or MISSING[host])
        for host in control_plane:
            children['control_plane']['hosts'][host] = dict(spare[host])
        for host in missing:
            spare[host] = MISSING[host]
    return inventory_variant(edit)


def counts(output):
    return {host: {k: c.get(k, 0) for k in ('ok', 'changed', 'skipped', 'failed', 'unreachable')}
            for host, c in recap(output).items() if host != 'localhost'}


def reset_reports(output):
    """The playbooks' one-line reports of what each reset did."""
    return re.findall(r'"msg": "(\S+: kubelet stopped [^"]*)"', output)


def save(step, result):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f'lifecycle_{step}.json').write_text(json.dumps(result, indent=2) + '\n')
    print(json.dumps(result, indent=2))


def kubectl(command):
    return ssh('cp1', f'{KUBECTL} {command}').stdout


def scan(inventory, hosts):
    playbook('cis_scan.yml', '--limit', ','.join(hosts), '-e', f'cis_scan_results_dir={LAB_DIR}/cis-scan',
             inventory=inventory)


def delegations(output):
    """target -> task results run on it for another host (the default callback's "[host -> target(address)]")."""
    return dict(collections.Counter(re.findall(r'\[[^\]\s]+ -> ([^\](\s]+)', output)))


def contacted(run, output, allowed):
    """The hosts a run reached (its recap's and its delegations' targets) that it should not have."""
    return sorted((set(run) | set(delegations(output))) - set(allowed) - {'localhost'})


def destroy(*hosts):
    """Lab hosts gone for good: their containers and containerd volumes removed."""
    for host in hosts:
        sh('podman', 'rm', '--force', f'{PREFIX}-{host}')
        sh('podman', 'volume', 'rm', '--force', f'{PREFIX}-{host}-containerd')


def lab_up():
    """New containers for the lab hosts that are not running (`scripts/lab up`)."""
    up = sh(str(REPO / 'scripts' / 'lab'), 'up', check=False, cwd=REPO)
    if up.returncode != 0:
        raise SystemExit(up.stderr[-3000:])


def wait_for(what, test, limit=300):
    """Seconds until test() holds, checked every 5 s; fails the benchmark after limit seconds."""
    started = time.monotonic()
    while not test():
        if time.monotonic() - started > limit:
            raise SystemExit(f'{what} did not happen within {limit} s')
        time.sleep(5)
    return round(time.monotonic() - started, 1)


def step_scale():
    result = {'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'nodes_before': len(kubectl('get nodes -o name').split())}
    inventory = variant(workers=['worker4', 'worker5'], missing=['worker5'])
    seconds, output = playbook('scale.yml', inventory=inventory, expect_failure=True)
    run = counts(output)
    result['add_worker'] = {'seconds': seconds, 'task_results': run, 'delegated_to': delegations(output),
                            'contacted_beyond_new_and_api_host': contacted(run, output, ['worker4', 'worker5', 'cp1'])}
    if run.get('worker5', {}).get('unreachable') != 1 or run['worker4']['failed'] or 'worker4' not in kubectl('get nodes -o name'):
        raise SystemExit(f'worker4 should have joined and worker5 failed alone: {run}')

    inventory = variant(workers=['worker4'], control_plane=['cp4'])
    seconds, output = playbook('scale.yml', inventory=inventory)
    run = counts(output)
    result['add_control_plane'] = {'seconds': seconds, 'task_results': run, 'delegated_to': delegations(output),
                                   'contacted_beyond_new_and_api_host': contacted(run, output,
                                                                                  ['cp4', 'cp1', 'lb1', 'lb2'])}
    seconds, output = playbook('scale.yml', inventory=inventory)
    result['again_nothing_to_add'] = {'seconds': seconds, 'task_results': counts(output)}
    scan(inventory, ['worker4', 'cp4'])
    result['nodes_after'] = kubectl('get nodes -o wide').splitlines()
    save('scale', result)
    if result['add_worker']['contacted_beyond_new_and_api_host'] or result['add_control_plane']['contacted_beyond_new_and_api_host']:
        raise SystemExit('a running node other than the one joined through took part in a scale run')
    report('health-after-scale', inventory=inventory)


def step_remove():
    result = {'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}
    both = variant(workers=['worker4'], control_plane=['cp4'])
    output = playbook('remove_node.yml', '-e', 'remove_node=worker4', inventory=both, expect_failure=True)[1]
    result['refused_still_in_workers'] = next(line.strip()[:600] for line in output.splitlines() if 'still in the group' in line)
    output = playbook('reset.yml', '-e', 'reset_hosts=worker1', inventory=both, expect_failure=True)[1]
    result['refused_reset_of_a_node'] = next(line.strip()[:600] for line in output.splitlines() if 'still registered' in line)

    cp_only = variant(control_plane=['cp4'])
    seconds, output = playbook('remove_node.yml', '-e', 'remove_node=worker4', inventory=cp_only)
    result['remove_worker'] = {'seconds': seconds, 'task_results': counts(output), 'reset': reset_reports(output)}
    seconds, output = playbook('remove_node.yml', '-e', 'remove_node=cp4')
    result['remove_control_plane'] = {'seconds': seconds, 'task_results': counts(output),
                                      'reset': reset_reports(output)}
    seconds, output = playbook('reset.yml', '-e', 'reset_hosts=worker4')
    result['reset_again'] = {'seconds': seconds, 'task_results': counts(output)}
    result['worker4_after'] = ssh('worker4', 'systemctl is-active kubelet; sudo nft list tables; '
                                  'sudo sh -c "ls -d /var/lib/caas/reset/*/etc/kubernetes /var/lib/caas/reset/*/etc/kubernetes/pki/*"',
                                  check=False).stdout.splitlines()
    result['nodes_after'] = kubectl('get nodes -o name').split()
    save('remove', result)
    if result['reset_again']['task_results']['worker4']['changed'] or {'node/worker4', 'node/cp4'} & set(result['nodes_after']):
        raise SystemExit('the nodes are still there, or a second reset changed something')
    report('health-after-remove')


def step_replace():
    result = {'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}
    destroy('cp3')
    result['not_ready_after_seconds'] = wait_for('cp3 NotReady', lambda: 'NotReady' in kubectl('get node cp3 --no-headers'))
    lab_up()
    seconds, output = playbook('replace_control_plane.yml', '-e', 'replace_node=cp3')
    result['replace'] = {'seconds': seconds, 'task_results': counts(output)}
    scan(INVENTORY, ['cp3'])
    result['nodes_after'] = kubectl('get nodes -o wide').splitlines()
    save('replace', result)
    report('health-after-replace')


if __name__ == '__main__':
    run_steps({'scale': step_scale, 'remove': step_remove, 'replace': step_replace}, sys.argv[1:], __doc__)
