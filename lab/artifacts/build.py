# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builds the air-gapped data center's artifacts from source, reproducibly.

  build [--minor 1.36] [--only NAME...] [--bundle DIR] [--reference OTHER_BUNDLE]

For one Kubernetes minor of artifacts/manifest.yml (default: the newest) and the test images, for amd64:
the Go binaries from the module proxy's sources with a pinned Go toolchain, upstream's release files and
archives, and OCI images made with buildah, into a bundle laid out as upstream publishes them:
  files/<host>/<path>, files/<host>/<path>.sha256, images/<image>/<tag>.oci.tar,
  manifest.yml (the lab's own manifest: what this build made, with its checksums; the lab inventory uses it),
  build-record.json (each Go build's and each artifact's inputs, as a hash, and outputs).
Every step keeps a stamp of its inputs and is skipped when they did not change: a second run is a no-op.
The collection's manifest holds upstream's checksums, which the lab's builds never match: nothing built here is
compared with a committed checksum. Reproducibility is checked build against build: with --reference, every Go
build and artifact whose inputs equal those in the other bundle's build-record.json must have its outputs too
(an image whose Debian packages moved has other inputs, and is listed as not comparable, not as a failure).
Times per step go to benchmarks/results/artifacts_build.json ("cold", or "warm" when all was cached).

CAAS_BUILD_DIR (default /var/cache/caas-lab/build) holds the Go caches (go/mod, go/cache), one source
directory per component (src/<component>-<version>: a go.mod of ours), the binaries with their stamps
(out/<component>/<version>/<arch>), buildah's storage, and the bundle's stamps (stamps/<bundle path>.json).
Needs root (chroot, file capabilities), Go in /usr/local/go, gcc, libseccomp-dev and buildah (scripts/bootstrap).
"""

from __future__ import annotations

import argparse
import calendar
import copy
import fcntl
import functools
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / 'artifacts' / 'manifest.yml'
RESULTS = REPO / 'benchmarks' / 'results' / 'artifacts_build.json'
CONTAINERS_CONF = REPO / 'lab' / 'containers.conf'
BUILD_DIR = Path(os.environ.get('CAAS_BUILD_DIR', '/var/cache/caas-lab/build'))
DEFAULT_BUNDLE = Path('/var/cache/caas-lab/bundle')
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


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


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


def go_env(cgo=False, nosumdb=()):
    """The caller's environment without the settings that would change what is built, plus ours;
    nosumdb: modules to fetch without the checksum database (UNLISTED_MODULES)."""
    env = {k: v for k, v in os.environ.items()
           if k in GO_FETCH_SETTINGS or not (k.startswith(('GO', 'CGO_')) or k in ('CC', 'CXX'))}
    env.update(PATH=f'{Path(GO).parent}:{env.get("PATH", "/usr/bin:/bin")}', GOENV='off', GOTOOLCHAIN=GO_TOOLCHAIN,
               GOMODCACHE=str(BUILD_DIR / 'go' / 'mod'), GOCACHE=str(BUILD_DIR / 'go' / 'cache'), GOFLAGS='-mod=mod',
               GOOS='linux', GOARCH=ARCH, CGO_ENABLED='1' if cgo else '0')
    if cgo:
        env['CC'] = 'gcc'
    if nosumdb:
        env['GONOSUMDB'] = ','.join(filter(None, (env.get('GONOSUMDB'), *nosumdb)))
    return env


def go(*args, cwd=None, cgo=False, capture=False, nosumdb=()):
    return run(GO, *args, env=go_env(cgo, nosumdb), cwd=cwd or BUILD_DIR, capture=capture)


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
    go('mod', 'tidy', *spec.tidy_flags, cwd=src, nosumdb=unlisted_modules(spec))
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


def go_build(spec):
    """Builds spec's binaries into out/<component>/<version>/<arch> unless its stamp records the same inputs.
    Returns (Built, cached)."""
    out_dir = BUILD_DIR / 'out' / spec.component / spec.version / ARCH
    inputs = {'recipe': spec.component, 'revision': spec.revision, 'go': go_version(), 'toolchain': GO_TOOLCHAIN,
              'requires': spec.requires, 'replaces': spec.replaces, 'cgo': spec.cgo, 'arch': ARCH,
              'c': {p: debian_version(p) for p in ('gcc', *spec.c_packages)} if spec.cgo else None,
              'binaries': [asdict(b) for b in spec.binaries]}

    def produce(tmp):
        src = prepare_go_source(spec)
        for command in go_build_commands(spec, tmp):
            go(*command, cwd=src, cgo=spec.cgo, nosumdb=unlisted_modules(spec))

    outputs, cached = stamped(out_dir, inputs, produce)
    remember('go', f'{spec.component} {spec.version}', canonical(inputs), outputs)
    released = next(iter(spec.requires.items()))
    source = Path(go_module(*released)['Dir'])
    data = {p.relative_to(source).as_posix(): p for d in spec.data_paths
            for p in ([source / d] if (source / d).is_file() else sorted((source / d).rglob('*'))) if p.is_file()}
    return Built(out_dir, outputs, module_time(*released), data), cached


# -- the build recipes -----------------------------------------------------------------------------

KUBERNETES_COMMANDS = ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'kubelet',
                       'kubeadm', 'kubectl')


def kubernetes(version):
    """Server and client binaries, as the hand build in src/kubernetes-<tag> made them: its go.mod pins the
    staging modules (k8s.io/<name> v0.<minor>.<patch>) like k8s.io/kubernetes's own replace block does."""
    tag, module = f'v{version}', 'k8s.io/kubernetes'
    major, minor = version.split('.')[:2]
    staging = re.findall(r'^\s*(k8s\.io/\S+) => \./staging/src/k8s\.io/\S+\s*$',
                         Path(go_module(module, tag)['GoMod']).read_text(), re.M)
    replaces = {m: f'{m} v0.{version.split(".", 1)[1]}' for m in staging}
    build_date = module_time(module, tag)
    stamps = (('gitVersion', tag), ('gitMajor', major), ('gitMinor', minor), ('gitTreeState', 'clean'),
              ('buildDate', build_date))
    ldflags = ' '.join(f'-X {pkg}.{key}={value}'
                       for pkg in ('k8s.io/component-base/version', 'k8s.io/client-go/pkg/version')
                       for key, value in stamps)
    return GoBuild('kubernetes', tag, {module: tag}, replaces=replaces,
                   binaries=[GoBinary(c, f'{module}/cmd/{c}', ldflags=ldflags) for c in KUBERNETES_COMMANDS])


def containerd(version):
    """Upstream's static build (STATIC=1), without cgo: that leaves out the btrfs snapshotter, the one part
    that needs C headers (no_btrfs says so); devmapper is pure Go and stays."""
    tag, module = f'v{version}', 'github.com/containerd/containerd/v2'
    ldflags = f'-X {module}/version.Version={tag} -X {module}/version.Package={module}'
    tags = ('urfave_cli_no_docs', 'osusergo', 'netgo', 'static_build', 'no_btrfs')
    return GoBuild('containerd', tag, {module: tag}, binaries=[
        GoBinary('containerd', f'{module}/cmd/containerd', tags, ldflags),
        GoBinary('ctr', f'{module}/cmd/ctr', tags, ldflags),
        GoBinary('containerd-shim-runc-v2', f'{module}/cmd/containerd-shim-runc-v2', (*tags, 'no_grpc'), ldflags)])


def runc(version):
    """Upstream's `make static` on amd64: cgo (nsenter, libseccomp) linked as a static PIE."""
    tag, module = f'v{version}', 'github.com/opencontainers/runc'
    return GoBuild('runc', tag, {module: tag}, cgo=True, c_packages=('libc6-dev', 'libseccomp-dev'), binaries=[
        GoBinary('runc', module, ('seccomp', 'urfave_cli_no_docs', 'netgo', 'osusergo'),
                 '-linkmode external -extldflags -static-pie', ('-buildmode=pie',))])


def cni_plugins(version, plugins):
    """The plugins the manifest installs, from plugins/{main,ipam,meta}, as upstream's release script builds them."""
    tag, module = f'v{version}', 'github.com/containernetworking/plugins'
    source = Path(go_module(module, tag)['Dir'])
    available = {d.name: f'{module}/plugins/{kind}/{d.name}' for kind in ('main', 'ipam', 'meta')
                 for d in (source / 'plugins' / kind).iterdir() if d.is_dir() and d.name != 'windows'}
    unknown = sorted(set(plugins) - set(available))
    if unknown:
        raise BuildError(f'CNI plugins {tag} has no {", ".join(unknown)}: fix the members list in {MANIFEST}')
    ldflags = f'-X {module}/pkg/utils/buildversion.BuildVersion={tag}'
    return GoBuild('cni-plugins', tag, {module: tag},
                   binaries=[GoBinary(p, available[p], ldflags=ldflags) for p in sorted(plugins)])


def crictl(version):
    tag, module = f'v{version}', 'sigs.k8s.io/cri-tools'
    # Upstream's Makefile stamps the version without its v.
    return GoBuild('crictl', tag, {module: tag}, binaries=[
        GoBinary('crictl', f'{module}/cmd/crictl', ldflags=f'-X {module}/pkg/version.Version={version}')])


def etcd(version):
    """etcd, etcdctl and etcdutl. Their go.mod files point the sibling modules at ../<dir> (ignored outside
    etcd's tree); the replaces pin those siblings at the same release instead."""
    tag = f'v{version}'
    siblings = ('api', 'client/pkg', 'client', 'pkg', 'server', 'etcdctl', 'etcdutl')
    replaces = {f'go.etcd.io/etcd/{d}/v3': f'go.etcd.io/etcd/{d}/v3 {tag}' for d in siblings}
    return GoBuild('etcd', tag, {f'go.etcd.io/etcd/{m}/v3': tag for m in ('server', 'etcdctl', 'etcdutl')},
                   replaces=replaces, binaries=[
                       GoBinary('etcd', 'go.etcd.io/etcd/server/v3'),
                       GoBinary('etcdctl', 'go.etcd.io/etcd/etcdctl/v3'),
                       GoBinary('etcdutl', 'go.etcd.io/etcd/etcdutl/v3')])


def helm(version):
    """helm with upstream's version stamps, including the Kubernetes version its lint and chart checks assume
    (from the client-go it requires, as its Makefile computes it)."""
    tag, module = f'v{version}', 'helm.sh/helm/v3'
    go_mod = Path(go_module(module, tag)['GoMod']).read_text()
    k8s_minor = re.search(r'^\s*k8s\.io/client-go v0\.(\d+)\.', go_mod, re.M).group(1)
    ldflags = ' '.join([f'-X {module}/internal/version.version={tag}',
                        f'-X {module}/internal/version.gitTreeState=clean',
                        *(f'-X {module}/pkg/{pkg}.k8sVersion{part}={value}' for pkg in ('lint/rules', 'chartutil')
                          for part, value in (('Major', '1'), ('Minor', k8s_minor)))])
    return GoBuild('helm', tag, {module: tag}, binaries=[GoBinary('helm', f'{module}/cmd/helm', ldflags=ldflags)])


def kube_bench(version):
    """kube-bench with the version stamp of upstream's makefile, and its benchmark definitions (cfg/) for the
    archive. cfgDir keeps its default, ./cfg/: run from the unpacked archive, or give --config-dir."""
    tag, module = f'v{version}', 'github.com/aquasecurity/kube-bench'
    return GoBuild('kube-bench', tag, {module: tag}, data_paths=('cfg',), binaries=[
        GoBinary('kube-bench', module, ldflags=f'-X {module}/cmd.KubeBenchVersion={tag}')])


def coredns(version):
    tag, module = f'v{version}', 'github.com/coredns/coredns'
    return GoBuild('coredns', tag, {module: tag}, binaries=[GoBinary('coredns', module)])


def pause(version, kubernetes_tag):
    """pause.c from the Kubernetes release, compiled as upstream's Makefile does (static, -Os, stripped)."""
    source_dir = Path(go_module('k8s.io/kubernetes', kubernetes_tag)['Dir']) / 'build' / 'pause'
    upstream_tag = re.search(r'^TAG \?= (\S+)$', (source_dir / 'Makefile').read_text(), re.M).group(1)
    if upstream_tag != version:
        raise BuildError(f'k8s.io/kubernetes {kubernetes_tag} builds pause {upstream_tag}, the manifest says {version}')
    source = source_dir / 'linux' / 'pause.c'
    cflags = ['-Os', '-Wall', '-Werror', '-static', f'-DVERSION=v{version}']
    inputs = {'recipe': 'pause', 'revision': 1, 'source': sha256_file(source), 'cflags': cflags, 'arch': ARCH,
              'c': {p: debian_version(p) for p in ('gcc', 'libc6-dev', 'binutils')}}

    def produce(tmp):
        run('gcc', *cflags, '-o', tmp / 'pause', source)
        run('strip', tmp / 'pause')

    out_dir = BUILD_DIR / 'out' / 'pause' / version / ARCH
    outputs, cached = stamped(out_dir, inputs, produce)
    remember('go', f'pause {version}', canonical(inputs), outputs)
    return Built(out_dir, outputs, module_time('k8s.io/kubernetes', kubernetes_tag)), cached


# Calico's release tags (v3.x.y) are not versions of github.com/projectcalico/calico for Go (a v3 needs a /v3
# module path), so the module proxy serves the release branch's commits as pseudo-versions only, per release:
#   calico: the pseudo-version of the release (its charts/calico/values.yaml names the release; checked);
#   api: the github.com/projectcalico/api version that stands for the module's `replace ... => ./api`. Go leaves
#     the nested ./api module out of the module zip, and no release-branch version of projectcalico/api could be
#     found on the proxy (it answers no listing or query): this is the closest one it serves (docs/artifacts.md).
CALICO_MODULES = {
    '3.28.5': {'calico': 'v1.11.0-cni-plugin.0.20250813170300-a0db560f0520',
               'api': 'v0.0.0-20240708202104-e3f70b269c2c'},
}


def calico_replaces(go_mod, api_version):
    """The released go.mod's replaces that pin a module version (Go ignores them outside the main module),
    and projectcalico/api at api_version for its directory replace."""
    block = re.search(r'^replace \($(.*?)^\)', go_mod, re.M | re.S)
    pinned = re.findall(r'^\s*(\S+) => (\S+ v\S+)\s*$', block.group(1) if block else '', re.M)
    return {**dict(pinned), 'github.com/projectcalico/api': f'github.com/projectcalico/api {api_version}'}


def calico(version):
    """calico-node (felix, confd, the tunnel address allocator, the status reporter: all calico-node flags),
    the CNI plugin (calico, which is calico-ipam too by argv[0]) and its installer, kube-controllers and
    check-status, with the version stamps of upstream's Makefiles. Without cgo, unlike upstream's calico-node:
    cgo only links libbpf for the eBPF dataplane (felix/bpf has !cgo stubs), and mountns (cgo only) mounts the
    cgroup2 root for eBPF's connect-time load balancer; the lab runs the iptables dataplane. `go mod tidy -e`:
    tidy also resolves the Windows imports, and the proxy does not serve their github.com/Microsoft/hcsshim."""
    tag, module = f'v{version}', 'github.com/projectcalico/calico'
    if version not in CALICO_MODULES:
        raise BuildError(f'no module versions for Calico {version}: add them to CALICO_MODULES')
    pins = CALICO_MODULES[version]
    source = go_module(module, pins['calico'])
    chart_version = re.search(r'^version: (\S+)$', (Path(source['Dir']) / 'charts' / 'calico' / 'values.yaml')
                              .read_text(), re.M)
    if not chart_version or chart_version.group(1) != tag:
        raise BuildError(f'{module} {pins["calico"]} is Calico {chart_version and chart_version.group(1)}, not {tag}')
    revision = pins['calico'].rsplit('-', 1)[1]
    node_ldflags = ' '.join([f'-X {module}/node/pkg/lifecycle/startup.VERSION={tag}',
                             f'-X {module}/node/buildinfo.GitVersion={tag}',
                             f'-X {module}/node/buildinfo.BuildDate={module_time(module, pins["calico"])}',
                             f'-X {module}/node/buildinfo.GitRevision={revision}'])
    main_ldflags = f'-X main.VERSION={tag}'
    return GoBuild('calico', tag, {module: pins['calico']},
                   replaces=calico_replaces(Path(source['GoMod']).read_text(), pins['api']), tidy_flags=('-e',),
                   data_paths=('manifests/crds.yaml', 'node/filesystem', 'node/LICENSE', 'cni-plugin/LICENSE',
                               'kube-controllers/LICENSE'),
                   binaries=[GoBinary('calico-node', f'{module}/node/cmd/calico-node', ldflags=node_ldflags),
                             GoBinary('calico', f'{module}/cni-plugin/cmd/calico', ldflags=main_ldflags),
                             GoBinary('install', f'{module}/cni-plugin/cmd/install', ldflags=main_ldflags),
                             GoBinary('kube-controllers', f'{module}/kube-controllers/cmd/kube-controllers',
                                      ldflags=main_ldflags),
                             GoBinary('check-status', f'{module}/kube-controllers/cmd/check-status',
                                      ldflags=main_ldflags)])


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
MODULE_FILES = {'calico-crds': 'manifests/crds.yaml'}


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
    mtime = calendar.timegm(time.strptime(built.source_date, '%Y-%m-%dT%H:%M:%SZ'))
    inputs = {'revision': 1, 'members': {m: built.outputs[b] for m, b in members.items()}, 'mtime': mtime}
    if built.data:
        inputs['data'] = {m: sha256_file(source) for m, source in built.data.items()}
    return bundle_step(dest, inputs, lambda: write_tar_gz(dest, {m: built.out_dir / b for m, b in members.items()},
                                                          mtime, built.data))


# -- images ----------------------------------------------------------------------------------------

@dataclass
class ImageSpec:
    image: str                  # upstream name, e.g. registry.k8s.io/pause
    tag: str
    inputs: dict                # what goes into the root filesystem, for the stamp
    populate: object            # populate(root): writes the root filesystem
    config: dict                # entrypoint, cmd, user, env, ports, workdir
    revision: int = 1
    owners: dict = field(default_factory=dict)     # file in the image -> "uid:gid", for files not root's


def base_files(root):
    """What distroless/static gives a Go binary: accounts, /tmp, and name lookups in files, then DNS."""
    (root / 'etc').mkdir(parents=True, exist_ok=True)
    (root / 'etc' / 'passwd').write_text('root:x:0:0:root:/root:/sbin/nologin\n'
                                         'nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n'
                                         'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n')
    (root / 'etc' / 'group').write_text('root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n')
    (root / 'etc' / 'nsswitch.conf').write_text('hosts: files dns\n')
    for directory, mode in (('tmp', 0o1777), ('root', 0o700)):
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory).chmod(mode)


