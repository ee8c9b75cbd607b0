# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's artifact build (lab/artifacts/build.py), one module per concern:

  common    paths, settings, helpers, the build record
  gobuild   Go builds with stamps
  recipes   each component's recipe
  debian    Debian package closures for images
  bundle    the bundle's files
  images    OCI images with buildah
  release   one Kubernetes minor's files and images
  manifest  the lab manifest, reproducibility, results
  cli       the command line
"""
