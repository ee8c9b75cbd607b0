# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor's images (the registry layer) from the built binaries, laid out as upstream's make/photon Dockerfiles lay
them out (paths, accounts, entrypoint scripts), on Debian's busybox instead of Photon."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from .common import IMAGE_PATH, IMAGE_PATH_ENV, BuildError, run, sha256_file
from .debian import debian_closure, debian_debs, extract_debs
from .images import ImageSpec, install, populate_busybox, write_ca_bundle
from .recipes import harbor_registry_version, source_archive

# What the entrypoint scripts run (sh, grep, dirname), from one static busybox; Debian's CA certificates (Go reads
# /etc/ssl/certs/ca-certificates.crt; upstream's images trust Photon's bundle) and the time zones (upstream installs
# tzdata). Each package alone: the dependencies of ca-certificates and tzdata (openssl, debconf) serve their
# maintainer scripts, whose one needed result, the CA bundle, is written here.
HARBOR_DEBIAN = ('busybox-static', 'ca-certificates', 'tzdata')
# Upstream's accounts: harbor in the Harbor images, scanner in the Trivy adapter's, both 10000:10000.
HARBOR_UID = 10000
# The tools Harbor's Makefile pins, which the lab builds at the versions the manifest names: checked against it.
HARBOR_MAKEFILE_PINS = {'swagger': 'SWAGGER_VERSION', 'scanner': 'TRIVYADAPTERVERSION'}
# What install_cert.sh prints where it has nothing to do (not Photon): the entrypoint scripts run in the image.
INSTALL_CERT_SKIPS = 'Current OS is not Photon, skip appending ca bundle'


def harbor_packages():
    """{package: version} of HARBOR_DEBIAN, each without its dependencies."""
    return {name: debian_closure([name])[name] for name in HARBOR_DEBIAN}


def makefile_pins(harbor):
    """{name: version} of the tools Harbor's Makefile pins (v stripped), from the Built of harbor."""
    text = harbor.data['Makefile'].read_text()
    pins = {}
    for name, variable in HARBOR_MAKEFILE_PINS.items():
        found = re.search(rf'^{variable}=v?(\S+)$', text, re.M)
        if not found:
            raise BuildError(f'Harbor\'s Makefile no longer sets {variable}: see lab/artifacts/builder/harbor.py')
        pins[name] = found.group(1)
    return pins


def check_makefile_pins(harbor, **versions):
    """The versions the lab builds are those Harbor's Makefile pins (swagger, scanner; v stripped)."""
    pins = makefile_pins(harbor)
    for name, version in versions.items():
        if pins[name] != version.removeprefix('v'):
            raise BuildError(f'Harbor\'s Makefile pins {HARBOR_MAKEFILE_PINS[name]}={pins[name]}, the lab builds '
                             f'{version}: change the manifest or the recipe so that they agree')


def check_stamps(binary, *values):
    """The binary holds each -X stamp's value: the image holds what was built with them (for programs that cannot
    print their version without a configuration). `go version -m` cannot tell: with -trimpath it omits -ldflags."""
    data = Path(binary).read_bytes()
    missing = [value for value in values if value.encode() not in data]
    if missing:
        raise BuildError(f'{binary} holds no {", ".join(missing)}: it was not built with those version stamps')


def harbor_root(root, packages, account, home):
    """Debian's CA bundle and time zones, busybox with its applets, and the account with its home."""
    extract_debs(debian_debs({name: packages[name] for name in ('ca-certificates', 'tzdata')}), root)
    populate_busybox(root, {'busybox-static': packages['busybox-static']})
    write_ca_bundle(root)
    with open(root / 'etc' / 'passwd', 'a', encoding='utf-8') as passwd:
        passwd.write(f'{account}:x:{HARBOR_UID}:{HARBOR_UID}::{home}:/sbin/nologin\n')
    with open(root / 'etc' / 'group', 'a', encoding='utf-8') as group:
        group.write(f'{account}:x:{HARBOR_UID}:\n')
    (root / home.lstrip('/')).mkdir(parents=True, exist_ok=True)


