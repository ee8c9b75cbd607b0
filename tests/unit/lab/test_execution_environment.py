# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""execution-environment.yml: ansible-builder makes its build context, and the context holds what the
collection needs on the controller. The image itself is built and run on the lab (scripts/lab ee)."""

from __future__ import annotations

import ast
import json
import re
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / 'lab' / 'ee'))
import ee  # noqa: E402

# Imported by the collection's code but provided by ansible-core, or only on the managed hosts (whose Debian
# packages the roles install): certificate_state runs on the hosts with Debian's python3-cryptography.
PROVIDED = {'ansible', 'ansible_collections', 'yaml', 'jinja2', 'cryptography'}


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r'^([A-Za-z0-9_.-]+)==(\S+)', line.strip())
        if match:
            found[match.group(1).lower()] = match.group(2)
    return found


@pytest.fixture(scope='module')
def context(tmp_path_factory):
    return ee.context(tmp_path_factory.mktemp('ee') / 'context')


def test_the_context_is_made_from_the_definition(context):
    containerfile = (context / 'Containerfile').read_text()
    definition = ee.definition()
    assert definition['version'] == 3
    assert f'ARG EE_BASE_IMAGE="{definition["images"]["base_image"]["name"]}"' in containerfile
    dev = pins(REPO / 'requirements-dev.txt')
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="(.*)"$', containerfile, re.M).group(1).split()
    assert sorted(refs) == sorted([f'ansible-core=={dev["ansible-core"]}', f'ansible-runner=={dev["ansible-runner"]}'])
    assert 'ARG PKGMGR="/usr/bin/apt-get"' in containerfile
    assert '--offline' in containerfile  # Galaxy is never asked
    assert (context / '_build' / 'requirements.txt').read_text() == (REPO / 'requirements.txt').read_text()
    assert (context / '_build' / 'bindep.txt').read_text() == (REPO / 'bindep.txt').read_text()


def test_the_collections_are_the_pinned_ones_and_complete(context):
    galaxy = yaml.safe_load((REPO / 'galaxy.yml').read_text())
    found = {}
    for artifact in sorted((context / '_build' / 'collections').glob('*.tar.gz')):
        with tarfile.open(artifact) as tar:
            info = json.load(tar.extractfile('MANIFEST.json'))['collection_info']
            names = tar.getnames()
        found[f'{info["namespace"]}.{info["name"]}'] = info['version']
        assert artifact.name == f'{info["namespace"]}-{info["name"]}-{info["version"]}.tar.gz'
        assert 'FILES.json' in names and not any('__pycache__' in name for name in names)
        if info['name'] == 'platform':
            assert 'plugins/modules/kubectl_apply.py' in names and 'roles/rook_ceph/tasks/main.yml' in names
            assert not any(name.startswith(('.venv/', 'build/', 'collections/')) for name in names)
    assert set(found) == {'caas.platform', *galaxy['dependencies']}
    assert found['caas.platform'] == galaxy['version']
    for name, version in found.items():
        if name != 'caas.platform':
            namespace, collection = name.split('.')
            manifest = ee.installed_collection(namespace, collection) / 'MANIFEST.json'
            assert json.loads(manifest.read_text())['collection_info']['version'] == version, name


def test_every_import_on_the_controller_is_a_declared_requirement():
    declared = {re.split(r'[<>=\[ ]', line.strip())[0].lower().replace('-', '_')
                for line in (REPO / 'requirements.txt').read_text().splitlines()
                if line.strip() and not line.startswith('#')}
    declared |= {'openshift' if name == 'openshift_client' else name for name in declared}
    missing = set()
    for path in (REPO / 'plugins').rglob('*.py'):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            for name in names:
                top = name.split('.')[0]
                if top not in sys.stdlib_module_names and top not in PROVIDED and top not in declared:
                    missing.add(f'{path.relative_to(REPO)}: {top}')
    assert not missing, missing


def test_the_binaries_the_controller_runs_are_in_bindep():
    # The ssh connection, and os_hardening's `ssh -Q kex` on the controller (roles/os_hardening/tasks/main.yml).
    bindep = (REPO / 'bindep.txt').read_text()
    assert re.search(r'^openssh-client \[platform:dpkg\]$', bindep, re.M)
    assert re.search(r'^openssh-clients \[platform:rpm\]$', bindep, re.M)
    hardening = (REPO / 'roles' / 'os_hardening' / 'tasks' / 'main.yml').read_text()
    assert 'ssh -Q kex' in hardening and 'delegate_to: localhost' in hardening


def test_the_collection_declares_its_own_dependencies_for_any_execution_environment():
    # ansible-builder reads meta/execution-environment.yml of each collection it installs, relative to its root.
    meta = yaml.safe_load((REPO / 'meta' / 'execution-environment.yml').read_text())
    assert meta['dependencies'] == {'python': 'requirements.txt', 'system': 'bindep.txt'}
    assert all((REPO / path).is_file() for path in meta['dependencies'].values())