def install(source, dest, mode=0o755):
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, dest)
    dest.chmod(mode)


def kubernetes_image(name, entry, built):
    """kube-apiserver, kube-controller-manager, kube-scheduler: the binary in /usr/local/bin."""
    def populate(root):
        base_files(root)
        install(built.out_dir / name, root / 'usr' / 'local' / 'bin' / name)
    return ImageSpec(entry['image'], entry['tag'], {name: built.outputs[name]}, populate,
                     {'entrypoint': [f'/usr/local/bin/{name}'], 'env': [IMAGE_PATH_ENV]})


# kube-proxy's iptables and nftables modes run these (conntrack clears UDP flows of removed services).
KUBE_PROXY_TOOLS = ('iptables', 'nftables', 'conntrack', 'netbase')


def kube_proxy_image(entry, built):
    """kube-proxy with iptables (nft backend, as Debian 12 defaults to), ip6tables, nft and conntrack
    from Debian 12's packages, checked to run in the root filesystem before it is committed."""
    packages = debian_closure(KUBE_PROXY_TOOLS)

    def populate(root):
        extract_debs(debian_debs(packages), root)
        # What update-alternatives does in iptables' postinst.
        for table in ('iptables', 'ip6tables'):
            for suffix in ('', '-restore', '-save'):
                (root / 'usr' / 'sbin' / f'{table}{suffix}').symlink_to(f'{table}-nft{suffix}')
        base_files(root)
        install(built.out_dir / 'kube-proxy', root / 'usr' / 'local' / 'bin' / 'kube-proxy')
        for tool in ('iptables', 'ip6tables', 'iptables-restore', 'nft', 'conntrack', 'kube-proxy'):
            run('chroot', root, tool, '--version', env={'PATH': IMAGE_PATH}, capture=True)

    return ImageSpec(entry['image'], entry['tag'], {'kube-proxy': built.outputs['kube-proxy'], 'debian': packages},
                     populate, {'entrypoint': ['/usr/local/bin/kube-proxy'], 'env': [IMAGE_PATH_ENV]})


