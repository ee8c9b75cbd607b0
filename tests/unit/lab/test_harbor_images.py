# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor's images in the lab build (lab/artifacts/builder/harbor.py): the tool versions checked against Harbor's
Makefile (read from the snapshot itself), upstream's paths for the entrypoint scripts, and the manifest entries the
release's recipes read their versions from."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / 'lab' / 'artifacts'))

# pylint: disable=wrong-import-position,import-error
from builder.common import BuildError  # noqa: E402
from builder.gobuild import Built  # noqa: E402
from builder.harbor import (  # noqa: E402
    check_makefile_pins, checked_tag, debian_upstream_version, harbor_scripts, makefile_pins)
from builder.portal import CLARITY, pin_clarity, set_build_timestamp  # noqa: E402
from builder.recipes import HARBOR_DATA, harbor_registry_version  # noqa: E402
from builder.release import IMAGE_RECIPES  # noqa: E402

MANIFEST = yaml.safe_load((REPO / 'artifacts' / 'manifest.yml').read_text())
HARBOR_IMAGES = ('harbor-core', 'harbor-jobservice', 'harbor-registryctl', 'registry-photon', 'trivy-adapter-photon')


def harbor_built(tmp_path, makefile):
    (tmp_path / 'Makefile').write_text(makefile)
    data = {'Makefile': tmp_path / 'Makefile'}
    for name in (n for n in HARBOR_DATA if n.startswith('make/photon/')):
        data[name] = tmp_path / name.replace('/', '_')
        data[name].write_text('#!/bin/sh\n')
    return Built(tmp_path, {}, '2026-07-01T00:00:00Z', data, 'v2.15.2')


# Excerpts of Harbor v2.15.2's files, as the snapshot in ../shared/sources has them: the build reads the real files
# and refuses them when they no longer say this (check_makefile_pins, pin_clarity, set_build_timestamp), so these
# tests need no snapshot on the machine.
HARBOR_MAKEFILE = 'TRIVYADAPTERVERSION=v0.38.0\nSWAGGER_VERSION=v0.33.1\n'
PORTAL_PACKAGE = """{
  "dependencies": {
    "@clr/addons": "18.0.0",
    "@clr/angular": "18.0.0",
    "@clr/icons": "13.0.2",
    "@clr/ui": "18.0.0",
    "tslib": "^2.3.0"
  }
}
"""
PORTAL_LOCK = {'packages': {
    '': {'dependencies': {'@clr/addons': '18.0.0', '@clr/angular': '18.0.0', '@clr/icons': '13.0.2', '@clr/ui': '18.0.0',
                          'tslib': '^2.3.0'}},
    'node_modules/@clr/addons': {'version': '18.0.0', 'license': 'MIT', 'peerDependencies': {'@clr/angular': '>= 18'}},
    'node_modules/@clr/angular': {'version': '18.0.0', 'license': 'MIT', 'dependencies': {'tslib': '^2.3.0'},
                                  'peerDependencies': {'@angular/core': '>= 21.1.0', '@clr/ui': '18.0.0'}},
    'node_modules/@clr/icons': {'version': '13.0.2', 'license': 'MIT'},
    'node_modules/@clr/ui': {'version': '18.0.0', 'license': 'MIT'}}}
PORTAL_ENVIRONMENT = 'export const environment = {\n    production: true,\n    buildTimestamp: 0,\n};\n'


def test_the_manifests_pins_are_the_ones_harbor_sets(tmp_path):
    """The versions the manifest names are the ones Harbor's Makefile pins (the build checks the snapshot's)."""
    built = harbor_built(tmp_path, HARBOR_MAKEFILE)
    assert makefile_pins(built) == {'swagger': '0.33.1', 'scanner': '0.38.0'}
    for minor in MANIFEST['kubernetes'].values():
        images = minor['images']
        check_makefile_pins(built, swagger=images['harbor-core']['swagger'],
                            scanner=images['trivy-adapter-photon']['scanner'])


def test_a_version_harbor_does_not_pin_is_refused(tmp_path):
    built = harbor_built(tmp_path, 'SWAGGER_VERSION=v0.33.1\nTRIVYADAPTERVERSION=v0.38.0\n')
    with pytest.raises(BuildError, match='TRIVYADAPTERVERSION=0.38.0, the lab builds v0.39.0'):
        check_makefile_pins(built, scanner='v0.39.0')
    built = harbor_built(tmp_path, 'TRIVYADAPTERVERSION=v0.38.0\n')
    with pytest.raises(BuildError, match='no longer sets SWAGGER_VERSION'):
        makefile_pins(built)


