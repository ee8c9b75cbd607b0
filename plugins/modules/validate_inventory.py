#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: validate_inventory
short_description: Refuse an inventory that breaks the caas.platform contract, before any host is touched
version_added: 0.1.0
description:
  - Reads the groups C(lb), C(control_plane), C(etcd), C(workers), C(artifacts) and the C(caas_*) settings of
    every host in them, and checks them against the inventory contract described in C(docs/inventory.md).
  - Refuses, listing every problem at once, when the inventory is wrong. Each problem names the variable,
    the bad value, what is wrong and the fix.
  - Checks include group sizes and etcd quorum, overlapping or malformed networks, the API VIP, the Kubernetes
    version and node operating system, duplicate node names and addresses, failure domains of HA groups,
    artifact sources and proxies, cluster settings that differ between hosts, and misspelt C(caas_*) names.
  - Runs on the controller only (it is an action plugin); it contacts no host.
options: {}
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Only reads the inventory; runs the same in check mode.
  diff_mode:
    support: none
    description: Reports no differences; it changes nothing.
  action:
    support: full
    description: An action plugin; all its work happens on the controller.
  async:
    support: none
    description: Finishes in well under a second; it has nothing to run asynchronously.
  platform:
    support: full
    platforms: all
    description: Runs on the controller.
notes:
  - "Run it first, in a play on C(localhost) without fact gathering, as C(playbooks/00_validate.yml) does."
seealso:
  - module: caas.platform.node_facts
"""

EXAMPLES = r"""
- name: Validate the inventory before any host is touched
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check the inventory contract
      caas.platform.validate_inventory:
      register: caas_validated

    - name: Show where the API will be
      ansible.builtin.debug:
        msg: "{{ caas_validated.cluster.api_endpoint }}"
"""

RETURN = r"""
problems:
  description: Every problem found; empty when the inventory is accepted.
  returned: always
  type: list
  elements: dict
  contains:
    variable:
      description: The variable or group at fault.
      type: str
    value:
      description: Its bad value.
      type: raw
    host:
      description: The host it was found on, for per-host settings.
      type: str
    reason:
      description: What is wrong.
      type: str
    fix:
      description: How to fix it.
      type: str
cluster:
  description: Facts derived from an accepted inventory.
  returned: success
  type: dict
  contains:
    kubernetes_version:
      description: The Kubernetes release, without a leading v.
      type: str
      sample: 1.36.3
    kubernetes_minor:
      description: The Kubernetes minor version.
      type: str
      sample: "1.36"
    api_endpoint:
      description: Where the Kubernetes API is reached, VIP and port.
      type: str
      sample: 10.250.0.10:6443
    node_ips:
      description: The node address of each host.
      type: dict
    no_proxy:
      description: The effective no-proxy list, with the cluster's own networks and names added.
      type: list
      elements: str
"""
