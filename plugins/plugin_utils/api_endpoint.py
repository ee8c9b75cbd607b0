# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of the Kubernetes API endpoint and its VIP, in one place: the inventory contract applies them to the
caas_* settings, the api_loadbalancer_problems filter to the role's own variables (the role can run alone).

Each rule returns None or (reason, fix); the caller names the variable and its value.
"""

from __future__ import annotations

import ipaddress
import os
import re

# Characters keepalived reads as part of one word, whatever their place: no space, quote, comment (# !),
# brace, $ (its parameters) or @ (its host conditions).
VRRP_PASSWORD = re.compile(r'^[A-Za-z0-9._+=:,/%^~-]{1,8}$')
BACKEND_NAME = re.compile(r'^[A-Za-z0-9._-]+$')
INTERFACE = re.compile(r'^[A-Za-z0-9_.@-]{1,15}$')


def _whole_number(value):
    return isinstance(value, int) and not isinstance(value, bool)


def port_problem(port):
    if not _whole_number(port) or not 1 <= port <= 65535:
        return 'is not a TCP port', 'use a whole number from 1 to 65535, e.g. 6443'
    return None


def router_id_problem(router_id):
    if not _whole_number(router_id) or not 1 <= router_id <= 255:
        return ('is not a VRRP virtual router id',
                'use a whole number from 1 to 255 that no other VRRP group on the node network uses')
    return None


def vip_problem(vip, node_network, mode):
    """The VIP (an address) against the node network (a network): a VRRP or kube-vip VIP moves between hosts of
    that network only."""
    if vip not in node_network:
        return (f'is outside caas_node_network {node_network}; a {mode} VIP moves between hosts of that network '
                'only', f'choose an unused host address of {node_network}')
    if node_network.num_addresses > 2 and vip in (node_network.network_address, node_network.broadcast_address):
        return (f'is the network or broadcast address of {node_network}',
                f'choose an unused host address of {node_network}')
    return None


def vrrp_password_problem(password):
    password = '' if password is None else str(password)
    if not password:
        return ('is empty: the VRRP adverts of the lb hosts must carry a shared secret',
                'set it (1 to 8 characters) for the lb group, in Ansible Vault')
    if len(password) > 8:
        return (f'has {len(password)} characters: keepalived uses only the first 8, so a longer secret is not what '
                'it seems', 'use 1 to 8 characters')
    if not VRRP_PASSWORD.match(password):
        return ('has a character keepalived would not read as part of the secret (a space, quote, # ! { } $ @ '
                'among them)', 'use only letters, digits and . _ + = : , / % ^ ~ -')
    return None


def _number(value):
    """A whole number given as one, or as its digits (a role variable templated from a string)."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _address(value):
    try:
        return ipaddress.IPv4Address(str(value))
    except ValueError:
        return None


