# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The build recipe of each component: which Go module, version and packages make its binaries."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .common import ARCH, BUILD_DIR, BuildError, MANIFEST, canonical, debian_version, remember, run, sha256_file
from .gobuild import Built, GoBinary, GoBuild, SourceArchive, go_module, module_time, stamped

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


def trivy(version):
    """Trivy as upstream's goreleaser builds it (static, app.ver stamped without its v), with GOEXPERIMENT=jsonv2
    as upstream sets for every build: v0.74.0 imports encoding/json/v2, which Go 1.26 builds only in that
    experiment ("build constraints exclude all Go files" without it). The scanner Harbor's Trivy adapter runs."""
    tag, module = f'v{version}', 'github.com/aquasecurity/trivy'
    return GoBuild('trivy', tag, {module: tag}, settings=(('GOEXPERIMENT', 'jsonv2'),), binaries=[
        GoBinary('trivy', f'{module}/cmd/trivy', ldflags=f'-X {module}/pkg/version/app.ver={version}')])


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


# -- storage: Rook, ceph-csi and the CSI sidecars --------------------------------------------------
# The module proxy refuses Rook, ceph-csi, node-driver-registrar, external-provisioner and external-resizer:
# they are built from the snapshots in ../shared/sources (its README: repository, tag, commit, date, sha256).
SOURCE_ARCHIVES = {
    ('rook', 'v1.18.11'): SourceArchive(
        'rook-v1.18.11.tar.gz', '490e7819a58b17c55811b0a2323cd007b929994d3109657b926ec06c2f79b70c',
        '8059413c805f8ed3a0992af0113c002b0250805e', '2026-05-27T00:00:00Z'),
    ('ceph-csi', 'v3.12.2'): SourceArchive(
        'ceph-csi-v3.12.2.tar.gz', 'dc37fc98940d400a9705d400a420464515098a50ff9114722fba530fe1fce2b3',
        'dcf14882dd4d2e7064fee259b9c81424a3bfc04f', '2024-09-06T00:00:00Z'),
    ('node-driver-registrar', 'v2.17.0'): SourceArchive(
        'node-driver-registrar-v2.17.0.tar.gz', 'e0e5d1b01197d1e9627b592c996dd5ddd86bbf90a7ed8ba3831d6acb968d01e0',
        'c5794c45f34ce9c62e47dfd5a2b073c3824f2c79', '2026-05-21T00:00:00Z'),
    ('external-provisioner', 'v6.3.0'): SourceArchive(
        'external-provisioner-v6.3.0.tar.gz', '17c8d915b663ace03c794a9bd34312b7e0d3bdcdcd2d8b7dd5782275c4039350',
        '34c6fc2149a354cea116724d1836262516f83225', '2026-06-04T00:00:00Z'),
    ('external-resizer', 'v2.2.1'): SourceArchive(
        'external-resizer-v2.2.1.tar.gz', 'ecf77edbb5c2b4248a4652157f4c4b45c5147905a3a6ee50b652af422d84288e',
        '32c003dbad0ec50d449b69cdddc5a7ba07a80cb8', '2026-06-29T00:00:00Z'),
    # Harbor's registry: goharbor/distribution's release/2.8 branch (Harbor's patches on distribution 2.8.3).
    ('harbor', 'v2.15.2'): SourceArchive(
        'harbor-v2.15.2.tar.gz', 'd04158a6b8c83aa9224ff2a10598e87d684a2808dfe21cdf5f1305b75a8a58a7',
        '080b0220574cc853ae1e2946ce7a5610ba855757', '2026-07-01T00:00:00Z'),
    # Harbor imports one package of Pinniped (pkg/oidcclient/pkce); the proxy refuses go.pinniped.dev.
    ('pinniped', 'v0.37.0'): SourceArchive(
        'pinniped-v0.37.0.tar.gz', '9b210d7a93c405a80dd87bf1662cda409a960bf1579ea3a7dbd5c17806c21660',
        '2ab11dccfc54835bf1b4346bf3f7e169aadac5e9', '2025-01-15T00:00:00Z'),
    ('harbor-scanner-trivy', 'v0.38.0'): SourceArchive(
        'harbor-scanner-trivy-v0.38.0.tar.gz', '2189328bfbbe8c31771273835ba3dc8405231e3baf8f0bdc4189f165a227131f',
        'b39baed861c01864ac8ce2499e47563d69bbd73b', '2026-07-01T00:00:00Z'),
    ('harbor-registry', 'release-2.8'): SourceArchive(
        'goharbor-distribution-release-2.8.tar.gz', 'b05711cc6e5de1469d80aae6f028db746b0f355738765fdc45d5b25dd28a5a95',
        'ea065fef1275f79cb54059dd532af634cd6904d3', '2025-02-27T00:00:00Z'),
}


