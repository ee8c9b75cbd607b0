# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor's images (the registry layer) from the built binaries, laid out as upstream's make/photon Dockerfiles lay
them out (paths, accounts, entrypoint scripts), on Debian's busybox instead of Photon."""

from __future__ import annotations

import re

from .common import IMAGE_PATH, IMAGE_PATH_ENV, BuildError, run, sha256_file
from .debian import debian_closure, debian_debs, extract_debs
from .gobuild import go
from .images import ImageSpec, install, populate_busybox, write_ca_bundle
from .recipes import harbor_registry_version

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


def check_ldflags(binary, *stamps):
    """go version -m of the binary records each -X stamp: the image holds what was built with them (for programs
    that cannot print their version without a configuration)."""
    recorded = go('version', '-m', binary, capture=True)
    missing = [stamp for stamp in stamps if f'-X {stamp}' not in recorded and f'-X={stamp}' not in recorded]
    if missing:
        raise BuildError(f'{binary} was built without {", ".join(missing)}')


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
    stamps = 'github.com/goharbor/harbor/src/pkg/version'

    def check_version(_root):
        check_ldflags(harbor.out_dir / 'harbor_core', f'{stamps}.ReleaseVersion={entry["tag"]}')

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
        check_ldflags(scanner.out_dir / 'scanner-trivy', f'main.version={scanner.version}')

    return harbor_image(entry, harbor_packages(), 'scanner', files,
                        {'entrypoint': ['/home/scanner/entrypoint.sh'], 'ports': ['8080/tcp'],
                         'env': [IMAGE_PATH_ENV, f'TRIVY_VERSION={trivy.version}']},
                        checks=(check_versions,),
                        directories=('home/scanner/.cache/trivy', 'home/scanner/.cache/reports'),
                        inputs={'scanner-trivy': scanner.outputs['scanner-trivy'], 'trivy': trivy.outputs['trivy']})
