# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options the node lifecycle filters share (plugin_utils/node_lifecycle.py holds their rules)."""

    DOCUMENTATION = r'''
options:
  groups:
    description: The inventory's groups (C(groups)).
    type: dict
    required: true
'''

    # The filters that find each host's node name themselves.
    HOSTVARS = r'''
options:
  hostvars:
    description: The inventory's host variables (C(hostvars)), for each host's node name.
    type: dict
    required: true
'''

    # The filters that judge one host against the cluster's nodes.
    NODE = r'''
options:
  node_name:
    description: The host's node name (the node_name filter's).
    type: str
    required: true
  nodes:
    description: The cluster's nodes as the cluster_health module returns them (C(name), C(ready), C(control_plane)).
    type: list
    elements: dict
    required: true
'''
