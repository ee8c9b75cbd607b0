# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab build's Go environment (lab/artifacts/builder/gobuild.py go_env): what a recipe may set, GOPATH mode for a
snapshot without go.mod, and the recipes that need them (trivy, Harbor's registry) set as upstream builds them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / 'lab' / 'artifacts'))

# pylint: disable=wrong-import-position,import-error
from builder.common import BuildError  # noqa: E402
from builder.gobuild import go_env  # noqa: E402
from builder.recipes import harbor_registry, trivy  # noqa: E402


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
