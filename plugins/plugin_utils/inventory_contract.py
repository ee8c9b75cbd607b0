# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory contract of caas.platform (docs/inventory.md) and the checks that enforce it.

Pure functions over plain data (group -> hosts, host -> variables), so the same checks run in the
validate_inventory action plugin and in unit tests. Every problem names the variable, the bad
value and the fix.
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import posixpath
import re
import typing as t
import urllib.parse

from ansible_collections.caas.platform.plugins.plugin_utils import (
    api_endpoint, artifact_manifest, calico_pools, role_variables, rook_ceph_plan)
from ansible_collections.caas.platform.plugins.plugin_utils.node_identity import address_source, node_name

# The three newest Kubernetes minors; the artifact manifest carries the exact releases.
SUPPORTED_KUBERNETES_MINORS = ('1.34', '1.35', '1.36')
SUPPORTED_NODE_OS = ('debian12',)
API_LB_MODES = ('haproxy_keepalived', 'kube_vip', 'external')
ETCD_TOPOLOGIES = ('stacked', 'external')
# bridge: the plain CNI bridge network (no policy) until the calico role lands.
POD_NETWORKS = ('calico', 'none')
FAILURE_DOMAIN_POLICIES = ('zone', 'rack', 'none')
# Choices the contract names but the collection cannot deliver yet: refused until they are built.
NOT_BUILT: dict[tuple[str, str], tuple[str, str]] = {}
# TCP ports the platform's own components listen on, on some host of the cluster. caas_api_port must be
# none of them: haproxy binds it on the lb hosts, and a host may carry several roles. Role settings that
# move a port (etcd_client_port, ...) are read from the roles' defaults by api_port_owners().
FIXED_PORTS = {22: 'sshd', 179: 'Calico BGP (bird)', 5473: 'Calico Typha', 9099: 'calico-node health',
               10248: 'kubelet health', 10249: 'kube-proxy metrics', 10250: 'kubelet', 10256: 'kube-proxy health',
               10257: 'kube-controller-manager', 10259: 'kube-scheduler'}
PORT_SETTINGS = {'etcd_client_port': 'etcd (clients)', 'etcd_peer_port': 'etcd (peers)',
                 'etcd_metrics_port': 'etcd (metrics)', 'api_loadbalancer_stats_port': 'haproxy (statistics)',
                 'calico_felix_prometheus_metrics_port': 'Calico Felix (metrics)'}
NODE_PORT_RANGE = (30000, 32767)

GROUPS = ('lb', 'control_plane', 'etcd', 'workers', 'artifacts')

# Settings that must have one value for the whole cluster (set them in group_vars/all).
CLUSTER_SETTINGS = (
    'caas_cluster_name', 'caas_kubernetes_version', 'caas_node_network', 'caas_pod_cidr',
    'caas_service_cidr', 'caas_node_cidr_mask_size', 'caas_cluster_domain', 'caas_api_lb_mode',
    'caas_api_vip', 'caas_api_port', 'caas_api_vrrp_router_id', 'caas_etcd_topology',
    'caas_control_plane_ha', 'caas_failure_domain_policy', 'caas_files_repo_url',
    'caas_registry_mirror', 'caas_artifacts_ca_file', 'caas_artifacts_manifest', 'caas_http_proxy', 'caas_https_proxy',
    'caas_no_proxy', 'caas_allow_cgroup_v1', 'caas_ntp_servers', 'caas_pod_network', 'caas_bin_dir',
)
# Settings of each host.
HOST_SETTINGS = ('caas_zone', 'caas_rack', 'caas_node_ip', 'caas_node_name', 'caas_node_os', 'caas_shared_kernel')
KNOWN_SETTINGS = frozenset(CLUSTER_SETTINGS + HOST_SETTINGS)

DEFAULTS = {
    'caas_node_cidr_mask_size': 24,
    'caas_cluster_domain': 'cluster.local',
    'caas_api_lb_mode': 'haproxy_keepalived',
    'caas_api_port': 6443,
    'caas_api_vrrp_router_id': 51,
    'caas_etcd_topology': 'stacked',
    'caas_control_plane_ha': True,
    'caas_failure_domain_policy': 'zone',
    'caas_files_repo_url': '',
    'caas_registry_mirror': '',
    'caas_artifacts_ca_file': '',
    'caas_artifacts_manifest': '',
    'caas_http_proxy': '',
    'caas_https_proxy': '',
    'caas_no_proxy': [],
    'caas_allow_cgroup_v1': False,
    'caas_ntp_servers': [],
    'caas_pod_network': 'calico',
    'caas_bin_dir': '/usr/local/bin',
    'caas_shared_kernel': False,
    'caas_node_os': 'debian12',
}
REQUIRED = ('caas_cluster_name', 'caas_kubernetes_version', 'caas_node_network', 'caas_pod_cidr',
            'caas_service_cidr', 'caas_ntp_servers')

