# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: artifacts_locked
short_description: An artifact manifest with the digests of the images a bundle copied
version_added: 0.1.0
description:
  - Takes an artifact manifest (docs/artifacts.md) and returns it with the digest of each named image written
    in, for one Kubernetes release (and the test images). The collection's manifest names images by tag only;
    a site's bundle locks what each tag was when it was copied, so the site's manifest then refuses any other
    image under that tag.
  - Fails when the manifest already pins another digest for an image, or does not know it.
options:
  _input:
    description: The artifact manifest, as read from its YAML file.
    type: dict
    required: true
  kubernetes_version:
    description: The Kubernetes release whose images are locked; it must be the one the manifest pins.
    type: str
    required: true
  digests:
    description: Image name (manifest key) to its manifest digest, C(sha256:<64 hex>).
    type: dict
    required: true
  arch:
    description: The CPU architecture the digests are of.
    type: str
    default: amd64
  test_images:
    description: Also look the names up among the manifest's test images.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Write the bundle's manifest with the digests it copied
  ansible.builtin.copy:
    content: >-
      {{ lookup('ansible.builtin.file', manifest_path) | from_yaml
         | caas.platform.artifacts_locked('1.36.3', {'pause': 'sha256:' ~ ('0' * 64)}) | to_nice_yaml(indent=2) }}
    dest: /srv/bundle/manifest.yml
    mode: "0644"
"""

RETURN = r"""
_value:
  description: The manifest with the digests written in.
  type: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.plugin_utils import artifact_manifest


def artifacts_locked(manifest, kubernetes_version, digests, arch='amd64', test_images=False):
    if not isinstance(manifest, dict) or not isinstance(digests, dict):
        raise AnsibleFilterError('artifacts_locked expects a manifest (dict) and digests (dict)')
    try:
        return artifact_manifest.lock_images(dict(manifest, _path='the bundle\'s manifest'), kubernetes_version,
                                             dict(digests), arch=arch, test_images=bool(test_images))
    except artifact_manifest.ManifestError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {'artifacts_locked': artifacts_locked}