def etcd_image(entry, built):
    def populate(root):
        base_files(root)
        for binary in ('etcd', 'etcdctl', 'etcdutl'):
            install(built.out_dir / binary, root / 'usr' / 'local' / 'bin' / binary)
        (root / 'var' / 'lib' / 'etcd').mkdir(parents=True)
    inputs = {b: built.outputs[b] for b in ('etcd', 'etcdctl', 'etcdutl')}
    return ImageSpec(entry['image'], entry['tag'], inputs, populate,
                     {'cmd': ['/usr/local/bin/etcd'], 'env': [IMAGE_PATH_ENV], 'ports': ['2379/tcp', '2380/tcp']})


def coredns_image(entry, built):
    """Upstream's image: /coredns as nonroot, allowed to bind port 53 by a file capability."""
    def populate(root):
        base_files(root)
        install(built.out_dir / 'coredns', root / 'coredns')
        run('setcap', 'cap_net_bind_service=+ep', root / 'coredns')
    return ImageSpec(entry['image'], entry['tag'], {'coredns': built.outputs['coredns']}, populate,
                     {'entrypoint': ['/coredns'], 'user': '65532:65532', 'workdir': '/',
                      'ports': ['53/tcp', '53/udp']})


def pause_image(entry, built):
    """Upstream's image: /pause alone, run as 65535."""
    return ImageSpec(entry['image'], entry['tag'], {'pause': built.outputs['pause']},
                     lambda root: install(built.out_dir / 'pause', root / 'pause'),
                     {'entrypoint': ['/pause'], 'user': '65535:65535'})


