# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one rule for who a host is (docs/inventory.md): the inventory contract checks it, the node_name and
node_address filters give it to the roles."""

from __future__ import annotations


def address_source(host_vars, host):
    """(variable, value) the host's node address comes from: caas_node_ip, else ansible_host, else the inventory
    name."""
    for key in ('caas_node_ip', 'ansible_host'):
        if host_vars.get(key):
            return key, host_vars.get(key)
    return 'inventory_hostname', host


def node_address(host_vars):
    """The address other hosts reach the host at (host_vars: hostvars[name], with its inventory_hostname)."""
    return str(address_source(host_vars, host_vars.get('inventory_hostname') or '')[1])


def node_name(host_vars, host=None):
    """The name the host registers as (Kubernetes node, etcd member): caas_node_name, else the first label of its
    inventory name."""
    return str(host_vars.get('caas_node_name')
               or str(host or host_vars.get('inventory_hostname') or '').split('.', maxsplit=1)[0])
