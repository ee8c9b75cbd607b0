# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Debian packages for the images that need more than static binaries: the closure of a package list and
its .debs, pinned by the state of the apt lists. From the machine's own release, or from another release
(suite) through an apt state of the build's own (the Ceph images: Debian 13 packages Ceph Reef)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import time
from pathlib import Path

from .common import BUILD_DIR, BuildError, run, write_json

# -- Debian packages for the images that need more than static binaries ----------------------------

# A suite's lists are fetched again when older than this: a build reads the release's current point release, as
# `apt-get update` on the machine does for its own. What an image was built from is in its stamp's inputs.
SUITE_LISTS_MAX_AGE = 24 * 3600


def machine_codename():
    return re.search(r'^VERSION_CODENAME=(\S+)$', Path('/etc/os-release').read_text(), re.M).group(1)


def suite_sources(codename):
    """The machine's own Debian sources (deb822 or one-line), with its release's codename replaced: the same
    archives, whatever the machine's apt is configured to reach, for the other release."""
    machine = machine_codename()
    parts = Path('/etc/apt/sources.list.d')
    texts = [p.read_text() for p in sorted(parts.glob('*.sources'))]
    one_line = [p.read_text() for p in [Path('/etc/apt/sources.list'), *sorted(parts.glob('*.list'))] if p.is_file()]
    stanzas = [s for text in texts for s in text.split('\n\n') if re.search(rf'^Suites:.*\b{machine}\b', s, re.M)]
    lines = [line for text in one_line for line in text.splitlines()
             if re.match(rf'^deb\s.*\s{machine}(-\S+)?\s', line)]
    if not stanzas and not lines:
        raise BuildError(f'no Debian {machine} source in /etc/apt: cannot derive the {codename} archives from it')
    rename = functools.partial(re.sub, rf'\b{machine}\b', codename)
    return ('\n\n'.join(rename(s.strip()) for s in stanzas) + '\n', '\n'.join(rename(line) for line in lines) + '\n')


class Apt:
    """apt-get and apt-cache on the machine's lists (codename None) or on a release's lists of the build's own,
    under CAAS_BUILD_DIR/apt/<codename> (sources derived from the machine's, fetched when missing or stale)."""

    def __init__(self, codename=None):
        self.codename = codename
        self.options = []
        if codename is None:
            self.lists = Path('/var/lib/apt/lists')
            return
        base = BUILD_DIR / 'apt' / codename
        self.lists = base / 'state' / 'lists'
        self.options = [f'-o{k}={v}' for k, v in (
            ('Dir::State', base / 'state'), ('Dir::State::status', base / 'state' / 'status'),
            ('Dir::Cache', base / 'cache'), ('Dir::Etc::SourceList', base / 'sources.list'),
            ('Dir::Etc::SourceParts', base / 'sources.list.d'), ('Dir::Etc::Preferences', '/dev/null'),
            ('Dir::Etc::PreferencesParts', base / 'preferences.d'), ('APT::Architecture', 'amd64'))]
        deb822, one_line = suite_sources(codename)
        for directory in ('state/lists/partial', 'cache/archives/partial', 'sources.list.d', 'preferences.d'):
            (base / directory).mkdir(parents=True, exist_ok=True)
        (base / 'state' / 'status').touch()
        changed = False
        for path, text in ((base / 'sources.list.d' / 'debian.sources', deb822), (base / 'sources.list', one_line)):
            if not path.is_file() or path.read_text() != text:
                path.write_text(text)
                changed = True
        newest = max((p.stat().st_mtime for p in self.lists.glob('*Packages*')), default=0)
        if changed or time.time() - newest > SUITE_LISTS_MAX_AGE:
            run('apt-get', *self.options, '-q', 'update', capture=True)
            for path in self.lists.glob('*Packages*'):
                os.utime(path)

    def __call__(self, tool, *args, cwd=None):
        return run(tool, *self.options, *args, cwd=cwd, capture=True)

    def state(self):
        """What the closure depends on: the lists and the preferences."""
        preferences = sorted(Path('/etc/apt').glob('preferences*')) if self.codename is None else []
        return [(str(p), p.stat().st_mtime_ns) for p in sorted(self.lists.glob('*Packages*')) + preferences]


@functools.cache
def apt(codename=None):
    return Apt(codename)


def debian_closure(packages, codename=None):
    """{package: candidate version} for the packages and everything they depend on, in the machine's release or
    in codename's. apt-cache takes seconds here (no package cache), so the answer is kept until the lists or
    preferences change."""
    tool = apt(codename)
    key = hashlib.sha256(json.dumps([sorted(packages), codename, tool.state()]).encode()).hexdigest()[:16]
    saved = BUILD_DIR / 'debs' / f'closure-{key}.json'
    if saved.is_file():
        return json.loads(saved.read_text())
    listing = tool('apt-cache', 'depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts',
                   '--no-breaks', '--no-replaces', '--no-enhances', *packages)
    names = sorted({line for line in listing.splitlines() if line and not line.startswith((' ', '<'))})
    versions = {}
    for stanza in tool('apt-cache', 'show', '--no-all-versions', *names).split('\n\n'):
        fields = dict(re.findall(r'^(Package|Version): (\S+)$', stanza, re.M))
        if fields:
            versions[fields['Package']] = fields['Version']
    missing = sorted(set(names) - set(versions))
    if missing:
        raise BuildError(f'apt knows no candidate for {", ".join(missing)}'
                         f'{"" if codename else ": run apt-get update"}')
    write_json(saved, versions)
    return versions


def debian_debs(versions, codename=None):
    """The .deb files of exactly these versions, downloaded once into CAAS_BUILD_DIR/debs."""
    debs_dir = BUILD_DIR / 'debs'
    debs_dir.mkdir(parents=True, exist_ok=True)
    debs, missing = {}, []
    for package, version in versions.items():
        pattern = f'{package}_{version.replace(":", "%3a")}_*.deb'
        if not list(debs_dir.glob(pattern)):
            missing.append(f'{package}={version}')
    for start in range(0, len(missing), 100):
        apt(codename)('apt-get', 'download', '-q', *missing[start:start + 100], cwd=debs_dir)
    for package, version in versions.items():
        debs[package] = next(debs_dir.glob(f'{package}_{version.replace(":", "%3a")}_*.deb'))
    return debs


def extract_debs(debs, root):
    """Unpacks the packages' files (not their scripts) over a merged-/usr root, as a Debian 12 system has (made
    on the first call for a root)."""
    for name in ('bin', 'sbin', 'lib', 'lib64'):
        (root / 'usr' / name).mkdir(parents=True, exist_ok=True)
        if not (root / name).is_symlink():
            (root / name).symlink_to(f'usr/{name}')
    for deb in debs.values():
        run('sh', '-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x --keep-directory-symlink -C "$2"', 'sh', deb, root)
    for unneeded in ('usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/lintian', 'usr/share/bug',
                     'usr/share/locale'):
        shutil.rmtree(root / unneeded, ignore_errors=True)
