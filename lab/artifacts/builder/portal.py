# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor's portal, the web UI (Angular, src/portal of the Harbor snapshot), built with npm as upstream's portal
Dockerfile builds it: npm ci from Harbor's lockfile, the API client generated from swagger.yaml, the production
build, and the API explorer (app-swagger-ui) beside it. The result is one tar of the web root, which the image
recipe (harbor.harbor_portal_image) unpacks into /usr/share/nginx/html."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .common import ARCH, BUILD_DIR, BuildError, canonical, remember, replace_checked, run, scratch_dir
from .gobuild import Built, snapshot_path, stamped

# npm 11 refuses Harbor 2.15's lockfile (../shared/sources/README.md); the last npm 10 is installed once, by the
# machine's npm, into the build directory.
NPM_VERSION = '10.9.9'
# Harbor 2.15.2 pins @clr/angular and @clr/ui 18.0.0 and @clr/addons 18.0.0, which the npm registry does not have.
# The 18.2.0 pair is there (the same major, Angular >= 21.1 as before); @clr/addons is imported nowhere in the
# portal's sources, so it is dropped. Each replacement is pinned by its tarball's integrity, which Harbor's lockfile
# (written without integrity fields) does not give for the others.
CLARITY = {'@clr/angular': ('18.2.0', 'sha512-0+8KuaX5TLgKFBhRZoRH9++ovBtzSwjZ6Vb2wuZPPkrx+KWFRgBsKXJKvIJAyAsKgPfKC6N0'
                                      'jjFb+GKUZo7m+g=='),
           '@clr/ui': ('18.2.0', 'sha512-GxhW2CIRfq7LKVFQPngsbaIqzzv4ZsE2t8BsiRJrx4mK1i2OZLFTaDLvJzEbbzQ5odAetOA9slT0'
                                 'WJJJ1z3o2A==')}
CLARITY_PINNED = '18.0.0'
CLARITY_DROPPED = ('@clr/addons',)
# What the web root holds besides the Angular build (upstream's Dockerfile copies the same).
PORTAL_MEMBERS = ('src/portal/*', 'api/v2.0/swagger.yaml', 'LICENSE')
PORTAL_TAR = 'portal.tar'


def node_version():
    return run('node', '--version', capture=True).strip()


def npm_cli():
    """The npm-cli.js of NPM_VERSION, installed once under the build directory."""
    prefix = BUILD_DIR / 'tools' / f'npm-{NPM_VERSION}'
    cli = prefix / 'node_modules' / 'npm' / 'bin' / 'npm-cli.js'
    if not cli.is_file():
        shutil.rmtree(prefix, ignore_errors=True)
        prefix.mkdir(parents=True)
        run('npm', 'install', '--prefix', prefix, '--no-audit', '--no-fund', '--ignore-scripts', f'npm@{NPM_VERSION}')
    return cli


def npm_env():
    """The environment of every npm and node run: the machine's PATH and HOME, npm's cache in the build directory,
    no Cypress download (a test tool the portal lists), no Angular analytics prompt, memory for the build."""
    return {'PATH': os.environ['PATH'], 'HOME': os.environ.get('HOME', '/root'),
            'npm_config_cache': str(BUILD_DIR / 'npm-cache'), 'npm_config_update_notifier': 'false',
            'CYPRESS_INSTALL_BINARY': '0', 'NG_CLI_ANALYTICS': 'false', 'NODE_OPTIONS': '--max_old_space_size=4096'}


def pin_clarity(portal):
    """package.json and package-lock.json of the portal with CLARITY in place of Harbor's pins (refused when Harbor's
    files no longer pin what this replaces)."""
    package = portal / 'package.json'
    for name in CLARITY_DROPPED:
        replace_checked(package, f'    "{name}": "{CLARITY_PINNED}",\n', '', what=f'portal {package.name} {name}')
    for name, (version, _integrity) in CLARITY.items():
        replace_checked(package, f'"{name}": "{CLARITY_PINNED}"', f'"{name}": "{version}"',
                        what=f'portal {package.name} {name}')
    lock_path = portal / 'package-lock.json'
    lock = json.loads(lock_path.read_text())
    packages = lock['packages']
    root = packages['']
    for name in CLARITY_DROPPED:
        if root['dependencies'].pop(name, None) != CLARITY_PINNED or not packages.pop(f'node_modules/{name}', None):
            raise BuildError(f'Harbor\'s portal lockfile no longer pins {name} {CLARITY_PINNED}: check portal.py')
    for name, (version, integrity) in CLARITY.items():
        entry = packages.get(f'node_modules/{name}')
        if root['dependencies'].get(name) != CLARITY_PINNED or not entry or entry.get('version') != CLARITY_PINNED:
            raise BuildError(f'Harbor\'s portal lockfile no longer pins {name} {CLARITY_PINNED}: check portal.py')
        root['dependencies'][name] = version
        entry.update(version=version, integrity=integrity)
        peers = entry.get('peerDependencies') or {}
        for peer in peers:
            if peer in CLARITY:
                peers[peer] = CLARITY[peer][0]
    lock_path.write_text(json.dumps(lock, indent=2) + '\n')


