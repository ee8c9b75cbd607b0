# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OCI images made with buildah from the built binaries (and Debian packages where needed), reproducibly."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from .common import (
    ARCH,
    BUILD_DIR,
    BuildError,
    CONTAINERS_CONF,
    IMAGE_PATH,
    IMAGE_PATH_ENV,
    MANIFEST,
    canonical,
    read_json,
    remember,
    replace_checked,
    run,
    scratch_dir,
    sha256_file,
    write_json,
)
from .debian import debian_closure, debian_debs, extract_debs
from .bundle import bundle_stamp_path

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
    base: Path | None = None    # an image archive of the bundle whose layers come first (root is one more layer)


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


def kube_vip_image(entry, built):
    """Upstream's image: /kube-vip alone, its entrypoint. No CA bundle (upstream copies Alpine's): kube-vip talks
    only to the API server, with the CA of the kubeconfig it is given."""
    def populate(root):
        base_files(root)
        install(built.out_dir / 'kube-vip', root / 'kube-vip')
    return ImageSpec(entry['image'], entry['tag'], {'kube-vip': built.outputs['kube-vip']}, populate,
                     {'entrypoint': ['/kube-vip']})


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

    return ImageSpec(entry['image'], entry['tag'], {'debian': packages},
                     functools.partial(populate_busybox, packages=packages), {'cmd': ['sh'], 'env': [IMAGE_PATH_ENV]})


def populate_busybox(root, packages):
    """base_files, /bin/busybox of packages (a closure with busybox-static) and a symlink per applet."""
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


def write_ca_bundle(root):
    """What ca-certificates' postinst makes (update-ca-certificates): /etc/ssl/certs/ca-certificates.crt from the
    package's certificates, the bundle Go, OpenSSL and Python's requests read."""
    bundle = root / 'etc' / 'ssl' / 'certs' / 'ca-certificates.crt'
    bundle.parent.mkdir(parents=True, exist_ok=True)
    bundle.write_text(''.join(path.read_text() for path in
                              sorted((root / 'usr' / 'share' / 'ca-certificates').rglob('*.crt'))))


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


# -- storage -----------------------------------------------------------------------------------------

# The Debian release whose packages make the Ceph images: Debian 13 packages Ceph Reef (18.2), the newest Ceph
# that Rook 1.18 supports and the oldest it still does; the nodes stay on Debian 12.
CEPH_DEBIAN = 'trixie'
# The daemons Rook runs from the Ceph image, ceph-volume (OSD preparation) with what it and Rook's provisioning
# call (lsblk, blkid, sgdisk, udevadm, lvm, cryptsetup), ceph-fuse (ceph-csi's FUSE mounter: the image is
# cephcsi's base too), the mgr's database in RADOS (libsqlite3-mod-ceph: devicehealth fails without it), and the
# shell tools of Rook's init scripts.
CEPH_PACKAGES = ('ceph-mon', 'ceph-mgr', 'ceph-mgr-modules-core', 'libsqlite3-mod-ceph', 'ceph-osd', 'ceph-mds',
                 'radosgw', 'ceph-volume', 'ceph-common', 'ceph-fuse', 'util-linux', 'udev', 'gdisk', 'lvm2',
                 'cryptsetup-bin', 'iproute2', 'procps', 'bash', 'dash', 'coreutils', 'findutils', 'grep', 'sed', 'gawk',
                 'tar', 'gzip', 'kmod', 'ca-certificates',
                 # Rook's MDS liveness probe reads `ceph fs dump` with jq: without it every MDS was "not present in
                 # the MDS map" and restarted every few minutes (the filesystem offline, CephFS mounts failing).
                 'jq',
                 # Rook's RGW startup and readiness probes ask the gateway with curl: without it the RGW never
                 # became Ready and was restarted every few minutes (no bucket could be claimed).
                 'curl')
CEPH_CHECKS = (('ceph-mon', '--version'), ('ceph-mgr', '--version'), ('ceph-osd', '--version'), ('ceph-mds', '--version'),
               ('radosgw', '--version'), ('ceph-fuse', '--version'), ('rados', '--version'), ('rbd', '--version'),
               ('ceph-volume', '--help'), ('lsblk', '--version'), ('sgdisk', '--version'), ('udevadm', '--version'),
               ('lvm', 'version'), ('ip', '-V'), ('awk', '--version'), ('jq', '--version'),
               ('curl', '--version'),
               # Rook's probes run `env -i sh -c ...`: sh found on the default path.
               ('env', '-i', 'sh', '-c', 'true'),
               # What ceph-mgr's modules import: requests loads the CA bundle, devicehealth's database is in RADOS.
               ('python3', '-c', 'import requests, prettytable, rados, rbd, cephfs'),
               ('ls', '/usr/lib/x86_64-linux-gnu/libcephsqlite.so'))