def chroot(root, *command, env=()):
    return run('chroot', root, *command, env={'PATH': IMAGE_PATH, **dict(env)}, capture=True)


def check_install_cert(root, script):
    """Upstream's install_cert.sh, run by every entrypoint first, passes through on a system that is not Photon."""
    printed = chroot(root, script).strip()
    if printed != INSTALL_CERT_SKIPS:
        raise BuildError(f'{script} prints {printed!r} in the image, not {INSTALL_CERT_SKIPS!r}')


def harbor_image(entry, packages, account, files, config, checks=(), directories=(), inputs=None):
    """An image of upstream's name: harbor_root, then files ({path in the image: (source, mode)}), the directories
    upstream declares as volumes, and checks(root) run before the root is committed."""
    home = f'/home/{account}'

    def populate(root):
        harbor_root(root, packages, account, home)
        for name, (source, mode) in files.items():
            install(source, root / name, mode)
        for directory in directories:
            (root / directory).mkdir(parents=True, exist_ok=True)
        for script in sorted(name for name in files if name.endswith('/install_cert.sh')):
            check_install_cert(root, f'/{script}')
        for name in sorted(name for name in files if name.endswith(('/entrypoint.sh', '/start.sh'))):
            chroot(root, 'sh', '-n', f'/{name}')
        for check in checks:
            check(root)

    contents = {'debian': packages, 'files': {name: sha256_file(source) for name, (source, _mode) in files.items()},
                'directories': list(directories), **(inputs or {})}
    return ImageSpec(entry['image'], entry['tag'], contents, populate,
                     {'user': account, 'env': [IMAGE_PATH_ENV], **config})


def harbor_scripts(harbor, home, entrypoint):
    """install_cert.sh and the image's entrypoint script (a path in Harbor's make/photon) into home."""
    return {f'{home}/install_cert.sh': (harbor.data['make/photon/common/install_cert.sh'], 0o755),
            f'{home}/{entrypoint.rsplit("/", 1)[1]}': (harbor.data[f'make/photon/{entrypoint}'], 0o755)}


def harbor_core_image(entry, harbor, swagger):
    """goharbor/harbor-core: /harbor/harbor_core with what it reads relative to its working directory /harbor
    (views, migrations, icons), its entrypoint script; port 8080 (upstream's HEALTHCHECK: /api/v2.0/ping).
    swagger: the Built of the go-swagger that generated core's API code, the version Harbor's Makefile pins."""
    check_makefile_pins(harbor, swagger=swagger.version)
    files = {'harbor/harbor_core': (harbor.out_dir / 'harbor_core', 0o755),
             **harbor_scripts(harbor, 'harbor', 'core/entrypoint.sh'),
             **{f'harbor/views/{name.removeprefix("src/core/views/")}': (path, 0o644)
                for name, path in harbor.data.items() if name.startswith('src/core/views/')},
             **{f'harbor/{name.removeprefix("make/")}': (path, 0o644)
                for name, path in harbor.data.items() if name.startswith('make/migrations/')},
             **{f'harbor/{name}': (path, 0o644) for name, path in harbor.data.items() if name.startswith('icons/')},
             'licenses/LICENSE': (harbor.data['LICENSE'], 0o644)}
    # Core's stamps (recipes.harbor): the release and the snapshot's commit.
    commit = source_archive('harbor', entry['tag']).commit[:8]

    def check_version(_root):
        check_stamps(harbor.out_dir / 'harbor_core', entry['tag'], commit)

    return harbor_image(entry, harbor_packages(), 'harbor', files,
                        {'entrypoint': ['/harbor/entrypoint.sh'], 'workdir': '/harbor', 'ports': ['8080/tcp']},
                        checks=(check_version,), inputs={'harbor_core': harbor.outputs['harbor_core']})