DNS_LABEL = re.compile(r'^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$')
DNS_NAME = re.compile(r'^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$')
KUBERNETES_VERSION = re.compile(r'^v?(\d+)\.(\d+)\.(\d+)$')
HOST_PORT = re.compile(r'^(?P<host>[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(:(?P<port>\d{1,5}))?$')


@dataclasses.dataclass(frozen=True)
class Problem:
    """One refusal: which variable, its bad value, what is wrong and how to fix it."""

    variable: str
    value: t.Any
    reason: str
    fix: str
    host: str | None = None
    # A layer's own rule says it in a sentence that names the variable, the value and the fix already.
    sentence: str | None = None

    def __str__(self) -> str:
        if self.sentence:
            return self.sentence
        where = f' (host {self.host})' if self.host else ''
        return f'{self.variable}{where} = {self.value!r}: {self.reason}. Fix: {self.fix}.'


@dataclasses.dataclass
class Inventory:
    """The parts of an Ansible inventory the contract speaks about."""

    groups: dict[str, list[str]]
    hostvars: dict[str, dict[str, t.Any]]

    def hosts(self, group: str) -> list[str]:
        return list(self.groups.get(group) or [])

    def cluster_hosts(self) -> list[str]:
        seen: dict[str, None] = {}
        for group in GROUPS:
            for host in self.hosts(group):
                seen.setdefault(host)
        return list(seen)

    def host_setting(self, host: str, name: str) -> t.Any:
        return self.hostvars.get(host, {}).get(name, DEFAULTS.get(name))


