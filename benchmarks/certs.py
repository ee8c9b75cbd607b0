# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Certificate renewal on the lab (playbooks/renew_certs.yml), with the API VIP asked throughout.

  certs.py    check mode with a 400-day window (everything of one year is due: lists it, changes nothing on the
              hosts), the real renewal with that window, a run with the default window (changed=0 everywhere), then
              the health report (benchmarks/health.py health-after-renew) all green

While the playbook runs, the controller asks the API VIP's /livez (anonymous) every 0.25 s: requests, failures and
the longest stretch without a 200 are reported. Not /readyz: a stopping API server fails its /readyz on purpose (that
is what tells haproxy to stop sending it connections) while it still serves every other request, so a /readyz that
lands on it in that second is a failed probe but no client's failed request. Not /version either: anonymous requests
reach only the health paths and cluster-info (control_plane_anonymous_paths, CIS 1.2.1), so every /version was a
401 (the suite of 2026-12-06: 2347 of 2347 failed). Writes benchmarks/results/renew_certs.json; exits 1 when a step fails.
"""

from __future__ import annotations

import json
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ha_base import INVENTORY, RESULTS, VENV, playbook  # noqa: E402  (the lab helpers)
from node_layer import recap  # noqa: E402

WINDOW = 400


class Probe(threading.Thread):
    """Asks https://VIP:port/livez until stopped; counts answers other than 200 and the longest gap between 200s."""

    def __init__(self, url):
        super().__init__(daemon=True)
        self.url, self.stopped = url, threading.Event()
        self.requests = self.failed = 0
        self.longest_gap = 0.0
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE   # the lab CA is on the hosts; the answer's code is what counts

    def run(self):
        last_ok = time.monotonic()
        while not self.stopped.is_set():
            self.requests += 1
            try:
                with urllib.request.urlopen(self.url, context=self.context, timeout=2) as answer:
                    ok = answer.status == 200
            except OSError:
                ok = False
            now = time.monotonic()
            if ok:
                self.longest_gap = max(self.longest_gap, now - last_ok)
                last_ok = now
            else:
                self.failed += 1
            self.stopped.wait(0.25)

    def result(self):
        return {'requests': self.requests, 'failed': self.failed, 'longest_gap_seconds': round(self.longest_gap, 2)}


def renewals(output):
    return re.findall(r'"msg": "(cp\d+: [^"]*)"', output)


def recap_changed(output):
    return {host: counts['changed'] for host, counts in recap(output).items()}


def main():
    cluster = yaml.safe_load((INVENTORY / 'group_vars' / 'all' / 'cluster.yml').read_text())
    url = f'https://{cluster["caas_api_vip"]}:{cluster["caas_api_port"]}/livez'
    result = {'taken': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()), 'window_days': WINDOW}

    seconds, output = playbook('renew_certs.yml', '--check', '-e', f'caas_cert_renew_days={WINDOW}')
    result['check'] = {'seconds': seconds, 'would_renew': renewals(output)}

    probe = Probe(url)
    probe.start()
    try:
        seconds, output = playbook('renew_certs.yml', '-e', f'caas_cert_renew_days={WINDOW}')
    finally:
        probe.stopped.set()
        probe.join()
    result['renew'] = {'seconds': seconds, 'renewed': renewals(output), 'changed': recap_changed(output),
                       'api_vip_probe': probe.result()}

    seconds, output = playbook('renew_certs.yml')
    changed = recap_changed(output)
    result['again_default_window'] = {'seconds': seconds, 'renewed': renewals(output), 'changed': changed}

    health = subprocess.run([str(VENV / 'python'), str(Path(__file__).with_name('health.py')), 'health-after-renew'],
                            capture_output=True, text=True, check=False)
    result['health_after'] = (health.stdout + health.stderr).strip()[-500:]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'renew_certs.json').write_text(json.dumps(result, indent=2) + '\n')
    print(json.dumps(result, indent=2))
    if any(changed.values()) or health.returncode != 0 or probe.failed:
        raise SystemExit('renewal: a second run changed something, the API VIP failed requests, or the health report '
                         'is not green (benchmarks/results/renew_certs.json)')


if __name__ == '__main__':
    main()