def harbor_jobservice_image(entry, harbor):
    """goharbor/harbor-jobservice: /harbor/harbor_jobservice -c /etc/jobservice/config.yml (its entrypoint
    script); /var/log/jobs, upstream's volume for the FILE job logger."""
    files = {'harbor/harbor_jobservice': (harbor.out_dir / 'harbor_jobservice', 0o755),
             **harbor_scripts(harbor, 'harbor', 'jobservice/entrypoint.sh'),
             'licenses/LICENSE': (harbor.data['LICENSE'], 0o644)}
    return harbor_image(entry, harbor_packages(), 'harbor', files,
                        {'entrypoint': ['/harbor/entrypoint.sh'], 'workdir': '/harbor', 'ports': ['8080/tcp']},
                        directories=('var/log/jobs',))


def check_registry(root, registry):
    """The registry runs in the image and prints the version stamp of the build."""
    printed = chroot(root, '/usr/bin/registry_DO_NOT_USE_GC', '--version').strip()
    if not printed.endswith(f' {registry}'):
        raise BuildError(f'registry --version prints {printed!r} in the image, not the version stamp {registry}')


def registry_photon_image(entry, harbor, registry):
    """goharbor/registry-photon: goharbor/distribution's registry as /usr/bin/registry_DO_NOT_USE_GC (Harbor's
    name: garbage collection goes through core), serve /etc/registry/config.yml from its entrypoint script;
    port 5000, /storage (upstream's volume for the filesystem driver)."""
    files = {'usr/bin/registry_DO_NOT_USE_GC': (registry.out_dir / 'registry', 0o755),
             **harbor_scripts(harbor, 'home/harbor', 'registry/entrypoint.sh'),
             'licenses/LICENSE': (registry.data['LICENSE'], 0o644)}
    return harbor_image(entry, harbor_packages(), 'harbor', files,
                        {'entrypoint': ['/home/harbor/entrypoint.sh'], 'ports': ['5000/tcp']},
                        checks=(lambda root: check_registry(root, harbor_registry_version(registry.version)),),
                        directories=('storage',),
                        inputs={'registry': registry.outputs['registry']})


def harbor_registryctl_image(entry, harbor, registry):
    """goharbor/harbor-registryctl: /home/harbor/harbor_registryctl -c /etc/registryctl/config.yml (its start.sh)
    and the registry binary, as upstream's image has it; port 8080, /var/lib/registry (upstream's volume)."""
    files = {'home/harbor/harbor_registryctl': (harbor.out_dir / 'harbor_registryctl', 0o755),
             'usr/bin/registry_DO_NOT_USE_GC': (registry.out_dir / 'registry', 0o755),
             **harbor_scripts(harbor, 'home/harbor', 'registryctl/start.sh'),
             'licenses/LICENSE': (harbor.data['LICENSE'], 0o644)}
    return harbor_image(entry, harbor_packages(), 'harbor', files,
                        {'entrypoint': ['/home/harbor/start.sh'], 'ports': ['8080/tcp']},
                        checks=(lambda root: check_registry(root, harbor_registry_version(registry.version)),),
                        directories=('var/lib/registry',),
                        inputs={'harbor_registryctl': harbor.outputs['harbor_registryctl'],
                                'registry': registry.outputs['registry']})


def check_trivy(root, version):
    """trivy runs in the image and prints its version (no network: no version check, no telemetry)."""
    printed = chroot(root, '/usr/local/bin/trivy', '--version', env={
        'HOME': '/tmp', 'TRIVY_SKIP_VERSION_CHECK': 'true', 'TRIVY_DISABLE_TELEMETRY': 'true'})
    if f'Version: {version}' not in printed.splitlines():
        raise BuildError(f'trivy --version prints {printed.strip()!r} in the image, not Version: {version}')


