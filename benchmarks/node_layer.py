# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of the node layer (docs/os_hardening.md reports the figures).

  node_layer.py converge            first converge and no-op re-run of playbooks/10_nodes.yml on the lab
  node_layer.py scan                Lynis, OpenSCAP (CIS Level 1 Server) and ssh-audit: a fresh host and a lab host
  node_layer.py scale 5 10 20       the node layer on N throw-away hosts, first run and re-run, for each N

Needs the lab's image (scripts/lab image) and, for converge and scan, the lab up (scripts/lab up).
Results are printed and written as JSON to benchmarks/results/.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENV = REPO / '.venv' / 'bin'
LAB_DIR = Path(os.environ.get('CAAS_LAB_DIR', '/var/lib/caas-lab'))
IMAGE = 'localhost/caas-node:debian12'
RESULTS = REPO / 'benchmarks' / 'results'
BENCH_NET, BENCH_SUBNET = 'caas-bench', ipaddress.ip_network('10.252.0.0/24')
BENCH_LABEL = 'caas.platform/bench=true'
ENV = dict(os.environ, CONTAINERS_CONF=str(REPO / 'lab' / 'containers.conf'), ANSIBLE_NOCOLOR='1',
           ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'), CAAS_LAB_DIR=str(LAB_DIR))
SSG_PROFILE = 'xccdf_org.ssgproject.content_profile_cis_level1_server'


def sh(*cmd, check=True, **kwargs):
    return subprocess.run(cmd, check=check, text=True, capture_output=True, env=ENV, **kwargs)


def podman(*args, check=True):
    return sh('podman', *args, check=check)


def recap(output):
    """host -> {ok, changed, failed, skipped, ...} from a PLAY RECAP."""
    hosts = {}
    for line in output.split('PLAY RECAP', 1)[-1].splitlines():
        match = re.match(r'^(\S+)\s+:\s+(.*)$', line)
        if match:
            hosts[match.group(1)] = {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', match.group(2))}
    return hosts


def playbook(inventory, playbook_path, *extra):
    """Run a playbook; returns its wall time, the controller's CPU seconds (Ansible and ssh, not the hosts')
    and the recap."""
    start, before = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = sh(str(VENV / 'ansible-playbook'), '-i', str(inventory), str(playbook_path), *extra, check=False, cwd=REPO)
    seconds = round(time.monotonic() - start, 1)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    playbook.controller_cpu = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-6000:] + result.stderr[-3000:])
        raise SystemExit(f'ansible-playbook failed (rc {result.returncode})')
    return seconds, recap(result.stdout)


def save(name, data):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f'{name}.json').write_text(json.dumps(data, indent=2, sort_keys=True) + '\n')
    print(json.dumps(data, indent=2, sort_keys=True))


# -- converge on the lab ------------------------------------------------------------------------

def converge():
    inventory = REPO / 'inventories' / 'lab'
    first, first_recap = playbook(inventory, REPO / 'playbooks' / '10_nodes.yml')
    rerun, rerun_recap = playbook(inventory, REPO / 'playbooks' / '10_nodes.yml')
    save('converge', {'first_s': first, 'rerun_s': rerun, 'ratio': round(rerun / first, 3),
                      'first': first_recap, 'rerun': rerun_recap,
                      'rerun_changed': sum(h.get('changed', 0) for h in rerun_recap.values())})


# -- throw-away hosts ---------------------------------------------------------------------------

def host_key(name, address):
    """The host's ed25519 key line once its sshd answers; a host booting among many may take minutes."""
    for _attempt in range(480):
        scan = sh('ssh-keyscan', '-T', '2', '-t', 'ed25519', address, check=False)
        if 'ssh-ed25519' in scan.stdout:
            return scan.stdout
        time.sleep(0.5)
    raise SystemExit(f'{name} did not start sshd')


def bench_hosts_up(count):
    """count fresh hosts on their own network, reachable over ssh with the lab's key; name -> address."""
    bench_hosts_down()
    sh(str(REPO / 'scripts' / 'lab'), 'host-limits')
    podman('network', 'create', '--subnet', str(BENCH_SUBNET), '--label', BENCH_LABEL, BENCH_NET)
    hosts = {}
    for index in range(1, count + 1):
        name, address = f'bench{index}', str(BENCH_SUBNET.network_address + 10 + index)
        podman('run', '-d', '--name', f'caas-bench-{name}', '--hostname', name, '--label', BENCH_LABEL,
               '--network', BENCH_NET, '--ip', address, '--privileged', '--systemd=always', '--cgroupns=private',
               IMAGE, '/sbin/init')
        hosts[name] = address
    known_hosts = LAB_DIR / 'ssh' / 'bench_known_hosts'
    lines = []
    for name, address in hosts.items():
        lines.append(host_key(name, address))
        pub = (LAB_DIR / 'ssh' / 'id_ed25519.pub').read_text()
        subprocess.run(['podman', 'exec', '-i', f'caas-bench-{name}', 'sh', '-c',
                        'umask 077; cat > /home/caas/.ssh/authorized_keys; chown -R caas:caas /home/caas/.ssh'],
                       input=pub, text=True, check=True, env=ENV)
    known_hosts.write_text(''.join(lines))
    return hosts


