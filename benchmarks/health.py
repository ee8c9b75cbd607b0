# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health report on the lab: playbooks/health.yml timed (the target is under 60 s), every problem it finds, then
the HTML page opened in headless Chromium (docs/docsite/browser_check.py --health: the green verdict, the sections, a
Ready node), with a screenshot. Writes benchmarks/results/health.json; exits 1 when the lab is not all green.

  health.py [NAME]     NAME (default "health") names the result and the report directory, e.g. health-after-ha
  health.py faults     injects two faults (worker1 cordoned, lb2 frozen with podman pause: unreachable), checks the
                       report names exactly those two with health_fail_on_problems failing the run, then undoes both
                       and checks the report is green again (benchmarks/results/health_faults.json)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ha_base import INVENTORY, LAB_DIR, PREFIX, REPO, RESULTS, VENV, playbook, sh, ssh  # noqa: E402  (the lab helpers)

KUBECTL = 'sudo /usr/local/bin/kubectl --kubeconfig /etc/kubernetes/admin.conf'


def faults():
    report_dir = LAB_DIR / 'health-faults'
    ssh('cp1', f'{KUBECTL} cordon worker1')
    sh('podman', 'pause', f'{PREFIX}-lb2')
    try:
        seconds = playbook('health.yml', '-e', f'health_report_dir={report_dir}', '-e', 'health_fail_on_problems=true',
                           expect_failure=True)[0]
    finally:
        sh('podman', 'unpause', f'{PREFIX}-lb2')
        ssh('cp1', f'{KUBECTL} uncordon worker1')
    markdown = (report_dir / 'health.md').read_text()
    found = sorted(line for line in markdown.splitlines() if line.startswith('- **'))
    wanted = ['- **hosts, lb2**: unreachable', '- **nodes, worker1**: cordoned (unschedulable)']
    missing = [w for w in wanted if not any(line.startswith(w) for line in found)]
    result = {'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'faulty_run_seconds': seconds,
              'problems': found, 'missing': missing}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'health_faults.json').write_text(json.dumps(result, indent=2) + '\n')
    print(f'faulty run {seconds} s, problems: {found}')
    if missing or len(found) != len(wanted):
        raise SystemExit(f'the report did not name exactly the faults injected: {found}')
    report('health-after-faults')


def main():
    if sys.argv[1:] == ['faults']:
        faults()
        return
    report(sys.argv[1] if len(sys.argv) > 1 else 'health')


def report(name, inventory=INVENTORY):
    report_dir = LAB_DIR / name
    seconds, output = playbook('health.yml', '-e', f'health_report_dir={report_dir}', inventory=inventory)
    verdict = re.search(r'"msg": "(healthy|\d+ problem\(s\))[^"]*"', output)
    shot = report_dir / 'health.png'
    check = subprocess.run([str(VENV / 'python'), str(REPO / 'docs/docsite/browser_check.py'), '--health',
                            str(report_dir / 'health.html'), str(shot)], capture_output=True, text=True, check=False)
    result = {'name': name, 'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'playbook_seconds': seconds,
              'verdict': verdict.group(1) if verdict else None, 'report': str(report_dir / 'health.html'),
              'markdown': (report_dir / 'health.md').read_text() if (report_dir / 'health.md').exists() else None,
              'browser_check': (check.stdout + check.stderr).strip(), 'screenshot': str(shot)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f'{name}.json').write_text(json.dumps(result, indent=2) + '\n')
    print(f'health.yml: {seconds} s, {result["verdict"]}; {result["browser_check"]}')
    if result['verdict'] != 'healthy' or check.returncode != 0:
        sys.stderr.write(output[-6000:])
        raise SystemExit(f'{name}: not all green (see {report_dir}/health.md)')


if __name__ == '__main__':
    main()
