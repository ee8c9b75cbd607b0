# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Image scanning in the lab, where no vulnerability database can be downloaded: Trivy's database made here (one
advisory, written by trivy-db itself) as the OCI artifact Trivy pulls, and the test image with the one package
that advisory is about, really installed by dpkg."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from .bundle import write_tar_gz
from .common import ARCH, BUILD_DIR, IMAGE_PATH_ENV, REPO, BuildError, canonical, remember, run, scratch_dir, sha256_file
from .debian import debian_closure, debian_debs, extract_debs
from .images import ImageSpec, build_archive, populate_busybox
from .gobuild import Built, go, go_module, go_version, module_time, stamped

TRIVY_MODULE = 'github.com/aquasecurity/trivy'
TRIVY_DB_MODULE = 'github.com/aquasecurity/trivy-db'
GENERATOR = REPO / 'lab' / 'artifacts' / 'trivydb'
# What Trivy asks of a database artifact (trivy pkg/db/db.go, pkg/oci/artifact.go): one layer of this media type,
# named by its title annotation (the name says how to unpack it), holding trivy.db and metadata.json.
TRIVY_DB_LAYER = 'application/vnd.aquasec.trivy.db.layer.v1.tar+gzip'
TRIVY_DB_CONFIG = 'application/vnd.aquasec.trivy.config.v1+json'
TRIVY_DB_FILES = ('trivy.db', 'metadata.json')
OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
# The package of the scan-target image and the version the generator's advisory (CAAS-LAB-0001) says is fixed.
SCAN_TARGET_PACKAGE = 'caas-scan-target'
SCAN_TARGET_FIXED = '1.0-2'


def required_version(go_mod, module):
    """The version go_mod (a go.mod's text) requires of module."""
    match = re.search(rf'^\s*(?:require\s+)?{re.escape(module)} (v\S+)', go_mod, re.M)
    if not match:
        raise BuildError(f'the go.mod does not require {module}')
    return match.group(1)


def trivy_db(trivy_version, release):
    """out/trivy-db/debian-<release>: trivy.db and metadata.json with the one advisory for Debian <release>, written
    by lab/artifacts/trivydb with the trivy-db that trivy <trivy_version> reads with, dated by that trivy-db's commit."""
    wanted = required_version(Path(go_module(TRIVY_MODULE, f'v{trivy_version}')['GoMod']).read_text(), TRIVY_DB_MODULE)
    pinned = required_version((GENERATOR / 'go.mod').read_text(), TRIVY_DB_MODULE)
    if pinned != wanted:
        raise BuildError(f'{GENERATOR}/go.mod pins {TRIVY_DB_MODULE} {pinned}, trivy v{trivy_version} reads with '
                         f'{wanted}: run `go get {TRIVY_DB_MODULE}@{wanted} && go mod tidy` there')
    updated_at = module_time(TRIVY_DB_MODULE, pinned)
    inputs = {'recipe': 'trivy-db', 'revision': 1, 'go': go_version(), 'release': release, 'updated_at': updated_at,
              'generator': {name: sha256_file(GENERATOR / name) for name in ('main.go', 'go.mod', 'go.sum')}}

    def produce(tmp):
        with scratch_dir() as work:
            go('build', '-trimpath', '-o', f'{work}/trivydb', '.', cwd=GENERATOR, mod='readonly')
            run(f'{work}/trivydb', tmp, release, updated_at)
        written = sorted(p.name for p in tmp.iterdir())
        if written != sorted(TRIVY_DB_FILES):
            raise BuildError(f'lab/artifacts/trivydb wrote {", ".join(written)}, not {", ".join(TRIVY_DB_FILES)}')

    out_dir = BUILD_DIR / 'out' / 'trivy-db' / f'debian-{release}'
    outputs, cached = stamped(out_dir, inputs, produce)
    remember('go', f'trivy-db debian-{release}', canonical(inputs), outputs)
    return Built(out_dir, outputs, updated_at), cached


def write_blob(layout, data):
    """A blob of the OCI layout (bytes); returns its descriptor's digest and size."""
    digest = hashlib.sha256(data).hexdigest()
    blobs = layout / 'blobs' / 'sha256'
    blobs.mkdir(parents=True, exist_ok=True)
    (blobs / digest).write_bytes(data)
    return {'digest': f'sha256:{digest}', 'size': len(data)}


