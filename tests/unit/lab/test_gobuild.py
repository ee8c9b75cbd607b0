# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab build's Go builds (lab/artifacts/builder/gobuild.py): what a recipe may set in Go's environment, GOPATH mode
for a snapshot without go.mod, a snapshot unpacked with the snapshots beside it, its edits and generated code (once),
and the recipes that need them (trivy, Harbor, Harbor's registry) set as upstream builds them."""

from __future__ import annotations

import hashlib
import io
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / 'lab' / 'artifacts'))

# pylint: disable=wrong-import-position,import-error
from builder.common import BuildError  # noqa: E402
from builder import gobuild  # noqa: E402
from builder.gobuild import Built, GoBuild, SourceArchive, go_env  # noqa: E402
from builder.recipes import harbor, harbor_registry, trivy  # noqa: E402


def test_recipe_settings_reach_the_go_command_and_the_callers_do_not(monkeypatch):
    monkeypatch.setenv('GOEXPERIMENT', 'nocoverageredesign')
    assert 'GOEXPERIMENT' not in go_env()
    assert go_env(settings=(('GOEXPERIMENT', 'jsonv2'),))['GOEXPERIMENT'] == 'jsonv2'


def test_a_recipe_cannot_set_what_the_builder_owns():
    with pytest.raises(BuildError, match='a recipe sets GOFLAGS: only GOEXPERIMENT may be set'):
        go_env(settings=(('GOFLAGS', '-mod=mod'),))


def test_trivy_is_built_as_upstream_builds_it():
    spec = trivy('0.74.0')
    assert spec.settings == (('GOEXPERIMENT', 'jsonv2'),)
    assert spec.requires == {'github.com/aquasecurity/trivy': 'v0.74.0'}
    [binary] = spec.binaries
    assert binary.package == 'github.com/aquasecurity/trivy/cmd/trivy'
    assert binary.ldflags == '-X github.com/aquasecurity/trivy/pkg/version/app.ver=0.74.0'


def test_gopath_mode_has_no_modules(tmp_path):
    env = go_env(gopath=tmp_path)
    assert (env['GO111MODULE'], env['GOPATH'], env['GOFLAGS']) == ('off', str(tmp_path), '')
    assert go_env()['GOFLAGS'] == '-mod=mod' and 'GO111MODULE' not in go_env()


def test_harbors_registry_is_built_from_its_snapshot_in_gopath_mode():
    spec = harbor_registry('release-2.8')
    assert spec.gopath == 'github.com/docker/distribution'
    assert spec.archive.commit == 'ea065fef1275f79cb54059dd532af634cd6904d3'
    [binary] = spec.binaries
    assert (binary.package, binary.tags) == ('./cmd/registry', ('include_oss', 'include_gcs'))
    assert '-X github.com/docker/distribution/version.Version=v2.8.3+release-2.8.ea065fef ' in binary.ldflags
    with pytest.raises(BuildError, match='no source snapshot of harbor-registry release-2.9'):
        harbor_registry('release-2.9')


def test_harbor_is_generated_then_built_in_its_module_with_pinniped_beside_it():
    swagger = Built(Path('/build/out/go-swagger/v0.33.1/amd64'), {'swagger': 'a' * 64}, '2025-01-01T00:00:00Z')
    spec = harbor('2.15.2', swagger)
    assert spec.module_dir == 'src'
    assert [(d, a.file) for d, a in spec.extra_archives] == [('pinniped', 'pinniped-v0.37.0.tar.gz')]
    assert spec.edits == (('src/go.mod', 'replace (\n', 'replace (\n\tgo.pinniped.dev => ../pinniped\n'),)
    [generate] = spec.generate
    assert generate[:3] == ('/build/out/go-swagger/v0.33.1/amd64/swagger', 'generate', 'server')
    assert generate[-2:] == ('--target', 'src/server/v2.0')
    core = next(b for b in spec.binaries if b.name == 'harbor_core')
    assert core.ldflags == ('-X github.com/goharbor/harbor/src/pkg/version.GitCommit=080b0220 '
                            '-X github.com/goharbor/harbor/src/pkg/version.ReleaseVersion=v2.15.2')


def tarball(path, top, files):
    with tarfile.open(path, 'w:gz') as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f'{top}/{name}')
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_snapshot_is_unpacked_with_its_extras_edited_and_generated_once(tmp_path, monkeypatch):
    monkeypatch.setattr(gobuild, 'SHARED_SOURCES', tmp_path / 'sources')
    monkeypatch.setattr(gobuild, 'BUILD_DIR', tmp_path / 'build')
    (tmp_path / 'sources').mkdir()
    main = SourceArchive('app.tar.gz', tarball(tmp_path / 'sources' / 'app.tar.gz', 'app-v1',
                                               {'src/go.mod': 'module x\n\nreplace (\n)\n'}), 'c' * 40, '2026-01-01')
    extra = SourceArchive('lib.tar.gz', tarball(tmp_path / 'sources' / 'lib.tar.gz', 'lib-v2',
                                                {'go.mod': 'module lib\n'}), 'd' * 40, '2026-01-01')
    spec = GoBuild('app', 'v1', {'x': 'v1'}, binaries=[], archive=main, module_dir='src',
                   extra_archives=(('lib', extra),), edits=(('src/go.mod', 'replace (\n', 'replace (\n\tlib => ../lib\n'),),
                   generate=(('/bin/sh', '-c', 'echo generated >> src/generated.go'),))
    src = gobuild.unpack_archive(spec)
    assert (src / 'src' / 'go.mod').read_text() == 'module x\n\nreplace (\n\tlib => ../lib\n)\n'
    assert (src / 'lib' / 'go.mod').read_text() == 'module lib\n'
    assert gobuild.unpack_archive(spec) == src
    assert (src / 'src' / 'generated.go').read_text() == 'generated\n'      # not generated twice
    broken = SourceArchive('app.tar.gz', 'e' * 64, 'c' * 40, '2026-01-01')
    with pytest.raises(BuildError, match='is not the snapshot of c{40}'):
        gobuild.unpack_archive(GoBuild('app', 'v2', {'x': 'v2'}, binaries=[], archive=broken))
