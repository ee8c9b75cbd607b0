# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: artifacts
author: caas.platform maintainers (@caas-platform)
short_description: Binaries and images of a Kubernetes release from the artifact manifest
description:
  - Reads the collection's artifact manifest (C(artifacts/manifest.yml), or another one) on the controller and
    returns the named binaries with their files-repository URL and sha256, or the named images with their
    upstream and mirror references and digest, for one Kubernetes release and CPU architecture.
  - Fails with a message naming the artifact and the fix when the manifest does not pin the release, does not
    know a name, or has no checksum for it.
options:
  _terms:
    description: Names of the artifacts (manifest keys). None means every artifact of that kind.
    type: list
    elements: str
    required: false
  kubernetes_version:
    description: The Kubernetes release, for example C(1.36.3); the manifest must pin exactly this release.
    type: str
  kind:
    description:
      - C(file) for binaries, C(image) for the release's images, C(test_image) for the lab's test images.
      - 'C(releases) for the release each minor of the manifest pins, one dict (C({"1.35": "1.35.4", "1.36": "1.36.3"}));
        it takes no names and no kubernetes_version.'
    type: str
    choices: [file, image, test_image, releases]
    default: file
  arch:
    description: CPU architecture, as in file names (C(amd64), C(arm64)).
    type: str
    default: amd64
  files_repo_url:
    description: Base URL of the files repository; each file is at C(<files_repo_url>/<upstream host>/<path>).
      Empty means upstream itself.
    type: str
    default: ''
  registry_mirror:
    description: The internal registry mirror (C(host:port)); images are stored there under their upstream names.
    type: str
    default: ''
  manifest:
    description: Path of another artifact manifest (for example one locked from a vetted offline bundle).
    type: path
  require_checksums:
    description: Refuse artifacts without a sha256 or digest. Only the bundle tooling turns this off.
    type: bool
    default: true
notes:
  - Runs on the controller and reads a local file only.
seealso:
  - module: caas.platform.artifact_install
  - module: caas.platform.artifact_check
'''

EXAMPLES = r'''
- name: Where containerd and runc come from
  ansible.builtin.debug:
    msg: "{{ lookup('caas.platform.artifacts', 'containerd', 'runc', kubernetes_version='1.36.3',
             files_repo_url='https://files.dc1.example.com', wantlist=true) }}"

- name: The mirror references of the control-plane images
  ansible.builtin.debug:
    msg: "{{ query('caas.platform.artifacts', kind='image', kubernetes_version='1.36.3',
             registry_mirror='registry.dc1.example.com:5000') | map(attribute='mirror_reference') }}"
'''

RETURN = r'''
_list:
  description:
    - For files, one dict per artifact with C(name), C(version), C(layer), C(path) (upstream host/path),
      C(url), C(sha256) and C(members) (archive members to install, empty for plain binaries).
    - For C(releases), one dict of each minor's pinned release.
    - For images, one dict per image with C(name), C(layer), C(image), C(tag), C(reference) (upstream),
      C(mirror_reference), C(digest) and C(pinned) (C(reference@digest), what pods and runtime settings name;
      null without a digest).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.caas.platform.plugins.plugin_utils import artifact_manifest


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        kind = self.get_option('kind')
        names = [str(term) for term in terms or []]
        version = self.get_option('kubernetes_version')
        if kind not in ('test_image', 'releases') and not version:
            raise AnsibleLookupError('caas.platform.artifacts needs kubernetes_version (for example "1.36.3")')
        try:
            manifest = artifact_manifest.load(self.get_option('manifest'))
            if kind == 'releases':
                return [dict((str(minor), str(entry['version'])) for minor, entry in (manifest.get('kubernetes') or {}).items())]
            if kind == 'file':
                return artifact_manifest.files(
                    manifest, version, names, arch=self.get_option('arch'),
                    files_repo_url=self.get_option('files_repo_url'),
                    require_checksums=self.get_option('require_checksums'))
            return artifact_manifest.images(
                manifest, version, names, arch=self.get_option('arch'),
                registry_mirror=self.get_option('registry_mirror'), test_images=kind == 'test_image',
                require_checksums=self.get_option('require_checksums'))
        except artifact_manifest.ManifestError as exc:
            raise AnsibleLookupError(str(exc)) from exc
