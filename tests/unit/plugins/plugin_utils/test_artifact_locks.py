# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A bundle locks the digests of the tags it copied into the site's manifest."""

from __future__ import annotations

import pytest

from ansible_collections.caas.platform.plugins.plugin_utils import artifact_manifest
from ansible_collections.caas.platform.plugins.filter.artifacts_locked import artifacts_locked
from ansible.errors import AnsibleFilterError

DIGEST = 'sha256:' + 'a' * 64


@pytest.fixture
def manifest():
    return artifact_manifest.load()


def test_tags_get_their_digests(manifest):
    version = manifest['kubernetes']['1.36']['version']
    locked = artifacts_locked(manifest, version, {'pause': DIGEST, 'busybox': DIGEST}, test_images=True)
    assert locked['kubernetes']['1.36']['images']['pause']['digest'] == {'amd64': DIGEST}
    assert locked['test_images']['busybox']['digest'] == {'amd64': DIGEST}
    assert '_path' not in locked
    # The collection's own manifest is left as it is.
    assert manifest['kubernetes']['1.36']['images']['pause']['digest'] == {'amd64': None}
    # What pods and runtime settings name: the tag, pinned by the locked digest; nothing without a digest.
    pause, kube_vip = artifact_manifest.images(locked, version, ['pause', 'kube-vip'], require_checksums=False)
    assert pause['pinned'] == 'registry.k8s.io/pause:%s@%s' % (pause['tag'], DIGEST)
    assert kube_vip['pinned'] is None


def test_another_image_under_a_pinned_tag_is_refused(manifest):
    version = manifest['kubernetes']['1.36']['version']
    locked = artifacts_locked(manifest, version, {'pause': DIGEST})
    assert artifacts_locked(locked, version, {'pause': DIGEST}) == locked
    refused = (r'registry.k8s.io/pause:3.10.2 is sha256:b{64} for amd64, but the manifest pins sha256:a{64}: '
               r'the source serves another image')
    with pytest.raises(AnsibleFilterError, match=refused):
        artifacts_locked(locked, version, {'pause': 'sha256:' + 'b' * 64})


def test_unknown_names_and_bad_digests_are_refused(manifest):
    version = manifest['kubernetes']['1.36']['version']
    with pytest.raises(AnsibleFilterError, match='image nginx is not in the artifact manifest for Kubernetes'):
        artifacts_locked(manifest, version, {'nginx': DIGEST})
    with pytest.raises(AnsibleFilterError, match="digest 'sha256:12' is not sha256:<64 hex>"):
        artifacts_locked(manifest, version, {'pause': 'sha256:12'})
    with pytest.raises(AnsibleFilterError, match='pins Kubernetes 1.36 at'):
        artifacts_locked(manifest, '1.36.0', {'pause': DIGEST})