def bench_hosts_down():
    ids = podman('ps', '-aq', '--filter', f'label={BENCH_LABEL}').stdout.split()
    if ids:
        podman('rm', '-f', '-t', '5', *ids)
    podman('network', 'rm', '-f', BENCH_NET, check=False)


def bench_inventory(hosts, directory):
    """The lab's settings, with bench hosts: 3 control-plane hosts, the rest workers, zones a/b/c."""
    names = list(hosts)
    groups = {'control_plane': names[:3], 'workers': names[3:]}
    lines = ['all:', '  vars:']
    lab_vars = directory / 'group_vars' / 'all'
    shutil.copytree(REPO / 'inventories' / 'lab' / 'group_vars' / 'all', lab_vars)
    # Loaded after the lab's files (alphabetical order), so these win.
    (lab_vars / 'zz-bench.yml').write_text(
        f'caas_node_network: {BENCH_SUBNET}\ncaas_ntp_servers: [bench1]\n'
        f'ansible_ssh_common_args: -o UserKnownHostsFile={LAB_DIR}/ssh/bench_known_hosts -o StrictHostKeyChecking=yes\n')
    lines = ['all:', '  children:']
    for group, members in groups.items():
        lines += [f'    {group}:', '      hosts:']
        for index, name in enumerate(members):
            zone = 'abc'[names.index(name) % 3]
            lines.append(f'        {name}: {{ansible_host: {hosts[name]}, caas_zone: zone-{zone}, caas_rack: {zone}0{index}}}')
    (directory / 'hosts.yml').write_text('\n'.join(lines) + '\n')
    return directory


def scale(counts):
    results = {}
    try:
        for count in counts:
            hosts = bench_hosts_up(count)
            with tempfile.TemporaryDirectory(prefix='caas-bench-') as tmp:
                inventory = bench_inventory(hosts, Path(tmp))
                first, first_recap = playbook(inventory, REPO / 'playbooks' / '10_nodes.yml')
                first_cpu = playbook.controller_cpu
                rerun, rerun_recap = playbook(inventory, REPO / 'playbooks' / '10_nodes.yml')
            results[str(count)] = {'first_s': first, 'rerun_s': rerun, 'first_controller_cpu_s': first_cpu,
                                   'rerun_controller_cpu_s': playbook.controller_cpu,
                                   'rerun_changed': sum(h.get('changed', 0) for h in rerun_recap.values()),
                                   'failed': sum(h.get('failed', 0) + h.get('unreachable', 0) for h in first_recap.values())}
            print(f'{count} hosts: first {first} s ({first_cpu} s controller CPU), re-run {rerun} s', file=sys.stderr)
    finally:
        bench_hosts_down()
    smallest, largest = str(min(counts)), str(max(counts))
    results['growth'] = round(results[largest]['first_s'] / results[smallest]['first_s'], 2)
    results['controller_cpu_growth'] = round(results[largest]['first_controller_cpu_s']
                                             / results[smallest]['first_controller_cpu_s'], 2)
    results['machine_cores'] = os.cpu_count()
    save('scale', results)


# -- scanners -----------------------------------------------------------------------------------

def fetch_ssg(directory):
    """ssg-debian's Debian 12 data stream, from a newer Debian suite of this machine's own mirror.

    The mirror is read from the machine's apt sources at run time and the one-line sources list lives
    in an anonymous file: nothing written names it. The package is unpacked, never installed."""
    sources = Path('/etc/apt/sources.list.d/debian.sources')
    text = sources.read_text() if sources.exists() else Path('/etc/apt/sources.list').read_text()
    uri = (re.search(r'^URIs:\s*(\S+)', text, re.M) or re.search(r'^deb\s+(?:\[[^]]*\]\s+)?(\S+)', text, re.M)).group(1)
    fd = os.memfd_create('caas-ssg-sources', 0)
    os.write(fd, f'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] {uri} sid main\n'.encode())
    state = Path(tempfile.mkdtemp(prefix='caas-ssg-'))
    for sub in ('lists/partial', 'cache/archives/partial'):
        (state / sub).mkdir(parents=True)
        shutil.chown(state / sub, user='_apt')
    state.chmod(0o755)
    opts = ['-o', f'Dir::Etc::SourceList=/proc/self/fd/{fd}', '-o', 'Dir::Etc::SourceParts=/dev/null',
            '-o', f'Dir::State::Lists={state}/lists', '-o', f'Dir::Cache={state}/cache',
            '-o', 'Dir::Cache::pkgcache=', '-o', 'Dir::Cache::srcpkgcache=']
    try:
        subprocess.run(['apt-get', *opts, '-qq', 'update'], pass_fds=[fd], check=True)
        subprocess.run(['apt-get', *opts, '-qq', 'download', 'ssg-debian'], pass_fds=[fd], check=True, cwd=directory)
    finally:
        shutil.rmtree(state)
        os.close(fd)
    deb = next(Path(directory).glob('ssg-debian_*.deb'))
    subprocess.run(['dpkg', '-x', str(deb), str(Path(directory) / 'ssg')], check=True)
    return next(Path(directory).glob('ssg/usr/share/**/ssg-debian12-ds.xml'))