def busybox_image(entry):
    """Debian's busybox-static in an image of upstream's name: /bin/busybox and a symlink per applet."""
    packages = debian_closure(['busybox-static'])
    upstream_version = re.sub(r'^\d+:|-[^-]+$', '', packages['busybox-static'])
    if upstream_version != entry['tag']:
        raise BuildError(f'Debian has busybox-static {packages["busybox-static"]}, the manifest says {entry["tag"]}')

    def populate(root):
        with scratch_dir() as unpacked:
            extract_debs(debian_debs(packages), Path(unpacked))
            busybox = Path(unpacked) / 'bin' / 'busybox'
            applets = run(busybox, '--list-full', capture=True).split()
            base_files(root)
            install(busybox, root / 'bin' / 'busybox')
        for applet in applets:
            if '/' in applet and applet != 'bin/busybox':
                (root / applet).parent.mkdir(parents=True, exist_ok=True)
                (root / applet).symlink_to('/bin/busybox')

    return ImageSpec(entry['image'], entry['tag'], {'debian': packages}, populate,
                     {'cmd': ['sh'], 'env': [IMAGE_PATH_ENV]})


def check_stamp(root, command, tag):
    """The command, run in the root filesystem, prints the version stamp tag: the image runs what was built."""
    printed = run('chroot', root, *command, env={'PATH': IMAGE_PATH}, capture=True).strip()
    if printed != tag:
        raise BuildError(f'{" ".join(command)} prints {printed!r} in the image, not the version stamp {tag}')