def loadbalancer_problems(settings):
    """Every problem of the api_loadbalancer role's settings, each a sentence naming the variable, its value and
    the fix; empty when all is well. settings: the role's variables without their prefix (mode, vip, port,
    node_network, vrrp_router_id, vrrp_password, vrrp_auth_type, hosts, lb_addresses, this_host, backends,
    backend_ca_file, interface)."""
    problems = []

    def refuse(name, value, problem):
        # The inventory contract's form: variable = value: reason. Fix: fix.
        if problem:
            problems.append(f'{name} = {value!r}: {problem[0]}. Fix: {problem[1]}.')

    mode = settings['mode']
    if mode != 'haproxy_keepalived':
        refuse('api_loadbalancer_mode (caas_api_lb_mode)', mode, (
            'is not haproxy_keepalived, the only VIP this role builds; with kube_vip the VIP belongs to the control-plane '
            'hosts, with external to your load balancer',
            'run this role only when caas_api_lb_mode is haproxy_keepalived, and leave the lb group empty otherwise '
            '(docs/api_loadbalancer.md)'))
    try:
        network = ipaddress.IPv4Network(str(settings['node_network']))
    except ValueError:
        network = None
        refuse('api_loadbalancer_node_network (caas_node_network)', settings['node_network'], (
            'is not an IPv4 network', 'set caas_node_network to the CIDR the nodes share, e.g. 10.20.0.0/22'))
    vip = _address(settings['vip'])
    if vip is None:
        refuse('api_loadbalancer_vip (caas_api_vip)', settings['vip'], (
            'is not an IPv4 address', 'set caas_api_vip to an unused host address of caas_node_network'))
    elif network is not None:
        refuse('api_loadbalancer_vip (caas_api_vip)', str(vip), vip_problem(vip, network, 'VRRP'))
    refuse('api_loadbalancer_vrrp_router_id (caas_api_vrrp_router_id)', settings['vrrp_router_id'],
           router_id_problem(_number(settings['vrrp_router_id'])))
    refuse('api_loadbalancer_port (caas_api_port)', settings['port'], port_problem(_number(settings['port'])))
    password = vrrp_password_problem(settings['vrrp_password'])
    if password:
        # Never the value: it is the secret.
        problems.append(f'api_loadbalancer_vrrp_password: {password[0]}. Fix: {password[1]}.')
    if settings['vrrp_auth_type'] not in ('PASS', 'AH'):
        refuse('api_loadbalancer_vrrp_auth_type', settings['vrrp_auth_type'], ('is not a VRRP authentication',
                                                                               'PASS or AH'))
    hosts, addresses = list(settings['hosts']), [str(a) for a in settings['lb_addresses']]
    if len(hosts) < 2:
        refuse('api_loadbalancer_hosts (the lb group)', hosts, (
            'has fewer than 2 hosts: the VIP needs 2 or more load balancers to fail over',
            'add hosts to the lb group, or set caas_api_lb_mode to kube_vip or external'))
    if settings['this_host'] not in hosts:
        refuse('inventory_hostname', settings['this_host'], (
            f'is not in api_loadbalancer_hosts {hosts}', 'run the role on the lb group only'))
    for host, address in zip(hosts, addresses):
        ip = _address(address)
        if ip is None:
            refuse(f'the node address of lb host {host} (caas_node_ip, else ansible_host)', address, (
                'is not an IPv4 address; VRRP adverts are sent to it',
                f'set caas_node_ip of {host} to its address on the node network'))
        elif network is not None and ip not in network:
            refuse(f'the node address of lb host {host}', address, (
                f'is outside the node network {network}; the VIP can only move between hosts of one network',
                f'set caas_node_ip of {host} to its address on {network}'))
        if vip is not None and ip == vip:
            refuse('api_loadbalancer_vip (caas_api_vip)', str(vip),
                   (f'is the address of lb host {host}', 'choose an address that no host uses'))
    if len(set(addresses)) != len(addresses):
        refuse('the lb hosts\' node addresses', addresses,
               ('are not distinct', 'give each lb host its own caas_node_ip'))
    backends = settings['backends']
    if not backends:
        refuse('api_loadbalancer_backends', [], (
            'is empty (no control_plane host)',
            'add the control-plane hosts to the control_plane group, or list them in api_loadbalancer_backends as '
            '{name, address}'))
    for backend in backends:
        if not isinstance(backend, dict) or not BACKEND_NAME.match(str(backend.get('name', ''))) \
                or not backend.get('address'):
            refuse('a backend of api_loadbalancer_backends', backend, (
                'is not {name, address}', 'each backend is {name: <a word of letters, digits, . _ ->, address: <IPv4 '
                'address or DNS name>}'))
        elif str(backend['address']) == str(vip) or str(backend['address']) in addresses:
            refuse(f'the address of backend {backend["name"]}', backend['address'], (
                'is the VIP or a load balancer: haproxy would send the API to itself',
                'a control-plane host is never an lb host; correct its caas_node_ip or the lb group'))
    ca_file = settings['backend_ca_file']
    if ca_file and not os.path.isfile(ca_file):
        refuse('api_loadbalancer_backend_ca_file', ca_file, (
            'is no file on the controller',
            'the path of the PEM CA that signed the kube-apiserver certificates, or empty'))
    interface = settings['interface']
    if interface and not INTERFACE.match(str(interface)):
        refuse('api_loadbalancer_interface', interface, (
            'is not an interface name',
            'the interface of the node network (ip -br addr), or empty to find it from the node address'))
    return problems
