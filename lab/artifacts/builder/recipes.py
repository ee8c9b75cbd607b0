# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build recipe of each component: which Go module, version and packages make its binaries."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .common import ARCH, BUILD_DIR, BuildError, MANIFEST, canonical, debian_version, remember, run, sha256_file
from .gobuild import Built, GoBinary, GoBuild, go_module, module_time, stamped

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


def kube_vip(version):
    """kube-vip as upstream's Makefile builds it (static, stripped, version and commit stamped): the API VIP of
    caas_api_lb_mode kube_vip. Without cgo, as upstream's Dockerfile (CGO_ENABLED=0)."""
    tag, module = f'v{version}', 'github.com/kube-vip/kube-vip'
    commit = json.loads(Path(go_module(module, tag)['Info']).read_text()).get('Origin', {}).get('Hash', '')
    if not commit:
        raise BuildError(f'the module proxy records no commit for {module} {tag}: the build stamp needs it')
    return GoBuild('kube-vip', tag, {module: tag}, binaries=[
        GoBinary('kube-vip', module, ldflags=f'-X main.Version={tag} -X main.Build={commit}')])


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