def trivy_adapter_image(entry, harbor, scanner, trivy):
    """goharbor/trivy-adapter-photon: /home/scanner/bin/scanner-trivy (its entrypoint script) and the trivy it runs,
    /usr/local/bin/trivy, at the version the manifest entry names (Harbor 2.15.2 ships 0.72.0; the lab builds the
    one its vulnerability database is written for); port 8080 (/probe/healthy, /probe/ready)."""
    check_makefile_pins(harbor, scanner=scanner.version)
    files = {'home/scanner/bin/scanner-trivy': (scanner.out_dir / 'scanner-trivy', 0o755),
             'usr/local/bin/trivy': (trivy.out_dir / 'trivy', 0o755),
             **harbor_scripts(harbor, 'home/scanner', 'trivy-adapter/entrypoint.sh'),
             'licenses/LICENSE': (scanner.data['LICENSE'], 0o644)}

    def check_versions(root):
        check_trivy(root, trivy.version.removeprefix('v'))
        check_stamps(scanner.out_dir / 'scanner-trivy', scanner.version)

    return harbor_image(entry, harbor_packages(), 'scanner', files,
                        {'entrypoint': ['/home/scanner/entrypoint.sh'], 'ports': ['8080/tcp'],
                         'env': [IMAGE_PATH_ENV, f'TRIVY_VERSION={trivy.version}']},
                        checks=(check_versions,),
                        directories=('home/scanner/.cache/trivy', 'home/scanner/.cache/reports'),
                        inputs={'scanner-trivy': scanner.outputs['scanner-trivy'], 'trivy': trivy.outputs['trivy']})


# -- Harbor's data services ---------------------------------------------------------------------------

# The Debian release whose PostgreSQL and Valkey serve Harbor (upstream's harbor-db is PostgreSQL 18, its
# valkey-photon Valkey 8; Debian 13 has PostgreSQL 17 and Valkey 8.1, and Harbor's migrations use nothing newer).
DATA_DEBIAN = 'trixie'
# The accounts of the official images (postgres, valkey: 999), whose paths these images keep: PostgreSQL's binaries
# in /usr/lib/postgresql/<major>/bin (Debian's layout is the official image's), PGDATA /var/lib/postgresql/data.
DATA_UID = 999


def debian_upstream_version(version):
    """The upstream version of a Debian version (17.12 of 17.12-0+deb13u1, 8.1.1 of 8.1.1+dfsg1-3+deb13u3)."""
    return re.sub(r'^\d+:|[+~-].*$', '', version)


def data_root(root, packages, account, home, codename):
    """The packages unpacked without their scripts, base files and the account, as the official images have it."""
    extract_debs(debian_debs(packages, codename), root)
    for directory, mode in (('tmp', 0o1777), ('root', 0o700)):
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory).chmod(mode)
    (root / 'etc' / 'passwd').write_text('root:x:0:0:root:/root:/bin/sh\n'
                                         f'{account}:x:{DATA_UID}:{DATA_UID}::{home}:/bin/sh\n'
                                         'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n')
    (root / 'etc' / 'group').write_text(f'root:x:0:\n{account}:x:{DATA_UID}:\nnogroup:x:65534:\n')
    (root / 'etc' / 'nsswitch.conf').write_text('passwd: files\ngroup: files\nhosts: files dns\n')
    (root / home.lstrip('/')).mkdir(parents=True, exist_ok=True)
    run('ldconfig', '-r', root)


def run_with_devices(root, userspec, *command, env):
    """The command in the root as userspec (uid:gid), with the machine's /dev and /proc bound in a mount namespace of
    its own (a database needs /dev/null and shared memory); the root keeps empty /dev and /proc afterwards."""
    for directory in ('dev', 'proc'):
        (root / directory).mkdir(exist_ok=True)
    script = ('mount --bind /dev "$1/dev" && mount -t proc proc "$1/proc" && root=$1 user=$2 && shift 2 && '
              'exec chroot --userspec="$user" "$root" "$@"')
    return run('unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root, userspec, *command,
               env=env, capture=True)


def link_sh(root):
    """/bin/sh, which dash's postinst makes where the package does not ship it."""
    sh = root / 'usr' / 'bin' / 'sh'
    if not (sh.is_symlink() or sh.exists()):
        sh.symlink_to('dash')


