# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's manifest holds upstream's checksums and no image digest; the lab build writes its own
manifest and checks reproducibility build against build (lab/artifacts/builder/manifest.py, lab/artifacts/upstream.py)."""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / 'lab' / 'artifacts'))

from builder import manifest as build  # noqa: E402  pylint: disable=wrong-import-position,import-error
import upstream  # noqa: E402  pylint: disable=wrong-import-position,import-error

MANIFEST = yaml.safe_load((REPO / 'artifacts' / 'manifest.yml').read_text())
# Files whose upstream checksum the collection does not have: a site locks them from a vetted bundle.
WITHOUT_UPSTREAM_CHECKSUM = {'kube-bench', 'calico-crds', 'rook-crds', 'rook-common'}


def test_the_three_newest_minors_are_pinned():
    assert sorted(MANIFEST['kubernetes']) == ['1.34', '1.35', '1.36']


@pytest.mark.parametrize('minor', sorted(MANIFEST['kubernetes']))
def test_files_carry_upstream_checksums(minor):
    for name, entry in MANIFEST['kubernetes'][minor]['files'].items():
        sha256 = entry['sha256']['amd64']
        if name in WITHOUT_UPSTREAM_CHECKSUM:
            assert sha256 is None, name
        else:
            assert re.fullmatch(r'[0-9a-f]{64}', str(sha256)), (minor, name, sha256)


@pytest.mark.parametrize('minor', sorted(MANIFEST['kubernetes']))
def test_no_image_digest_is_committed(minor):
    """A digest is locked by a site's bundle or written by the lab build, never committed: an image built from
    Debian packages gets a new digest with each Debian point release."""
    images = [*MANIFEST['kubernetes'][minor]['images'].values(), *MANIFEST['test_images'].values()]
    assert images and all(entry['digest'] == {'amd64': None} for entry in images)


def test_upstream_keys_fill_known_files_only():
    checksums = {'kubeadm_checksums': {'amd64': {'1.36.3': 'sha256:' + 'a' * 64}},
                 'calico_crds_checksums': {'no_arch': {'3.28.5': 0}}}
    manifest, missing = upstream.locked(copy.deepcopy(MANIFEST), checksums)
    release = manifest['kubernetes']['1.36']
    assert release['files']['kubeadm']['sha256'] == {'amd64': 'a' * 64}
    # 0 means "not published": null, reported.
    assert release['files']['calico-crds']['sha256'] == {'amd64': None}
    assert '1.36 calico-crds 3.28.5 amd64' in missing and '1.36 kube-bench 0.16.0 amd64' in missing
    assert all(entry['digest'] == {'amd64': None} for entry in release['images'].values())


def test_lab_manifest_holds_what_was_built_and_null_for_the_rest():
    built = {('file', 'kubeadm'): 'b' * 64, ('image', 'pause'): 'sha256:' + 'c' * 64}
    lab = build.lab_manifest(MANIFEST, '1.36', built, previous=None)
    release = lab['kubernetes']['1.36']
    assert release['files']['kubeadm']['sha256'] == {'amd64': 'b' * 64}
    assert release['images']['pause']['digest'] == {'amd64': 'sha256:' + 'c' * 64}
    # Upstream's checksum of a file the lab did not build is not the lab's: null, refused by every consumer.
    assert release['files']['kubelet']['sha256'] == {'amd64': None}
    assert lab['kubernetes']['1.35']['files']['kubeadm']['sha256'] == {'amd64': None}
    # An earlier run into the same bundle keeps its entries, for the same artifact only.
    again = build.lab_manifest(MANIFEST, '1.36', {('file', 'kubelet'): 'd' * 64}, previous=lab)
    assert again['kubernetes']['1.36']['files']['kubeadm']['sha256'] == {'amd64': 'b' * 64}
    assert again['kubernetes']['1.36']['files']['kubelet']['sha256'] == {'amd64': 'd' * 64}
    moved = copy.deepcopy(lab)
    moved['kubernetes']['1.36']['images']['pause']['tag'] = '3.9'
    other = build.lab_manifest(MANIFEST, '1.36', {}, previous=moved)
    assert other['kubernetes']['1.36']['images']['pause']['digest'] == {'amd64': None}


def test_reproducibility_is_checked_build_against_build():
    reference = {'go': {'crictl v1.36.0': {'inputs': 'i1', 'outputs': {'crictl': 'x'}}},
                 'artifacts': {'docker.io/calico/node:v3.28.5': {'inputs': 'debs-1', 'outputs': 'sha256:1'},
                               'registry.k8s.io/pause:3.10.2': {'inputs': 'p', 'outputs': 'sha256:p'}}}
    same = copy.deepcopy(reference)
    assert build.compare_records(same, reference) == ([], [])
    # Debian moved a package under calico/node: other inputs, another digest, and no failure.
    moved = copy.deepcopy(reference)
    moved['artifacts']['docker.io/calico/node:v3.28.5'] = {'inputs': 'debs-2', 'outputs': 'sha256:2'}
    assert build.compare_records(moved, reference) == ([], ['artifacts docker.io/calico/node:v3.28.5'])
    # The same inputs built into another binary: a reproducibility difference.
    broken = copy.deepcopy(reference)
    broken['go']['crictl v1.36.0']['outputs'] = {'crictl': 'y'}
    differences, incomparable = build.compare_records(broken, reference)
    assert not incomparable and len(differences) == 1 and differences[0].startswith('go crictl v1.36.0:')
