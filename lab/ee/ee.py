# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment's build context (execution-environment.yml) and its image.

  ee.py context [--out DIR]     package the collections the EE holds, then `ansible-builder create` (default
                                build/ee/context); prints the context's path
  ee.py image                   the context, then `podman build` of it; prints the image's name and size
  ee.py run PLAYBOOK...         ansible-navigator runs each playbook against the lab inside the image (the
                                collections the image holds, not the checkout's); with the image's size, writes
                                benchmarks/results/ee.json

The collections caas.platform depends on are packaged from the pinned `ansible` release installed in .venv
(requirements-dev.txt), not fetched: Galaxy cannot be reached here, and the release is the pin. An installed
collection keeps its MANIFEST.json but not every file its FILES.json lists, so each is built again with
`ansible-galaxy collection build` from a galaxy.yml made of its MANIFEST.json: same name, version and files.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'benchmarks'))
from node_layer import recap  # noqa: E402  pylint: disable=wrong-import-position,import-error

VENV_BIN = Path(sys.executable).parent
DEFINITION = REPO / 'execution-environment.yml'
COLLECTIONS_OUT = REPO / 'build' / 'ee' / 'collections'
CONTEXT = REPO / 'build' / 'ee' / 'context'
HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt'
LAB_BUNDLE = os.environ.get('CAAS_LAB_BUNDLE', '/var/cache/caas-lab/bundle')
# ansible-runner's event markers (base64 between erase and cursor-back sequences) and colours in navigator's stdout.
RUNNER_MARKUP = re.compile(r'\x1b\[K(?:[A-Za-z0-9+/=]+\x1b\[\d+D)?|\x1b\[[0-9;]*m')
# What galaxy.yml may carry of an installed collection's MANIFEST.json collection_info.
GALAXY_KEYS = ('namespace', 'name', 'version', 'readme', 'authors', 'description', 'license', 'license_file', 'tags',
               'dependencies', 'repository', 'documentation', 'homepage', 'issues')


def definition() -> dict:
    return yaml.safe_load(DEFINITION.read_text())


def wanted_artifacts(ee: dict) -> list[str]:
    """The artifact file names the definition installs (collections/<namespace>-<name>-<version>.tar.gz)."""
    return [Path(item['name']).name for item in ee['dependencies']['galaxy']['collections']]


def installed_collection(namespace: str, name: str) -> Path:
    import ansible_collections  # the pinned `ansible` release's collections, in this venv

    for root in ansible_collections.__path__:
        path = Path(root) / namespace / name
        if (path / 'MANIFEST.json').is_file():
            return path
    raise SystemExit(f'{namespace}.{name} is not installed in {VENV_BIN.parent}: install requirements-dev.txt')


def build_collection(source: Path, galaxy: dict | None, out: Path) -> Path:
    """ansible-galaxy collection build of source (with galaxy.yml written from `galaxy` when given) into out."""
    with tempfile.TemporaryDirectory(prefix='caas-ee-') as work:
        copy = Path(work) / 'collection'
        shutil.copytree(source, copy, symlinks=True, ignore=shutil.ignore_patterns(
            '__pycache__', 'MANIFEST.json', 'FILES.json', '.git', '.venv', 'build', 'collections', '.ansible'))
        if galaxy is not None:
            (copy / 'galaxy.yml').write_text(yaml.safe_dump(galaxy, sort_keys=False))
        result = subprocess.run([str(VENV_BIN / 'ansible-galaxy'), 'collection', 'build', '--force', '--output-path',
                                 str(out), str(copy)], capture_output=True, text=True, check=False)
        created = re.search(r'^Created collection for \S+ at (\S+\.tar\.gz)$', result.stdout, re.M)
        if result.returncode != 0 or not created:
            raise SystemExit(f'ansible-galaxy collection build of {source} failed: {result.stderr.strip()}')
    return Path(created.group(1))