def checked_tag(entry, packages, package):
    """The manifest's tag is the upstream version of Debian's package (refused otherwise: Debian moved)."""
    version = debian_upstream_version(packages[package])
    if version != entry['tag']:
        raise BuildError(f'Debian {DATA_DEBIAN} has {package} {packages[package]}, the manifest says {entry["image"]}:'
                         f'{entry["tag"]}: set the tag to {version} in artifacts/manifest.yml')
    return version


def postgres_image(entry):
    """Debian's PostgreSQL in an image of the official name and paths (docker.io/library/postgres: the binaries in
    /usr/lib/postgresql/<major>/bin on the PATH, PGDATA /var/lib/postgresql/data, postgres 999, port 5432). Not
    the official entrypoint: the harbor role runs initdb and postgres itself, which works with either image. Checked
    in the root: initdb makes a cluster as postgres, with the C.UTF-8 locale the role asks for."""
    major = entry['tag'].split('.')[0]
    packages = debian_closure([f'postgresql-{major}', 'libc-bin', 'dash', 'coreutils'], DATA_DEBIAN)
    version = checked_tag(entry, packages, f'postgresql-{major}')
    bin_dir = f'/usr/lib/postgresql/{major}/bin'

    def populate(root):
        data_root(root, packages, 'postgres', '/var/lib/postgresql', DATA_DEBIAN)
        link_sh(root)
        for directory in ('var/lib/postgresql/data', 'var/run/postgresql'):
            (root / directory).mkdir(parents=True, exist_ok=True)
        printed = chroot(root, f'{bin_dir}/postgres', '--version').strip()
        if not printed.startswith(f'postgres (PostgreSQL) {version} '):
            raise BuildError(f'postgres --version prints {printed!r} in the image, not PostgreSQL {version}')
        check = root / 'tmp' / 'initdb-check'
        check.mkdir()
        os.chown(check, DATA_UID, DATA_UID)
        try:
            run_with_devices(root, f'{DATA_UID}:{DATA_UID}', f'{bin_dir}/initdb', '--locale=C.UTF-8',
                             '--encoding=UTF8', '--auth=trust', '--username=postgres', '-D', '/tmp/initdb-check/data',
                             env={'PATH': f'{bin_dir}:{IMAGE_PATH}'})
        finally:
            shutil.rmtree(check)

    return ImageSpec(entry['image'], entry['tag'], {'debian': packages, 'debian_release': DATA_DEBIAN}, populate,
                     {'cmd': ['postgres'], 'user': str(DATA_UID),
                      'env': [f'PATH={bin_dir}:{IMAGE_PATH}', f'PG_MAJOR={major}', 'PGDATA=/var/lib/postgresql/data'],
                      'ports': ['5432/tcp']})


def valkey_image(entry):
    """Debian's Valkey in an image of the official name (docker.io/valkey/valkey: valkey-server on the PATH, valkey
    999, working directory /data, port 6379); not the official entrypoint (the role gives valkey-server its
    configuration). Checked in the root: valkey-server and valkey-cli print the version."""
    packages = debian_closure(['valkey-server', 'valkey-tools', 'dash'], DATA_DEBIAN)
    version = checked_tag(entry, packages, 'valkey-server')

    def populate(root):
        data_root(root, packages, 'valkey', '/data', DATA_DEBIAN)
        link_sh(root)
        for command in ('valkey-server', 'valkey-cli'):
            printed = chroot(root, command, '--version')
            if f'v={version} ' not in printed and f' {version}' not in printed:
                raise BuildError(f'{command} --version prints {printed.strip()!r} in the image, not Valkey {version}')

    return ImageSpec(entry['image'], entry['tag'], {'debian': packages, 'debian_release': DATA_DEBIAN}, populate,
                     {'cmd': ['valkey-server'], 'user': str(DATA_UID), 'workdir': '/data', 'env': [IMAGE_PATH_ENV],
                      'ports': ['6379/tcp']})


# -- Harbor's TLS front ----------------------------------------------------------------------------------------------

