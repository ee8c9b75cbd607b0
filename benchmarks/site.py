# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cost of playbooks/site.yml on the lab: a first run on fresh hosts and the no-op re-run operators do most.

For each run: the wall time, each layer's (playbook's) wall time, the task results per host (ok, changed, skipped),
the controller's CPU seconds (ansible-playbook and its ssh clients, not the hosts'), that CPU per host, and a
profile: the slowest tasks, the time per module, each host's results per role and every result of the busiest host.
The ratio re-run/first is the figure of issue 16 (target 0.2); each run records the machine's load average when it
starts, so that runs on a busier machine are told apart.

  .venv/bin/python benchmarks/site.py            fresh hosts (scripts/lab down, up, pki), then site.yml twice, and
                                                 once more after --settle seconds (default 600): the re-run right
                                                 after the first shares the 2 cores with Ceph and Harbor settling
  .venv/bin/python benchmarks/site.py --rerun    site.yml once more on the running lab (a profile of the no-op path)
  .venv/bin/python benchmarks/site.py --without-storage
                                                 the same with the lab's inventory less its storage group: no Ceph
                                                 loads the 2 cores, as in the measurements before the storage layer

Needs the lab's artifacts built (scripts/lab build). Writes benchmarks/results/site.json (site_rerun.json with
--rerun, site_without_storage.json with --without-storage) after each run, so a run that fails keeps the ones before.
Never run it beside another lab or a molecule scenario: the 2 cores are the measurement.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / 'benchmarks' / 'results'
LAB = REPO / 'scripts' / 'lab'


def run_site(label: str, inventory: Path | None = None) -> dict:
    """One site.yml run on the lab, with the site_profile callback; its figures."""
    with tempfile.NamedTemporaryFile(suffix='.json') as profile:
        env = dict(os.environ, ANSIBLE_NOCOLOR='1', CAAS_SITE_PROFILE=profile.name,
                   ANSIBLE_CALLBACK_PLUGINS=str(REPO / 'benchmarks' / 'callback_plugins'),
                   ANSIBLE_CALLBACKS_ENABLED='ansible.builtin.timer,site_profile')
        if inventory is not None:
            env['CAAS_LAB_INVENTORY'] = str(inventory)
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        result = subprocess.run([str(LAB), 'site'], cwd=REPO, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            sys.stderr.write(result.stdout[-6000:] + result.stderr[-3000:])
            raise SystemExit(f'{label}: site.yml failed (rc {result.returncode})')
        data = json.loads(Path(profile.name).read_text())
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    hosts = data['hosts']
    by_action: dict[str, float] = collections.Counter()
    for task in data['tasks']:
        by_action[task['action']] += task['seconds']
    busiest = max(hosts, key=lambda host: hosts[host]['total'])
    return {
        'wall_seconds': round(wall, 1),
        'load_average_at_start': round(load, 1),
        'layers_seconds': {name: round(layer['seconds'], 1) for name, layer in data['layers'].items()},
        'task_results_per_host': dict(hosts),
        'task_results_per_host_by_role': data['by_role'],
        'max_task_results_per_host': hosts[busiest]['total'],
        # Where the next cut is: every result of the busiest host, in the order of the run.
        'results_of_busiest_host': {'host': busiest, 'results': [
            f"{task['by_host'][busiest]}: {task['layer']} {task['role']}: {task['name']}"
            for task in sorted(data['tasks'], key=lambda task: task['order']) if busiest in task['by_host']]},
        'changed': sum(counts.get('changed', 0) for counts in hosts.values()),
        'controller_cpu_seconds': round(cpu, 1),
        'controller_cpu_seconds_per_host': round(cpu / len(hosts), 2),
        'slowest_tasks': [{key: task[key] for key in ('seconds', 'layer', 'name', 'results')}
                          for task in data['tasks'][:30]],
        'seconds_by_module': {action: round(seconds, 1) for action, seconds in
                              sorted(by_action.items(), key=lambda item: item[1], reverse=True)[:15]},
    }


def without_storage() -> Path:
    """The lab inventory less its storage group (and the spare storage host's group): the layer has no host."""
    sys.path.insert(0, str(REPO / 'benchmarks'))
    from ha_base import inventory_variant  # pylint: disable=import-outside-toplevel

    return inventory_variant(lambda children: [children.pop(group, None) for group in ('storage', 'lab_storage_spare')])


def summary(name: str, run: dict) -> str:
    return (f"{name}: {run['wall_seconds']} s, results/host max {run['max_task_results_per_host']}, "
            f"changed {run['changed']}, controller CPU {run['controller_cpu_seconds']} s "
            f"({run['controller_cpu_seconds_per_host']} s/host)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--rerun', action='store_true', help='one run on the running lab, no fresh hosts')
    parser.add_argument('--without-storage', action='store_true', help='the lab inventory less its storage group')
    parser.add_argument('--settle', type=int, default=600, metavar='SECONDS',
                        help='wait this long after the re-run, then run once more on the settled lab (0: no third run)')
    args = parser.parse_args()
    inventory = without_storage() if args.without_storage else None
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.rerun:
        out = RESULTS / 'site_rerun.json'
        data = {'rerun': run_site('re-run', inventory)}
    else:
        out = RESULTS / ('site_without_storage.json' if args.without_storage else 'site.json')
        for step in ('down', 'up', 'pki'):
            subprocess.run([str(LAB), step], cwd=REPO, check=True)
        # Written after each run: a later run that fails (it exits) keeps what the runs before it measured.
        data = {'first': run_site('first run', inventory)}
        out.write_text(json.dumps(data, indent=2) + '\n')
        data['rerun'] = run_site('re-run', inventory)
        data['ratio'] = round(data['rerun']['wall_seconds'] / data['first']['wall_seconds'], 3)
        out.write_text(json.dumps(data, indent=2) + '\n')
        if args.settle > 0:
            time.sleep(args.settle)
            data['settled_rerun'] = run_site('settled re-run', inventory)
            data['settled_ratio'] = round(data['settled_rerun']['wall_seconds'] / data['first']['wall_seconds'], 3)
    out.write_text(json.dumps(data, indent=2) + '\n')
    for name, run in data.items():
        if isinstance(run, dict):
            print(summary(name, run))
    if 'ratio' in data:
        print(f"ratio re-run/first: {data['ratio']} (target 0.2)")
    if 'settled_ratio' in data:
        print(f"ratio settled re-run/first: {data['settled_ratio']} (target 0.2)")


if __name__ == '__main__':
    main()
