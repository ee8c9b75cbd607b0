# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Debian packages for the images that need more than static binaries: the closure of a package list and
its .debs, pinned by the state of the apt lists."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

from .common import BUILD_DIR, BuildError, run, write_json

# -- Debian packages for the images that need more than static binaries ----------------------------


def debian_closure(packages):
    """{package: candidate version} for the packages and everything they depend on. apt-cache takes
    seconds here (no package cache), so the answer is kept until apt's lists or preferences change."""
    apt_state = [(str(p), p.stat().st_mtime_ns) for p in sorted(Path('/var/lib/apt/lists').glob('*Packages*'))
                 + sorted(Path('/etc/apt').glob('preferences*'))]
    key = hashlib.sha256(json.dumps([sorted(packages), apt_state]).encode()).hexdigest()[:16]
    saved = BUILD_DIR / 'debs' / f'closure-{key}.json'
    if saved.is_file():
        return json.loads(saved.read_text())
    listing = run('apt-cache', 'depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts',
                  '--no-breaks', '--no-replaces', '--no-enhances', *packages, capture=True)
    names = sorted({line for line in listing.splitlines() if line and not line.startswith((' ', '<'))})
    versions = {}
    for stanza in run('apt-cache', 'show', '--no-all-versions', *names, capture=True).split('\n\n'):
        fields = dict(re.findall(r'^(Package|Version): (\S+)$', stanza, re.M))
        if fields:
            versions[fields['Package']] = fields['Version']
    missing = sorted(set(names) - set(versions))
    if missing:
        raise BuildError(f'apt knows no candidate for {", ".join(missing)}: run apt-get update')
    write_json(saved, versions)
    return versions


def debian_debs(versions):
    """The .deb files of exactly these versions, downloaded once into CAAS_BUILD_DIR/debs."""
    debs_dir = BUILD_DIR / 'debs'
    debs_dir.mkdir(parents=True, exist_ok=True)
    debs = {}
    for package, version in versions.items():
        pattern = f'{package}_{version.replace(":", "%3a")}_*.deb'
        if not list(debs_dir.glob(pattern)):
            run('apt-get', 'download', '-q', f'{package}={version}', cwd=debs_dir, capture=True)
        debs[package] = next(debs_dir.glob(pattern))
    return debs


def extract_debs(debs, root):
    """Unpacks the packages' files (not their scripts) over a merged-/usr root, as a Debian 12 system has."""
    for name in ('bin', 'sbin', 'lib', 'lib64'):
        (root / 'usr' / name).mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(f'usr/{name}')
    for deb in debs.values():
        run('sh', '-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x --keep-directory-symlink -C "$2"', 'sh', deb, root)
    for unneeded in ('usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/lintian', 'usr/share/bug',
                     'usr/share/locale'):
        shutil.rmtree(root / unneeded, ignore_errors=True)