def test_the_scripts_go_where_upstreams_dockerfiles_put_them(tmp_path):
    built = harbor_built(tmp_path, '')
    scripts = harbor_scripts(built, 'harbor', 'core/entrypoint.sh')
    assert sorted(scripts) == ['harbor/entrypoint.sh', 'harbor/install_cert.sh']
    scripts = harbor_scripts(built, 'home/scanner', 'trivy-adapter/entrypoint.sh')
    assert scripts['home/scanner/entrypoint.sh'] == (built.data['make/photon/trivy-adapter/entrypoint.sh'], 0o755)
    assert 'home/harbor/start.sh' in harbor_scripts(built, 'home/harbor', 'registryctl/start.sh')


@pytest.mark.parametrize('minor', sorted(MANIFEST['kubernetes']))
def test_every_minor_has_harbors_images_with_their_recipes(minor):
    images = MANIFEST['kubernetes'][minor]['images']
    for name in HARBOR_IMAGES:
        assert images[name]['layer'] == 'registry'
        assert images[name]['image'] == f'docker.io/goharbor/{name}'
        assert images[name]['tag'] == 'v2.15.2'
        assert name in IMAGE_RECIPES
    # The Trivy in the adapter is the one the lab's vulnerability database is written for.
    assert images['trivy-adapter-photon']['trivy'] == MANIFEST['test_images']['trivy-db']['trivy']


def test_the_registry_prints_the_branch_and_commit_it_was_built_from():
    assert harbor_registry_version('release-2.8') == 'v2.8.3+release-2.8.ea065fef'


def test_the_data_services_are_tagged_with_debians_upstream_version():
    assert debian_upstream_version('17.12-0+deb13u1') == '17.12'
    assert debian_upstream_version('8.1.1+dfsg1-3+deb13u3') == '8.1.1'
    assert debian_upstream_version('5:7.0.15-1~deb12u10') == '7.0.15'
    entry = {'image': 'docker.io/library/postgres', 'tag': '17.12'}
    assert checked_tag(entry, {'postgresql-17': '17.12-0+deb13u1'}, 'postgresql-17') == '17.12'
    with pytest.raises(BuildError, match='has postgresql-17 17.13-0.deb13u1, the manifest says '
                                         'docker.io/library/postgres:17.12: set the tag to 17.13'):
        checked_tag(entry, {'postgresql-17': '17.13-0+deb13u1'}, 'postgresql-17')
    for minor in MANIFEST['kubernetes'].values():
        assert {'postgres', 'valkey'} <= set(minor['images']) and {'postgres', 'valkey'} <= set(IMAGE_RECIPES)


def portal_files(tmp_path):
    """The portal's package.json, lockfile and production environment, as Harbor v2.15.2 has them (excerpts)."""
    (tmp_path / 'package.json').write_text(PORTAL_PACKAGE)
    (tmp_path / 'package-lock.json').write_text(json.dumps(PORTAL_LOCK, indent=2))
    environment = tmp_path / 'src' / 'environments' / 'environment.prod.ts'
    environment.parent.mkdir(parents=True)
    environment.write_text(PORTAL_ENVIRONMENT)
    return tmp_path


def test_the_portal_takes_the_clarity_the_npm_registry_has(tmp_path):
    """Harbor pins Clarity 18.0.0 (not in the npm registry): package.json and the lockfile get 18.2.0, pinned by
    integrity, and lose @clr/addons, consistently (npm ci refuses a lockfile out of step with package.json)."""
    portal = portal_files(tmp_path)
    pin_clarity(portal)
    package = json.loads((portal / 'package.json').read_text())
    lock = json.loads((portal / 'package-lock.json').read_text())
    assert {k: v for k, v in package['dependencies'].items() if k.startswith('@clr/')} == {
        '@clr/angular': '18.2.0', '@clr/icons': '13.0.2', '@clr/ui': '18.2.0'}
    assert lock['packages']['']['dependencies'] == package['dependencies']
    assert 'node_modules/@clr/addons' not in lock['packages']
    for name, (version, integrity) in CLARITY.items():
        assert lock['packages'][f'node_modules/{name}']['version'] == version
        assert lock['packages'][f'node_modules/{name}']['integrity'] == integrity
    assert lock['packages']['node_modules/@clr/angular']['peerDependencies']['@clr/ui'] == '18.2.0'
    # A second edit finds nothing of Harbor's pins left to replace: refused, not applied twice.
    with pytest.raises(BuildError, match='the edit no longer applies'):
        pin_clarity(portal)


def test_the_portal_build_timestamp_is_the_sources_date(tmp_path):
    portal = portal_files(tmp_path)
    set_build_timestamp(portal, 1782864000)
    text = (portal / 'src' / 'environments' / 'environment.prod.ts').read_text()
    assert '  buildTimestamp: 1782864000000,' in text.splitlines()


@pytest.mark.parametrize('minor', sorted(MANIFEST['kubernetes']))
def test_every_minor_has_the_portal_at_harbors_tag(minor):
    images = MANIFEST['kubernetes'][minor]['images']
    assert images['harbor-portal']['image'] == 'docker.io/goharbor/harbor-portal'
    assert images['harbor-portal']['tag'] == images['harbor-core']['tag']
    assert 'harbor-portal' in IMAGE_RECIPES