def data_files(built, prefix):
    """{path below prefix: file} of the build's data files below the released module's directory prefix."""
    return {name.removeprefix(prefix): path for name, path in built.data.items() if name.startswith(prefix)}


# What the service scripts of calico-node's image run (runit's runsvdir, sv and svlogd, sh, bash, which, cp...),
# what felix runs (iptables and ip6tables of both backends, ipset, ip, conntrack, modprobe, arp), and the ps and
# find that upstream's image has too.
CALICO_NODE_TOOLS = ('runit', 'iptables', 'ipset', 'iproute2', 'conntrack', 'kmod', 'net-tools', 'procps', 'netbase',
                     'dash', 'bash', 'coreutils', 'debianutils', 'sed', 'grep', 'findutils')
CALICO_NODE_CHECKS = (('iptables', '--version'), ('iptables-legacy-save', '--version'),
                      ('ip6tables-nft-restore', '--version'), ('ipset', '--version'), ('ip', '-V'),
                      ('conntrack', '--version'), ('modprobe', '--version'), ('arp', '--version'),
                      ('bash', '--version'), ('which', 'runsvdir', 'sv', 'svlogd', 'chpst'))


def calico_node_image(entry, built):
    """Upstream's calico/node without BIRD and eBPF: /bin/calico-node (setuid root, as upstream's), the module's
    node/filesystem (runit services, rc.local, start_runit and the other scripts, copied as they are; sbin/ goes
    to /usr/sbin as upstream's Dockerfile puts it) and Debian 12's packages for what they run, iptables with the
    nft backend as the default (felix picks iptables-legacy-* or iptables-nft-* itself, like the host's rules).
    BIRD is calico's fork in C, not a Go module: the image is for CALICO_NETWORKING_BACKEND vxlan (or none),
    with which rc.local enables neither BIRD nor confd."""
    packages = debian_closure(CALICO_NODE_TOOLS)
    filesystem = data_files(built, 'node/filesystem/')

    def populate(root):
        extract_debs(debian_debs(packages), root)
        # What update-alternatives does in the postinst of iptables and debianutils (start_runit runs which).
        for table in ('iptables', 'ip6tables'):
            for suffix in ('', '-restore', '-save'):
                (root / 'usr' / 'sbin' / f'{table}{suffix}').symlink_to(f'{table}-nft{suffix}')
        (root / 'usr' / 'bin' / 'which').symlink_to('which.debianutils')
        # runit's /etc/service links to its runsvdir as init; upstream's image has a directory of its own there.
        (root / 'etc' / 'service').unlink()
        base_files(root)
        for name, source in filesystem.items():
            # The module cache keeps no modes: the scripts are those with a #! line, and rc.local, which
            # start_runit runs as a program too (sh runs a file without #! itself).
            script = name == 'etc/rc.local' or source.read_bytes().startswith(b'#!')
            install(source, root / re.sub(r'^sbin/', 'usr/sbin/', name), 0o755 if script else 0o644)
        install(built.data['node/LICENSE'], root / 'licenses' / 'LICENSE', 0o644)
        install(built.out_dir / 'calico-node', root / 'usr' / 'bin' / 'calico-node', 0o4755)
        for command in CALICO_NODE_CHECKS:
            run('chroot', root, *command, env={'PATH': IMAGE_PATH}, capture=True)
        check_stamp(root, ('calico-node', '-v'), entry['tag'])

    inputs = {'calico-node': built.outputs['calico-node'], 'debian': packages,
              'filesystem': {name: sha256_file(source) for name, source in filesystem.items()},
              'license': sha256_file(built.data['node/LICENSE'])}
    return ImageSpec(entry['image'], entry['tag'], inputs, populate,
                     {'cmd': ['start_runit'], 'env': [IMAGE_PATH_ENV, 'SVDIR=/etc/service/enabled']})


