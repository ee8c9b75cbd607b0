# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's own artifact manifest, the build record compared build against build, and the timing results."""

from __future__ import annotations

import copy

import yaml

from .common import ARCH, RESULTS, read_json, write_json

# -- manifest, results, main -----------------------------------------------------------------------


def checksum_slots(manifest, minor):
    """(kind, name) -> the per-architecture dict that holds the entry's checksum, for a minor and the test images."""
    release = manifest['kubernetes'][minor]
    slots = {('file', n): e['sha256'] for n, e in release['files'].items()}
    slots.update({('image', n): e['digest'] for n, e in release['images'].items()})
    slots.update({('test_image', n): e['digest'] for n, e in manifest.get('test_images', {}).items()})
    return slots


def fill(manifest, minor, built):
    for key, value in built.items():
        checksum_slots(manifest, minor)[key][ARCH] = value


LAB_MANIFEST_HEADER = """---
# The lab's own artifact manifest, written by lab/artifacts/build.py: the collection's manifest with the
# checksums of what this build made (the lab builds from source, so they are not upstream's). null: not built
# here. The lab inventory and the molecule scenarios point caas_artifacts_manifest at this file.
"""


def lab_manifest(manifest, minor, built, previous):
    """The collection's manifest with the checksums of this build, those of earlier runs into the same bundle
    for the same artifacts (previous), and null for everything else."""
    lab = copy.deepcopy(manifest)
    for release in lab['kubernetes'].values():
        for kind, key in (('files', 'sha256'), ('images', 'digest')):
            for entry in release[kind].values():
                entry[key] = {arch: None for arch in lab['architectures']}
    for entry in (lab.get('test_images') or {}).values():
        entry['digest'] = {arch: None for arch in lab['architectures']}
    fill(lab, minor, built)
    if previous:
        carry_over(previous, lab)
    return lab


def compare_records(record, reference):
    """(differences, not comparable): the Go builds and artifacts whose inputs equal the reference's but whose
    outputs differ; and those built here from other inputs than the reference's."""
    differences, incomparable = [], []
    for section in ('go', 'artifacts'):
        for key, mine in sorted(record.get(section, {}).items()):
            theirs = reference.get(section, {}).get(key)
            if not theirs:
                continue
            if mine['inputs'] != theirs['inputs']:
                incomparable.append(f'{section} {key}')
            elif mine['outputs'] != theirs['outputs']:
                differences.append(f'{section} {key}: {mine["outputs"]} here, {theirs["outputs"]} in the reference')
    return differences, incomparable


def manifest_header(text):
    """The leading --- and comment lines, which safe_dump would drop."""
    lines = text.splitlines(keepends=True)
    count = next((i for i, line in enumerate(lines) if not (line.startswith('#') or line.strip() in ('---', ''))),
                 len(lines))
    return ''.join(lines[:count])


class IndentedDumper(yaml.SafeDumper):
    """Indents block sequences under their key, as the project's yamllint rules want."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def dump_manifest(manifest, header):
    return header + yaml.dump(manifest, Dumper=IndentedDumper, sort_keys=False, width=120)


def carry_over(old, new):
    """Checksums of artifacts this run did not build, taken from the bundle's previous manifest for the
    entries that are still the same artifact (same path, or same image and tag)."""
    def same_artifact_pairs():
        for minor, release in new['kubernetes'].items():
            old_release = old.get('kubernetes', {}).get(minor, {})
            for kind, key, identity in (('files', 'sha256', ('path',)), ('images', 'digest', ('image', 'tag'))):
                for name, entry in release[kind].items():
                    yield entry, old_release.get(kind, {}).get(name), key, identity
        for name, entry in new.get('test_images', {}).items():
            yield entry, old.get('test_images', {}).get(name), 'digest', ('image', 'tag')

    for entry, previous, key, identity in same_artifact_pairs():
        if previous and all(previous.get(k) == entry.get(k) for k in identity):
            for arch, value in (previous.get(key) or {}).items():
                if entry[key].get(arch) is None:
                    entry[key][arch] = value


def save_results(minor, steps, total):
    """Keeps the last cold run and the last warm one (a run where every step was cached)."""
    run_kind = 'warm' if steps and all(s.get('cached') for s in steps.values()) else 'cold'
    results = read_json(RESULTS) or {}
    results[run_kind] = {'minor': minor, 'arch': ARCH, 'steps': steps, 'total_seconds': round(total, 1)}
    write_json(RESULTS, results)
    return run_kind


# The Go build cache grows to several GiB with Kubernetes and Calico, and this machine's disk is what the lab's
# kubelets evict pods over (docs/lab.md). The stamped outputs are what later runs reuse: once every step of a run
# succeeded, a cache above this size is emptied (a new version then compiles from scratch, as on a fresh machine).
