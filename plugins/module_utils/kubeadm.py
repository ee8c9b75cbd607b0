# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared code of the kubeadm_* modules: reading what a node already is, writing kubeadm configuration files, and
the few computations kubeadm itself does not print (the CA's public key hash). Running kubeadm is commands.py's.

What kubeadm (1.31+) does, and this code relies on:
  - ``--config`` cannot be mixed with most flags (``can not mix '--config' with arguments [...]``): secrets
    such as the join token and the certificate key therefore go into the configuration file.
  - Configuration files are YAML documents separated by ``---``; JSON is YAML, so each document is written here as
    one line of JSON and nothing beyond the standard library is needed on the node.
  - ``token list -o json`` prints one JSON object per token, one after the other, not a list.
  - A node's state is its files: ``/etc/kubernetes/kubelet.conf`` once it has joined (or was initialised),
    ``/etc/kubernetes/manifests/kube-apiserver.yaml`` on a control-plane node, ``admin.conf`` on a node made by
    ``init`` or ``join --control-plane``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re

from ansible_collections.caas.platform.plugins.module_utils.commands import PrivateFile

KUBERNETES_DIR = '/etc/kubernetes'
CONTROL_PLANE_COMPONENTS = ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler')

# kubeadm's configuration API by Kubernetes minor: v1beta4 from 1.31 (v1beta3 is refused from 1.34).
CONFIG_API_VERSIONS = ((31, 'kubeadm.k8s.io/v1beta4'), (22, 'kubeadm.k8s.io/v1beta3'))
KUBEADM_KINDS = ('InitConfiguration', 'ClusterConfiguration', 'JoinConfiguration', 'ResetConfiguration',
                 'UpgradeConfiguration')


def minor_of(version):
    """The minor of a Kubernetes version ('1.36.3', 'v1.36.3', '1.36')."""
    match = re.match(r'^v?1\.(\d+)(\.\d+)?([-+].*)?$', str(version))
    if not match:
        raise ValueError('%r is not a Kubernetes version (1.MINOR.PATCH)' % (version,))
    return int(match.group(1))


def config_api_version(version):
    """The kubeadm configuration apiVersion the given Kubernetes version reads."""
    minor = minor_of(version)
    for first_minor, api_version in CONFIG_API_VERSIONS:
        if minor >= first_minor:
            return api_version
    raise ValueError('Kubernetes 1.%d is older than any kubeadm configuration API this collection writes' % minor)


def parse_duration(text):
    """Seconds in a Go duration such as '1h30m', '20m', '45s' or '0'."""
    text = str(text).strip()
    if text == '0':
        return 0
    parts = re.findall(r'(\d+)(h|m|s)', text)
    if not parts or ''.join(n + u for n, u in parts) != text:
        raise ValueError('%r is not a duration such as 1h, 30m or 1h30m' % (text,))
    return sum(int(n) * {'h': 3600, 'm': 60, 's': 1}[u] for n, u in parts)


def json_stream(text):
    """Every JSON value in text, in order (``kubeadm token list -o json`` prints several, one after the other)."""
    decoder, position, values = json.JSONDecoder(), 0, []
    text = text or ''
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return values
        value, position = decoder.raw_decode(text, position)
        values.append(value)


def node_state(kubernetes_dir=KUBERNETES_DIR):
    """What the node already is, from the files kubeadm leaves."""
    def exists(*parts):
        return os.path.exists(os.path.join(kubernetes_dir, *parts))

    manifests = [c for c in CONTROL_PLANE_COMPONENTS if exists('manifests', c + '.yaml')]
    return dict(
        joined=exists('kubelet.conf'),
        admin_kubeconfig=exists('admin.conf'),
        control_plane_manifests=manifests,
        stacked_etcd=exists('manifests', 'etcd.yaml'),
        control_plane=len(manifests) == len(CONTROL_PLANE_COMPONENTS) and exists('admin.conf'),
        ca_certificate=exists('pki', 'ca.crt'),
    )


def render_documents(documents):
    """A kubeadm configuration file: each document one JSON line, separated as YAML documents are."""
    return '---\n'.join(json.dumps(doc, sort_keys=True) + '\n' for doc in documents)


def check_documents(documents, kubernetes_version, required_kinds):
    """Refuse documents kubeadm would misread: a missing kind, or a kubeadm document at the wrong API version. A
    kubeadm document without apiVersion gets the one the Kubernetes version reads (the one place it is chosen)."""
    expected = config_api_version(kubernetes_version)
    kinds = []
    for index, doc in enumerate(documents):
        if not isinstance(doc, dict) or not doc.get('kind'):
            raise ValueError('config document %d has no kind' % index)
        if not doc.get('apiVersion'):
            if doc['kind'] not in KUBEADM_KINDS:
                raise ValueError('config document %s has no apiVersion (only kubeadm\'s own kinds may leave it out)'
                                 % doc['kind'])
            doc['apiVersion'] = expected
        if doc['apiVersion'].startswith('kubeadm.k8s.io/') and doc['apiVersion'] != expected:
            raise ValueError('config document %s is at %s, but Kubernetes %s reads %s: render it at %s'
                             % (doc['kind'], doc['apiVersion'], kubernetes_version, expected, expected))
        kinds.append(doc['kind'])
    missing = [kind for kind in required_kinds if kind not in kinds]
    if missing:
        raise ValueError('config has no %s document' % ', '.join(missing))
    return kinds


class ConfigFile(PrivateFile):
    """A kubeadm configuration file (render_documents) as a PrivateFile."""

    def __init__(self, documents):
        super(ConfigFile, self).__init__(render_documents(documents), 'caas-kubeadm-', 'kubeadm.yaml')


# -- the discovery hash: sha256 of the CA certificate's SubjectPublicKeyInfo (RFC 7469 pinning) --

def _der_element(data, offset):
    """(tag, start of content, end of content) of the DER element at offset."""
    tag = data[offset]
    length = data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7f
        length = int.from_bytes(data[offset:offset + count], 'big')
        offset += count
    return tag, offset, offset + length


def pem_to_der(pem):
    body = re.search(r'-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----', pem, re.S)
    if not body:
        raise ValueError('no PEM certificate found')
    return base64.b64decode(''.join(body.group(1).split()))


def ca_cert_hash(pem):
    """``sha256:<hex>`` of the certificate's public key, as kubeadm's --discovery-token-ca-cert-hash wants it."""
    der = pem_to_der(pem)
    _tag, certificate, _end = _der_element(der, 0)
    _tag, position, _end = _der_element(der, certificate)  # tbsCertificate
    fields = []
    while len(fields) < 7:
        tag, start, end = _der_element(der, position)
        fields.append((tag, position, end))
        position = end
    # [0] version is optional: without it, the SubjectPublicKeyInfo is the sixth field, not the seventh.
    spki = fields[6] if fields[0][0] == 0xa0 else fields[5]
    return 'sha256:' + hashlib.sha256(der[spki[1]:spki[2]]).hexdigest()


def image_tag(image):
    """The tag of an image reference (registry[:port]/path:tag[@digest]), or None."""
    name = str(image).split('@', 1)[0]
    last = name.rsplit('/', 1)[-1]
    return last.rpartition(':')[2] if ':' in last else None


def manifest_image_tag(path):
    """The image tag of a static pod manifest (the version a control-plane component runs), or None. The
    control_plane role names images by tag and digest (kubeadm's patches): the tag is the version."""
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        match = re.search(r'^\s*image:\s*["\']?([^\s"\']+)', handle.read(), re.M)
    return image_tag(match.group(1)) if match else None


def cluster_configuration_version(config_map):
    """The kubernetesVersion of the kubeadm-config ConfigMap's ClusterConfiguration (kubeadm's record of the
    control plane's version), or ''."""
    text = (config_map.get('data') or {}).get('ClusterConfiguration', '')
    match = re.search(r'^kubernetesVersion:\s*["\']?(v?[0-9][^\s"\']*)', text, re.M)
    return match.group(1) if match else ''
