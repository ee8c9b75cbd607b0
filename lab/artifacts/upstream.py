# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writes upstream's published checksums into the collection's artifact manifest.

  upstream.py CHECKSUMS.yml [--check]

The collection's manifest (artifacts/manifest.yml) describes what a real site installs: upstream's release
files, each checked against the sha256 upstream publishes. CHECKSUMS.yml holds those, keyed as Kubespray's
checksums.yml keys them (<artifact>_checksums -> arch -> version -> sha256:<hex>). Images carry no digest in
the collection's manifest: a tag's digest is locked when a site fills its bundle (playbooks/artifacts_bundle.yml),
and the lab build writes its own manifest for what it built (lab/artifacts/build.py). A file whose checksum
CHECKSUMS.yml does not have keeps null, and every consumer refuses it until a site locks it (docs/artifacts.md).
With --check nothing is written: the exit code says whether the manifest already holds these values.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from builder.common import MANIFEST  # noqa: E402  pylint: disable=wrong-import-position
from builder.manifest import dump_manifest, manifest_header  # noqa: E402  pylint: disable=wrong-import-position

# Manifest file name -> the key of its checksums in CHECKSUMS.yml.
UPSTREAM_KEYS = {
    'kubeadm': 'kubeadm_checksums', 'kubelet': 'kubelet_checksums', 'kubectl': 'kubectl_checksums',
    'containerd': 'containerd_archive_checksums', 'runc': 'runc_checksums', 'cni-plugins': 'cni_binary_checksums',
    'crictl': 'crictl_checksums', 'etcd': 'etcd_binary_checksums', 'calico-crds': 'calico_crds_checksums',
}


def upstream_sha256(checksums, name, version, arch):
    """upstream's sha256 of the file (hex), or None when the source does not record it (0 = not published)."""
    per_arch = checksums.get(UPSTREAM_KEYS.get(name, ''), {})
    value = (per_arch.get(arch) or per_arch.get('no_arch') or {}).get(version)
    if not value or value == 0:
        return None
    return str(value).removeprefix('sha256:')


def locked(manifest, checksums):
    """The manifest with upstream's file checksums and no image digests; and the files left without one."""
    missing = []
    for minor, release in manifest['kubernetes'].items():
        for name, entry in release['files'].items():
            for arch in manifest['architectures']:
                entry['sha256'][arch] = upstream_sha256(checksums, name, str(entry['version']), arch)
                if entry['sha256'][arch] is None:
                    missing.append(f'{minor} {name} {entry["version"]} {arch}')
        for entry in release['images'].values():
            entry['digest'] = {arch: None for arch in manifest['architectures']}
    for entry in (manifest.get('test_images') or {}).values():
        entry['digest'] = {arch: None for arch in manifest['architectures']}
    return manifest, missing


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('checksums', type=Path, help="upstream's checksums (Kubespray's checksums.yml layout)")
    parser.add_argument('--check', action='store_true', help='only say whether the manifest holds them')
    args = parser.parse_args()
    text = MANIFEST.read_text()
    manifest, missing = locked(yaml.safe_load(text), yaml.safe_load(args.checksums.read_text()))
    new_text = dump_manifest(manifest, manifest_header(text))
    if missing:
        print('no upstream checksum (null in the manifest):', *missing, sep='\n  ')
    if args.check:
        print('the manifest holds upstream\'s checksums' if new_text == text else f'{MANIFEST} differs: run without --check')
        return 0 if new_text == text else 1
    MANIFEST.write_text(new_text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
