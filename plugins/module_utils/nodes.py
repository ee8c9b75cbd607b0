# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Nodes and control-plane static pods as the read-only modules report them (cluster_health, upgrade_state)."""

from __future__ import annotations

from ansible_collections.caas.platform.plugins.module_utils.drain import CORDONED_BY
from ansible_collections.caas.platform.plugins.module_utils.kubeadm import image_tag

PRESSURE = ('MemoryPressure', 'DiskPressure', 'PIDPressure')
CONTROL_PLANE_LABEL = 'node-role.kubernetes.io/control-plane'


def conditions(status):
    return dict((c.get('type'), c.get('status') == 'True') for c in (status or {}).get('conditions') or [])


def summarize_nodes(items):
    """Each node's readiness, kubelet version, role, cordon (and who cordoned it) and pressure, sorted by name."""
    nodes = []
    for item in items:
        found = conditions(item.get('status'))
        nodes.append({
            'name': item['metadata']['name'],
            'ready': found.get('Ready', False),
            'kubelet_version': ((item.get('status') or {}).get('nodeInfo') or {}).get('kubeletVersion'),
            'control_plane': CONTROL_PLANE_LABEL in (item['metadata'].get('labels') or {}),
            'unschedulable': bool((item.get('spec') or {}).get('unschedulable')),
            'cordoned_by': (item['metadata'].get('annotations') or {}).get(CORDONED_BY),
            'pressure': [name for name in PRESSURE if found.get(name)],
        })
    return sorted(nodes, key=lambda node: node['name'])


def summarize_components(pods):
    """The control-plane static pods (label tier=control-plane): node, component, the version its image's tag
    names, readiness and restarts."""
    components = []
    for pod in pods:
        labels = pod['metadata'].get('labels') or {}
        if labels.get('tier') != 'control-plane':
            continue
        statuses = (pod.get('status') or {}).get('containerStatuses') or []
        containers = (pod.get('spec') or {}).get('containers') or [{}]
        components.append({
            'node': (pod.get('spec') or {}).get('nodeName'),
            'component': labels.get('component'),
            'version': image_tag(containers[0].get('image', '')),
            'ready': conditions(pod.get('status')).get('Ready', False),
            'restarts': sum(status.get('restartCount', 0) for status in statuses),
        })
    return sorted(components, key=lambda c: (c['node'] or '', c['component'] or ''))