def set_build_timestamp(portal, epoch):
    """The build timestamp (the portal's cache key for its translations) of the sources' date, where upstream's
    generate-build-timestamp script writes the time of the build: the same sources make the same files."""
    environment = portal / 'src' / 'environments' / 'environment.prod.ts'
    lines = environment.read_text().split('\n')
    found = [i for i, line in enumerate(lines) if 'buildTimestamp' in line]
    if len(found) != 1:
        raise BuildError(f'{environment.name} has {len(found)} buildTimestamp lines, not 1: check portal.py')
    lines[found[0]] = f'  buildTimestamp: {epoch * 1000},'
    environment.write_text('\n'.join(lines))


def build_portal(archive_path, epoch, tmp):
    """The steps of upstream's portal Dockerfile, in a scratch directory; the web root as tmp/PORTAL_TAR."""
    npm = ('node', npm_cli())
    env = npm_env()
    with scratch_dir() as work:
        work = Path(work)
        run('tar', '-xzf', archive_path, '--strip-components=1', '-C', work, '--wildcards', *(
            f'*/{member}' for member in PORTAL_MEMBERS))
        portal = work / 'src' / 'portal'
        # The API definition where the portal's scripts look for it in a production build.
        shutil.copyfile(work / 'api' / 'v2.0' / 'swagger.yaml', portal / 'swagger.yaml')
        pin_clarity(portal)
        set_build_timestamp(portal, epoch)
        run(*npm, 'ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', cwd=portal, env=env)
        run(*npm, 'run', 'postinstall', cwd=portal, env=env)
        run('node', '--max_old_space_size=4096', 'node_modules/@angular/cli/bin/ng', 'build', '--configuration',
            'production', cwd=portal, env=env)
        site = portal / 'dist'
        if not (site / 'index.html').is_file():
            raise BuildError('the portal\'s production build wrote no dist/index.html')
        # What upstream serves beside the UI: the API definition as JSON, the API explorer, the license.
        run('node', '-e', "const yaml = require('js-yaml'); const fs = require('fs'); fs.writeFileSync("
            "'dist/swagger.json', JSON.stringify(yaml.load(fs.readFileSync('swagger.yaml', 'utf8'))));",
            cwd=portal, env=env)
        explorer = portal / 'app-swagger-ui'
        run(*npm, 'ci', '--no-audit', '--no-fund', '--loglevel=error', cwd=explorer, env=env)
        run(*npm, 'run', 'build', cwd=explorer, env=env)
        shutil.copytree(explorer / 'dist', site, dirs_exist_ok=True)
        shutil.copyfile(work / 'LICENSE', site / 'LICENSE')
        # One tar of the web root that depends on the files only: sorted, the sources' date, root's.
        run('tar', '--sort=name', f'--mtime=@{epoch}', '--owner=0', '--group=0', '--numeric-owner',
            '--format=posix', '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
            '-cf', tmp / PORTAL_TAR, '-C', site, '.')


def harbor_portal(archive, version):
    """out/harbor-portal/<version>/<arch>/portal.tar from the Harbor snapshot archive (a SourceArchive) unless its
    stamp records the same inputs. Returns (Built, cached)."""
    out_dir = BUILD_DIR / 'out' / 'harbor-portal' / version / ARCH
    epoch = Built(out_dir, {}, archive.date).source_epoch
    inputs = {'recipe': 'harbor-portal', 'revision': 1, 'archive': archive.sha256, 'node': node_version(),
              'npm': NPM_VERSION, 'clarity': CLARITY, 'dropped': CLARITY_DROPPED, 'members': PORTAL_MEMBERS}
    # The snapshot is needed (and checked) only when the stamp does not match: a cached build needs no sources.
    outputs, cached = stamped(out_dir, inputs,
                              lambda tmp: build_portal(snapshot_path('harbor-portal', archive), epoch, tmp))
    remember('go', f'harbor-portal {version}', canonical(inputs), outputs)
    return Built(out_dir, outputs, archive.date, {}, version), cached