def source_archive(component, tag):
    if (component, tag) not in SOURCE_ARCHIVES:
        raise BuildError(f'no source snapshot of {component} {tag} is known: add it to SOURCE_ARCHIVES from '
                         '../shared/sources/README.md, or pin the version the snapshot has')
    return SOURCE_ARCHIVES[(component, tag)]


ROOK_EDITS = (
    # external-provisioner v6 has HonorPVReclaimPolicy always on (GA) and no longer knows the gate; Rook 1.18's CSI
    # templates (embedded in the rook binary) still pass it, and the provisioner exits on the unknown gate.
    *((f'pkg/operator/ceph/csi/template/{driver}/csi-{driver}plugin-provisioner-dep.yaml',
       '            - "--feature-gates=HonorPVReclaimPolicy=true"\n', '') for driver in ('rbd', 'cephfs', 'nfs')),
    # The OSD preparation prints `dmsetup version` first and fails when the kernel has no device mapper (the lab's
    # machine has none). Only encrypted and LVM OSDs use it, and those fail on it themselves with their own error:
    # raw OSDs are prepared without it.
    ('pkg/daemon/ceph/osd/daemon.go',
     '\terr := dmsetupVersion(context)\n\tif err != nil {\n\t\treturn errors.Wrap(err, "failed to print device mapper version")\n\t}\n',
     '\terr := dmsetupVersion(context)\n\tif err != nil {\n'
     '\t\tlogger.Warningf("no device mapper (encrypted and LVM OSDs need it, raw OSDs do not): %v", err)\n\t}\n'),
    # Rook 1.18 writes the CephFS CSI secrets as userID/userKey, which ceph-csi 3.13+ reads; ceph-csi 3.12 (the one
    # snapshot here) reads the CephFS provisioner's and node plugin's credentials as adminID/adminKey and refused
    # every claim ("missing ID field 'adminID' in secrets"). The CephFS secrets carry both names.
    *(('pkg/operator/ceph/csi/secrets.go',
       f'\t\tuserKey: []byte(csiSecretContent[{secret}].Key),\n\t}}\n',
       f'\t\tuserKey: []byte(csiSecretContent[{secret}].Key),\n'
       f'\t\t"adminID":  []byte(csiSecretContent[{secret}].Name),\n'
       f'\t\t"adminKey": []byte(csiSecretContent[{secret}].Key),\n\t}}\n')
      for secret in ('CsiCephFSProvisionerSecret', 'CsiCephFSNodeSecret')),
)


def rook(version):
    """The rook binary as Rook's Makefile builds it (-tags ceph_preview: go-ceph's preview API it uses), with the
    version stamp, and the files its image carries (monitoring rules, the external-cluster script) and the
    manifests the rook_ceph role applies (CRDs, RBAC). ROOK_EDITS: for the CSI provisioner the lab builds."""
    tag = f'v{version}'
    return GoBuild('rook', tag, {'github.com/rook/rook': tag}, archive=source_archive('rook', tag), edits=ROOK_EDITS,
                   data_paths=('images/ceph/toolbox.sh', 'images/ceph/set-ceph-debug-level', 'deploy/examples/monitoring',
                               'deploy/examples/create-external-cluster-resources.py',
                               'deploy/examples/crds.yaml', 'deploy/examples/common.yaml', 'LICENSE'),
                   binaries=[GoBinary('rook', './cmd/rook', ('ceph_preview',),
                                      f'-X github.com/rook/rook/pkg/version.Version={tag}')])


