# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read the artifact manifest (artifacts/manifest.yml, docs/artifacts.md) on the controller.

The manifest pins, per supported Kubernetes minor, every binary (files) and image with its sha256 or
manifest digest. The files repository mirrors upstream's host/path layout and the registry mirror
stores images under their upstream names, so a location is always derived, never configured per artifact.
"""

from __future__ import annotations

import os
import re
import typing as t

import yaml

DEFAULT_MANIFEST = os.path.join(os.path.dirname(__file__), '..', '..', 'artifacts', 'manifest.yml')
SUPPORTED_MANIFEST_VERSIONS = (1,)
SHA256 = re.compile(r'^[0-9a-f]{64}$')
DIGEST = re.compile(r'^sha256:[0-9a-f]{64}$')
RELEASE = re.compile(r'^v?(\d+)\.(\d+)\.(\d+)$')


class ManifestError(Exception):
    """The manifest cannot serve the request; the message names what and how to fix it."""


def load(path: str | None = None) -> dict:
    """The manifest at path (default: the collection's own), checked for its schema version."""
    path = os.path.realpath(path or DEFAULT_MANIFEST)
    try:
        with open(path, encoding='utf-8') as handle:
            manifest = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise ManifestError(f'artifact manifest {path} cannot be read: {exc}') from exc
    if not isinstance(manifest, dict) or manifest.get('manifest_version') not in SUPPORTED_MANIFEST_VERSIONS:
        raise ManifestError(f'artifact manifest {path} has manifest_version '
                            f'{manifest.get("manifest_version") if isinstance(manifest, dict) else None!r}; '
                            f'this collection reads {SUPPORTED_MANIFEST_VERSIONS}')
    manifest['_path'] = path
    return manifest


def minor_of(version: str) -> str:
    match = RELEASE.match(str(version))
    if not match:
        raise ManifestError(f'caas_kubernetes_version {version!r} is not a Kubernetes release number: '
                            'write it as "1.36.3"')
    return f'{match.group(1)}.{match.group(2)}'


def release(manifest: dict, kubernetes_version: str) -> dict:
    """The manifest's entry for the minor of kubernetes_version; refuses a release it does not pin."""
    minor = minor_of(kubernetes_version)
    releases = manifest.get('kubernetes') or {}
    if minor not in releases:
        raise ManifestError(f'caas_kubernetes_version {kubernetes_version}: the artifact manifest '
                            f'{manifest["_path"]} has no Kubernetes {minor} (it has {", ".join(sorted(releases))}); '
                            'use one of those minors or a manifest that carries this one')
    entry = releases[minor]
    wanted = str(kubernetes_version).lstrip('v')
    if str(entry['version']) != wanted:
        raise ManifestError(f'caas_kubernetes_version {kubernetes_version}: the artifact manifest pins Kubernetes '
                            f'{minor} at {entry["version"]}; set caas_kubernetes_version: "{entry["version"]}" '
                            'or use a manifest that pins this release')
    return entry


def _per_arch(value: t.Any, arch: str) -> t.Any:
    return value.get(arch) if isinstance(value, dict) else value


def _entries(section: dict, names: t.Sequence[str], what: str, where: str) -> list[tuple[str, dict]]:
    if not names:
        return list(section.items())
    unknown = [name for name in names if name not in section]
    if unknown:
        raise ManifestError(f'{what} {", ".join(unknown)} not in the artifact manifest for {where} '
                            f'(it has {", ".join(section)})')
    return [(name, section[name]) for name in names]


def files(manifest: dict, kubernetes_version: str, names: t.Sequence[str] = (), arch: str = 'amd64',
          files_repo_url: str = '', require_checksums: bool = True) -> list[dict]:
    """Binaries with their files-repository URL, sha256 and archive members, resolved for arch."""
    entry = release(manifest, kubernetes_version)
    result = []
    for name, item in _entries(entry.get('files') or {}, names, 'file', f'Kubernetes {entry["version"]}'):
        path = item['path'].format(arch=arch)
        sha256 = _per_arch(item.get('sha256'), arch)
        if sha256 is None and require_checksums:
            raise ManifestError(f'artifact {name} {item["version"]} ({path}) has no sha256 for {arch} in the artifact '
                                f'manifest {manifest["_path"]}: it was never built or locked. Build it '
                                '(scripts/lab build, for the lab) or lock it from a vetted offline bundle')
        if sha256 is not None and not SHA256.match(str(sha256)):
            raise ManifestError(f'artifact {name} {item["version"]}: sha256 {sha256!r} in {manifest["_path"]} '
                                'is not 64 lowercase hex digits')
        result.append({
            'name': name,
            'version': str(item['version']),
            'layer': item.get('layer', ''),
            'path': path,
            'url': f'{files_repo_url.rstrip("/")}/{path}' if files_repo_url else f'https://{path}',
            'sha256': sha256,
            'members': [member.format(arch=arch) for member in item.get('members') or []],
        })
    return result


def images(manifest: dict, kubernetes_version: str | None, names: t.Sequence[str] = (), arch: str = 'amd64',
           registry_mirror: str = '', test_images: bool = False, require_checksums: bool = True) -> list[dict]:
    """Images with their upstream reference, the mirror's reference and the manifest digest for arch."""
    if test_images:
        section, where = manifest.get('test_images') or {}, 'the test images'
    else:
        entry = release(manifest, kubernetes_version)
        section, where = entry.get('images') or {}, f'Kubernetes {entry["version"]}'
    result = []
    for name, item in _entries(section, names, 'image', where):
        digest = _per_arch(item.get('digest'), arch)
        reference = f'{item["image"]}:{item["tag"]}'
        if digest is None and require_checksums:
            raise ManifestError(f'image {reference} has no {arch} digest in the artifact manifest '
                                f'{manifest["_path"]}: it was never built or locked. Build it (scripts/lab build, '
                                'for the lab) or lock it from a vetted offline bundle')
        if digest is not None and not DIGEST.match(str(digest)):
            raise ManifestError(f'image {reference}: digest {digest!r} in {manifest["_path"]} is not sha256:<64 hex>')
        result.append({
            'name': name,
            'layer': item.get('layer', ''),
            'image': item['image'],
            'tag': str(item['tag']),
            'reference': reference,
            'mirror_reference': f'{registry_mirror}/{reference}' if registry_mirror else reference,
            'digest': digest,
            # What a pod or a runtime setting names: the tag for people, the digest for what runs.
            'pinned': f'{reference}@{digest}' if digest else None,
        })
    return result


def registries(manifest: dict) -> list[str]:
    """Every upstream registry host the manifest's images come from (each needs a mirror entry)."""
    hosts = set()
    for entry in (manifest.get('kubernetes') or {}).values():
        hosts.update(item['image'].split('/', 1)[0] for item in (entry.get('images') or {}).values())
    hosts.update(item['image'].split('/', 1)[0] for item in (manifest.get('test_images') or {}).values())
    return sorted(hosts)


def lock_images(manifest: dict, kubernetes_version: str | None, digests: dict, arch: str = 'amd64',
                test_images: bool = False) -> dict:
    """A copy of the manifest with the digest of each named image (``{name: digest}``) written in: the digests
    of the tags a bundle copied. An image whose manifest already pins another digest is refused."""
    locked = {key: value for key, value in manifest.items() if key != '_path'}
    locked = yaml.safe_load(yaml.safe_dump(locked))
    sections = [('test_images', locked.get('test_images') or {})] if test_images else []
    if kubernetes_version:
        minor = minor_of(kubernetes_version)
        release(manifest, kubernetes_version)
        sections.append((f'Kubernetes {kubernetes_version}', locked['kubernetes'][minor].get('images') or {}))
    for name, digest in digests.items():
        if not DIGEST.match(str(digest)):
            raise ManifestError(f'image {name}: digest {digest!r} is not sha256:<64 hex>')
        entry = next((section[name] for _where, section in sections if name in section), None)
        if entry is None:
            raise ManifestError(f'image {name} is not in the artifact manifest for '
                                f'{" or ".join(where for where, _section in sections)}')
        pinned = _per_arch(entry.get('digest'), arch)
        if pinned is not None and pinned != digest:
            raise ManifestError(f'image {entry["image"]}:{entry["tag"]} is {digest} for {arch}, but the manifest pins '
                                f'{pinned}: the source serves another image under that tag. Check the source; '
                                'if the new image is vetted, remove the old digest from the manifest')
        if not isinstance(entry.get('digest'), dict):
            entry['digest'] = {}
        entry['digest'][arch] = digest
    return locked