def trivy_db_layout(built, layout, tmp, ref_name):
    """The database as the OCI artifact Trivy pulls (`<repository>:2`): config {}, one layer db.tar.gz, dated by the
    database's own date so the same database gives the same digest."""
    layer_file = tmp / 'db.tar.gz'
    write_tar_gz(layer_file, {}, built.source_epoch, data={name: built.out_dir / name for name in TRIVY_DB_FILES})
    layer = write_blob(layout, layer_file.read_bytes())
    config = write_blob(layout, b'{}')
    manifest = {'schemaVersion': 2, 'mediaType': OCI_MANIFEST,
                'config': {'mediaType': TRIVY_DB_CONFIG, **config},
                'layers': [{'mediaType': TRIVY_DB_LAYER, **layer,
                            'annotations': {'org.opencontainers.image.title': 'db.tar.gz'}}],
                'annotations': {'org.opencontainers.image.created': built.source_date}}
    manifest_blob = write_blob(layout, json.dumps(manifest, sort_keys=True, separators=(',', ':')).encode())
    index = {'schemaVersion': 2, 'manifests': [{'mediaType': OCI_MANIFEST, **manifest_blob,
                                                'annotations': {'org.opencontainers.image.ref.name': ref_name}}]}
    (layout / 'index.json').write_text(json.dumps(index, sort_keys=True, separators=(',', ':')))
    (layout / 'oci-layout').write_text('{"imageLayoutVersion":"1.0.0"}')


def trivy_db_artifact(entry, built, bundle):
    """images/<image>/<tag>.oci.tar of the bundle: the database built, as Trivy's artifact. Returns (digest, cached)."""
    inputs = {'recipe': 'trivy-db artifact', 'revision': 1, 'arch': ARCH, 'database': built.outputs,
              'updated_at': built.source_date}
    return build_archive(bundle, entry['image'], entry['tag'], inputs,
                         lambda layout, tmp: trivy_db_layout(built, layout, tmp, f'{entry["image"]}:{entry["tag"]}'))


def debian_release(packages):
    """The Debian major of a closure, from its base-files version (12.4+deb12u11 -> 12)."""
    return re.match(r'(\d+)', packages['base-files']).group(1)


SCAN_TARGET_CONTROL = f"""Package: {SCAN_TARGET_PACKAGE}
Version: {{version}}
Architecture: all
Maintainer: caas.platform lab <lab@caas.invalid>
Section: misc
Priority: optional
Description: the caas.platform lab's image-scanning target
 Installed in the lab's scan-target test image: the lab's vulnerability database
 holds one advisory (CAAS-LAB-0001) for it, fixed in {SCAN_TARGET_FIXED}.
"""


def scan_target_image(entry):
    """busybox, the release's os-release and debian_version (what makes Trivy see Debian), and the package
    caas-scan-target at the entry's tag, installed by dpkg into the image's own database: the one package the
    lab's vulnerability database has an advisory for."""
    packages = debian_closure(['busybox-static', 'base-files'])
    if entry['tag'] == SCAN_TARGET_FIXED:
        raise BuildError(f'the scan-target tag {entry["tag"]} is the fixed version: a scan would find nothing')

    def populate(root):
        populate_busybox(root, {p: v for p, v in packages.items() if p != 'base-files'})
        with scratch_dir() as tmp:
            tmp = Path(tmp)
            extract_debs(debian_debs({'base-files': packages['base-files']}), tmp / 'base-files')
            for name in ('etc/debian_version', 'usr/lib/os-release'):
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes((tmp / 'base-files' / name).read_bytes())
            (root / 'etc' / 'os-release').symlink_to('../usr/lib/os-release')
            package = tmp / 'package'
            (package / 'DEBIAN').mkdir(parents=True)
            (package / 'DEBIAN' / 'control').write_text(SCAN_TARGET_CONTROL.format(version=entry['tag']))
            doc = package / 'usr' / 'share' / 'doc' / SCAN_TARGET_PACKAGE
            doc.mkdir(parents=True)
            (doc / 'README').write_text('The caas.platform lab scans this image; see docs/registry.md.\n')
            run('dpkg-deb', '--root-owner-group', '--build', package, tmp / 'package.deb')
            database = root / 'var' / 'lib' / 'dpkg'
            for directory in ('info', 'updates'):
                (database / directory).mkdir(parents=True, exist_ok=True)
            for name in ('status', 'available'):
                (database / name).touch()
            # No maintainer scripts, so nothing runs inside the root.
            run('dpkg', f'--root={root}', '--force-script-chrootless', '--install', tmp / 'package.deb')

    return ImageSpec(entry['image'], entry['tag'], {'debian': packages, 'control': SCAN_TARGET_CONTROL}, populate,
                     {'cmd': ['sh'], 'env': [IMAGE_PATH_ENV]})
