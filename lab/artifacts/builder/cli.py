# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The command line of lab/artifacts/build.py: preflight, what to build, the report."""

from __future__ import annotations

import argparse
import fcntl
import functools
import os
import shutil
import sys
import time
from pathlib import Path

import yaml

from .common import (
    BUILD_DIR,
    BuildError,
    DEFAULT_BUNDLE,
    GO,
    MANIFEST,
    RECORD,
    read_json,
    write_file_atomic,
    write_json)
from .gobuild import go
from .release import Release
from .manifest import LAB_MANIFEST_HEADER, compare_records, dump_manifest, lab_manifest, save_results

GO_CACHE_MAX_BYTES = int(float(os.environ.get('CAAS_BUILD_GO_CACHE_MAX_GB', '2')) * (1 << 30))


def trim_go_cache():
    cache = BUILD_DIR / 'go' / 'cache'
    size = sum(p.stat().st_size for p in cache.rglob('*') if p.is_file()) if cache.is_dir() else 0
    if size > GO_CACHE_MAX_BYTES:
        go('clean', '-cache')
        print(f'\nGo build cache {size / (1 << 30):.1f} GiB emptied (above {GO_CACHE_MAX_BYTES / (1 << 30):.1f} GiB; '
              'CAAS_BUILD_GO_CACHE_MAX_GB)')


def preflight():
    if os.geteuid() != 0:
        raise BuildError('run as root: the images need chroot and file capabilities')
    missing = [tool for tool in (GO, 'gcc', 'strip', 'pkg-config', 'buildah', 'setcap', 'apt-get', 'dpkg-deb')
               if not shutil.which(tool)]
    if not Path('/usr/lib/x86_64-linux-gnu/libseccomp.a').is_file():
        missing.append('libseccomp-dev')
    if missing:
        raise BuildError(f'missing {", ".join(missing)}: run scripts/bootstrap (Go goes to /usr/local/go)')


def parse_args(manifest, usage):
    minors = sorted(manifest['kubernetes'], key=lambda m: tuple(int(x) for x in m.split('.')))
    parser = argparse.ArgumentParser(description=usage.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--minor', choices=minors, default=minors[-1], help='Kubernetes minor (default: the newest)')
    parser.add_argument('--only', nargs='+', metavar='NAME',
                        help='only these manifest entries (files, images, test images)')
    parser.add_argument('--bundle', type=Path, default=DEFAULT_BUNDLE,
                        help=f'bundle directory (default {DEFAULT_BUNDLE})')
    parser.add_argument('--reference', type=Path, metavar='OTHER_BUNDLE',
                        help='another build\'s bundle: outputs of equal inputs must be equal (build against build)')
    args = parser.parse_args()
    args.bundle = args.bundle.resolve()
    release = manifest['kubernetes'][args.minor]
    known = set(release['files']) | set(release['images']) | set(manifest.get('test_images', {}))
    if args.only and set(args.only) - known:
        parser.error(f'unknown names {", ".join(sorted(set(args.only) - known))}; known: {", ".join(sorted(known))}')
    return args


def build_all(release, test_images, only):
    """Builds the selected entries, going on past failures; returns {(kind, name): checksum} of the built ones."""
    work = [('file', name, release.file) for name in release.entry['files']]
    work += [('image', name, release.image) for name in release.entry['images']]
    work += [('test_image', name, functools.partial(release.test_image, entry=entry))
             for name, entry in test_images.items()]
    work = [(kind, name, action) for kind, name, action in work if not only or name in only]
    built, start = {}, time.monotonic()
    for number, (kind, name, action) in enumerate(work, 1):
        # Progress a person can follow: a cold build spends minutes in one Go build without a line otherwise.
        elapsed = int(time.monotonic() - start)
        print(f'[{number}/{len(work)}, {elapsed // 60}:{elapsed % 60:02d}] {kind.replace("_", " ")} {name}', flush=True)
        try:
            built[(kind, name)] = action(name)
        except BuildError as error:
            release.steps.setdefault(f'{kind.replace("_", " ")} {name}', {'error': str(error)})
    return built


def report(release, built, differences, incomparable, run_kind, total, bundle):
    print(f'\n{"step":40} {"seconds":>8}  cached')
    for step, result in release.steps.items():
        state = 'FAILED' if 'error' in result else 'yes' if result['cached'] else 'no'
        print(f'{step:40} {result.get("seconds", 0):8.1f}  {state}')
    print(f'{"total (" + run_kind + ")":40} {total:8.1f}')
    print(f'\nbundle {bundle}:')
    for (kind, name), value in built.items():
        print(f'  {kind:10} {name:24} {value}')
    if incomparable:
        print('\nnot compared with the reference (built from other inputs, e.g. Debian packages that moved):',
              *incomparable, sep='\n  ')
    if differences:
        print('\nreproducibility differences (same inputs as the reference, other outputs):',
              *differences, sep='\n  ', file=sys.stderr)
    failed = {step: result['error'] for step, result in release.steps.items() if 'error' in result}
    if failed:
        print('\nfailed:', *(f'{step}: {error}' for step, error in failed.items()), sep='\n  ', file=sys.stderr)
    return bool(failed)


def main(usage):
    """Builds what the command line asks; usage is build.py's docstring (its first paragraph is --help's)."""
    text = MANIFEST.read_text()
    manifest = yaml.safe_load(text)
    args = parse_args(manifest, usage)
    preflight()
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    with open(BUILD_DIR / '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # one run at a time: the machine has cores for one go build
        start = time.monotonic()
        release = Release(manifest['kubernetes'][args.minor], args.bundle)
        built = build_all(release, manifest.get('test_images', {}), set(args.only or ()))

        bundle_manifest_path, record_path = args.bundle / 'manifest.yml', args.bundle / 'build-record.json'
        previous = yaml.safe_load(bundle_manifest_path.read_text()) if bundle_manifest_path.is_file() else None
        write_file_atomic(bundle_manifest_path, dump_manifest(lab_manifest(manifest, args.minor, built, previous),
                                                              LAB_MANIFEST_HEADER))
        record = read_json(record_path) or {}
        for section, entries in RECORD.items():
            record.setdefault(section, {}).update(entries)
        write_json(record_path, record)
        differences, incomparable = [], []
        if args.reference:
            reference = read_json(args.reference / 'build-record.json')
            if reference is None:
                raise BuildError(f'{args.reference}/build-record.json cannot be read: is {args.reference} a bundle?')
            differences, incomparable = compare_records(RECORD, reference)
        if not any('error' in step for step in release.steps.values()):
            trim_go_cache()     # under the lock: no other run is compiling into the cache
        total = time.monotonic() - start

    run_kind = save_results(args.minor, release.steps, total)
    failed = report(release, built, differences, incomparable, run_kind, total, args.bundle)
    return 1 if failed or differences else 0