# The plugins upstream's calico/cni image ships beside Calico's (built from projectcalico's fork of the
# containernetworking plugins; here the manifest's CNI plugins release). Not flannel: only Canal uses it.
CALICO_CNI_PLUGINS = ('bandwidth', 'host-local', 'loopback', 'portmap', 'tuning')


def calico_cni_image(entry, built, plugins):
    """Upstream's calico/cni: /opt/cni/bin with calico, calico-ipam (the same program, chosen by its name), the
    standard plugins, and install (the command), which copies all but itself to the host's /host/opt/cni/bin
    and writes the CNI configuration and kubeconfig to /host/etc/cni/net.d."""
    missing = [p for p in CALICO_CNI_PLUGINS if p not in plugins.outputs]
    if missing:
        raise BuildError(f'the calico/cni image needs the CNI plugins {", ".join(missing)}: add them to the '
                         f'members of cni-plugins in {MANIFEST}')
    bin_dir = Path('opt') / 'cni' / 'bin'

    def populate(root):
        base_files(root)
        for name in ('calico', 'calico-ipam'):
            install(built.out_dir / 'calico', root / bin_dir / name)
        install(built.out_dir / 'install', root / bin_dir / 'install')
        for plugin in CALICO_CNI_PLUGINS:
            install(plugins.out_dir / plugin, root / bin_dir / plugin)
        install(built.data['cni-plugin/LICENSE'], root / 'licenses' / 'LICENSE', 0o644)
        for name in ('calico', 'calico-ipam'):
            check_stamp(root, (f'/{bin_dir}/{name}', '-v'), entry['tag'])

    inputs = {**{b: built.outputs[b] for b in ('calico', 'install')},
              **{p: plugins.outputs[p] for p in CALICO_CNI_PLUGINS},
              'license': sha256_file(built.data['cni-plugin/LICENSE'])}
    return ImageSpec(entry['image'], entry['tag'], inputs, populate,
                     {'cmd': [f'/{bin_dir}/install'], 'env': [f'PATH=/{bin_dir}:{IMAGE_PATH}'],
                      'workdir': f'/{bin_dir}'})


def calico_kube_controllers_image(entry, built):
    """Upstream's calico/kube-controllers: /usr/bin/kube-controllers and check-status (its probes) run as 999,
    who owns the status file kube-controllers writes and check-status reads, and the profile files."""
    owned = ('status/status.json', 'profiles/mem.pprof', 'profiles/cpu.pprof')

    def populate(root):
        base_files(root)
        for binary in ('kube-controllers', 'check-status'):
            install(built.out_dir / binary, root / 'usr' / 'bin' / binary)
        install(built.data['kube-controllers/LICENSE'], root / 'licenses' / 'LICENSE', 0o644)
        for name in owned:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).touch(0o644)
        check_stamp(root, ('/usr/bin/kube-controllers', '--version'), entry['tag'])
        check_stamp(root, ('/usr/bin/check-status', '-v'), entry['tag'])

    inputs = {**{b: built.outputs[b] for b in ('kube-controllers', 'check-status')},
              'license': sha256_file(built.data['kube-controllers/LICENSE'])}
    return ImageSpec(entry['image'], entry['tag'], inputs, populate,
                     {'entrypoint': ['/usr/bin/kube-controllers'], 'user': '999', 'env': [IMAGE_PATH_ENV]},
                     owners={f'/{name}': '999:0' for name in owned})