# Harbor's nginx images (the TLS front, the portal): the machine release's nginx (Photon's upstream), checked with this.
NGINX_CHECK_CONFIG = ('pid /tmp/nginx-check.pid;\nerror_log stderr;\nevents {}\n'
                      'http { access_log off; server { listen 127.0.0.1:8080; location / { return 204; } } }\n')


def nginx_root(root, packages):
    """Debian's nginx as nginx (10000) with the directories upstream's images declare as volumes. Checked in the
    root: nginx prints its version and accepts a configuration."""
    extract_debs(debian_debs(packages), root)
    etc = root / 'etc'
    (etc / 'passwd').write_text('root:x:0:0:root:/root:/usr/sbin/nologin\n'
                                f'nginx:x:{HARBOR_UID}:{HARBOR_UID}:nginx:/nonexistent:/usr/sbin/nologin\n'
                                'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n')
    (etc / 'group').write_text(f'root:x:0:\nnginx:x:{HARBOR_UID}:\nnogroup:x:65534:\n')
    (etc / 'nsswitch.conf').write_text('passwd: files\ngroup: files\nhosts: files dns\n')
    for directory, mode in (('tmp', 0o1777), ('root', 0o700)):
        (root / directory).mkdir(parents=True, exist_ok=True)
        (root / directory).chmod(mode)
    for directory in ('var/cache/nginx', 'var/log/nginx', 'run'):
        (root / directory).mkdir(parents=True, exist_ok=True)
    run('ldconfig', '-r', root)
    # nginx prints its version on standard error.
    printed = subprocess.run(['chroot', str(root), 'nginx', '-v'], env={'PATH': IMAGE_PATH}, capture_output=True,
                             text=True, check=False).stderr.strip()
    if not printed.startswith('nginx version: nginx/'):
        raise BuildError(f'nginx -v prints {printed!r} in the image')
    (root / 'tmp' / 'check.conf').write_text(NGINX_CHECK_CONFIG)
    try:
        chroot(root, 'nginx', '-t', '-c', '/tmp/check.conf')
    finally:
        for name in ('check.conf', 'nginx-check.pid'):
            (root / 'tmp' / name).unlink(missing_ok=True)


NGINX_CONFIG = {'cmd': ['nginx', '-g', 'daemon off;'], 'user': 'nginx', 'env': [IMAGE_PATH_ENV]}


def harbor_nginx_image(entry):
    """goharbor/nginx-photon: Debian's nginx (nginx_root), nginx -g 'daemon off;' (upstream's command), its
    configuration mounted at /etc/nginx/nginx.conf."""
    packages = debian_closure(['nginx'])
    return ImageSpec(entry['image'], entry['tag'], {'debian': packages, 'check': NGINX_CHECK_CONFIG},
                     lambda root: nginx_root(root, packages), {**NGINX_CONFIG, 'ports': ['8080/tcp', '8443/tcp']})


def harbor_portal_image(entry, portal):
    """goharbor/harbor-portal: Debian's nginx (nginx_root) serving the portal's web root (portal.tar of the Built of
    portal.harbor_portal) from /usr/share/nginx/html, its configuration mounted at /etc/nginx/nginx.conf as upstream's
    prepare mounts it; port 8080. Checked in the root: the web root holds the UI, the API explorer and the API."""
    packages = debian_closure(['nginx'])
    web_root = 'usr/share/nginx/html'

    def populate(root):
        nginx_root(root, packages)
        site = root / web_root
        shutil.rmtree(site, ignore_errors=True)
        site.mkdir(parents=True)
        run('tar', '-xf', portal.out_dir / 'portal.tar', '-C', site, '--no-same-owner')
        missing = [name for name in ('index.html', 'swagger-ui-index.html', 'swagger.json', 'LICENSE')
                   if not (site / name).is_file()]
        if missing:
            raise BuildError(f'the portal\'s web root lacks {", ".join(missing)}')

    return ImageSpec(entry['image'], entry['tag'], {'debian': packages, 'check': NGINX_CHECK_CONFIG,
                                                    'portal': portal.outputs['portal.tar']},
                     populate, {**NGINX_CONFIG, 'ports': ['8080/tcp']})