# Packages of the machine's own release (Debian 12) in place of Debian 13's: ceph-mgr runs each of its modules in a
# Python subinterpreter, and every module imports bcrypt (mgr_util); Debian 13's bcrypt 4 is Rust (PyO3), which
# loads in one interpreter per process only, so all modules but one fail ("failed dependency", HEALTH_WARN for
# ever). Debian 12's bcrypt 3.2 is C with cffi, built for the stable ABI: it loads in each subinterpreter.
CEPH_FROM_MACHINE_RELEASE = ('python3-bcrypt',)
CEPH_SUBINTERPRETER_CHECK = (
    'import _interpreters\n'
    'for _ in range(3):\n'
    '    error = _interpreters.exec(_interpreters.create(_interpreters.new_config("legacy")),\n'
    '                               "import bcrypt; assert bcrypt.checkpw(b\'x\', bcrypt.hashpw(b\'x\', bcrypt.gensalt(4)))")\n'
    '    assert error is None, error.msg\n')
# ceph-mgr's remote(): one module calls another's method, and Reef hands the caller's Python objects to the other
# module's subinterpreter as they are. Python 3.12+ (Debian 13 has 3.13) keeps each type's state per interpreter, so
# the callee crashed the mgr on them (a segfault in the progress module when rbd_support removed a deleted volume's
# image from the trash, again at every restart). Ceph fixed it upstream after Reef by pickling what crosses: here the
# arguments go over as bytes and are unpickled in the callee's interpreter, and the result comes back the same way;
# a method that does not exist still raises NameError in the caller.
CEPH_MGR_REMOTE = (
    'usr/share/ceph/mgr/mgr_module.py',
    '        return self._ceph_dispatch_remote(module_name, method_name,\n'
    '                                          args, kwargs)\n',
    '        import pickle\n'
    '        payload = pickle.dumps((method_name, args, kwargs))\n'
    '        found, result = pickle.loads(self._ceph_dispatch_remote(module_name, \'_remote_pickled\', (payload,), {}))\n'
    '        if not found:\n'
    '            raise NameError(\'Method {} not found in module {}\'.format(method_name, module_name))\n'
    '        return result\n'
    '\n'
    '    def _remote_pickled(self, payload: bytes) -> bytes:\n'
    '        """The callee\'s side of remote(): only bytes cross between subinterpreters."""\n'
    '        import pickle\n'
    '        method_name, args, kwargs = pickle.loads(payload)\n'
    '        method = getattr(self, method_name, None)\n'
    '        if method is None:\n'
    '            return pickle.dumps((False, None))\n'
    '        return pickle.dumps((True, method(*args, **kwargs)))\n',
    1)
# rbd_support's long operations (removing a deleted volume's image from the trash, flatten, migration) pass librbd a
# Python progress callback, which librbd calls from its own threads: the callback then runs without the module's
# subinterpreter, and Python 3.13 crashed the mgr on it (a segfault at every restart, as the task stays queued). The
# calls pass no callback: the operations run to the end, without a percentage in `ceph progress`.
CEPH_RBD_SUPPORT_PROGRESS = ('usr/share/ceph/mgr/rbd_support/task.py',
                             'on_progress=partial(self.progress_callback, task)', 'on_progress=None', 6)
# Each edit of ceph-mgr's modules: (file in the image, old text, new text, how many times old is there).
CEPH_MGR_EDITS = (CEPH_MGR_REMOTE, CEPH_RBD_SUPPORT_PROGRESS)
# The accounts of Ceph's own images: ceph is 167 there, and Rook's pods chown to it by name.
CEPH_PASSWD = ('root:x:0:0:root:/root:/bin/bash\n'
               'ceph:x:167:167:Ceph storage service:/var/lib/ceph:/usr/sbin/nologin\n'
               'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n')
CEPH_GROUP = 'root:x:0:\ndisk:x:6:ceph\nceph:x:167:\nnogroup:x:65534:\n'
# Rook mounts host directories over those below /var and /run, and its init container gives them to ceph.
CEPH_DIRS = ('etc/ceph', 'var/lib/ceph/tmp', 'var/lib/ceph/crash', 'var/lib/ceph/mon', 'var/lib/ceph/mgr',
             'var/lib/ceph/osd', 'var/lib/ceph/mds', 'var/lib/ceph/radosgw', 'var/lib/ceph/bootstrap-osd',
             'var/log/ceph', 'run/ceph', 'run/lock')


