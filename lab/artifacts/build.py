# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Builds the air-gapped data center's artifacts from source, reproducibly.

  build [--minor 1.36] [--only NAME...] [--bundle DIR] [--reference OTHER_BUNDLE]

For one Kubernetes minor of artifacts/manifest.yml (default: the newest) and the test images, for amd64:
the Go binaries from the module proxy's sources with a pinned Go toolchain, upstream's release files and
archives, and OCI images made with buildah, into a bundle laid out as upstream publishes them:
  files/<host>/<path>, files/<host>/<path>.sha256, images/<image>/<tag>.oci.tar,
  manifest.yml (the lab's own manifest: what this build made, with its checksums; the lab inventory uses it),
  build-record.json (each Go build's and each artifact's inputs, as a hash, and outputs).
Every step keeps a stamp of its inputs and is skipped when they did not change: a second run is a no-op.
The collection's manifest holds upstream's checksums, which the lab's builds never match: nothing built here is
compared with a committed checksum. Reproducibility is checked build against build: with --reference, every Go
build and artifact whose inputs equal those in the other bundle's build-record.json must have its outputs too
(an image whose Debian packages moved has other inputs, and is listed as not comparable, not as a failure).
Times per step go to benchmarks/results/artifacts_build.json ("cold", or "warm" when all was cached).

CAAS_BUILD_DIR (default /var/cache/caas-lab/build) holds the Go caches (go/mod, go/cache), one source
directory per component (src/<component>-<version>: a go.mod of ours), the binaries with their stamps
(out/<component>/<version>/<arch>), buildah's storage, and the bundle's stamps (stamps/<bundle path>.json).
Needs root (chroot, file capabilities), Go in /usr/local/go, gcc, libseccomp-dev and buildah (scripts/bootstrap).
"""

from __future__ import annotations

import sys

from builder.cli import main
from builder.common import BuildError

if __name__ == '__main__':
    try:
        sys.exit(main(__doc__))
    except BuildError as error:
        sys.exit(f'error: {error}')