class Checker:
    """Runs every check of the contract over one inventory and collects the problems."""

    def __init__(self, inventory: Inventory, specs: dict[str, t.Any] | None = None,
                 refused_role_variables: t.Collection[str] = ()):
        self.inv = inventory
        self.specs = specs or {}
        # Role variables whose type the role's spec refused: rules across layers leave them alone.
        self.refused_role_variables = set(refused_role_variables)
        self.problems: list[Problem] = []
        self.settings: dict[str, t.Any] = {}
        self.networks: dict[str, ipaddress.IPv4Network] = {}
        self.node_ips: dict[str, ipaddress.IPv4Address] = {}
        self.vip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None

    def refuse(self, variable: str, value: t.Any, reason: str, fix: str, host: str | None = None) -> None:
        self.problems.append(Problem(variable, value, reason, fix, host))

    def require_bool(self, name: str, value: t.Any, host: str | None = None) -> None:
        if not isinstance(value, bool):
            self.refuse(name, value, 'must be a boolean', 'write true or false, unquoted', host)

    def run(self) -> list[Problem]:
        if not self.inv.cluster_hosts():
            self.refuse('groups', sorted(self.inv.groups), 'the inventory has no host in any of the groups '
                        + ', '.join(GROUPS), 'add hosts to the groups control_plane and workers (docs/inventory.md)')
            return self.problems
        self.check_unknown_variables()
        self.read_cluster_settings()
        self.check_group_sizes()
        self.check_kubernetes_version()
        self.check_networks()
        self.check_api_endpoint()
        self.check_hosts()
        self.check_failure_domains()
        self.check_artifacts()
        self.check_proxies()
        self.check_time_and_kernel()
        self.check_cross_layer()
        return self.problems

    # -- settings ---------------------------------------------------------------------------

    def check_unknown_variables(self) -> None:
        """A misspelt contract variable is silently ignored by Ansible: refuse it instead."""
        reported = set()
        for host in self.inv.cluster_hosts():
            for name in self.inv.hostvars.get(host, {}):
                if name.startswith('caas_') and name not in KNOWN_SETTINGS and name not in reported:
                    reported.add(name)
                    close = difflib.get_close_matches(name, sorted(KNOWN_SETTINGS), n=1)
                    fix = f'did you mean {close[0]}? ' if close else ''
                    self.refuse(name, self.inv.hostvars[host][name], 'is not a setting of the inventory contract',
                                fix + 'see docs/inventory.md for the settings and their names')

    def read_cluster_settings(self) -> None:
        hosts = self.inv.cluster_hosts()
        for name in CLUSTER_SETTINGS:
            values: dict[str, list[str]] = {}
            for host in hosts:
                value = self.inv.host_setting(host, name)
                values.setdefault(repr(value), []).append(host)
            if len(values) > 1:
                shown = '; '.join(f'{v} on {", ".join(h[:3])}{"..." if len(h) > 3 else ""}' for v, h in values.items())
                self.refuse(name, shown, 'is a cluster setting but differs between hosts',
                            'set it once, in group_vars/all')
            self.settings[name] = self.inv.host_setting(hosts[0], name)
        for name in REQUIRED:
            if self.settings.get(name) in (None, '', []):
                self.refuse(name, self.settings.get(name), 'is required and not set',
                            'set it in group_vars/all (docs/inventory.md shows an example)')
        for name, choices in (('caas_api_lb_mode', API_LB_MODES), ('caas_etcd_topology', ETCD_TOPOLOGIES),
                              ('caas_failure_domain_policy', FAILURE_DOMAIN_POLICIES),
                              ('caas_pod_network', POD_NETWORKS)):
            if self.settings[name] not in choices:
                self.refuse(name, self.settings[name], 'is not a supported choice', 'use one of ' + ', '.join(choices))
            elif (name, self.settings[name]) in NOT_BUILT:
                self.refuse(name, self.settings[name], *NOT_BUILT[(name, self.settings[name])])
        for name in ('caas_control_plane_ha', 'caas_allow_cgroup_v1'):
            self.require_bool(name, self.settings[name])
        name = self.settings['caas_cluster_name']
        if name and not (isinstance(name, str) and DNS_LABEL.match(name)):
            self.refuse('caas_cluster_name', name, 'is not a DNS label',
                        'use lower-case letters, digits and "-", at most 63 characters')
        domain = self.settings['caas_cluster_domain']
        if not (isinstance(domain, str) and DNS_NAME.match(domain)):
            self.refuse('caas_cluster_domain', domain, 'is not a DNS domain name', 'use a name such as cluster.local')

    # -- groups -----------------------------------------------------------------------------

    def check_etcd_quorum(self, group: str, members: list[str], ha: bool) -> None:
        """etcd members: stacked on the control-plane hosts, or the external etcd group."""
        where = ' (stacked on the control-plane hosts)' if group == 'control_plane' else ''
        count = len(members)
        if ha and count < 3:
            self.refuse(group, count, f'HA etcd needs at least 3 members{where} to keep quorum when one fails',
                        f'add {group} hosts to make 3 or 5, or set caas_control_plane_ha: false')
        elif count % 2 == 0:
            self.refuse(group, count, f'an even number of etcd members{where} risks a split vote and tolerates '
                        f'no more failures than {count - 1}', f'use {count - 1} or {count + 1} {group} hosts')
        elif count > 7:
            self.refuse(group, count, f'more than 7 etcd members{where} slow every write',
                        f'use 3, 5 or 7 {group} hosts')

    def check_group_sizes(self) -> None:
        ha = self.settings['caas_control_plane_ha'] is True
        topology = self.settings['caas_etcd_topology']
        control_plane = self.inv.hosts('control_plane')
        etcd = self.inv.hosts('etcd')
        if not control_plane:
            self.refuse('control_plane', control_plane, 'the group has no hosts',
                        'add 3 hosts (HA) or 1 host with caas_control_plane_ha: false')
        elif topology == 'stacked':
            self.check_etcd_quorum('control_plane', control_plane, ha)
        elif ha and len(control_plane) < 2:
            self.refuse('control_plane', len(control_plane), 'an HA control plane needs at least 2 hosts',
                        'add a host, or set caas_control_plane_ha: false')
        if topology == 'stacked' and etcd:
            self.refuse('etcd', etcd, 'the etcd group is only for caas_etcd_topology: external',
                        'empty the etcd group, or set caas_etcd_topology: external')
        elif topology == 'external':
            if etcd:
                self.check_etcd_quorum('etcd', etcd, ha)
            else:
                self.refuse('etcd', etcd, 'caas_etcd_topology is external but the etcd group has no hosts',
                            'add 3 or 5 hosts to the etcd group, or set caas_etcd_topology: stacked')
        if not self.inv.hosts('workers'):
            self.refuse('workers', [], 'the group has no hosts: workloads would have nowhere to run',
                        'add at least one host to the workers group')
        mode = self.settings['caas_api_lb_mode']
        lb = self.inv.hosts('lb')
        if mode == 'haproxy_keepalived' and len(lb) < 2:
            self.refuse('lb', lb, 'caas_api_lb_mode haproxy_keepalived needs 2 or more load-balancer hosts '
                        'for the VIP to fail over', 'add hosts to the lb group, or set caas_api_lb_mode: external')
        elif mode != 'haproxy_keepalived' and lb:
            self.refuse('lb', lb, f'the lb group is only used with caas_api_lb_mode haproxy_keepalived, not {mode}',
                        'empty the lb group, or set caas_api_lb_mode: haproxy_keepalived')
        both = sorted(set(lb) & set(control_plane))
        if both:
            self.refuse('lb', both, 'these hosts are both load balancers and control-plane nodes: haproxy and '
                        'kube-apiserver would both listen on caas_api_port', 'use separate lb hosts')

    # -- versions ---------------------------------------------------------------------------

    def check_kubernetes_version(self) -> None:
        version = self.settings['caas_kubernetes_version']
        if version in (None, ''):
            return
        match = KUBERNETES_VERSION.match(str(version))
        supported = ', '.join(f'{m}.x' for m in SUPPORTED_KUBERNETES_MINORS)
        if not isinstance(version, str) or not match:
            self.refuse('caas_kubernetes_version', version, 'is not a Kubernetes release number',
                        f'write the full release as a quoted string, e.g. "{SUPPORTED_KUBERNETES_MINORS[-1]}.0"')
            return
        minor = f'{match.group(1)}.{match.group(2)}'
        if minor not in SUPPORTED_KUBERNETES_MINORS:
            self.refuse('caas_kubernetes_version', version, f'Kubernetes {minor} is not supported',
                        f'use a release of {supported}')
            return
        self.check_artifact_manifest(version)

    def check_artifact_manifest(self, version: str) -> None:
        """Every binary and image comes from the manifest: it must pin exactly this release."""
        path = self.settings.get('caas_artifacts_manifest') or None
        if path is not None and (not isinstance(path, str) or not path.startswith('/')):
            self.refuse('caas_artifacts_manifest', path, 'must be an absolute path on the controller',
                        'leave it empty for the collection\'s own manifest, or give the full path of yours')
            return
        try:
            manifest = artifact_manifest.load(path)
        except artifact_manifest.ManifestError as exc:
            self.refuse('caas_artifacts_manifest', path, str(exc),
                        'point it at a readable artifact manifest (docs/artifacts.md), or leave it empty')
            return
        try:
            artifact_manifest.release(manifest, version)
        except artifact_manifest.ManifestError as exc:
            # The message reads "caas_kubernetes_version V: <reason>; <fix>".
            reason, fix = (str(exc).split(': ', 1)[-1].split('; ', 1) + [''])[:2]
            self.refuse('caas_kubernetes_version', version, reason, fix)

    # -- networks ---------------------------------------------------------------------------

    def parse_network(self, name: str) -> None:
        value = self.settings[name]
        if value in (None, ''):
            return
        try:
            network = ipaddress.ip_network(str(value), strict=False)
        except ValueError:
            self.refuse(name, value, 'is not a network in CIDR notation', 'write it as ADDRESS/PREFIX, e.g. 10.244.0.0/16')
            return
        if network.version != 4:
            self.refuse(name, value, 'IPv6 and dual-stack clusters are not supported yet', 'use an IPv4 network')
            return
        if str(network) != str(value):
            self.refuse(name, value, 'has host bits set', f'write the network address: {network}')
            return
        self.networks[name] = network

    def check_networks(self) -> None:
        for name in ('caas_node_network', 'caas_pod_cidr', 'caas_service_cidr'):
            self.parse_network(name)
        names = list(self.networks)
        for i, first in enumerate(names):
            for second in names[i + 1:]:
                if self.networks[first].overlaps(self.networks[second]):
                    self.refuse(second, str(self.networks[second]), f'overlaps {first} {self.networks[first]}',
                                'choose ranges that do not overlap (docs/inventory.md shows a plan)')
        service = self.networks.get('caas_service_cidr')
        if service and not 12 <= service.prefixlen <= 24:
            self.refuse('caas_service_cidr', str(service), 'kube-apiserver accepts service ranges from /12 to /24 '
                        'here (larger ones are refused, smaller ones leave no room for Services)', 'use e.g. 10.96.0.0/12')
        mask = self.settings['caas_node_cidr_mask_size']
        pod = self.networks.get('caas_pod_cidr')
        if not isinstance(mask, int) or isinstance(mask, bool) or not 16 <= mask <= 28:
            self.refuse('caas_node_cidr_mask_size', mask, 'must be a whole number from 16 to 28',
                        'use 24 (256 pod addresses per node)')
        elif pod:
            if mask < pod.prefixlen:
                self.refuse('caas_node_cidr_mask_size', mask, f'is larger than caas_pod_cidr {pod} itself',
                            f'use a prefix longer than /{pod.prefixlen}, e.g. 24')
            else:
                capacity = 2 ** (mask - pod.prefixlen)
                nodes = len(set(self.inv.hosts('control_plane')) | set(self.inv.hosts('workers')))
                if capacity < nodes:
                    self.refuse('caas_pod_cidr', str(pod), f'holds {capacity} node ranges of /{mask} but the '
                                f'cluster has {nodes} nodes', 'use a larger pod network or a longer caas_node_cidr_mask_size')

    def check_api_endpoint(self) -> None:
        mode = self.settings['caas_api_lb_mode']
        vip = self.settings['caas_api_vip']
        port = self.settings['caas_api_port']
        problem = api_endpoint.port_problem(port)
        if problem:
            self.refuse('caas_api_port', port, *problem)
        if mode == 'haproxy_keepalived':
            rid = self.settings['caas_api_vrrp_router_id']
            problem = api_endpoint.router_id_problem(rid)
            if problem:
                self.refuse('caas_api_vrrp_router_id', rid, *problem)
        if vip in (None, ''):
            self.refuse('caas_api_vip', vip, 'is required: it is the address of the Kubernetes API',
                        'set an unused address of caas_node_network')
            return
        try:
            address = ipaddress.ip_address(str(vip))
        except ValueError:
            self.refuse('caas_api_vip', vip, 'is not an IP address', 'write an IPv4 address such as 10.0.0.10')
            return
        self.vip = address
        node_network = self.networks.get('caas_node_network')
        if mode != 'external' and node_network:
            problem = api_endpoint.vip_problem(address, node_network, mode)
            if problem:
                self.refuse('caas_api_vip', vip, *problem)

    # -- hosts ------------------------------------------------------------------------------

    def check_hosts(self) -> None:
        node_network = self.networks.get('caas_node_network')
        vip = self.vip
        by_ip: dict[str, list[str]] = {}
        by_name: dict[str, list[str]] = {}
        for host in self.inv.cluster_hosts():
            hv = self.inv.hostvars.get(host, {})
            source, raw = address_source(hv, host)
            try:
                ip = ipaddress.ip_address(str(raw))
            except ValueError:
                self.refuse(source, raw, 'the node address must be an IPv4 address (kubelet and etcd bind to it)',
                            'set caas_node_ip to the host\'s address on caas_node_network', host)
                ip = None
            if ip is not None:
                self.node_ips[host] = ip
                by_ip.setdefault(str(ip), []).append(host)
                if node_network and ip not in node_network:
                    self.refuse(source, str(ip), f'is outside caas_node_network {node_network}',
                                'fix the address, or set caas_node_ip to the host\'s address on the node network', host)
                if vip is not None and ip == vip:
                    self.refuse('caas_api_vip', str(vip), f'is the address of host {host}',
                                'choose an address that no host uses')
            # The raw setting, so that a number or a list is refused rather than turned into a name.
            name = hv.get('caas_node_name') or node_name(hv, host)
            if not (isinstance(name, str) and DNS_LABEL.match(name)):
                self.refuse('caas_node_name', name, 'is not a valid Kubernetes node name (a lower-case DNS label)',
                            'set caas_node_name to lower-case letters, digits and "-"', host)
            else:
                by_name.setdefault(name, []).append(host)
            node_os = self.inv.host_setting(host, 'caas_node_os')
            if node_os not in SUPPORTED_NODE_OS:
                self.refuse('caas_node_os', node_os, 'is not a supported node operating system',
                            'use ' + ', '.join(SUPPORTED_NODE_OS) + ' (docs/support.md)', host)
        for ip, hosts in by_ip.items():
            if len(hosts) > 1:
                self.refuse('ansible_host', ip, 'several hosts share this address: ' + ', '.join(hosts),
                            'give each host its own address (caas_node_ip or ansible_host)')
        for name, hosts in by_name.items():
            if len(hosts) > 1:
                self.refuse('caas_node_name', name, 'several hosts would register as this node: ' + ', '.join(hosts),
                            'give each host a distinct caas_node_name (short host names must differ)')

    def check_failure_domains(self) -> None:
        for host in self.inv.cluster_hosts():
            for name in ('caas_zone', 'caas_rack'):
                value = self.inv.hostvars.get(host, {}).get(name)
                if value in (None, ''):
                    self.refuse(name, value, 'every host needs its failure domain',
                                f'set {name} on the host (e.g. zone-a / a01)', host)
                elif not (isinstance(value, str) and DNS_LABEL.match(value)):
                    self.refuse(name, value, 'becomes a node label value and must be a DNS label',
                                'use lower-case letters, digits and "-"', host)
        policy = self.settings['caas_failure_domain_policy']
        if policy == 'none' or self.settings['caas_control_plane_ha'] is not True:
            return
        key = 'caas_zone' if policy == 'zone' else 'caas_rack'
        quorum_groups = ['control_plane'] + (['etcd'] if self.settings['caas_etcd_topology'] == 'external' else [])
        for group in quorum_groups + ['lb']:
            hosts = self.inv.hosts(group)
            domains = {self.inv.hostvars.get(h, {}).get(key) for h in hosts} - {None, ''}
            needed = min(len(hosts), 3 if group != 'lb' else 2)
            if hosts and len(domains) < needed:
                self.refuse(key, sorted(domains), f'the {len(hosts)} hosts of group {group} sit in '
                            f'{len(domains)} {policy}(s), so one {policy} failure can take the group down',
                            f'spread them over {needed} distinct {key} values, or set caas_failure_domain_policy')

    # -- artifact sources and proxies -------------------------------------------------------

    def check_url(self, name: str, value: t.Any, schemes: tuple[str, ...]) -> None:
        if value in (None, ''):
            return
        parsed = urllib.parse.urlsplit(str(value)) if isinstance(value, str) else None
        valid = parsed is not None and parsed.scheme in schemes and bool(parsed.hostname) and ' ' not in value
        if valid:
            try:
                valid = parsed.port != 0
            except ValueError:  # a port that is not a number or above 65535
                valid = False
        if not valid:
            self.refuse(name, value, 'is not a valid URL', f'write {"/".join(schemes)}://HOST[:PORT][/PATH]')

    def check_artifacts(self) -> None:
        self.check_url('caas_files_repo_url', self.settings['caas_files_repo_url'], ('http', 'https'))
        mirror = self.settings['caas_registry_mirror']
        if mirror:
            match = HOST_PORT.match(str(mirror))
            if '://' in str(mirror):
                self.refuse('caas_registry_mirror', mirror, 'is a registry host, not a URL',
                            'write HOST[:PORT] without the scheme, e.g. registry.dc1.example.com:5000')
            elif not match or (match.group('port') and not 0 < int(match.group('port')) < 65536):
                self.refuse('caas_registry_mirror', mirror, 'is not HOST[:PORT]', 'e.g. registry.dc1.example.com:5000')
        ca_file = self.settings['caas_artifacts_ca_file']
        if ca_file and not str(ca_file).startswith('/'):
            self.refuse('caas_artifacts_ca_file', ca_file, 'must be an absolute path on the controller',
                        'write the full path of the PEM file of the CA that signed the mirrors')

    def check_proxies(self) -> None:
        for name in ('caas_http_proxy', 'caas_https_proxy'):
            self.check_url(name, self.settings[name], ('http', 'https'))
        no_proxy = self.settings['caas_no_proxy']
        if not isinstance(no_proxy, list):
            self.refuse('caas_no_proxy', no_proxy, 'must be a list', 'write a YAML list of hosts, domains and CIDRs')
            return
        for entry in no_proxy:
            problem = no_proxy_entry_problem(entry)
            if problem:
                self.refuse('caas_no_proxy', entry, *problem)

    def check_time_and_kernel(self) -> None:
        servers = self.settings['caas_ntp_servers']
        names_ok = isinstance(servers, list) and all(
            isinstance(x, str) and HOST_PORT.match(x) and ':' not in x for x in servers)
        if not names_ok:
            self.refuse('caas_ntp_servers', servers, 'must be a list of NTP server names or addresses',
                        'write a YAML list such as [ntp1.dc1.example.com, 10.20.0.5]')
        for host in self.inv.cluster_hosts():
            self.require_bool('caas_shared_kernel', self.inv.host_setting(host, 'caas_shared_kernel'), host)
        bin_dir = self.settings['caas_bin_dir']
        if not (isinstance(bin_dir, str) and bin_dir.startswith('/') and posixpath.normpath(bin_dir) == bin_dir
                and bin_dir != '/'):
            self.refuse('caas_bin_dir', bin_dir, 'must be an absolute directory path, written without a trailing '
                        'slash, dots or doubled slashes', 'leave it unset for /usr/local/bin, or write one such as '
                        '/opt/caas/bin')

    # -- rules across layers ----------------------------------------------------------------

    def role_setting(self, name: str) -> t.Any:
        """A role variable as the site runs it: the inventory's value, else the role's plain default."""
        hosts = self.inv.cluster_hosts()
        value = self.inv.hostvars.get(hosts[0], {}).get(name) if hosts else None
        if value is None:
            spec = role_variables.role_of(name, self.specs)
            default = spec.defaults.get(name) if spec else None
            value = None if '{{' in repr(default) else default
        return value

    def check_cross_layer(self) -> None:
        """Values each valid alone that another layer cannot live with."""
        pod, service = self.networks.get('caas_pod_cidr'), self.networks.get('caas_service_cidr')
        cluster_networks = [(n, net) for n, net in (('caas_pod_cidr', pod), ('caas_service_cidr', service)) if net]
        if self.vip is not None:
            for network_name, network in cluster_networks:
                if self.vip in network:
                    self.refuse('caas_api_vip', str(self.vip), f'lies inside {network_name} {network}: the nodes '
                                'route those addresses into the cluster, not to the API', 'choose an address '
                                'of caas_node_network (or of the network of your external load balancer)')
        for name, host in (('caas_files_repo_url', _url_host(self.settings['caas_files_repo_url'])),
                           ('caas_registry_mirror', _mirror_host(self.settings['caas_registry_mirror'])),
                           ('caas_http_proxy', _url_host(self.settings['caas_http_proxy'])),
                           ('caas_https_proxy', _url_host(self.settings['caas_https_proxy']))):
            address = _address(host)
            for network_name, network in cluster_networks:
                if address is not None and address in network:
                    self.refuse(name, self.settings[name], f'its address {address} lies inside {network_name} '
                                f'{network}: the nodes would send its traffic into the cluster network',
                                f'give the address the service has on the data-center network, outside {network}')
        self.check_api_port_owners()
        self.check_calico_pools()
        self.check_oidc()
        self.check_storage()

    def check_storage(self) -> None:
        """The Ceph cluster the storage group asks for: the rook_ceph role's own rules, run before any layer."""
        hosts = self.inv.hosts('storage')
        if not hosts or self.refused_role_variables & {'rook_ceph_osd_devices', 'rook_ceph_mon_count',
                                                       'rook_ceph_replicas', 'rook_ceph_failure_domain'}:
            return
        nodes = set(self.inv.hosts('control_plane')) | set(self.inv.hosts('workers'))
        settings = {key: self.role_setting('rook_ceph_' + key) for key in (
            'mon_count', 'mgr_count', 'replicas', 'failure_domain', 'default_storage_class', 'allow_loop_devices')}
        settings['storage_classes'] = {key: self.role_setting(f'rook_ceph_{key}_storage_class')
                                       for key in ('block', 'filesystem', 'bucket')}
        if settings['default_storage_class'] is None:      # its default names the block class (a template)
            settings['default_storage_class'] = settings['storage_classes']['block']
        entries = [{'host': host, 'node_name': node_name(dict(self.inv.hostvars.get(host, {}), inventory_hostname=host)),
                    'zone': self.inv.host_setting(host, 'caas_zone'), 'is_node': host in nodes,
                    'devices': self.inv.hostvars.get(host, {}).get('rook_ceph_osd_devices', [])} for host in hosts]
        for sentence in rook_ceph_plan.plan_problems(settings, entries):
            self.problems.append(Problem('rook_ceph', hosts, sentence, '', None, sentence))

    def api_port_owners(self) -> dict[int, str]:
        owners = dict(FIXED_PORTS)
        for name, component in PORT_SETTINGS.items():
            port = self.role_setting(name)
            if isinstance(port, int) and not isinstance(port, bool):
                owners.setdefault(port, f'{component}, {name}')
        return owners

    def check_api_port_owners(self) -> None:
        port = self.settings['caas_api_port']
        if not isinstance(port, int) or isinstance(port, bool):
            return
        bind_port = self.role_setting('control_plane_bind_port')
        if self.settings['caas_api_lb_mode'] == 'kube_vip' and isinstance(bind_port, int) and port != bind_port:
            self.refuse('caas_api_port', port, 'with caas_api_lb_mode kube_vip the VIP lands on the API server itself, '
                        f'which listens on control_plane_bind_port {bind_port}',
                        f'set caas_api_port to {bind_port} (or control_plane_bind_port to {port})')
            return
        owner = self.api_port_owners().get(port)
        if owner:
            self.refuse('caas_api_port', port, f'is the port of {owner} on the platform\'s hosts',
                        'use another port, e.g. 6443')
        elif NODE_PORT_RANGE[0] <= port <= NODE_PORT_RANGE[1]:
            self.refuse('caas_api_port', port, 'lies in the NodePort range {0}-{1}, which kube-proxy opens on every '
                        'node for Services'.format(*NODE_PORT_RANGE), 'use a port below 30000, e.g. 6443')

    def check_calico_pools(self) -> None:
        if self.settings['caas_pod_network'] != 'calico':
            return
        pod = self.networks.get('caas_pod_cidr')
        calico_pod_cidr = self.role_setting('calico_pod_cidr')
        if pod and calico_pod_cidr is not None and str(calico_pod_cidr) != str(pod):
            self.refuse('calico_pod_cidr', calico_pod_cidr, f'differs from caas_pod_cidr {pod}, the pod network '
                        'kubeadm gives the cluster', 'remove calico_pod_cidr from the inventory')
        pools = self.role_setting('calico_ip_pools')
        if (pod is None or 'calico_ip_pools' in self.refused_role_variables or not isinstance(pools, list)
                or not all(isinstance(p, dict) for p in pools)):
            return  # the pools' types are role_variables' to refuse
        backend = self.role_setting('calico_network_backend') or 'vxlan'
        for message in calico_pools.pool_problems(pools, str(pod), backend):
            self.refuse('calico_ip_pools', pools, message.rstrip('.'), 'fix the pool (docs/network.md)')

    def check_oidc(self) -> None:
        issuer = self.role_setting('control_plane_oidc_issuer_url')
        if issuer in (None, ''):
            return
        parsed = urllib.parse.urlsplit(str(issuer))
        if parsed.scheme != 'https' or not parsed.hostname or parsed.query or parsed.fragment:
            self.refuse('control_plane_oidc_issuer_url', issuer, 'kube-apiserver accepts only an https:// issuer '
                        'URL without query or fragment (it fetches the signing keys from it)',
                        'write the issuer exactly as its tokens name it, e.g. https://sso.dc1.example.com/realms/k8s')
        ca_file = self.role_setting('control_plane_oidc_ca_file')
        if not ca_file:
            self.refuse('control_plane_oidc_ca_file', ca_file, 'an OIDC issuer needs the CA its certificate is '
                        'checked against (an air-gapped site\'s issuer is signed by the site CA)',
                        'set it to the PEM file of that CA, on the controller')
        elif not str(ca_file).startswith('/'):
            self.refuse('control_plane_oidc_ca_file', ca_file, 'must be an absolute path on the controller',
                        'write the full path of the PEM file')
        client_id = self.role_setting('control_plane_oidc_client_id')
        if not client_id:
            self.refuse('control_plane_oidc_client_id', client_id,
                        'an OIDC issuer needs the audience its tokens carry', 'set it, e.g. kubernetes')

    # -- results ----------------------------------------------------------------------------

    def effective_no_proxy(self) -> list[str]:
        return effective_no_proxy(self.settings)


