# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every bad inventory under tests/inventories/bad is refused by site.yml, with its own message, before
any host is touched; the shipped inventories are accepted.

Each run is a real ansible-playbook run of playbooks/site.yml. ssh is replaced by a tripwire that
records any attempt to reach a host and reaches none: the tests assert it was never called.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BAD = sorted((REPO / 'tests' / 'inventories' / 'bad').glob('*.yml'))
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / 'ansible-playbook'


def run_playbook(inventory, playbook, tmp_path, *extra):
    tripwire = tmp_path / 'ssh-attempts'
    env = dict(os.environ, ANSIBLE_SSH_EXECUTABLE=str(REPO / 'tests' / 'inventory' / 'tripwire-ssh'),
               CAAS_TRIPWIRE=str(tripwire), ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_CONFIG=str(REPO / 'ansible.cfg'))
    result = subprocess.run([str(ANSIBLE_PLAYBOOK), '-i', str(inventory), str(REPO / 'playbooks' / playbook), *extra],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    return result, tripwire


def expected_message(path):
    match = re.search(r'^# refused: (.+)$', path.read_text(), re.MULTILINE)
    assert match, f'{path.name} has no "# refused:" line'
    return match.group(1)


def corpus_class(path):
    match = re.search(r'^# class: (.+)$', path.read_text(), re.MULTILINE)
    assert match, f'{path.name} has no "# class:" line'
    return match.group(1)


def test_corpus_is_large_enough_and_classified():
    assert len(BAD) >= 100
    classes = {}
    for path in BAD:
        classes.setdefault(corpus_class(path), []).append(path.name)
    # Each kind of mistake operators make has its share, not only the contract's own settings.
    for kind in ('role variables', 'YAML typing', 'across layers'):
        assert classes.get(kind), f'no bad inventory of class {kind!r}'


@pytest.mark.parametrize('inventory', BAD, ids=[p.stem for p in BAD])
def test_bad_inventory_is_refused_before_any_host_is_touched(inventory, tmp_path):
    result, tripwire = run_playbook(inventory, 'site.yml', tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert 'Inventory refused' in output and 'nothing was changed' in output, output
    assert expected_message(inventory) in output, output
    assert not tripwire.exists(), 'a host was contacted: ' + tripwire.read_text()
    recap = output.split('PLAY RECAP', 1)[1]
    assert re.findall(r'^(\S+)\s+:', recap, re.MULTILINE) == ['localhost'], recap


@pytest.mark.parametrize('inventory', ['inventories/lab', 'inventories/example'])
def test_shipped_inventories_are_accepted(inventory, tmp_path, monkeypatch):
    # The lab inventory reads the lab build's own manifest (CAAS_LAB_BUNDLE/manifest.yml), which pins the
    # same releases as the collection's: a copy of that stands in for a build this test does not run.
    bundle = tmp_path / 'bundle'
    bundle.mkdir()
    (bundle / 'manifest.yml').write_text((REPO / 'artifacts' / 'manifest.yml').read_text())
    monkeypatch.setenv('CAAS_LAB_BUNDLE', str(bundle))
    # And the storage hosts' loop devices that scripts/lab up writes down (lab/loop_devices.py).
    storage = tmp_path / 'lab' / 'storage'
    storage.mkdir(parents=True)
    (storage / 'devices.json').write_text(json.dumps({'worker1': '/dev/loop0', 'worker2': '/dev/loop1',
                                                      'worker3': '/dev/loop2'}))
    # And Harbor's admin password that scripts/lab pki writes (the lab's stand-in for Vault).
    (tmp_path / 'lab' / 'pki').mkdir()
    (tmp_path / 'lab' / 'pki' / 'harbor-admin-password').write_text('Lab1' + 'x' * 20)
    monkeypatch.setenv('CAAS_LAB_DIR', str(tmp_path / 'lab'))
    result, tripwire = run_playbook(REPO / inventory, '00_validate.yml', tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'Inventory accepted' in result.stdout
    assert not tripwire.exists()