def package_collections(out: Path = COLLECTIONS_OUT) -> list[Path]:
    """The artifacts the definition names, made in out; refuses when a name's version is not what is installed."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    made = []
    for artifact in wanted_artifacts(definition()):
        namespace, name, version = artifact[:-len('.tar.gz')].split('-', 2)
        if (namespace, name) == ('caas', 'platform'):
            built = build_collection(REPO, None, out)
        else:
            source = installed_collection(namespace, name)
            info = json.loads((source / 'MANIFEST.json').read_text())['collection_info']
            galaxy = {key: info[key] for key in GALAXY_KEYS if info.get(key) not in (None, [], {}, '')}
            built = build_collection(source, galaxy, out)
        if built.name != artifact:
            raise SystemExit(f'execution-environment.yml names {artifact} but the pinned release has {built.name}: '
                             'set the version the installed collection has')
        made.append(built)
    return made


def context(out: Path = CONTEXT) -> Path:
    package_collections()
    if out.exists():
        shutil.rmtree(out)
    subprocess.run([str(VENV_BIN / 'ansible-builder'), 'create', '--file', str(DEFINITION), '--context', str(out),
                    '--output-filename', 'Containerfile'], check=True, stdout=subprocess.DEVNULL)
    return out


def image() -> None:
    ctx = context()
    tag = definition()['options']['tags'][0]
    # The build's pip and apt trust what this machine trusts (its CA bundle, mounted for the RUN steps only: the
    # image keeps Debian's own).
    subprocess.run(['podman', 'build', '--pull=never', '--tag', tag, '--file', str(ctx / 'Containerfile'),
                    '--volume', f'{HOST_CA_BUNDLE}:/etc/ssl/certs/ca-certificates.crt:ro', str(ctx)], check=True)
    size = image_size(tag)
    print(json.dumps({'image': tag, 'size_bytes': size, 'size_mib': round(size / 2**20, 1)}))


def image_size(tag: str) -> int:
    return int(subprocess.run(['podman', 'image', 'inspect', '--format', '{{.Size}}', tag], capture_output=True,
                              text=True, check=True).stdout.strip())


def navigator_run(playbook: str, tag: str, lab_dir: str) -> dict:
    """One ansible-navigator run of playbooks/<playbook> on the lab in the image: wall time and the recap."""
    log = REPO / 'build' / 'ee' / f'navigator-{playbook}.log'
    log.parent.mkdir(parents=True, exist_ok=True)
    argv = [str(VENV_BIN / 'ansible-navigator'), 'run', f'playbooks/{playbook}', '--inventory', 'inventories/lab',
            '--mode', 'stdout', '--execution-environment', 'true', '--container-engine', 'podman',
            '--execution-environment-image', tag, '--pull-policy', 'never',
            # The image's collections, not the checkout's (ansible.cfg points at ./collections).
            '--set-environment-variable', 'ANSIBLE_COLLECTIONS_PATH=/usr/share/ansible/collections',
            '--set-environment-variable', f'CAAS_LAB_DIR={lab_dir}',
            '--set-environment-variable', f'CAAS_LAB_BUNDLE={LAB_BUNDLE}',
            # The lab's state as the controller keeps it (ssh key, known hosts, CA, the VRRP secret's lookup writes a lock
            # file there); root reads the 0600 key; the hosts' network is the host's.
            '--execution-environment-volume-mounts', f'{lab_dir}:{lab_dir}',
            # The lab's artifact manifest (caas_artifacts_manifest), read by the inventory's validation.
            '--execution-environment-volume-mounts', f'{LAB_BUNDLE}:{LAB_BUNDLE}:ro',
            '--container-options=--network=host', '--container-options=--user=0',
            '--playbook-artifact-enable', 'false', '--log-file', str(log.with_suffix('.navigator.log'))]
    started = time.monotonic()
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    seconds = round(time.monotonic() - started, 1)
    output = RUNNER_MARKUP.sub('', result.stdout)
    log.write_text(output + result.stderr)
    return {'playbook': playbook, 'rc': result.returncode, 'seconds': seconds, 'recap': recap(output),
            'first_line': next((line for line in output.splitlines() if line.strip()), '')}


def run(playbooks: list[str]) -> None:
    tag = definition()['options']['tags'][0]
    # The lab's podman settings (netavark), as scripts/lab sets them.
    os.environ.setdefault('CONTAINERS_CONF', str(REPO / 'lab' / 'containers.conf'))
    lab_dir = os.environ.get('CAAS_LAB_DIR', '/var/lib/caas-lab')
    runs = [navigator_run(playbook, tag, lab_dir) for playbook in playbooks]
    version = subprocess.run(['podman', 'run', '--rm', '--network=none', '--entrypoint', 'ansible-galaxy', tag,
                              'collection', 'list',
                              '--format', 'json'], capture_output=True, text=True, check=True).stdout
    collections = {name: info['version'] for path in json.loads(version).values() for name, info in path.items()}
    size = image_size(tag)
    data = {'image': tag, 'size_bytes': size, 'size_mib': round(size / 2**20, 1), 'collections': collections,
            'runs': runs}
    out = REPO / 'benchmarks' / 'results' / 'ee.json'
    out.write_text(json.dumps(data, indent=2) + '\n')
    for entry in runs:
        print(f"{entry['playbook']}: rc {entry['rc']}, {entry['seconds']} s, recap {entry['recap']}")
    print(f"{tag}: {data['size_mib']} MiB")
    failed = [e['playbook'] for e in runs if e['rc'] != 0 or not e['recap']
              or any(h['failed'] or h['unreachable'] for h in e['recap'].values())]
    if failed:
        raise SystemExit(f'failed in the execution environment: {", ".join(failed)} (build/ee/navigator-*.log)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('command', choices=['context', 'image', 'run'])
    parser.add_argument('playbooks', nargs='*', help='run: the playbooks (names in playbooks/)')
    parser.add_argument('--out', type=Path, default=CONTEXT)
    args = parser.parse_args()
    if args.command == 'context':
        print(context(args.out))
    elif args.command == 'image':
        image()
    else:
        run(args.playbooks or ['00_validate.yml', '18_api_loadbalancer.yml'])


if __name__ == '__main__':
    main()
