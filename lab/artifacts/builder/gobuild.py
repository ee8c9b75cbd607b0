# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Go builds from the module proxy: a go.mod of ours per component, a pinned toolchain, reproducible flags,
and a stamp of the inputs next to each binary."""

from __future__ import annotations

import calendar
import functools
import json
import os
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .common import (
    ARCH,
    BUILD_DIR,
    BuildError,
    GO,
    GO_TOOLCHAIN,
    REPRODUCIBLE_LDFLAGS,
    SHARED_SOURCES,
    canonical,
    debian_version,
    read_json,
    remember,
    replace_checked,
    run,
    sha256_file,
    sha256_text,
    write_json,
)

# -- Go --------------------------------------------------------------------------------------------

# Go settings that only say where modules come from, kept from the caller's environment.
GO_FETCH_SETTINGS = ('GOPROXY', 'GONOPROXY', 'GONOSUMDB', 'GONOSUMCHECK', 'GOPRIVATE', 'GOSUMDB', 'GOINSECURE')
# Modules the checksum database has no record of (its lookup answers 404), with the Sum and GoModSum that
# `go mod download -json` reported the first time: trust on first use. Only these modules are fetched with
# GONOSUMDB, their dependencies are still checked, and a download with other sums is refused.
UNLISTED_MODULES = {
    ('github.com/aquasecurity/kube-bench', 'v0.16.0'): ('h1:HSKZktp3K+KNQj+PMvnCQM8iiMnufsTRY0L+DDl5Z1c=',
                                                        'h1:INzlKU+CbU6nq9qwomz906z0axY42wy1RZKW2PI50Rc='),
}


# Go settings a recipe may add (GoBuild.settings): they change what is built, so they are part of its stamp.
RECIPE_SETTINGS = ('GOEXPERIMENT',)


def go_env(cgo=False, nosumdb=(), mod='mod', settings=(), gopath=None):
    """The caller's environment without the settings that would change what is built, plus ours;
    nosumdb: modules to fetch without the checksum database (UNLISTED_MODULES); mod: -mod= (vendor, readonly);
    settings: the recipe's (name, value) pairs, names from RECIPE_SETTINGS; gopath: build in GOPATH mode there
    (no modules, so no -mod)."""
    env = {k: v for k, v in os.environ.items()
           if k in GO_FETCH_SETTINGS or not (k.startswith(('GO', 'CGO_')) or k in ('CC', 'CXX'))}
    env.update(PATH=f'{Path(GO).parent}:{env.get("PATH", "/usr/bin:/bin")}', GOENV='off', GOTOOLCHAIN=GO_TOOLCHAIN,
               GOMODCACHE=str(BUILD_DIR / 'go' / 'mod'), GOCACHE=str(BUILD_DIR / 'go' / 'cache'), GOFLAGS=f'-mod={mod}',
               GOOS='linux', GOARCH=ARCH, CGO_ENABLED='1' if cgo else '0')
    if gopath:
        env.update(GO111MODULE='off', GOPATH=str(gopath), GOFLAGS='')
    unknown = sorted(name for name, _value in settings if name not in RECIPE_SETTINGS)
    if unknown:
        raise BuildError(f'a recipe sets {", ".join(unknown)}: only {", ".join(RECIPE_SETTINGS)} may be set by a '
                         'recipe (the builder owns the others)')
    env.update(settings)
    if cgo:
        env['CC'] = 'gcc'
    if nosumdb:
        env['GONOSUMDB'] = ','.join(filter(None, (env.get('GONOSUMDB'), *nosumdb)))
    return env


def go(*args, cwd=None, cgo=False, capture=False, nosumdb=(), mod='mod', root=None, settings=(), gopath=None):
    """The go command; with root, chrooted into that build root (in a mount namespace of its own, Go's toolchain
    and CAAS_BUILD_DIR bound at their paths), for cgo against another release's libraries."""
    env = go_env(cgo, nosumdb, mod, settings, gopath)
    if root is None:
        return run(GO, *args, env=env, cwd=cwd or BUILD_DIR, capture=capture)
    goroot = Path(GO).parents[1]
    binds = ' && '.join(f'mkdir -p "$1{d}" && mount --bind "{d}" "$1{d}"' for d in (goroot, BUILD_DIR, '/dev', '/proc'))
    # coreutils' chroot changes to /: env -C goes to the source directory inside the root.
    script = f'{binds} && root=$1 dir=$2 && shift 2 && exec chroot "$root" /usr/bin/env -C "$dir" "$@"'
    return run('unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root, cwd or BUILD_DIR,
               GO, *args, env=env, capture=capture)