NO_PROXY_NAME = re.compile(r'^(\*?\.)?[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$')


def no_proxy_entry_problem(entry: t.Any) -> tuple[str, str] | None:
    """(reason, fix) when a no_proxy entry is not a host, domain, address or CIDR in canonical form.

    Go (containerd, kubelet), curl and Python each parse NO_PROXY their own way; the canonical forms are
    the ones they all read alike.
    """
    example = 'list bare entries such as .dc1.example.com, registry.local, 10.20.0.5 or 10.0.0.0/8'
    if not isinstance(entry, str) or not entry or '://' in entry or entry.strip() != entry:
        return 'is not a host, domain, address or CIDR', example
    host, port = entry, ''
    if re.search(r':\d+$', entry) and entry.count(':') == 1:
        host, port = entry.rsplit(':', 1)
    if port and not 0 < int(port) < 65536:
        return 'has a port that is not a TCP port', 'write HOST:PORT with a port from 1 to 65535, or no port'
    if '/' in host:
        try:
            network = ipaddress.ip_network(host, strict=False)
        except ValueError:
            return 'is not a network in CIDR notation', example
        if str(network) != host:
            return 'has host bits set (tools disagree on what it covers)', f'write {network}'
        return None
    try:
        address = ipaddress.ip_address(host.strip('[]'))
    except ValueError:
        address = None
    if address is not None:
        return None if str(address) == host.strip('[]') else ('is not in canonical form', f'write {address}')
    if host == '*':
        return ('turns the proxy off for everything', 'leave caas_http_proxy and caas_https_proxy empty instead')
    if not NO_PROXY_NAME.match(host):
        if NO_PROXY_NAME.match(host.lower()):
            return 'is not in canonical form (lower case)', f'write {entry.lower()}'
        return 'is not a host, domain, address or CIDR', example
    return None


