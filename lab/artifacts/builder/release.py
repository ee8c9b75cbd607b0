# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One release of the data center: every file and image of a Kubernetes minor, built or taken from its stamp."""

from __future__ import annotations

import functools
import sys
import time

from .common import ARCH, BuildError
from .gobuild import go_build
from .recipes import (
    KUBERNETES_COMMANDS,
    calico,
    ceph_csi,
    cni_plugins,
    containerd,
    coredns,
    crictl,
    etcd,
    go_swagger,
    harbor,
    harbor_registry,
    harbor_scanner_trivy,
    helm,
    kube_bench,
    kube_vip,
    kubernetes,
    pause,
    rook,
    source_archive,
    runc,
    trivy,
    csi_sidecar)
from .bundle import bundle_file
from .debian import debian_closure
from .harbor import (
    harbor_core_image,
    harbor_jobservice_image,
    harbor_nginx_image,
    harbor_portal_image,
    harbor_registryctl_image,
    postgres_image,
    registry_photon_image,
    trivy_adapter_image,
    valkey_image)
from .portal import harbor_portal
from .scanning import debian_release, scan_target_image, trivy_db, trivy_db_artifact
from .images import (
    build_image,
    image_archive,
    CEPH_DEBIAN,
    busybox_image,
    ceph_image,
    cephcsi_image,
    csi_sidecar_image,
    calico_cni_image,
    calico_kube_controllers_image,
    calico_node_image,
    coredns_image,
    etcd_image,
    kube_proxy_image,
    kube_vip_image,
    kubernetes_image,
    pause_image,
    rook_image)

# -- one release -----------------------------------------------------------------------------------

# The CSI sidecars Rook deploys with ceph-csi: image name -> (component, Go module if the proxy serves it).
CSI_SIDECARS = {'csi-node-driver-registrar': ('node-driver-registrar', None),
                'csi-provisioner': ('external-provisioner', None),
                'csi-resizer': ('external-resizer', None),
                'csi-attacher': ('external-attacher', 'github.com/kubernetes-csi/external-attacher/v4'),
                'csi-snapshotter': ('external-snapshotter', 'github.com/kubernetes-csi/external-snapshotter/v8')}

# The build each manifest file comes from, and the build (or builds: the recipe gets each one's Built) and
# recipe of each image.
FILE_BUILDS = {**{name: 'kubernetes' for name in KUBERNETES_COMMANDS},
               **{name: name for name in ('containerd', 'runc', 'cni-plugins', 'crictl', 'etcd', 'helm',
                                          'kube-bench')},
               'calico-crds': 'calico', 'rook-crds': 'rook', 'rook-common': 'rook'}