def in_host(target, *cmd, check=True, stdin=None):
    """Run a command as root on a host: over ssh for lab hosts (ssh:ADDRESS), podman exec otherwise."""
    if target.startswith('ssh:'):
        ssh = ['ssh', '-i', str(LAB_DIR / 'ssh' / 'id_ed25519'), '-o', 'BatchMode=yes',
               '-o', f'UserKnownHostsFile={LAB_DIR}/ssh/known_hosts', '-o', 'StrictHostKeyChecking=yes',
               f'caas@{target[4:]}', 'sudo']
        return subprocess.run([*ssh, *[subprocess.list2cmdline([c]) for c in cmd]], input=stdin, text=True,
                              capture_output=True, check=check, env=ENV)
    return subprocess.run(['podman', 'exec', '-i', target, *cmd], input=stdin, text=True, capture_output=True,
                          check=check, env=ENV)


def scan_host(target, address, data_stream, tools):
    in_host(target, 'sh', '-c', 'apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get -qq install -y '
                                'lynis openscap-scanner >/dev/null')
    start = time.monotonic()
    in_host(target, 'lynis', 'audit', 'system', '--quick', '--no-colors', check=False)
    report = in_host(target, 'cat', '/var/log/lynis-report.dat').stdout
    lynis = {'hardening_index': int(re.search(r'^hardening_index=(\d+)', report, re.M).group(1)),
             'tests': len(re.findall(r'^tests_executed=(.*)$', report, re.M)[0].split('|')) - 1,
             'warnings': re.findall(r'^warning\[\]=([^|]+)', report, re.M),
             'suggestions': sorted(set(re.findall(r'^suggestion\[\]=([^|]+)', report, re.M))),
             'seconds': round(time.monotonic() - start, 1)}
    in_host(target, 'tee', '/root/ssg-debian12-ds.xml', stdin=Path(data_stream).read_text())
    oscap = in_host(target, 'oscap', 'xccdf', 'eval', '--profile', SSG_PROFILE, '--results', '/root/oscap.xml',
                    '/root/ssg-debian12-ds.xml', check=False).stdout
    results = re.findall(r'^Title\s+(.*)\nRule\s+(\S+)\n(?:Ident.*\n)*Result\s+(\S+)', oscap, re.M)
    counts = {}
    for _title, _rule, outcome in results:
        counts[outcome] = counts.get(outcome, 0) + 1
    failing = sorted(rule.replace('xccdf_org.ssgproject.content_rule_', '') for _t, rule, outcome in results
                     if outcome == 'fail')
    audit = sh(str(tools / 'ssh-audit'), '-n', address, check=False).stdout
    return {'lynis': lynis, 'openscap': {'counts': counts, 'failing': failing},
            'ssh_audit': {'fail': len(re.findall(r'\[fail\]', audit)), 'warn': len(re.findall(r'\[warn\]', audit)),
                          'findings': [line.strip() for line in audit.splitlines() if '[fail]' in line or '[warn]' in line]}}


def scan():
    work = Path(tempfile.mkdtemp(prefix='caas-scan-'))
    try:
        data_stream = fetch_ssg(work)
        subprocess.run([sys.executable, '-m', 'venv', str(work / 'venv')], check=True)
        subprocess.run([str(work / 'venv' / 'bin' / 'pip'), 'install', '-q', 'ssh-audit==3.9.0'], check=True)
        tools = work / 'venv' / 'bin'
        # A fresh host: the lab's image, as the data center receives it.
        bench_hosts_down()
        podman('network', 'create', '--subnet', str(BENCH_SUBNET), '--label', BENCH_LABEL, BENCH_NET)
        fresh_ip = str(BENCH_SUBNET.network_address + 200)
        podman('run', '-d', '--name', 'caas-bench-fresh', '--hostname', 'fresh', '--label', BENCH_LABEL,
               '--network', BENCH_NET, '--ip', fresh_ip, '--privileged', '--systemd=always', '--cgroupns=private',
               IMAGE, '/sbin/init')
        host_key('fresh', fresh_ip)
        results = {'fresh': scan_host('caas-bench-fresh', fresh_ip, data_stream, tools),
                   'hardened': scan_host('ssh:10.250.0.31', '10.250.0.31', data_stream, tools)}
    finally:
        bench_hosts_down()
        shutil.rmtree(work, ignore_errors=True)
    save('scan', results)


def main(argv):
    if not argv or argv[0] not in ('converge', 'scan', 'scale'):
        raise SystemExit(__doc__)
    if argv[0] == 'converge':
        converge()
    elif argv[0] == 'scan':
        scan()
    else:
        scale([int(n) for n in argv[1:]] or [5, 10, 20])


if __name__ == '__main__':
    main(sys.argv[1:])