@functools.cache
def go_version():
    return go('version', capture=True).strip()


@functools.cache
def go_module(module, version):
    """The module's sources in GOMODCACHE (fetched through the module proxy once): Dir, GoMod and Info paths.
    An unlisted module must have its pinned sums."""
    pinned = UNLISTED_MODULES.get((module, version))
    info = json.loads(go('mod', 'download', '-json', f'{module}@{version}', capture=True,
                         nosumdb=(module,) if pinned else ()))
    if pinned and (info.get('Sum'), info.get('GoModSum')) != pinned:
        raise BuildError(f'{module} {version} has the sums {info.get("Sum")} and {info.get("GoModSum")} (go.mod), '
                         f'not the pinned {pinned[0]} and {pinned[1]}: the module proxy or the module cache '
                         f'{info.get("Dir")} serves a different module than the first time. Refusing to build it')
    return info


def unlisted_modules(spec):
    """The spec's modules that the checksum database does not know, checked against their pinned sums."""
    modules = tuple(m for m, v in spec.requires.items() if (m, v) in UNLISTED_MODULES)
    for module in modules:
        go_module(module, spec.requires[module])
    return modules


def module_time(module, version):
    """The version's commit time as the proxy records it: the source date of everything built from it."""
    return json.loads(Path(go_module(module, version)['Info']).read_text())['Time']


def module_go_directive(module, version):
    match = re.search(r'^go (\S+)$', Path(go_module(module, version)['GoMod']).read_text(), re.M)
    if not match:
        raise BuildError(f'{module} {version} has no go directive')
    return match.group(1)


@dataclass(frozen=True)
class GoBinary:
    name: str                   # the output file
    package: str                # its main package
    tags: tuple = ()
    ldflags: str = ''           # after REPRODUCIBLE_LDFLAGS
    flags: tuple = ()           # further go build flags


@dataclass
class GoBuild:
    """A Go component: its modules (the first one is the released one) and the binaries built from them."""
    component: str
    version: str                # the upstream release tag
    requires: dict              # module -> version
    binaries: list
    replaces: dict = field(default_factory=dict)   # module -> "module version"
    data_paths: tuple = ()      # directories and files of the released module shipped beside the binaries
    cgo: bool = False
    c_packages: tuple = ()      # Debian packages a cgo build links from (their versions are inputs)
    revision: int = 1           # bump when the recipe changes what it builds
    tidy_flags: tuple = ()      # for `go mod tidy`, which resolves the imports of every platform
    archive: SourceArchive | None = None        # built from this snapshot, not from the module proxy's zip
    edits: tuple = ()           # (file, old, new): changes to the snapshot's sources, each saying why in the recipe
    build_root: tuple = ()      # (codename, packages): cgo in a root of that Debian release's packages
    settings: tuple = ()        # (name, value): Go settings upstream's build sets too (RECIPE_SETTINGS)
    gopath: str = ''            # the archive's import path, for a snapshot without go.mod: GOPATH mode, its vendor/
    module_dir: str = ''        # where the module is inside the archive (go build runs there)
    extra_archives: tuple = ()  # (directory in the source, SourceArchive): snapshots a `replace` points at
    generate: tuple = ()        # argv tuples run in the source before the build (code generators; argv[0] a file)


@dataclass(frozen=True)
class SourceArchive:
    """A source snapshot in ../shared/sources (`git archive` of one commit; its README gives the provenance):
    for a module the proxy refuses. Built in its own module (its go.mod and go.sum, or its vendor/)."""
    file: str
    sha256: str                 # of the tarball, as the README records it
    commit: str
    date: str                   # the commit's time: the source date of what is built from it


def go_mod_seed(spec):
    """Our go.mod before `go mod tidy`: the released modules, and replaces a dependency's own go.mod would
    have had (Go ignores replaces outside the main module). The go directive is the released module's."""
    primary = next(iter(spec.requires.items()))
    lines = [f'module caas.platform/lab/build/{spec.component}', '', f'go {module_go_directive(*primary)}', '']
    lines += [f'require {m} {v}' for m, v in spec.requires.items()]
    if spec.replaces:
        lines += ['', 'replace (', *(f'\t{m} => {spec.replaces[m]}' for m in sorted(spec.replaces)), ')']
    return '\n'.join(lines) + '\n'


def tools_go(spec):
    """Imports the main packages so that `go mod tidy` records every module they need."""
    imports = ''.join(f'\t_ "{p}"\n' for p in sorted({b.package for b in spec.binaries}))
    return f'//go:build tools\n\npackage tools\n\nimport (\n{imports})\n'


