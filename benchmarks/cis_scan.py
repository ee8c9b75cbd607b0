# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The CIS Kubernetes Benchmark (kube-bench, cis-1.12) on the lab: playbooks/cis_scan.yml on every control-plane,
worker and etcd host, then PASS/FAIL/WARN/INFO per host and per section, and every check that is not a PASS with
its id and title (docs/kubernetes.md explains each one).

  cis_scan.py            run the scan on the lab and write benchmarks/results/cis_scan.json
  cis_scan.py DIR        summarise reports already in DIR (one <host>.json per host)

Exits 1 when any automated check FAILs.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ha_base import RESULTS, playbook  # noqa: E402  (the lab helpers)

STATUSES = ('PASS', 'FAIL', 'WARN', 'INFO')


def summarise(reports_dir):
    hosts, not_passed = {}, {}
    for report in sorted(Path(reports_dir).glob('*.json')):
        host, sections = report.stem, {}
        for control in json.loads(report.read_text())['Controls']:
            for group in control['tests']:
                counts = Counter(result['status'] for result in group['results'])
                sections[f"{group['section']} {group['desc']}"] = {s: counts.get(s, 0) for s in STATUSES}
                for result in group['results']:
                    if result['status'] != 'PASS':
                        entry = not_passed.setdefault(result['test_number'], {
                            'title': result['test_desc'], 'status': result['status'],
                            'automated': result.get('type', '') != 'manual' and '(Manual)' not in result['test_desc'],
                            'hosts': []})
                        entry['hosts'].append(host)
        hosts[host] = {'sections': sections,
                       'totals': {s: sum(v[s] for v in sections.values()) for s in STATUSES}}
    return hosts, dict(sorted(not_passed.items(), key=lambda kv: [int(p) for p in kv[0].split('.')]))


def main():
    if len(sys.argv) > 2:
        raise SystemExit(__doc__)
    seconds = None
    if len(sys.argv) == 2:
        reports = Path(sys.argv[1])
    else:
        reports = Path(tempfile.mkdtemp(prefix='caas-cis-'))
        seconds = playbook('cis_scan.yml', '-e', f'cis_scan_results_dir={reports}')[0]
    hosts, not_passed = summarise(reports)
    fails = {test: entry for test, entry in not_passed.items() if entry['status'] == 'FAIL'}
    result = {'benchmark': 'cis-1.12', 'scanner': 'kube-bench', 'scan_playbook_seconds': seconds,
              'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
              'totals': {host: data['totals'] for host, data in hosts.items()},
              'hosts': hosts, 'not_passed': not_passed, 'fail': sorted(fails)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'cis_scan.json').write_text(json.dumps(result, indent=2, sort_keys=True) + '\n')
    for host, data in hosts.items():
        print(f'{host:10} ' + ' '.join(f'{s}={data["totals"][s]}' for s in STATUSES))
    for test, entry in not_passed.items():
        kind = 'automated' if entry['automated'] else 'manual'
        print(f'{entry["status"]:4} {test:7} {kind:9} {entry["title"][:90]} ({len(entry["hosts"])} hosts)')
    if fails:
        raise SystemExit(f'FAIL: {", ".join(fails)}')


if __name__ == '__main__':
    main()
