# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Calico IP pools: what is wrong with a pool list, alone and against the pools a cluster has.

Shared by the calico_pool_problems filter (the calico role) and the site's validation (validate_inventory).
"""

from __future__ import annotations

import ipaddress
import re

ENCAPSULATIONS = ('VXLAN', 'VXLANCrossSubnet', 'IPIP', 'IPIPCrossSubnet', 'None')
NEEDS_BGP = ('IPIP', 'IPIPCrossSubnet', 'None')
NAME = re.compile(r'^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$')
MOVE_HINT = ('add a pool with the new value under another name, set disabled: true on %s, recreate the pods that '
             'hold its addresses, then delete it (docs/network.md, "Moving pods to a new pool")')


def _network(text):
    try:
        network = ipaddress.ip_network(str(text), strict=True)
    except ValueError:
        return None
    return network if network.version == 4 else None


def _pool_problems(index, pool, pod_network, backend):
    name = pool.get('name')
    label = 'calico_ip_pools[%d]%s' % (index, ' (%s)' % name if name else '')
    problems = []
    if not isinstance(name, str) or not NAME.match(name):
        problems.append('%s: name %r is not a DNS subdomain name; use lower-case letters, digits, "-" and ".".'
                        % (label, name))
    network = _network(pool.get('cidr'))
    if network is None:
        problems.append('%s: cidr %r is not an IPv4 network with its host bits zero (for example 10.244.0.0/16); '
                        'IPv6 pools are not supported yet.' % (label, pool.get('cidr')))
    elif pod_network is not None and not network.subnet_of(pod_network):
        problems.append('%s: cidr %s is outside the cluster\'s pod network caas_pod_cidr %s (kube-proxy treats '
                        'other addresses as outside the cluster); choose a cidr inside it.'
                        % (label, network, pod_network))
    block_size = pool.get('block_size', 26)
    if not isinstance(block_size, int) or isinstance(block_size, bool) or not 20 <= block_size <= 32:
        problems.append('%s: block_size %r must be a number from 20 to 32 (26 gives each node blocks of 64 '
                        'addresses).' % (label, block_size))
    elif network is not None and block_size < network.prefixlen:
        problems.append('%s: block_size %d is larger than the pool %s itself; use a block_size of at least %d.'
                        % (label, block_size, network, network.prefixlen))
    encapsulation = pool.get('encapsulation', 'VXLAN')
    if encapsulation not in ENCAPSULATIONS:
        problems.append('%s: encapsulation %r is not one of %s.' % (label, encapsulation, ', '.join(ENCAPSULATIONS)))
    elif encapsulation in NEEDS_BGP and backend != 'bird':
        problems.append('%s: encapsulation %s needs BGP to carry the routes between nodes, but '
                        'calico_network_backend is %s; use VXLAN or VXLANCrossSubnet, or set '
                        'calico_network_backend: bird.' % (label, encapsulation, backend))
    for flag in ('nat_outgoing', 'disabled'):
        if flag in pool and not isinstance(pool[flag], bool):
            problems.append('%s: %s %r must be true or false.' % (label, flag, pool[flag]))
    return problems, network


def _cluster_problems(pools, cluster_pools):
    existing = {}
    for item in cluster_pools or []:
        metadata, spec = item.get('metadata') or {}, item.get('spec') or {}
        existing[metadata.get('name')] = spec
    problems = []
    for pool in pools:
        spec = existing.get(pool.get('name'))
        if spec is None:
            continue
        wanted = {'cidr': str(pool.get('cidr')), 'block_size': pool.get('block_size', 26)}
        have = {'cidr': spec.get('cidr'), 'block_size': spec.get('blockSize', 26)}
        for field in ('cidr', 'block_size'):
            if wanted[field] != have[field] and not (field == 'cidr' and _network(wanted[field]) is not None
                                                     and _network(wanted[field]) == _network(have[field])):
                problems.append('IP pool %s has %s %s in the cluster and %s in calico_ip_pools: Calico cannot '
                                'change a pool\'s %s (pods hold addresses from it). Put %s back, or '
                                % (pool['name'], field, have[field], wanted[field], field, have[field])
                                + MOVE_HINT % pool['name'] + '.')
    return problems


def pool_problems(pools, pod_cidr, backend, cluster_pools=None):
    """One message per problem, each naming the pool, the bad value and the fix; [] when the pools are good."""
    problems = []
    if backend not in ('vxlan', 'bird'):
        problems.append('calico_network_backend %r is not vxlan or bird.' % (backend,))
    pod_network = _network(pod_cidr)
    if not pools:
        problems.append('calico_ip_pools is empty: pods would get no address; give at least one pool inside '
                        'caas_pod_cidr %s.' % pod_cidr)
    networks, names = [], {}
    for index, pool in enumerate(pools):
        pool_problems, network = _pool_problems(index, pool, pod_network, backend)
        problems.extend(pool_problems)
        names.setdefault(pool.get('name'), []).append(index)
        if network is not None and not pool.get('disabled', False):
            networks.append((pool.get('name'), network))
    for name, indexes in sorted(names.items(), key=lambda item: item[1]):
        if len(indexes) > 1:
            problems.append('calico_ip_pools has %d pools named %s (entries %s); give each pool its own name.'
                            % (len(indexes), name, ', '.join(map(str, indexes))))
    for position, (name, network) in enumerate(networks):
        for other_name, other in networks[position + 1:]:
            if network.overlaps(other):
                problems.append('IP pools %s (%s) and %s (%s) overlap; enabled pools must not share addresses '
                                '(disable one with disabled: true while moving pods).' % (name, network, other_name,
                                                                                          other))
    if not problems:
        problems.extend(_cluster_problems(pools, cluster_pools))
    return problems
