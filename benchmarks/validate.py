# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the site's validation costs and covers, on the controller only (no host is contacted).

- the wall time of playbooks/00_validate.yml on an inventory (default inventories/example), run several
  times: the whole ansible-playbook process, and the validate task alone (Ansible's own timing callback);
- the bad-inventory corpus (tests/inventories/bad) counted by class.

Writes benchmarks/results/validate.json. Run it with the repository's venv:
  .venv/bin/python benchmarks/validate.py [--inventory inventories/example] [--runs 5]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / 'benchmarks' / 'results'


def one_run(inventory: Path) -> tuple[float, float]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_CALLBACKS_ENABLED='ansible.posix.profile_tasks')
    started = time.monotonic()
    result = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '-i', str(inventory),
                             str(REPO / 'playbooks' / '00_validate.yml')],
                            cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if result.returncode != 0 or 'Inventory accepted' not in result.stdout:
        raise SystemExit(f'{inventory} was not accepted:\n{result.stdout[-2000:]}{result.stderr[-2000:]}')
    # profile_tasks: "Check the inventory against the contract (docs/inventory.md) ---- 0.61s"
    match = re.search(r'^Check the inventory against the contract.*?(\d+\.\d+)s\s*$', result.stdout, re.MULTILINE)
    return wall, float(match.group(1)) if match else float('nan')


def corpus_classes() -> dict[str, int]:
    counts: collections.Counter[str] = collections.Counter()
    for path in sorted((REPO / 'tests' / 'inventories' / 'bad').glob('*.yml')):
        match = re.search(r'^# class: (.+)$', path.read_text(), re.MULTILINE)
        counts[match.group(1) if match else '(no class)'] += 1
    return dict(counts.most_common())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--inventory', type=Path, default=REPO / 'inventories' / 'example')
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()
    runs = [one_run(args.inventory.resolve()) for _attempt in range(args.runs)]
    walls, tasks = [r[0] for r in runs], [r[1] for r in runs]
    classes = corpus_classes()
    data = {
        'inventory': os.path.relpath(args.inventory.resolve(), REPO),
        'runs': args.runs,
        'ansible_playbook_wall_seconds': {'median': round(statistics.median(walls), 2), 'max': round(max(walls), 2)},
        'validate_task_seconds': {'median': round(statistics.median(tasks), 2), 'max': round(max(tasks), 2)},
        'corpus': {'total': sum(classes.values()), 'by_class': classes},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'validate.json').write_text(json.dumps(data, indent=2) + '\n')
    print(json.dumps(data, indent=2))


if __name__ == '__main__':
    main()