def prepare_go_source(spec):
    """src/<component>-<version>: go.mod, go.sum and tools.go, made again only when the seed changed."""
    src = BUILD_DIR / 'src' / f'{spec.component}-{spec.version}'
    seed, seed_file = go_mod_seed(spec), src / 'go.mod.seed'
    if seed_file.is_file() and seed_file.read_text() == seed and (src / 'go.sum').is_file():
        return src
    src.mkdir(parents=True, exist_ok=True)
    (src / 'go.mod').write_text(seed)
    (src / 'tools.go').write_text(tools_go(spec))
    go('mod', 'tidy', *spec.tidy_flags, cwd=src, nosumdb=unlisted_modules(spec), settings=spec.settings)
    seed_file.write_text(seed)
    return src


def default_binary_name(package):
    """The name `go build -o DIR/` gives a main package: its last path element, skipping a /vN suffix."""
    parts = package.split('/')
    return parts[-2] if re.fullmatch(r'v\d+', parts[-1]) and len(parts) > 1 else parts[-1]


def go_build_commands(spec, out_dir):
    """One go build per set of flags, several packages at once where the default names are right."""
    groups = {}
    for binary in spec.binaries:
        groups.setdefault((binary.tags, binary.ldflags, binary.flags), []).append(binary)
    commands = []
    for (tags, ldflags, flags), binaries in groups.items():
        common = ['build', '-trimpath', *flags, *(['-tags', ','.join(tags)] if tags else []),
                  '-ldflags', f'{REPRODUCIBLE_LDFLAGS} {ldflags}'.strip()]
        together = [b for b in binaries if b.name == default_binary_name(b.package)]
        if together:
            commands.append([*common, '-o', f'{out_dir}/', *(b.package for b in together)])
        commands += [[*common, '-o', out_dir / b.name, b.package] for b in binaries if b not in together]
    return commands


@dataclass
class Built:
    out_dir: Path
    outputs: dict               # file name -> sha256
    source_date: str            # the sources' commit time, as the module proxy records it
    data: dict = field(default_factory=dict)   # path in the released module -> its file (data_paths)
    version: str = ''           # the GoBuild's version (a tag or branch), for the images that print it

    @property
    def source_epoch(self):
        """source_date in seconds since 1970: the date of the files made from it (fixed for a version)."""
        return calendar.timegm(time.strptime(self.source_date, '%Y-%m-%dT%H:%M:%SZ'))


def stamped(out_dir, inputs, produce):
    """Runs produce(tmp_dir), which writes the outputs, unless out_dir's stamp records the same inputs.
    Returns ({output name: sha256}, cached). The stamp is written last, so a failed build leaves none."""
    inputs = canonical(inputs)
    stamp = read_json(out_dir / 'stamp.json')
    if stamp and stamp['inputs'] == inputs and all((out_dir / name).is_file() for name in stamp['outputs']):
        return stamp['outputs'], True
    tmp = out_dir.with_name(out_dir.name + '.tmp')
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    produce(tmp)
    outputs = {p.name: sha256_file(p) for p in sorted(tmp.iterdir())}
    write_json(tmp / 'stamp.json', {'inputs': inputs, 'outputs': outputs})
    shutil.rmtree(out_dir, ignore_errors=True)
    tmp.rename(out_dir)
    return outputs, False


def gopath_root(spec):
    """gopath/<component>-<version>: the GOPATH a GOPATH-mode build runs in (None for a module build)."""
    return BUILD_DIR / 'gopath' / f'{spec.component}-{spec.version}' if spec.gopath else None


def snapshot_path(component, archive):
    """The snapshot's tarball in ../shared/sources, checked against its recorded sha256."""
    path = SHARED_SOURCES / archive.file
    if not path.is_file():
        raise BuildError(f'{path} is missing: {component} is built from the source snapshots beside the '
                         'checkout (../shared/sources, or CAAS_SHARED_SOURCES)')
    if sha256_file(path) != archive.sha256:
        raise BuildError(f'{path} is not the snapshot of {archive.commit} (sha256 {archive.sha256}): refusing it')
    return path


def generate_inputs(spec):
    """The generators as stamp inputs: each tool by its sha256 (its path is the build directory's), then its args."""
    return [[sha256_file(argv[0]), *argv[1:]] for argv in spec.generate]