def ceph_version_of(packages):
    """The upstream version of Debian's Ceph packages (18.2.7 of 18.2.7+ds-1+deb13u1)."""
    return re.sub(r'^\d+:|[+~-].*$', '', packages['ceph-common'])


def ceph_image(entry):
    """Ceph's daemons and tools from Debian's packages in an image of upstream's name (quay.io/ceph/ceph), which
    Rook runs for mons, mgrs, OSDs, MDSs and RGWs, and the base of the Rook and cephcsi images. The packages are
    unpacked without their maintainer scripts: what those do that the daemons need (the ceph account, its
    directories, awk's alternative, the linker cache) is done here, and each daemon is run once in the root."""
    machine = {name: debian_closure([name])[name] for name in CEPH_FROM_MACHINE_RELEASE}
    packages = {name: version for name, version in debian_closure(CEPH_PACKAGES, CEPH_DEBIAN).items()
                if name not in machine}
    if f'v{ceph_version_of(packages)}' != entry['tag']:
        raise BuildError(f'Debian {CEPH_DEBIAN} has Ceph {packages["ceph-common"]}, the manifest says {entry["tag"]}')

    def populate(root):
        extract_debs(debian_debs(packages, CEPH_DEBIAN), root)
        extract_debs(debian_debs(machine), root)
        # What gawk's postinst makes (an alternative).
        (root / 'usr' / 'bin' / 'awk').symlink_to('gawk')
        for directory, mode in (('tmp', 0o1777), ('root', 0o700)):
            (root / directory).mkdir(parents=True, exist_ok=True)
            (root / directory).chmod(mode)
        (root / 'etc' / 'passwd').write_text(CEPH_PASSWD)
        (root / 'etc' / 'group').write_text(CEPH_GROUP)
        (root / 'etc' / 'nsswitch.conf').write_text('passwd: files\ngroup: files\nhosts: files dns\n')
        # What base-files makes on a Debian system: the daemons write /var/run/ceph (Rook mounts /run/ceph).
        for link, target in (('var/run', '/run'), ('var/lock', '/run/lock')):
            shutil.rmtree(root / link, ignore_errors=True)
            (root / link).symlink_to(target)
        for directory in CEPH_DIRS:
            (root / directory).mkdir(parents=True, exist_ok=True)
        # The bundle Python's requests loads when it is imported (ceph-mgr's telemetry module fails without it).
        write_ca_bundle(root)
        for path, text, replacement, count in CEPH_MGR_EDITS:
            replace_checked(root / path, text, replacement, count, what=f'Debian\'s Ceph {packages["ceph-common"]} {path}')
        run('ldconfig', '-r', root)
        for command in (*CEPH_CHECKS, ('python3', '-c', CEPH_SUBINTERPRETER_CHECK),
                        *(('python3', '-c', 'import sys; compile(open(sys.argv[1]).read(), sys.argv[1], "exec")', f'/{path}')
                          for path, *_edit in CEPH_MGR_EDITS)):
            run('chroot', root, *command, env={'PATH': IMAGE_PATH}, capture=True)
        printed = run('chroot', root, 'ceph', '--version', env={'PATH': IMAGE_PATH}, capture=True)
        if f'ceph version {entry["tag"][1:]} ' not in printed:
            raise BuildError(f'ceph --version prints {printed.strip()!r} in the image, not {entry["tag"]}')

    return ImageSpec(entry['image'], entry['tag'], {'debian': packages, 'debian_release': CEPH_DEBIAN,
                                                    'debian_machine_release': machine,
                                                    'mgr_edits': hashlib.sha256(repr(CEPH_MGR_EDITS).encode()).hexdigest()},
                     populate,
                     {'cmd': ['/bin/bash'], 'env': [IMAGE_PATH_ENV, f'CEPH_VERSION={entry["tag"]}']},
                     revision=3)


