# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Paths, settings and small helpers every step of the lab build shares; the record of what was built."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
MANIFEST = REPO / 'artifacts' / 'manifest.yml'
RESULTS = REPO / 'benchmarks' / 'results' / 'artifacts_build.json'
CONTAINERS_CONF = REPO / 'lab' / 'containers.conf'
BUILD_DIR = Path(os.environ.get('CAAS_BUILD_DIR', '/var/cache/caas-lab/build'))
DEFAULT_BUNDLE = Path('/var/cache/caas-lab/bundle')
# Source snapshots of what the module proxy refuses (their README gives each one's provenance), beside the checkout.
SHARED_SOURCES = Path(os.environ.get('CAAS_SHARED_SOURCES', REPO.parent / 'shared' / 'sources'))
GO = '/usr/local/go/bin/go'
# Pinned so that another machine builds with the very same compiler (the go command fetches it if needed).
GO_TOOLCHAIN = 'go1.26.8'
ARCH = 'amd64'
# No symbol table, no DWARF, no build ID: with -trimpath the binaries depend on their inputs only.
REPRODUCIBLE_LDFLAGS = '-s -w -buildid='
IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
IMAGE_PATH_ENV = f'PATH={IMAGE_PATH}'


class BuildError(Exception):
    pass


# What this run built or found cached, for build-record.json: {section: {key: {'inputs': hash, 'outputs': ...}}}.
RECORD = {'go': {}, 'artifacts': {}}


def remember(section, key, inputs, outputs):
    RECORD[section][key] = {'inputs': hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest(),
                            'outputs': outputs}


# -- small helpers ---------------------------------------------------------------------------------

def run(*cmd, env=None, cwd=None, capture=False):
    """Runs a command; on failure raises BuildError with the command and the end of its output."""
    result = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, text=True, check=False,
                            stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE)
    if result.returncode != 0:
        raise BuildError(f'{" ".join(str(c) for c in cmd)} failed (rc {result.returncode}):\n'
                         + result.stderr.strip()[-4000:])
    return result.stdout if capture else None


def replace_checked(path, old, new, count=1, what=''):
    """Replaces old by new in the file at path, refusing (BuildError) unless old is there exactly count times: an
    edit of upstream's files that no longer applies must stop the build, not pass silently."""
    path = Path(path)
    text = path.read_text()
    if text.count(old) != count:
        raise BuildError(f'{what or path} holds {old!r} {text.count(old)} times, not {count}: the edit '
                         'no longer applies; check it against the release')
    path.write_text(text.replace(old, new))


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_text(text):
    return hashlib.sha256(text.encode()).hexdigest()


def read_json(path):
    try:
        return json.loads(Path(path).read_text())
    except (FileNotFoundError, ValueError):
        return None


def write_file_atomic(path, data):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + '.tmp')
    tmp.write_bytes(data if isinstance(data, bytes) else data.encode())
    tmp.replace(path)


def canonical(data):
    """data as it reads back from a stamp (tuples become lists), so that the two compare equal."""
    return json.loads(json.dumps(data, sort_keys=True))


def write_json(path, data):
    write_file_atomic(path, json.dumps(data, indent=2, sort_keys=True) + '\n')


def scratch_dir():
    """A temporary directory on the build disk (the binaries are large)."""
    (BUILD_DIR / 'tmp').mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=BUILD_DIR / 'tmp')


def debian_version(package):
    return run('dpkg-query', '-W', '-f', '${Version}', package, capture=True)
