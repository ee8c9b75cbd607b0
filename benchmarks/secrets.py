# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No secret in any output: site.yml at -vvv on fresh lab hosts, then its whole output searched for every secret the
run handled, read back from the hosts and the controller afterwards.

  .venv/bin/python benchmarks/secrets.py run         fresh hosts (scripts/lab down, up, pki), site.yml -vvv, search
  .venv/bin/python benchmarks/secrets.py grep LOG    search an existing log against the running lab's secrets
  .venv/bin/python benchmarks/secrets.py molecule    the molecule platform scenario: create, prepare and converge
                                                     at -vvv on fresh hosts, search, destroy

Searched for: the bootstrap tokens (kubeadm token list on the first control-plane node), the secretbox keys of the
encryption at rest, every private key on the control-plane nodes, the etcd members, the artifacts host and the lab's
PKI on the controller (each line of each key's base64 body), and the VRRP password. kubeadm's certificate key lives
only during the run: every 64-hex string of the log that is not a checksum or digest the lab publishes is listed for
review (unexplained_hex64). Writes benchmarks/results/secrets_grep.json (secrets_grep_molecule.json for the
scenario, whose cp1 runs stacked etcd and whose keys and bundle are in its ephemeral work directory); exits non-zero
on any hit.
"""

from __future__ import annotations

import json
import os
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


def in_container(name, command):
    return subprocess.run(['podman', 'exec', name, 'sh', '-c', command], check=True, capture_output=True,
                          text=True).stdout


def key_lines(text):
    """Each base64 line of each private key in text (a key's lines are as secret as the key)."""
    return [line.strip() for body in KEY_BODY.findall(text) for line in body.splitlines() if len(line.strip()) >= 40]


def cluster_secrets(read_cp):
    """The bootstrap tokens and the encryption-at-rest keys, read through read_cp(command) on the first control plane."""
    listing, tokens, decoder, position = read_cp('kubeadm token list -o json --kubeconfig '
                                                 '/etc/kubernetes/admin.conf'), [], json.JSONDecoder(), 0
    while listing[position:].strip():
        token, position = decoder.raw_decode(listing, len(listing) - len(listing[position:].lstrip()))
        tokens.append(token['token'])
    return tokens, re.findall(r'secret:\s*"?([A-Za-z0-9+/=]{32,})',
                              read_cp('cat /etc/kubernetes/apiserver/encryption.yaml'))


def lab_secrets():
    tokens, encryption = cluster_secrets(lambda command: remote('cp1', command))
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


def molecule_secrets(work):
    """The platform scenario's: cp1 holds the cluster and stacked etcd keys, workers the kubelets'."""
    tokens, encryption = cluster_secrets(lambda command: in_container('caas-mol-pf-cp1', command))
    keys = {
        'control plane and stacked etcd (cp1 /etc/kubernetes/pki)':
            in_container('caas-mol-pf-cp1', 'cat /etc/kubernetes/pki/*.key /etc/kubernetes/pki/etcd/*.key'),
        'artifacts host TLS (controller)': (work / 'pki' / 'artifacts1.key').read_text(),
        'scenario CA (controller)': (work / 'pki' / 'ca.key').read_text(),
    }
    return {
        'bootstrap token': tokens,
        'encryption key': encryption,
        'private key line': [line for text in keys.values() for line in key_lines(text)],
    }, list(keys)


def published_hex64(bundle=BUNDLE):
    """64-hex strings the lab publishes: every checksum and digest of its bundle's manifest and files, and the CA pin."""
    known = set(HEX64.findall((bundle / 'manifest.yml').read_text()))
    for path in (bundle / 'files').rglob('*.sha256'):
        known.update(HEX64.findall(path.read_text()))
    return known


# What a public 64-hex string of a log is, by the text just before it (reviewed by hand, then written down here).
HEX64_KINDS = (
    ('image layer, config or manifest digest', re.compile(r'(sha256:|Copying (blob|config) |@)$')),
    ('checksum of an installed file (module result)', re.compile(r'"sha256": \{.*"$|", "/[^"]+": "$')),
    ('client certificate fingerprint (CSR credential-id)', re.compile(r'X509SHA256=$')),
    ('podman container or layer id (of the test hosts themselves)',
     re.compile(r'(overlay-containers/|overlay/|"Image": "|"Id": "|"stdout": ")$')),
    ('configuration hash annotation', re.compile(r'caas\.platform/[a-z-]+: $')),
)


def hex64_kind(before):
    before = before.replace('\\\\', '').replace('\\"', '"')
    return next((kind for kind, pattern in HEX64_KINDS if pattern.search(before)), 'unclassified')


def search(log, found=None, bundle=BUNDLE, result='secrets_grep.json'):
    text = log.read_text(errors='replace')
    secrets, key_sources = found or lab_secrets()
    hits = [{'kind': kind, 'at': text.index(secret)} for kind, values in secrets.items() for secret in values
            if secret and secret in text]
    known = published_hex64(bundle)
    unexplained = sorted(set(HEX64.findall(text)) - known)
    contexts = {value: text[max(0, text.index(value) - 300):text.index(value)].replace('\\n', '\n')
                .splitlines()[-1][-120:] for value in unexplained}
    kinds = {value: hex64_kind(context) for value, context in contexts.items()}
    data = {
        'log': str(log), 'log_bytes': len(text.encode()),
        'searched': {kind: len(values) for kind, values in secrets.items()},
        'private_keys_from': key_sources,
        'hits': hits,
        'unexplained_hex64_by_kind': {kind: sum(1 for k in kinds.values() if k == kind)
                                      for kind in sorted(set(kinds.values()))},
        'unexplained_hex64': [{'value_prefix': value[:8], 'kind': kinds[value], 'before': contexts[value]}
                              for value in unexplained],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / result).write_text(json.dumps(data, indent=2) + '\n')
    print(json.dumps({k: v for k, v in data.items() if k != 'unexplained_hex64'}, indent=2))
    print(f'64-hex strings not published by the bundle: {len(unexplained)} (each with its kind in '
          f'benchmarks/results/{result}); unclassified: {data["unexplained_hex64_by_kind"].get("unclassified", 0)}')
    return 1 if hits else 0


def molecule():
    """converge at -vvv on fresh scenario hosts (molecule's converge creates and prepares them), search, destroy."""
    env = dict(os.environ, PATH=f"{REPO / '.venv' / 'bin'}:{os.environ['PATH']}", ANSIBLE_NOCOLOR='1', PY_COLORS='0',
               CONTAINERS_CONF=str(REPO / 'lab' / 'containers.conf'))
    scenario = ['-s', 'platform']
    extensions = REPO / 'extensions'
    subprocess.run(['molecule', 'destroy', *scenario], cwd=extensions, env=env, check=True)
    log = Path('/tmp/caas-secrets-molecule-vvv.log')
    try:
        with open(log, 'w', encoding='utf-8') as handle:
            subprocess.run(['molecule', 'converge', *scenario, '--', '-vvv'], cwd=extensions, env=env,
                           stdout=handle, stderr=subprocess.STDOUT, check=True)
        # The scenario's ephemeral directory (its name varies with molecule's version and run): the newest.
        work = max((*Path.home().glob('.ansible/tmp/molecule.*.platform/work'),
                    *Path.home().glob('.cache/molecule/*/platform/work')), key=lambda p: p.stat().st_mtime)
        return search(log, molecule_secrets(work), work / 'bundle', 'secrets_grep_molecule.json')
    finally:
        subprocess.run(['molecule', 'destroy', *scenario], cwd=extensions, env=env, check=False)
        # The podman driver leaves the hosts' containerd volumes (as scripts/test removes them).
        volumes = subprocess.run(['podman', 'volume', 'ls', '-q', '--filter', 'name=^caas-mol-pf-'], env=env,
                                 capture_output=True, text=True, check=False).stdout.split()
        if volumes:
            subprocess.run(['podman', 'volume', 'rm', *volumes], env=env, check=False)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == 'grep':
        return search(Path(sys.argv[2]))
    if sys.argv[1:] == ['molecule']:
        return molecule()
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