@functools.cache
def buildah_version():
    return run('buildah', '--version', capture=True).strip()


def buildah(*args):
    # A storage of our own under CAAS_BUILD_DIR (vfs: works anywhere), so that nothing else is touched.
    storage = BUILD_DIR / 'containers'
    env = dict(os.environ, CONTAINERS_CONF=str(CONTAINERS_CONF))
    return run('buildah', '--root', storage / 'storage', '--runroot', storage / 'run', '--storage-driver', 'vfs',
               *args, env=env, capture=True).strip()


def buildah_config_args(config):
    args = ['--os', 'linux', '--arch', ARCH]
    if 'entrypoint' in config:
        args += ['--entrypoint', json.dumps(config['entrypoint'])]
    if 'cmd' in config:
        args += ['--cmd', json.dumps(config['cmd'])]
    if 'user' in config:
        args += ['--user', config['user']]
    if 'workdir' in config:
        args += ['--workingdir', config['workdir']]
    for env in config.get('env', []):
        args += ['--env', env]
    for port in config.get('ports', []):
        args += ['--port', port]
    return args


def commit_image(spec, root, layout):
    """One layer from root, committed dated 1970 with a gzip-compressed layer into an OCI layout."""
    container = buildah('from', '--name', f'caas-build-{os.getpid()}-{spec.image.replace("/", "-")}', 'scratch')
    try:
        buildah('copy', container, root, '/')
        # buildah copy makes everything root's; these files are copied again with their owner.
        for path, owner in sorted(spec.owners.items()):
            buildah('copy', '--chown', owner, container, root / path.lstrip('/'), path)
        buildah('config', *buildah_config_args(spec.config), container)
        buildah('commit', '--quiet', '--timestamp', '0', '--disable-compression=false', '--format', 'oci',
                container, f'oci:{layout}:{spec.image}:{spec.tag}')
    finally:
        buildah('rm', container)