# What ceph-csi's cgo links (go-ceph): Ceph's client libraries of the release the Ceph image runs, with the C
# toolchain of that release, in a root of its packages (the machine's own release has an older Ceph).
CEPH_CSI_BUILD_PACKAGES = ('gcc', 'libc6-dev', 'librados-dev', 'librbd-dev', 'libcephfs-dev', 'coreutils', 'dash')


# ceph-csi 3.12 mounts CephFS with ceph-fuse -o nonempty, an option of libfuse 2. Debian 13's ceph-fuse is built on
# libfuse 3, which has no such option (it mounts over a non-empty directory without it) and refused every mount
# ("fuse: unknown option(s): `-o nonempty'"): the option goes, and the StorageClass's own fuse options stay.
CEPH_CSI_EDITS = (
    ('internal/cephfs/mounter/fuse.go',
     '\tfmo := "nonempty"\n\tif volOptions.FuseMountOptions != "" {\n'
     '\t\tfmo += "," + strings.TrimSpace(volOptions.FuseMountOptions)\n\t}\n\targs = append(args, "-o", fmo)\n',
     '\tif volOptions.FuseMountOptions != "" {\n'
     '\t\targs = append(args, "-o", strings.TrimSpace(volOptions.FuseMountOptions))\n\t}\n'),
)


def ceph_csi(version, codename):
    """cephcsi as its Makefile builds it (cgo, vendor/, the Ceph release's go-ceph tag and ceph_preview, the
    version and commit stamps), against codename's Ceph libraries."""
    tag = f'v{version}'
    archive = source_archive('ceph-csi', tag)
    ldflags = (f'-X github.com/ceph/ceph-csi/internal/util.GitCommit={archive.commit} '
               f'-X github.com/ceph/ceph-csi/internal/util.DriverVersion={tag}')
    return GoBuild('ceph-csi', tag, {'github.com/ceph/ceph-csi': tag}, archive=archive, cgo=True, edits=CEPH_CSI_EDITS,
                   build_root=(codename, CEPH_CSI_BUILD_PACKAGES), data_paths=('LICENSE',),
                   binaries=[GoBinary('cephcsi', './cmd', ('reef', 'ceph_preview'), ldflags)])


def csi_sidecar(component, version, command, module=None):
    """A kubernetes-csi sidecar as its release-tools build it (static, main.version stamped): from its snapshot
    (vendor/) or, for those the proxy serves, from the module."""
    tag = f'v{version}'
    binary = GoBinary(command, f'./cmd/{command}' if module is None else f'{module}/cmd/{command}',
                      ldflags=f'-X main.version={tag}')
    if module is None:
        return GoBuild(component, tag, {f'github.com/kubernetes-csi/{component}': tag},
                       archive=source_archive(component, tag), binaries=[binary])
    return GoBuild(component, tag, {module: tag}, binaries=[binary])


def harbor_registry_version(branch):
    """The version the registry of the branch's snapshot is stamped with (and prints): distribution's release, the
    branch and its commit."""
    return f'v2.8.3+{branch}.{source_archive("harbor-registry", branch).commit[:8]}'


def harbor_registry(branch):
    """The registry Harbor runs (goharbor/distribution: distribution 2.8 with Harbor's patches, e.g. Redis Sentinel)
    as Harbor's registry Dockerfile.binary builds it: tags include_oss and include_gcs, distribution's version stamps,
    and GOPATH mode, since the snapshot has no go.mod (only vendor/). The snapshot is the release branch, not Harbor's
    tag v2.8.3-harbor.1 (not in it): the version stamp names the branch and commit."""
    archive = source_archive('harbor-registry', branch)
    package = 'github.com/docker/distribution'
    ldflags = (f'-X {package}/version.Version={harbor_registry_version(branch)} '
               f'-X {package}/version.Revision={archive.commit} -X {package}/version.Package={package}')
    return GoBuild('harbor-registry', branch, {package: branch}, archive=archive, gopath=package, data_paths=('LICENSE',),
                   binaries=[GoBinary('registry', './cmd/registry', ('include_oss', 'include_gcs'), ldflags)])