def rook_image(entry, built, ceph_archive):
    """Upstream's rook/ceph: the Ceph image and, as one more layer, /usr/local/bin/rook (the operator, and the
    binary Rook copies into its daemons' pods), its toolbox scripts, monitoring rules and external-cluster script,
    and the rook account (2016) it runs as."""
    files = {'usr/local/bin/rook': (built.out_dir / 'rook', 0o755),
             'usr/local/bin/toolbox.sh': (built.data['images/ceph/toolbox.sh'], 0o755),
             'usr/local/bin/set-ceph-debug-level': (built.data['images/ceph/set-ceph-debug-level'], 0o755),
             'etc/rook-external/create-external-cluster-resources.py':
                 (built.data['deploy/examples/create-external-cluster-resources.py'], 0o755),
             'licenses/LICENSE': (built.data['LICENSE'], 0o644),
             **{f'etc/ceph-monitoring/{name}': (path, 0o644)
                for name, path in data_files(built, 'deploy/examples/monitoring/').items()}}

    def populate(root):
        (root / 'etc').mkdir()
        (root / 'etc' / 'passwd').write_text(CEPH_PASSWD + 'rook:x:2016:2016::/home/rook:/usr/sbin/nologin\n')
        (root / 'etc' / 'group').write_text(CEPH_GROUP + 'rook:x:2016:\n')
        for name, (source, mode) in files.items():
            install(source, root / name, mode)

    inputs = {'rook': built.outputs['rook'],
              **{name: sha256_file(source) for name, (source, _mode) in files.items() if name != 'usr/local/bin/rook'}}
    return ImageSpec(entry['image'], entry['tag'], inputs, populate,
                     {'entrypoint': ['/usr/local/bin/rook'], 'cmd': [''], 'user': '2016', 'env': [IMAGE_PATH_ENV]},
                     base=ceph_archive)


def cephcsi_image(entry, built, ceph_archive):
    """Upstream's cephcsi: the Ceph image (client libraries, ceph-fuse) and /usr/local/bin/cephcsi."""
    def populate(root):
        install(built.out_dir / 'cephcsi', root / 'usr' / 'local' / 'bin' / 'cephcsi')
        install(built.data['LICENSE'], root / 'licenses' / 'LICENSE', 0o644)
    return ImageSpec(entry['image'], entry['tag'], {'cephcsi': built.outputs['cephcsi'],
                                                    'license': sha256_file(built.data['LICENSE'])}, populate,
                     {'entrypoint': ['/usr/local/bin/cephcsi'], 'env': [IMAGE_PATH_ENV]}, base=ceph_archive)


def csi_sidecar_image(command, entry, built):
    """A kubernetes-csi sidecar's image as upstream's (distroless static): /<command>, its entrypoint."""
    def populate(root):
        base_files(root)
        install(built.out_dir / command, root / command)
    return ImageSpec(entry['image'], entry['tag'], {command: built.outputs[command]}, populate,
                     {'entrypoint': [f'/{command}']})


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
    container = buildah('from', '--name', f'caas-build-{os.getpid()}-{spec.image.replace("/", "-")}',
                        f'oci-archive:{spec.base}' if spec.base else 'scratch')
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


def image_archive(bundle, entry):
    """Where the bundle keeps an image: images/<image>/<tag>.oci.tar."""
    return bundle / 'images' / entry['image'] / f'{entry["tag"]}.oci.tar'


def build_archive(bundle, image, tag, inputs, write_layout):
    """images/<image>/<tag>.oci.tar from the OCI layout write_layout(layout, scratch) makes, unless its stamp
    records the same inputs. Returns (manifest digest, cached)."""
    dest = image_archive(bundle, {'image': image, 'tag': tag})
    stamp_path = bundle_stamp_path(dest)
    inputs = canonical(inputs)
    stamp = read_json(stamp_path)
    if stamp and stamp['inputs'] == inputs and dest.is_file() and sha256_file(dest) == stamp['archive_sha256']:
        remember('artifacts', f'{image}:{tag}', inputs, stamp['digest'])
        return stamp['digest'], True
    with scratch_dir() as tmp:
        layout = Path(tmp) / 'oci'
        write_layout(layout, Path(tmp))
        digest = manifest_digest(layout)
        pack_oci_archive(layout, dest)
    write_json(stamp_path, {'inputs': inputs, 'digest': digest, 'archive_sha256': sha256_file(dest)})
    remember('artifacts', f'{image}:{tag}', inputs, digest)
    return digest, False


def build_image(spec, bundle):
    """images/<image>/<tag>.oci.tar, its root filesystem committed by buildah. Returns (digest, cached)."""
    inputs = {'revision': spec.revision, 'buildah': buildah_version(), 'config': spec.config, 'arch': ARCH,
              'contents': spec.inputs, **({'owners': spec.owners} if spec.owners else {}),
              **({'base': sha256_file(spec.base)} if spec.base else {})}

    def write_layout(layout, tmp):
        root = tmp / 'rootfs'
        root.mkdir()
        spec.populate(root)
        commit_image(spec, root, layout)
    return build_archive(bundle, spec.image, spec.tag, inputs, write_layout)
