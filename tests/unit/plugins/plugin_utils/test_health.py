# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The health report's rules (plugin_utils/health.py, the health_report filter): a healthy read gives no problem,
and each kind of trouble gives one line naming its subject and a fix."""

from __future__ import annotations

import copy

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.caas.platform.plugins.filter.health_report import health_report

CLUSTER = {
    'server_version': 'v1.36.3',
    'readyz': {'ok': True, 'failed': []},
    'nodes': [{'name': 'cp1', 'ready': True, 'kubelet_version': 'v1.36.3', 'control_plane': True,
               'unschedulable': False, 'pressure': []},
              {'name': 'worker1', 'ready': True, 'kubelet_version': 'v1.35.2', 'control_plane': False,
               'unschedulable': False, 'pressure': []}],
    'components': [{'node': 'cp1', 'component': name, 'ready': True, 'restarts': 0}
                   for name in ('etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler')],
    'workloads': [{'kind': 'DaemonSet', 'name': 'calico-node', 'desired': 2, 'ready': 2}],
    'pending_csrs': [],
}
CERT = {'path': '/etc/kubernetes/pki/apiserver.crt', 'subject': 'kube-apiserver',
        'not_after': '2027-12-01T00:00:00+00:00', 'days_left': 361}
HOSTS = {
    'cp1': {'certificates': [CERT], 'etcd': {'has_leader': True, 'is_leader': True, 'db_size_bytes': 20 << 20,
                                             'quota_bytes': 2 << 30},
            'etcd_snapshot': None, 'cis': {'present': True, 'age_seconds': 3600, 'pass': 90, 'fail': 0, 'warn': 30}},
    'worker1': {'certificates': [], 'etcd': None, 'etcd_snapshot': None,
                'cis': {'present': True, 'age_seconds': 3600, 'pass': 20, 'fail': 0, 'warn': 5}},
}
SETTINGS = {'etcd_hosts': ['cp1'], 'kubernetes_hosts': {'cp1': 'cp1', 'worker1': 'worker1'}}


def judge(cluster=None, hosts=None, **kwargs):
    return health_report(cluster or CLUSTER, hosts or HOSTS, settings=kwargs.pop('settings', SETTINGS), **kwargs)


def lines(result):
    return [(p['area'], p['subject'], p['problem']) for p in result['problems']]


def test_a_healthy_cluster_has_no_problem():
    result = judge(artifacts={'counts': {'ok': 30, 'total': 30}, 'results': []}, ceph={'health': 'HEALTH_OK'})
    assert result['problems'] == [] and result['healthy'] is True
    assert result['counts'] == {'hosts': 2, 'nodes': 2, 'certificates': 1, 'problems': 0}
    assert result['soonest_certificate'] == CERT


def test_node_trouble():
    cluster = copy.deepcopy(CLUSTER)
    cluster['nodes'][1].update(ready=False, pressure=['DiskPressure'], unschedulable=True, kubelet_version='v1.32.0')
    result = judge(cluster, settings=dict(SETTINGS, kubernetes_hosts={'cp1': 'cp1', 'worker1': 'worker1',
                                                                      'worker2': 'worker2'}))
    assert lines(result) == [
        ('nodes', 'worker2', 'inventory host worker2 is not a node of the cluster'),
        ('nodes', 'worker1', 'not Ready'),
        ('nodes', 'worker1', 'DiskPressure'),
        ('nodes', 'worker1', 'cordoned (unschedulable)'),
        ('nodes', 'worker1', 'kubelet v1.32.0 is outside the skew policy of API server v1.36.3'),
    ]
    assert 'kubectl uncordon worker1' in result['problems'][3]['fix']


def test_control_plane_and_workload_trouble():
    cluster = copy.deepcopy(CLUSTER)
    cluster['readyz'] = {'ok': False, 'failed': ['etcd']}
    cluster['components'] = [c for c in cluster['components'] if c['component'] != 'kube-scheduler']
    cluster['components'][0]['ready'] = False
    cluster['workloads'][0]['ready'] = 1
    cluster['pending_csrs'] = [{'name': 'csr-x', 'username': 'system:node:worker1',
                                'signer': 'kubernetes.io/kubelet-serving'}]
    assert lines(judge(cluster)) == [
        ('control plane', 'API server', 'readyz checks failing: etcd'),
        ('control plane', 'kube-scheduler on cp1', 'no static pod'),
        ('control plane', 'etcd on cp1', 'not Ready'),
        ('workloads', 'DaemonSet calico-node', '1 of 2 pods ready'),
        ('certificates', 'CSR csr-x', 'pending (from system:node:worker1 for kubernetes.io/kubelet-serving)'),
    ]


def test_external_etcd_has_no_static_pod_to_want():
    cluster = copy.deepcopy(CLUSTER)
    cluster['components'] = [c for c in cluster['components'] if c['component'] != 'etcd']
    assert judge(cluster, settings=dict(SETTINGS, etcd_topology='external'))['problems'] == []


def test_an_unreadable_cluster_is_one_problem():
    result = health_report({'error': 'cp1 was not reached'}, HOSTS, settings=SETTINGS)
    assert lines(result)[0] == ('control plane', 'API', 'the cluster could not be read: cp1 was not reached')
    # A failed cluster_health result, as registered with ignore_errors.
    result = health_report({'failed': True, 'msg': 'the cluster could not be read: kubectl ... refused'}, HOSTS,
                           settings=SETTINGS)
    assert lines(result)[0][2] == 'the cluster could not be read: kubectl ... refused'


def test_host_trouble():
    hosts = copy.deepcopy(HOSTS)
    hosts['cp1']['certificates'] = [dict(CERT, days_left=30), dict(CERT, path='/x.crt', days_left=-2),
                                    {'path': '/bad.crt', 'error': 'bad DER length'}]
    hosts['cp1']['etcd'] = {'has_leader': False, 'is_leader': False, 'db_size_bytes': 1900 << 20, 'quota_bytes': 2 << 30}
    hosts['cp1']['etcd_snapshot'] = {'dir': '/var/backups/etcd', 'count': 1, 'newest': 'a.db', 'age_seconds': 90000}
    hosts['worker1']['cis'] = {'present': False}
    hosts['cp1']['cis'].update(fail=2, age_seconds=40 * 86400)
    hosts['lb1'] = {'unreachable': True, 'msg': 'ssh: connect to host lb1 port 22: No route to host'}
    found = lines(judge(hosts=hosts))
    assert found == [
        ('certificates', 'cp1 /etc/kubernetes/pki/apiserver.crt', 'kube-apiserver expires in 30 days '
                                                                  '(2027-12-01T00:00:00+00:00)'),
        ('certificates', 'cp1 /x.crt', 'kube-apiserver expired on 2027-12-01T00:00:00+00:00'),
        ('certificates', 'cp1 /bad.crt', 'unreadable: bad DER length'),
        ('etcd', 'cp1', 'the member sees no leader'),
        ('etcd', 'cp1', 'database 1900 MiB of its 2048 MiB quota'),
        ('CIS', 'cp1', 'last scan 40 days ago'),
        ('CIS', 'cp1', '2 checks FAIL in the last scan'),
        ('hosts', 'lb1', 'unreachable: ssh: connect to host lb1 port 22: No route to host'),
        ('CIS', 'worker1', 'never scanned'),
        ('etcd', 'cluster', '0 leaders among 1 members read'),
        ('etcd', 'snapshots', 'the newest snapshot (a.db on cp1) is 25 h old'),
    ]


def test_one_recent_snapshot_on_any_member_is_enough():
    hosts = copy.deepcopy(HOSTS)
    hosts['etcd1'] = {'etcd_snapshot': {'dir': '/var/backups/etcd', 'count': 0, 'newest': None, 'age_seconds': None}}
    hosts['etcd2'] = {'etcd_snapshot': {'dir': '/var/backups/etcd', 'count': 0, 'newest': None, 'age_seconds': None}}
    settings = dict(SETTINGS, etcd_hosts=['etcd1', 'etcd2'], etcd_topology='external')
    assert lines(judge(hosts=hosts, settings=settings)) == [
        ('etcd', 'snapshots', 'no snapshot on any member (/var/backups/etcd)')]
    hosts['etcd2']['etcd_snapshot'].update(count=1, newest='etcd-backup-1.db', age_seconds=60)
    assert judge(hosts=hosts, settings=settings)['healthy'] is True


def test_the_renewal_window_is_a_setting():
    hosts = copy.deepcopy(HOSTS)
    hosts['cp1']['certificates'] = [dict(CERT, days_left=200)]
    assert judge(hosts=hosts)['healthy'] is True
    assert lines(judge(hosts=hosts, settings=dict(SETTINGS, cert_renew_days=365)))[0][2].startswith(
        'kube-apiserver expires in 200 days')


def test_artifacts_and_ceph():
    artifacts = {'counts': {'ok': 1, 'missing': 1, 'total': 2},
                 'results': [{'kind': 'file', 'name': 'kubeadm', 'version': '1.36.3', 'status': 'ok'},
                             {'kind': 'image', 'name': 'pause', 'version': '3.10', 'status': 'missing'}]}
    ceph = {'health': 'HEALTH_WARN', 'checks': {'MON_DOWN': {'severity': 'HEALTH_WARN', 'message': '1/3 mons down'}}}
    assert lines(judge(artifacts=artifacts, ceph=ceph)) == [
        ('artifacts', 'image pause 3.10', 'missing'),
        ('storage', 'Ceph MON_DOWN', '1/3 mons down')]


def test_unknown_settings_are_refused():
    with pytest.raises(AnsibleFilterError, match='unknown settings cert_days; known: cert_renew_days'):
        health_report(CLUSTER, HOSTS, settings={'cert_days': 1})
