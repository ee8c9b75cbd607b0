# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health report's judgement: from what host_health, cluster_health, artifact_check and ceph_health read, one
line per problem with what to do about it. playbooks/health.yml renders the result as HTML and Markdown.

Every rule of "healthy" lives here (the templates only lay out), so the report, its unit tests and any later
alerting read the same rules.
"""

from __future__ import annotations

from ansible_collections.caas.platform.plugins.module_utils.kubeadm import minor_of

# Kubernetes' version skew policy: a kubelet may be up to three minors older than the API server, never newer.
KUBELET_MAX_MINORS_BEHIND = 3
DEFAULT_SETTINGS = {
    'cert_renew_days': 120,          # caas_cert_renew_days: a certificate inside this window is due for renewal
    'etcd_snapshot_max_age_hours': 24,
    'cis_max_age_days': 30,
    'etcd_db_quota_warn_ratio': 0.8,
    'etcd_topology': 'stacked',
    'etcd_hosts': [],                # inventory hosts that run etcd (external members, or control-plane nodes)
    'kubernetes_hosts': {},          # inventory host -> Kubernetes node name
}


def minor(version):
    """The minor of 'v1.36.3' (36), or None when it is not a Kubernetes version."""
    try:
        return minor_of(version)
    except ValueError:
        return None


def problem(area, subject, what, fix):
    return {'area': area, 'subject': subject, 'problem': what, 'fix': fix}


def cluster_problems(cluster, settings):
    if not cluster or cluster.get('failed') or cluster.get('unreachable') or 'readyz' not in cluster:
        why = (cluster or {}).get('error') or (cluster or {}).get('msg') or 'nothing was read'
        prefix = 'the cluster could not be read'
        return [problem('control plane', 'API', why if why.startswith(prefix) else '%s: %s' % (prefix, why),
                        'check the API VIP and the API servers (crictl ps on a control-plane node; journalctl -u '
                        'kubelet)')]
    found = []
    if not cluster['readyz']['ok']:
        found.append(problem('control plane', 'API server', 'readyz checks failing: %s'
                             % ', '.join(cluster['readyz']['failed']),
                             'kubectl get --raw "/readyz?verbose" and the API server logs (crictl logs)'))
    nodes = {node['name']: node for node in cluster['nodes']}
    for host, name in sorted(settings['kubernetes_hosts'].items()):
        if name not in nodes:
            found.append(problem('nodes', name, 'inventory host %s is not a node of the cluster' % host,
                                 'run playbooks/site.yml for it, or remove it from the inventory'))
    server_minor = minor(cluster['server_version'])
    for node in cluster['nodes']:
        if not node['ready']:
            found.append(problem('nodes', node['name'], 'not Ready',
                                 'kubectl describe node %s; journalctl -u kubelet on it' % node['name']))
        for pressure in node['pressure']:
            found.append(problem('nodes', node['name'], pressure,
                                 'free memory, disk or PIDs on it (kubectl describe node %s)' % node['name']))
        if node['unschedulable']:
            found.append(problem('nodes', node['name'], 'cordoned (unschedulable)',
                                 'kubectl uncordon %s once its maintenance is done' % node['name']))
        kubelet_minor = minor(node['kubelet_version'])
        if server_minor is not None and kubelet_minor is not None and not (
                server_minor - KUBELET_MAX_MINORS_BEHIND <= kubelet_minor <= server_minor):
            found.append(problem('nodes', node['name'], 'kubelet %s is outside the skew policy of API server %s'
                                 % (node['kubelet_version'], cluster['server_version']),
                                 'upgrade the node (playbooks/upgrade.yml) to the API server\'s minor'))
    components = {(c['node'], c['component']): c for c in cluster['components']}
    wanted = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler']
    if settings['etcd_topology'] == 'stacked':
        wanted.append('etcd')
    for node in (n for n in cluster['nodes'] if n['control_plane']):
        for component in wanted:
            pod = components.get((node['name'], component))
            if pod is None:
                found.append(problem('control plane', '%s on %s' % (component, node['name']), 'no static pod',
                                     'check /etc/kubernetes/manifests/%s.yaml and the kubelet on %s'
                                     % (component, node['name'])))
            elif not pod['ready']:
                found.append(problem('control plane', '%s on %s' % (component, node['name']), 'not Ready',
                                     'crictl logs of it on %s' % node['name']))
    for workload in cluster['workloads']:
        if workload['ready'] < workload['desired']:
            found.append(problem('workloads', '%s %s' % (workload['kind'], workload['name']),
                                 '%d of %d pods ready' % (workload['ready'], workload['desired']),
                                 'kubectl -n kube-system describe %s %s' % (workload['kind'].lower(), workload['name'])))
    for csr in cluster['pending_csrs']:
        found.append(problem('certificates', 'CSR %s' % csr['name'], 'pending (from %s for %s)'
                             % (csr['username'], csr['signer']),
                             'check who asked, then kubectl certificate approve (or deny) %s' % csr['name']))
    return found


def host_problems(host, result, settings):
    if result.get('unreachable'):
        return [problem('hosts', host, 'unreachable: %s' % result.get('msg', '').rstrip(': '),
                        'check the host and ssh to it')]
    if result.get('failed'):
        return [problem('hosts', host, 'could not be read: %s' % result.get('msg', '').rstrip(': '),
                        'run with -vvv for the cause')]
    found = []
    for cert in result.get('certificates') or []:
        subject = '%s %s' % (host, cert['path'])
        if cert.get('error'):
            found.append(problem('certificates', subject, 'unreadable: %s' % cert['error'], 'check the file'))
        elif cert['days_left'] < 0:
            found.append(problem('certificates', subject, '%s expired on %s' % (cert['subject'], cert['not_after']),
                                 'run playbooks/renew_certs.yml now (docs/certificates.md)'))
        elif cert['days_left'] < settings['cert_renew_days']:
            found.append(problem('certificates', subject, '%s expires in %d days (%s)'
                                 % (cert['subject'], cert['days_left'], cert['not_after']),
                                 'run playbooks/renew_certs.yml (it renews what ends within caas_cert_renew_days, '
                                 '%d)' % settings['cert_renew_days']))
    etcd = result.get('etcd')
    if etcd is not None:
        if etcd.get('error'):
            found.append(problem('etcd', host, 'metrics unreadable: %s' % etcd['error'],
                                 'systemctl status etcd (external) or crictl ps --name etcd (stacked) on %s' % host))
        else:
            if not etcd['has_leader']:
                found.append(problem('etcd', host, 'the member sees no leader', 'check quorum: etcdctl endpoint status '
                                     '--cluster on a member'))
            quota = etcd['quota_bytes']
            if quota and etcd['db_size_bytes'] > settings['etcd_db_quota_warn_ratio'] * quota:
                found.append(problem('etcd', host, 'database %d MiB of its %d MiB quota'
                                     % (etcd['db_size_bytes'] >> 20, quota >> 20),
                                     'compact and defragment (etcdctl defrag), or raise the quota'))
    cis = result.get('cis')
    if cis is not None:
        if not cis.get('present'):
            found.append(problem('CIS', host, 'never scanned', 'run playbooks/cis_scan.yml'))
        elif cis.get('error'):
            found.append(problem('CIS', host, 'report unreadable: %s' % cis['error'], 'run playbooks/cis_scan.yml'))
        elif cis['age_seconds'] > settings['cis_max_age_days'] * 86400:
            found.append(problem('CIS', host, 'last scan %d days ago' % (cis['age_seconds'] // 86400),
                                 'run playbooks/cis_scan.yml'))
        if cis.get('fail'):
            found.append(problem('CIS', host, '%d checks FAIL in the last scan' % cis['fail'],
                                 'read the host\'s report (cis_scan.yml) and docs/kubernetes.md'))
    return found


def etcd_cluster_problems(hosts, settings):
    """One leader among the members read (a split or a lost quorum shows as none or two), and a recent snapshot on
    some member (any one restores the whole cluster: etcd_restore.yml)."""
    found = []
    members = [hosts[h]['etcd'] for h in settings['etcd_hosts']
               if h in hosts and isinstance(hosts[h].get('etcd'), dict) and 'is_leader' in hosts[h]['etcd']]
    leaders = sum(1 for member in members if member['is_leader'])
    if members and leaders != 1:
        found.append(problem('etcd', 'cluster', '%d leaders among %d members read' % (leaders, len(members)),
                             'etcdctl endpoint status --cluster on a member'))
    snapshots = [(hosts[h]['etcd_snapshot'], h) for h in settings['etcd_hosts']
                 if h in hosts and isinstance(hosts[h].get('etcd_snapshot'), dict)]
    taken = [(s['age_seconds'], s['newest'], h) for s, h in snapshots if s['newest']]
    if snapshots and not taken:
        found.append(problem('etcd', 'snapshots', 'no snapshot on any member (%s)' % snapshots[0][0]['dir'],
                             'run playbooks/etcd_backup.yml' + (
                                 '; each member\'s etcd-snapshot.timer takes one every 6 h'
                                 if settings.get('etcd_topology') == 'external' else ' (stacked etcd: schedule it)')))
    elif taken and min(taken)[0] > settings['etcd_snapshot_max_age_hours'] * 3600:
        age, name, host = min(taken)
        found.append(problem('etcd', 'snapshots', 'the newest snapshot (%s on %s) is %d h old' % (name, host, age // 3600),
                             'systemctl status etcd-snapshot.timer on the members; playbooks/etcd_backup.yml'))
    return found


def artifact_problems(artifacts):
    if artifacts is None:
        return []
    if artifacts.get('failed') or 'counts' not in artifacts:
        return [problem('artifacts', 'files repository and mirror', 'could not be checked: %s'
                        % artifacts.get('msg', ''), 'run playbooks/artifacts_check.yml')]
    bad = [r for r in artifacts.get('results') or [] if r.get('status') != 'ok']
    return [problem('artifacts', '%s %s %s' % (r['kind'], r['name'], r['version']), r['status'],
                    'publish the bundle again (playbooks/artifacts_publish.yml)') for r in bad]


def ceph_problems(ceph):
    if ceph is None:
        return []
    if ceph.get('failed') and 'health' not in ceph:
        return [problem('storage', 'Ceph', 'could not be read: %s' % ceph.get('msg', ''),
                        'kubectl -n rook-ceph get pods; the Rook operator\'s log')]
    if ceph['health'] == 'HEALTH_OK':
        return []
    checks = ceph.get('checks') or {}
    return [problem('storage', 'Ceph %s' % name, check.get('message', ''), 'ceph health detail (docs/storage.md)')
            for name, check in sorted(checks.items())] or [problem('storage', 'Ceph', ceph['health'],
                                                                   'ceph health detail (docs/storage.md)')]


def report(cluster, hosts, artifacts=None, ceph=None, settings=None):
    """{'problems': [...], 'healthy': bool, 'counts': {...}} of everything read."""
    merged = dict(DEFAULT_SETTINGS, **(settings or {}))
    found = cluster_problems(cluster, merged)
    for host in sorted(hosts):
        found.extend(host_problems(host, hosts[host], merged))
    found.extend(etcd_cluster_problems(hosts, merged))
    found.extend(artifact_problems(artifacts))
    found.extend(ceph_problems(ceph))
    certificates = [c for result in hosts.values() for c in result.get('certificates') or [] if 'days_left' in c]
    soonest = min(certificates, key=lambda c: c['days_left']) if certificates else None
    return {
        'problems': found,
        'healthy': not found,
        'counts': {'hosts': len(hosts), 'nodes': len((cluster or {}).get('nodes') or []),
                   'certificates': len(certificates), 'problems': len(found)},
        'soonest_certificate': soonest,
    }
