# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bundle's files, laid out as upstream publishes them, each written once per change of its inputs."""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile

from .common import (
    ARCH,
    BUILD_DIR,
    BuildError,
    canonical,
    read_json,
    remember,
    sha256_file,
    write_file_atomic,
    write_json)

# -- bundle files ----------------------------------------------------------------------------------


def write_tar_gz(dest, members, mtime, data=None):
    """A reproducible tar.gz: members {archive name: file} (mode 0755), data {archive name: file} (0644),
    their directories, sorted, owned by 0:0, all dated mtime, and a gzip header without name or date."""
    names = {}
    for name, source in [*((n, (s, 0o755)) for n, s in members.items()),
                         *((n, (s, 0o644)) for n, s in (data or {}).items())]:
        names[name] = source
        parent = os.path.dirname(name)
        while parent:
            names.setdefault(parent, None)
            parent = os.path.dirname(parent)
    tmp = dest.with_name(dest.name + '.tmp')
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, 'wb') as raw, gzip.GzipFile(filename='', mode='wb', fileobj=raw, mtime=0, compresslevel=6) as gz, \
            tarfile.open(fileobj=gz, mode='w', format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(names):
            info = tarfile.TarInfo(name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = mtime, 0, 0, '', ''
            if names[name] is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                source, info.mode = names[name]
                info.size = os.path.getsize(source)
                with open(source, 'rb') as handle:
                    tar.addfile(info, handle)
    tmp.replace(dest)


def bundle_stamp_path(dest):
    """The stamp of a bundle file: CAAS_BUILD_DIR/stamps/<its absolute path>.json, one per bundle directory."""
    return BUILD_DIR / 'stamps' / f'{str(dest.resolve()).lstrip("/")}.json'


def bundle_step(dest, inputs, produce):
    """Runs produce() to write dest unless the stamp records the same inputs and dest still has the
    recorded sha256; writes the dl.k8s.io-style <dest>.sha256 beside it. Returns (sha256, cached)."""
    stamp_path = bundle_stamp_path(dest)
    inputs = canonical(inputs)
    stamp = read_json(stamp_path)
    cached = bool(stamp and stamp['inputs'] == inputs and dest.is_file() and sha256_file(dest) == stamp['sha256'])
    if not cached:
        produce()
        write_json(stamp_path, {'inputs': inputs, 'sha256': sha256_file(dest)})
        stamp = read_json(stamp_path)
    sidecar = dest.with_name(dest.name + '.sha256')
    if not sidecar.is_file() or sidecar.read_text() != stamp['sha256']:
        write_file_atomic(sidecar, stamp['sha256'])
    remember('artifacts', dest.as_posix().split('/files/', 1)[-1], inputs, stamp['sha256'])
    return stamp['sha256'], cached


def copy_file(source, dest):
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, dest)


# Manifest files that are a file of the released module as it is, not something built from it.
MODULE_FILES = {'calico-crds': 'manifests/crds.yaml', 'rook-crds': 'deploy/examples/crds.yaml',
                'rook-common': 'deploy/examples/common.yaml'}


def bundle_file(name, entry, built, bundle):
    """A manifest file: the binary itself, a file of the released module (MODULE_FILES), or a tar.gz of its
    members (built binaries of the same base name) and all of the build's data files (members may name some
    of them, as files to install)."""
    dest = bundle / 'files' / entry['path'].format(arch=ARCH)
    if name in MODULE_FILES:
        source = built.data[MODULE_FILES[name]]
        return bundle_step(dest, {'revision': 1, 'source': sha256_file(source)}, lambda: copy_file(source, dest))
    if not entry.get('members'):
        return bundle_step(dest, {'revision': 1, 'source': built.outputs[name]},
                           lambda: copy_file(built.out_dir / name, dest))
    members = {m.format(arch=ARCH): os.path.basename(m) for m in entry['members']
               if m.format(arch=ARCH) not in built.data}
    missing = [member for member, binary in members.items() if binary not in built.outputs]
    if missing:
        raise BuildError(f'{name}: nothing was built for the members {", ".join(missing)}')
    # Dated when the source was released: fixed for a version, and a true date once unpacked.
    mtime = built.source_epoch
    inputs = {'revision': 1, 'members': {m: built.outputs[b] for m, b in members.items()}, 'mtime': mtime}
    if built.data:
        inputs['data'] = {m: sha256_file(source) for m, source in built.data.items()}
    return bundle_step(dest, inputs, lambda: write_tar_gz(dest, {m: built.out_dir / b for m, b in members.items()},
                                                          mtime, built.data))