def pack_oci_archive(layout, dest):
    """The OCI layout as a reproducible tar (an oci-archive): sorted, dated 0, owned by 0:0."""
    tmp = dest.with_name(dest.name + '.tmp')
    dest.parent.mkdir(parents=True, exist_ok=True)
    paths = sorted(p.relative_to(layout).as_posix() for p in layout.rglob('*'))
    with tarfile.open(tmp, 'w', format=tarfile.GNU_FORMAT) as tar:
        for name in paths:
            info = tar.gettarinfo(layout / name, arcname=name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, '', ''
            info.mode = 0o755 if info.isdir() else 0o644
            if info.isdir():
                tar.addfile(info)
            else:
                with open(layout / name, 'rb') as handle:
                    tar.addfile(info, handle)
    tmp.replace(dest)


def manifest_digest(layout):
    """The image's manifest digest (what a registry serves it by), checked against the blob itself."""
    digest = json.loads((layout / 'index.json').read_text())['manifests'][0]['digest']
    if 'sha256:' + sha256_file(layout / 'blobs' / 'sha256' / digest.split(':', 1)[1]) != digest:
        raise BuildError(f'{layout}: the manifest blob does not match its digest {digest}')
    return digest


def build_image(spec, bundle):
    """images/<image>/<tag>.oci.tar unless its stamp records the same inputs. Returns (digest, cached)."""
    dest = bundle / 'images' / spec.image / f'{spec.tag}.oci.tar'
    stamp_path = bundle_stamp_path(dest)
    inputs = canonical({'revision': spec.revision, 'buildah': buildah_version(), 'config': spec.config, 'arch': ARCH,
                        'contents': spec.inputs, **({'owners': spec.owners} if spec.owners else {})})
    stamp = read_json(stamp_path)
    if stamp and stamp['inputs'] == inputs and dest.is_file() and sha256_file(dest) == stamp['archive_sha256']:
        remember('artifacts', f'{spec.image}:{spec.tag}', inputs, stamp['digest'])
        return stamp['digest'], True
    with scratch_dir() as tmp:
        root, layout = Path(tmp) / 'rootfs', Path(tmp) / 'oci'
        root.mkdir()
        spec.populate(root)
        commit_image(spec, root, layout)
        digest = manifest_digest(layout)
        pack_oci_archive(layout, dest)
    write_json(stamp_path, {'inputs': inputs, 'digest': digest, 'archive_sha256': sha256_file(dest)})
    remember('artifacts', f'{spec.image}:{spec.tag}', inputs, digest)
    return digest, False


# -- one release -----------------------------------------------------------------------------------

# The build each manifest file comes from, and the build (or builds: the recipe gets each one's Built) and
# recipe of each image.
FILE_BUILDS = {**{name: 'kubernetes' for name in KUBERNETES_COMMANDS},
               **{name: name for name in ('containerd', 'runc', 'cni-plugins', 'crictl', 'etcd', 'helm',
                                          'kube-bench')},
               'calico-crds': 'calico'}
IMAGE_RECIPES = {**{name: ('kubernetes', functools.partial(kubernetes_image, name))
                    for name in ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler')},
                 'kube-proxy': ('kubernetes', kube_proxy_image), 'etcd': ('etcd', etcd_image),
                 'coredns': ('coredns', coredns_image), 'pause': ('pause', pause_image),
                 'calico-node': ('calico', calico_node_image),
                 'calico-cni': (('calico', 'cni-plugins'), calico_cni_image),
                 'calico-kube-controllers': ('calico', calico_kube_controllers_image)}
TEST_IMAGE_RECIPES = {'busybox': busybox_image}


class Release:
    """Builds the artifacts of one Kubernetes minor, timing each step."""

    def __init__(self, entry, bundle):
        self.entry, self.bundle = entry, bundle
        self.steps = {}         # step -> {seconds, cached} or {seconds, error}
        self.builds = {}        # component -> Built, or the BuildError it failed with

    def timed(self, step, action):
        start = time.monotonic()
        try:
            value, cached = action()
        except BuildError as error:
            self.steps[step] = {'seconds': round(time.monotonic() - start, 1), 'error': str(error)}
            print(f'FAILED {step}: {error}', file=sys.stderr, flush=True)
            raise
        self.steps[step] = {'seconds': round(time.monotonic() - start, 1), 'cached': cached}
        print(f'{step}: {time.monotonic() - start:.1f} s{" (cached)" if cached else ""}', flush=True)
        return value

    def run_build(self, component):
        """The component's build at the version this minor's manifest entries name."""
        files, images = self.entry['files'], self.entry['images']
        if component == 'kubernetes':
            return go_build(kubernetes(self.entry['version']))
        if component == 'pause':
            return pause(images['pause']['tag'], f'v{self.entry["version"]}')
        if component == 'coredns':
            return go_build(coredns(images['coredns']['tag'].removeprefix('v')))
        if component == 'calico':
            return go_build(calico(files['calico-crds']['version']))
        if component == 'cni-plugins':
            plugins = [m.format(arch=ARCH).removeprefix('./') for m in files[component]['members']]
            return go_build(cni_plugins(files[component]['version'], plugins))
        recipes = {'containerd': containerd, 'runc': runc, 'crictl': crictl, 'etcd': etcd, 'helm': helm,
                   'kube-bench': kube_bench}
        return go_build(recipes[component](files[component]['version']))

    def build(self, component):
        """The component's Built, made once per run."""
        if component not in self.builds:
            try:
                self.builds[component] = self.timed(f'build {component}', lambda: self.run_build(component))
            except BuildError as error:
                self.builds[component] = error
        if isinstance(self.builds[component], BuildError):
            raise BuildError(f'{component} could not be built')
        return self.builds[component]

    def file(self, name):
        if name not in FILE_BUILDS:
            raise BuildError(f'no recipe for the file {name}')
        built = self.build(FILE_BUILDS[name])
        return self.timed(f'file {name}', lambda: bundle_file(name, self.entry['files'][name], built, self.bundle))

    def image(self, name):
        if name not in IMAGE_RECIPES:
            raise BuildError(f'no recipe for the image {name}')
        entry, (components, recipe) = self.entry['images'][name], IMAGE_RECIPES[name]
        components = (components,) if isinstance(components, str) else components
        if name == 'etcd' and entry['tag'].split('-')[0] != (etcd_version := self.entry['files']['etcd']['version']):
            raise BuildError(f'the etcd image tag {entry["tag"]} is not of etcd {etcd_version}')
        # The calico-crds file's version is the Calico release that is built: the images must be of it.
        calico_tag = f'v{self.entry["files"]["calico-crds"]["version"]}' if 'calico' in components else None
        if calico_tag and entry['tag'] != calico_tag:
            raise BuildError(f'the {name} image tag {entry["tag"]} is not the calico-crds file\'s Calico {calico_tag}')
        built = [self.build(c) for c in components]
        return self.timed(f'image {name}', lambda: build_image(recipe(entry, *built), self.bundle))

    def test_image(self, name, entry):
        if name not in TEST_IMAGE_RECIPES:
            raise BuildError(f'no recipe for the test image {name}')
        return self.timed(f'test image {name}', lambda: build_image(TEST_IMAGE_RECIPES[name](entry), self.bundle))


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


def parse_args(manifest):
    minors = sorted(manifest['kubernetes'], key=lambda m: tuple(int(x) for x in m.split('.')))
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
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
    built = {}
    for kind, name, action in work:
        if only and name not in only:
            continue
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


def main():
    text = MANIFEST.read_text()
    manifest = yaml.safe_load(text)
    args = parse_args(manifest)
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


if __name__ == '__main__':
    try:
        sys.exit(main())
    except BuildError as error:
        sys.exit(f'error: {error}')
