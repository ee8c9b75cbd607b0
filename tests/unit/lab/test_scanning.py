# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab build's pieces for image scanning (lab/artifacts/builder/scanning.py): the trivy-db pin read from a go.mod,
and the vulnerability database as the OCI artifact Trivy pulls (what trivy pkg/db and pkg/oci ask of it), written
from real files and the same for the same database."""

from __future__ import annotations

import gzip
import io
import json
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / 'lab' / 'artifacts'))

# pylint: disable=wrong-import-position,import-error
from builder.common import BuildError  # noqa: E402
from builder.gobuild import Built  # noqa: E402
from builder.scanning import TRIVY_DB_CONFIG, TRIVY_DB_LAYER, required_version, trivy_db_layout  # noqa: E402


def test_the_trivy_db_pin_is_read_from_a_go_mod():
    go_mod = ('module github.com/aquasecurity/trivy\n\ngo 1.26.3\n\nrequire (\n'
              '\tgithub.com/aquasecurity/trivy-checks v1.12.2\n'
              '\tgithub.com/aquasecurity/trivy-db v0.0.0-20260813095258-0e0340a01b57\n)\n')
    assert required_version(go_mod, 'github.com/aquasecurity/trivy-db') == 'v0.0.0-20260813095258-0e0340a01b57'
    assert required_version('require github.com/aquasecurity/trivy-db v0.0.1\n',
                            'github.com/aquasecurity/trivy-db') == 'v0.0.1'
    with pytest.raises(BuildError, match='does not require github.com/aquasecurity/trivy-db'):
        required_version(go_mod.replace('trivy-db', 'other'), 'github.com/aquasecurity/trivy-db')
    # The generator in the repository pins one.
    generator = (REPO / 'lab' / 'artifacts' / 'trivydb' / 'go.mod').read_text()
    assert required_version(generator, 'github.com/aquasecurity/trivy-db').startswith('v0.0.0-')


def blob(layout, digest):
    return (layout / 'blobs' / 'sha256' / digest.split(':', 1)[1]).read_bytes()


def write_artifact(tmp_path, name):
    database = tmp_path / 'db'
    database.mkdir(exist_ok=True)
    (database / 'trivy.db').write_bytes(b'bbolt pages')
    (database / 'metadata.json').write_text('{"Version":2}')
    built = Built(database, {'trivy.db': 'a', 'metadata.json': 'b'}, '2026-08-13T09:52:58Z')
    layout, scratch = tmp_path / name / 'oci', tmp_path / name
    layout.mkdir(parents=True)
    trivy_db_layout(built, layout, scratch, 'ghcr.io/aquasecurity/trivy-db:2')
    return layout


def test_the_database_is_the_artifact_trivy_pulls(tmp_path):
    layout = write_artifact(tmp_path, 'one')
    index = json.loads((layout / 'index.json').read_text())
    [entry] = index['manifests']
    assert entry['annotations'] == {'org.opencontainers.image.ref.name': 'ghcr.io/aquasecurity/trivy-db:2'}
    manifest = json.loads(blob(layout, entry['digest']))
    assert manifest['config']['mediaType'] == TRIVY_DB_CONFIG
    assert json.loads(blob(layout, manifest['config']['digest'])) == {}
    [layer] = manifest['layers']
    # Trivy takes exactly one layer of this type and names the download by the title (.tar.gz: it unpacks it).
    assert layer['mediaType'] == TRIVY_DB_LAYER
    assert layer['annotations'] == {'org.opencontainers.image.title': 'db.tar.gz'}
    data = blob(layout, layer['digest'])
    assert len(data) == layer['size']
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert sorted(members) == ['metadata.json', 'trivy.db']
        assert tar.extractfile(members['trivy.db']).read() == b'bbolt pages'
        assert {m.mtime for m in members.values()} == {1786614778}    # the database's own date
    assert json.loads((layout / 'oci-layout').read_text()) == {'imageLayoutVersion': '1.0.0'}


def test_the_same_database_gives_the_same_digest(tmp_path):
    first, second = write_artifact(tmp_path, 'one'), write_artifact(tmp_path, 'two')
    assert (first / 'index.json').read_bytes() == (second / 'index.json').read_bytes()