def _url_host(value: t.Any) -> str | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return urllib.parse.urlsplit(value).hostname
    except ValueError:
        return None


def _mirror_host(value: t.Any) -> str | None:
    match = HOST_PORT.match(str(value)) if value else None
    return match.group('host').strip('[]') if match else None


def _address(host: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host) if host else None
    except ValueError:
        return None


def effective_no_proxy(settings: dict[str, t.Any]) -> list[str]:
    """What the nodes must never send through a proxy: the cluster's own networks and names."""
    settings = {**DEFAULTS, **{k: v for k, v in settings.items() if k in KNOWN_SETTINGS}}
    entries = [str(entry) for entry in settings.get('caas_no_proxy') or []]
    extra = ['localhost', '127.0.0.1', '.svc', '.' + str(settings['caas_cluster_domain'])]
    for name in ('caas_node_network', 'caas_pod_cidr', 'caas_service_cidr'):
        try:
            extra.append(str(ipaddress.ip_network(str(settings.get(name)), strict=False)))
        except ValueError:
            pass  # validate() refuses it; nothing to exempt
    if settings.get('caas_api_vip'):
        extra.append(str(settings['caas_api_vip']))
    if settings.get('caas_registry_mirror'):
        extra.append(str(settings['caas_registry_mirror']).rsplit(':', 1)[0])
    if settings.get('caas_files_repo_url'):
        extra.append(urllib.parse.urlsplit(str(settings['caas_files_repo_url'])).hostname or '')
    for entry in extra:
        if entry and entry not in entries:
            entries.append(entry)
    return entries


