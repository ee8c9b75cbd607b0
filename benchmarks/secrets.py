# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No secret in any output: site.yml at -vvv on fresh lab hosts, then its whole output searched for every secret the
run handled, read back from the hosts and the controller afterwards.

  .venv/bin/python benchmarks/secrets.py run         fresh hosts (scripts/lab down, up, pki), site.yml -vvv, search
  .venv/bin/python benchmarks/secrets.py grep LOG    search an existing log against the running lab's secrets

Searched for: the bootstrap tokens (kubeadm token list on the first control-plane node), the secretbox keys of the
encryption at rest, every private key on the control-plane nodes, the etcd members, the artifacts host and the lab's
PKI on the controller (each line of each key's base64 body), and the VRRP password. kubeadm's certificate key lives
only during the run: every 64-hex string of the log that is not a checksum or digest the lab publishes is listed for
review (unexplained_hex64). Writes benchmarks/results/secrets_grep.json; exits non-zero on any hit.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ha_base import LAB_DIR, REPO, RESULTS, ssh  # noqa: E402  pylint: disable=wrong-import-position

BUNDLE = Path('/var/cache/caas-lab/bundle')
VRRP_PASSWORD = LAB_DIR / 'secrets' / 'vrrp-password'
KEY_BODY = re.compile(r'-----BEGIN [A-Z ]*PRIVATE KEY-----\n(.*?)\n-----END', re.S)
HEX64 = re.compile(r'(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])')


def remote(host, command):
    return ssh(host, f'sudo sh -c {json.dumps(command)}').stdout


def key_lines(text):
    """Each base64 line of each private key in text (a key's lines are as secret as the key)."""
    return [line.strip() for body in KEY_BODY.findall(text) for line in body.splitlines() if len(line.strip()) >= 40]


def lab_secrets():
    listing, tokens, decoder, position = remote('cp1', 'kubeadm token list -o json --kubeconfig '
                                                '/etc/kubernetes/admin.conf'), [], json.JSONDecoder(), 0
    while listing[position:].strip():
        token, position = decoder.raw_decode(listing, len(listing) - len(listing[position:].lstrip()))
        tokens.append(token['token'])
    encryption = re.findall(r'secret:\s*"?([A-Za-z0-9+/=]{32,})', remote('cp1', 'cat /etc/kubernetes/apiserver/encryption.yaml'))
    keys = {
        'control plane (cp1 /etc/kubernetes/pki)': remote('cp1', 'cat /etc/kubernetes/pki/*.key /etc/kubernetes/pki/etcd/*.key 2>/dev/null; true'),
        'etcd member (etcd1 /etc/etcd/pki)': remote('etcd1', 'cat /etc/etcd/pki/*.key 2>/dev/null; true'),
        'artifacts host TLS (controller)': (LAB_DIR / 'pki' / 'artifacts1.key').read_text(),
        'lab CA (controller)': (LAB_DIR / 'pki' / 'lab-ca.key').read_text(),
    }
    return {
        'bootstrap token': tokens,
        'encryption key': encryption,
        'private key line': [line for text in keys.values() for line in key_lines(text)],
        # Made by the first haproxy_keepalived run of the lab (none in kube_vip mode).
        'VRRP password': [VRRP_PASSWORD.read_text().strip()] if VRRP_PASSWORD.is_file() else [],
    }, list(keys)


def published_hex64():
    """64-hex strings the lab publishes: every checksum and digest of its bundle's manifest and files, and the CA pin."""
    known = set(HEX64.findall((BUNDLE / 'manifest.yml').read_text()))
    for path in (BUNDLE / 'files').rglob('*.sha256'):
        known.update(HEX64.findall(path.read_text()))
    return known


def search(log):
    text = log.read_text(errors='replace')
    secrets, key_sources = lab_secrets()
    hits = [{'kind': kind, 'at': text.index(secret)} for kind, values in secrets.items() for secret in values
            if secret and secret in text]
    known = published_hex64()
    unexplained = sorted(set(HEX64.findall(text)) - known)
    contexts = {value: text[max(0, text.index(value) - 120):text.index(value)].splitlines()[-1][-120:]
                for value in unexplained[:20]}
    data = {
        'log': str(log), 'log_bytes': len(text.encode()),
        'searched': {kind: len(values) for kind, values in secrets.items()},
        'private_keys_from': key_sources,
        'hits': hits,
        'unexplained_hex64': [{'value_prefix': value[:8], 'before': contexts.get(value, '')} for value in unexplained],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / 'secrets_grep.json').write_text(json.dumps(data, indent=2) + '\n')
    print(json.dumps({k: v for k, v in data.items() if k != 'unexplained_hex64'}, indent=2))
    print(f'unexplained 64-hex strings: {len(unexplained)} (listed in benchmarks/results/secrets_grep.json)')
    return 1 if hits else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == 'grep':
        return search(Path(sys.argv[2]))
    if sys.argv[1:] != ['run']:
        raise SystemExit(__doc__)
    lab = REPO / 'scripts' / 'lab'
    for step in ('down', 'up', 'pki'):
        subprocess.run([str(lab), step], cwd=REPO, check=True)
    log = LAB_DIR / 'logs' / 'site-vvv.log'
    with open(log, 'w', encoding='utf-8') as handle:
        subprocess.run([str(lab), 'site', '-vvv'], cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, check=True)
    return search(log)


if __name__ == '__main__':
    sys.exit(main())