def unpack_archive(spec):
    """The snapshot, checked against its recorded sha256 and unpacked once (with its extra archives, edits and
    generated code): at src/<component>-<version>, or in GOPATH mode at <gopath_root>/src/<import path>."""
    archive = spec.archive
    src = (gopath_root(spec) / 'src' / spec.gopath if spec.gopath
           else BUILD_DIR / 'src' / f'{spec.component}-{spec.version}')
    identity = [archive.sha256, spec.edits]
    if spec.extra_archives or spec.generate:
        identity += [[(d, a.sha256) for d, a in spec.extra_archives], generate_inputs(spec)]
    marker, state = src / '.caas-archive-sha256', sha256_text(json.dumps(identity))
    if marker.is_file() and marker.read_text() == state:
        return src
    path = snapshot_path(spec.component, archive)
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    run('tar', '-xzf', path, '--strip-components=1', '-C', src)
    for directory, extra in spec.extra_archives:
        (src / directory).mkdir(parents=True)
        run('tar', '-xzf', snapshot_path(spec.component, extra), '--strip-components=1', '-C', src / directory)
    for name, old, new in spec.edits:
        replace_checked(src / name, old, new, what=f'{spec.component} {spec.version} {name}')
    for argv in spec.generate:
        run(*argv, cwd=src, env=go_env(mod='readonly'))
    marker.write_text(state)
    return src


def build_root(codename, packages):
    """roots/<codename>-<hash>: the packages of that release and all they depend on, unpacked once."""
    from .debian import debian_closure, debian_debs, extract_debs   # pylint: disable=import-outside-toplevel
    versions = debian_closure(packages, codename)
    key = sha256_text(json.dumps(versions, sort_keys=True))[:16]
    root = BUILD_DIR / 'roots' / f'{codename}-{key}'
    if not (root / '.complete').is_file():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        extract_debs(debian_debs(versions, codename), root)
        (root / 'tmp').mkdir(mode=0o1777, exist_ok=True)
        (root / 'tmp').chmod(0o1777)
        (root / '.complete').touch()
    return root, versions


def go_build(spec):
    """Builds spec's binaries into out/<component>/<version>/<arch> unless its stamp records the same inputs.
    Returns (Built, cached)."""
    out_dir = BUILD_DIR / 'out' / spec.component / spec.version / ARCH
    root, root_packages = build_root(*spec.build_root) if spec.build_root else (None, None)
    inputs = {'recipe': spec.component, 'revision': spec.revision, 'go': go_version(), 'toolchain': GO_TOOLCHAIN,
              'requires': spec.requires, 'replaces': spec.replaces, 'cgo': spec.cgo, 'arch': ARCH,
              'c': ({p: debian_version(p) for p in ('gcc', *spec.c_packages)} if spec.cgo and not root
                    else root_packages),
              'binaries': [asdict(b) for b in spec.binaries],
              **({'archive': asdict(spec.archive)} if spec.archive else {}),
              **({'edits': [list(e) for e in spec.edits]} if spec.edits else {}),
              **({'settings': [list(e) for e in spec.settings]} if spec.settings else {}),
              **({'gopath': spec.gopath} if spec.gopath else {}),
              **({'module_dir': spec.module_dir} if spec.module_dir else {}),
              **({'extra_archives': [[d, asdict(a)] for d, a in spec.extra_archives]} if spec.extra_archives else {}),
              **({'generate': generate_inputs(spec)} if spec.generate else {})}

    def produce(tmp):
        if spec.archive:
            src = unpack_archive(spec) / spec.module_dir
            mod = 'vendor' if (src / 'vendor').is_dir() else 'readonly'
            for command in go_build_commands(spec, tmp):
                go(*command, cwd=src, cgo=spec.cgo, mod=mod, root=root, settings=spec.settings,
                   gopath=gopath_root(spec))
            return
        src = prepare_go_source(spec)
        for command in go_build_commands(spec, tmp):
            go(*command, cwd=src, cgo=spec.cgo, nosumdb=unlisted_modules(spec), settings=spec.settings)

    outputs, cached = stamped(out_dir, inputs, produce)
    remember('go', f'{spec.component} {spec.version}', canonical(inputs), outputs)
    if spec.archive:
        source = unpack_archive(spec)
        data = {p.relative_to(source).as_posix(): p for d in spec.data_paths
                for p in ([source / d] if (source / d).is_file() else sorted((source / d).rglob('*'))) if p.is_file()}
        return Built(out_dir, outputs, spec.archive.date, data, spec.version), cached
    released = next(iter(spec.requires.items()))
    source = Path(go_module(*released)['Dir'])
    data = {p.relative_to(source).as_posix(): p for d in spec.data_paths
            for p in ([source / d] if (source / d).is_file() else sorted((source / d).rglob('*'))) if p.is_file()}
    return Built(out_dir, outputs, module_time(*released), data, spec.version), cached