def validate(groups: dict[str, list[str]], hostvars: dict[str, dict[str, t.Any]],
             specs: dict[str, t.Any] | None = None) -> tuple[list[Problem], dict[str, t.Any]]:
    """Check an inventory: the contract's caas_* settings, and with specs (role_variables.load_role_specs())
    every role variable it sets. Returns the problems and, when there are none, the derived cluster facts."""
    inventory = Inventory(groups, hostvars)
    cluster = {h: v for h, v in hostvars.items() if h in inventory.cluster_hosts()}
    role_problems = role_variables.check(cluster, groups, specs) if specs is not None else []
    checker = Checker(inventory, specs, {problem[0].split('[')[0].split('.')[0] for problem in role_problems})
    problems = checker.run()
    problems += [Problem(variable, value, reason, fix, host) for variable, value, reason, fix, host in role_problems]
    if problems:
        return problems, {}
    version = KUBERNETES_VERSION.match(checker.settings['caas_kubernetes_version'])
    facts = {
        'kubernetes_version': '{0}.{1}.{2}'.format(*version.groups()),
        'kubernetes_minor': '{0}.{1}'.format(*version.groups()[:2]),
        'api_endpoint': f'{checker.settings["caas_api_vip"]}:{checker.settings["caas_api_port"]}',
        'node_ips': {host: str(ip) for host, ip in checker.node_ips.items()},
        'no_proxy': checker.effective_no_proxy(),
    }
    return problems, facts