def go_swagger(version):
    """go-swagger, the generator of Harbor's API server code (the version Harbor's Makefile pins)."""
    tag, module = f'v{version}', 'github.com/go-swagger/go-swagger'
    return GoBuild('go-swagger', tag, {module: tag}, binaries=[GoBinary('swagger', f'{module}/cmd/swagger')])


# Harbor's Makefile gen_apis: the API server's models and restapi packages are generated, not in the sources.
HARBOR_SWAGGER_ARGS = ('generate', 'server', '--template-dir=tools/swagger/templates', '--exclude-main',
                       '--additional-initialism=CVE', '--additional-initialism=GC', '--additional-initialism=OIDC',
                       '-f', 'api/v2.0/swagger.yaml', '-A', 'harbor', '--target', 'src/server/v2.0')
# Pinniped's snapshot sits beside Harbor's module (src/), where its go.mod's replace points.
HARBOR_EDITS = (('src/go.mod', 'replace (\n', 'replace (\n\tgo.pinniped.dev => ../pinniped\n'),)


# What Harbor's images hold beside the binaries: core's views, migrations and icons, the entrypoint scripts of
# make/photon, the license, and the Makefile (the tool versions it pins are checked against the lab's).
HARBOR_DATA = ('src/core/views', 'make/migrations', 'icons', 'LICENSE', 'Makefile', 'make/photon/common/install_cert.sh',
               *(f'make/photon/{script}' for script in ('core/entrypoint.sh', 'jobservice/entrypoint.sh',
                                                        'registryctl/start.sh', 'registry/entrypoint.sh',
                                                        'trivy-adapter/entrypoint.sh')))


def harbor(version, swagger):
    """harbor_core, harbor_jobservice and harbor_registryctl as Harbor's Makefile builds them (its module in src/, no
    cgo, core's version stamps), after its API code is generated with swagger (the Built of go_swagger); the files
    core reads at run time (views, migrations, icons) for its image."""
    tag = f'v{version}'
    archive = source_archive('harbor', tag)
    stamps = 'github.com/goharbor/harbor/src/pkg/version'
    return GoBuild('harbor', tag, {'github.com/goharbor/harbor/src': tag}, archive=archive, module_dir='src',
                   extra_archives=(('pinniped', source_archive('pinniped', 'v0.37.0')),), edits=HARBOR_EDITS,
                   generate=((str(swagger.out_dir / 'swagger'), *HARBOR_SWAGGER_ARGS),),
                   data_paths=HARBOR_DATA, binaries=[
                       GoBinary('harbor_core', './core', ldflags=f'-X {stamps}.GitCommit={archive.commit[:8]} '
                                                                 f'-X {stamps}.ReleaseVersion={tag}'),
                       GoBinary('harbor_jobservice', './jobservice'),
                       GoBinary('harbor_registryctl', './registryctl')])


def harbor_scanner_trivy(version):
    """Harbor's Trivy adapter with the version stamps its goreleaser sets (the commit's date as the build date)."""
    tag = f'v{version}'
    archive = source_archive('harbor-scanner-trivy', tag)
    ldflags = f'-X main.version={tag} -X main.commit={archive.commit[:8]} -X main.date={archive.date}'
    return GoBuild('harbor-scanner-trivy', tag, {'github.com/aquasecurity/harbor-scanner-trivy': tag}, archive=archive,
                   data_paths=('LICENSE',), binaries=[GoBinary('scanner-trivy', './cmd/scanner-trivy', ldflags=ldflags)])