IMAGE_RECIPES = {**{name: ('kubernetes', functools.partial(kubernetes_image, name))
                    for name in ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler')},
                 'kube-proxy': ('kubernetes', kube_proxy_image), 'etcd': ('etcd', etcd_image),
                 'coredns': ('coredns', coredns_image), 'pause': ('pause', pause_image),
                 'kube-vip': ('kube-vip', kube_vip_image),
                 'calico-node': ('calico', calico_node_image),
                 'calico-cni': (('calico', 'cni-plugins'), calico_cni_image),
                 'calico-kube-controllers': ('calico', calico_kube_controllers_image),
                 'ceph': ((), ceph_image),
                 'rook-ceph': ('rook', rook_image), 'cephcsi': ('ceph-csi', cephcsi_image),
                 **{name: (component, functools.partial(csi_sidecar_image, name))
                    for name, (component, _module) in CSI_SIDECARS.items()},
                 'harbor-core': (('harbor', 'go-swagger'), harbor_core_image),
                 'harbor-jobservice': ('harbor', harbor_jobservice_image),
                 'harbor-registryctl': (('harbor', 'harbor-registry'), harbor_registryctl_image),
                 'registry-photon': (('harbor', 'harbor-registry'), registry_photon_image),
                 'trivy-adapter-photon': (('harbor', 'harbor-scanner-trivy', 'trivy'), trivy_adapter_image),
                 'postgres': ((), postgres_image), 'valkey': ((), valkey_image),
                 'harbor-nginx': ((), harbor_nginx_image),
                 'harbor-portal': ('harbor-portal', harbor_portal_image)}
# Images whose first layers are another image of the bundle (the recipe gets its archive after the Builts).
IMAGE_BASES = {'rook-ceph': 'ceph', 'cephcsi': 'ceph'}
TEST_IMAGE_RECIPES = {'busybox': busybox_image, 'scan-target': scan_target_image}


class Release:
    """Builds the artifacts of one Kubernetes minor, timing each step."""

    def __init__(self, entry, bundle):
        self.entry, self.bundle = entry, bundle
        self.steps = {}         # step -> {seconds, cached} or {seconds, error}
        self.builds = {}        # component -> Built, or the BuildError it failed with

    def timed(self, step, action):
        print(f'  {step} ...', flush=True)
        start = time.monotonic()
        try:
            value, cached = action()
        except BuildError as error:
            self.steps[step] = {'seconds': round(time.monotonic() - start, 1), 'error': str(error)}
            print(f'FAILED {step}: {error}', file=sys.stderr, flush=True)
            raise
        self.steps[step] = {'seconds': round(time.monotonic() - start, 1), 'cached': cached}
        print(f'  {step}: {time.monotonic() - start:.1f} s{" (cached)" if cached else ""}', flush=True)
        return value

    def run_build(self, component):
        """The component's build at the version this minor's manifest entries name."""
        files, images = self.entry['files'], self.entry['images']
        if component == 'kubernetes':
            return go_build(kubernetes(self.entry['version']))
        if component == 'pause':
            return pause(images['pause']['tag'], f'v{self.entry["version"]}')
        image_recipes = {'coredns': coredns, 'kube-vip': kube_vip}     # versioned by their image's tag
        if component in image_recipes:
            return go_build(image_recipes[component](images[component]['tag'].removeprefix('v')))
        if component == 'rook':
            return go_build(rook(images['rook-ceph']['tag'].removeprefix('v')))
        if component == 'ceph-csi':
            return go_build(ceph_csi(images['cephcsi']['tag'].removeprefix('v'), CEPH_DEBIAN))
        sidecars = {c: (name, module) for name, (c, module) in CSI_SIDECARS.items()}
        if component in sidecars:
            name, module = sidecars[component]
            return go_build(csi_sidecar(component, images[name]['tag'].removeprefix('v'), name, module))
        # Harbor's images: Harbor at their tag, the tools at the versions the manifest's registry entries name.
        if component == 'harbor':
            return go_build(harbor(images['harbor-core']['tag'].removeprefix('v'), self.build('go-swagger')))
        if component == 'harbor-portal':
            tag = images['harbor-portal']['tag']
            return harbor_portal(source_archive('harbor', tag), tag)
        if component == 'go-swagger':
            return go_build(go_swagger(images['harbor-core']['swagger']))
        if component == 'harbor-registry':
            return go_build(harbor_registry(images['registry-photon']['distribution']))
        if component == 'harbor-scanner-trivy':
            return go_build(harbor_scanner_trivy(images['trivy-adapter-photon']['scanner']))
        if component == 'trivy':
            return go_build(trivy(images['trivy-adapter-photon']['trivy']))
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
        if name in IMAGE_BASES:
            built.append(self.base_archive(IMAGE_BASES[name]))
        return self.timed(f'image {name}', lambda: build_image(recipe(entry, *built), self.bundle))

    def base_archive(self, name):
        """The bundle's archive of the image name, built first if this run has not (once per run)."""
        if ('base', name) not in self.builds:
            try:
                self.image(name)
                self.builds[('base', name)] = image_archive(self.bundle, self.entry['images'][name])
            except BuildError as error:
                self.builds[('base', name)] = error
        if isinstance(self.builds[('base', name)], BuildError):
            raise BuildError(f'its base image {name} could not be built')
        return self.builds[('base', name)]

    def test_image(self, name, entry):
        if name == 'trivy-db':
            # The vulnerability database of the Trivy the entry names, for the Debian release the images are of.
            release = debian_release(debian_closure(['base-files']))
            database = self.timed('build trivy-db', lambda: trivy_db(entry['trivy'], release))
            return self.timed(f'test image {name}', lambda: trivy_db_artifact(entry, database, self.bundle))
        if name not in TEST_IMAGE_RECIPES:
            raise BuildError(f'no recipe for the test image {name}')
        return self.timed(f'test image {name}', lambda: build_image(TEST_IMAGE_RECIPES[name](entry), self.bundle))
