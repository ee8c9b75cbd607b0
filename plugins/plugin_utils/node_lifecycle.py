# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules of the node lifecycle playbooks (docs/lifecycle.md): which inventory hosts scale.yml adds, and what
keeps remove_node.yml and reset.yml from starting. The inputs are the inventory's groups, each host's node name
(the node_name filter's) and the cluster's nodes as the cluster_health module reads them."""

from __future__ import annotations

NODE_GROUPS = ('control_plane', 'workers')


def nodes_to_add(registered, groups, node_names):
    """{'control_plane': [...], 'workers': [...]}: the hosts of each group whose node name the cluster does not
    have yet, in inventory order."""
    known = set(registered)
    return {group: [host for host in groups.get(group) or [] if node_names[host] not in known]
            for group in NODE_GROUPS}


def _ready_others(nodes, name, control_plane):
    return [node['name'] for node in nodes
            if node['name'] != name and bool(node.get('control_plane')) == control_plane and node.get('ready')]


def removal_problems(host, groups, node_name, nodes, ha, topology):
    """One message per reason the host cannot be removed now; empty when remove_node.yml may start.

    nodes: the cluster's nodes ({name, ready, control_plane}); ha: caas_control_plane_ha; topology:
    caas_etcd_topology. The inventory is edited first (the host out of control_plane and workers), so the groups
    already say what the cluster should be; what the cluster must still hold is read from its nodes."""
    if not host:
        return ['remove_node is not set: name the inventory host to remove, e.g. -e remove_node=worker4.']
    if host not in (groups.get('all') or []):
        return [f'remove_node={host} is not a host of the inventory: keep it in the inventory, outside the groups '
                f'control_plane and workers, while it is removed (the playbook resets it).']
    problems = [f'remove_node={host} is still in the group {group}: take it out of {group} in the inventory first '
                f'(the inventory says what the cluster should be), then run this again.'
                for group in NODE_GROUPS if host in (groups.get(group) or [])]
    if host in (groups.get('storage') or []):
        problems.append(f'remove_node={host} is in the group storage: move its Ceph data away first (take it out of '
                        f'storage, run playbooks/storage_remove_host.yml), then run this again.')
    node = next((n for n in nodes if n['name'] == node_name), None)
    if problems or node is None:
        return problems
    if node.get('control_plane'):
        registered = [n for n in nodes if n.get('control_plane')]
        left = _ready_others(nodes, node_name, True)
        if topology == 'stacked':
            # The members left must still make a quorum of the smaller cluster.
            need = (len(registered) - 1) // 2 + 1
            why = f'the {len(registered) - 1} stacked etcd members left need {need} healthy for a quorum'
        else:
            need = 2 if ha else 1
            why = 'caas_control_plane_ha needs 2' if ha else 'the cluster needs one'
        if len(left) < need:
            problems.append(
                f'remove_node={host}: removing the control-plane node {node_name} would leave '
                f'{len(left)} Ready control-plane node(s) ({", ".join(left) or "none"}) and {why}. Bring the others '
                f'back to Ready (or add one with playbooks/scale.yml) first.')
    elif not _ready_others(nodes, node_name, False):
        problems.append(
            f'remove_node={host}: {node_name} is the last Ready worker; its workloads would have nowhere to go. Add '
            f'a worker (playbooks/scale.yml) or bring one back to Ready first.')
    return problems


def reset_problems(targets, groups, node_names, nodes, cluster_name, confirm, delete_data):
    """One message per reason reset.yml must not start on the targets.

    nodes: the cluster's nodes, or None when no control-plane node answered; confirm: reset_confirm."""
    if not targets:
        return ['reset_hosts is empty: name the inventory hosts to reset, e.g. -e reset_hosts=worker4.']
    unknown = [host for host in targets if host not in (groups.get('all') or [])]
    if unknown:
        return [f'reset_hosts names {", ".join(unknown)}, not in the inventory: name inventory hosts.']
    other = [f'{host} ({group})' for host in targets for group in ('etcd', 'lb', 'artifacts')
             if host in (groups.get(group) or [])]
    if other:
        return [f'reset_hosts names {", ".join(other)}: reset.yml resets Kubernetes nodes only (the external etcd '
                f'members are replaced with playbooks/etcd_replace_member.yml).']
    if confirm == cluster_name:
        return []
    fix = f'add -e reset_confirm={cluster_name} (the cluster\'s name, caas_cluster_name) if that is what you mean'
    problems = []
    members = groups.get('control_plane') or []
    if members and set(members) <= set(targets):
        problems.append(f'reset_hosts names every host of the group control_plane ({", ".join(members)}): that resets '
                        f'the whole control plane; {fix}.')
    if nodes is None:
        problems.append(f'No control-plane node answered, so whether {", ".join(targets)} still run workloads is '
                        f'unknown; {fix}.')
    else:
        registered = {n['name'] for n in nodes}
        still = [host for host in targets if node_names.get(host) in registered]
        if still:
            problems.append(f'{", ".join(still)} {"is" if len(still) == 1 else "are"} still registered as node(s) of the '
                            f'running cluster: remove each with playbooks/remove_node.yml first (it drains the node and '
                            f'deletes it), or {fix}.')
    if delete_data:
        problems.append(f'reset_delete_data is true: data is deleted only with {fix}; without it data directories '
                        f'are moved aside.')
    return list(dict.fromkeys(problems))


def replacement_problems(host, groups, node_name, nodes, topology):
    """One message per reason replace_control_plane.yml cannot replace the lost control-plane host now.

    The new host takes the lost one's place in the inventory (same name, its own address), so the host is in the
    control_plane group; its node must be NotReady (a Ready node is not lost), and the others must carry on."""
    if not host:
        return ['replace_node is not set: name the lost control-plane host, e.g. -e replace_node=cp3.']
    if host not in (groups.get('control_plane') or []):
        return [f'replace_node={host} is not in the group control_plane: the new host takes the lost one\'s place '
                f'there (the same name, its own address), then run this again.']
    node = next((n for n in nodes if n['name'] == node_name), None)
    problems = []
    if node is not None and node.get('ready'):
        problems.append(f'replace_node={host}: the node {node_name} is Ready, so it is not lost. To move it to another '
                        f'host remove it (playbooks/remove_node.yml) and add the new one (playbooks/scale.yml).')
    others = _ready_others(nodes, node_name, True)
    if not others:
        problems.append(f'replace_node={host}: no other control-plane node is Ready to join the new host through; '
                        f'restore the control plane first (playbooks/restore_control_plane.yml, docs/lifecycle.md).')
    elif topology == 'stacked':
        # The lost member leaves etcd first: the members left must still make a quorum of the smaller cluster.
        left = len([n for n in nodes if n.get('control_plane') and n['name'] != node_name])
        need = left // 2 + 1
        if len(others) < need:
            problems.append(f'replace_node={host}: {len(others)} Ready control-plane node(s) ({", ".join(others)}) are '
                            f'fewer than the {need} the {left} stacked etcd members left need for a quorum; the '
                            f'quorum is lost: restore the control plane from a snapshot '
                            f'(playbooks/restore_control_plane.yml, docs/lifecycle.md).')
    return problems


def restore_problems(host, groups, topology, cluster_name, confirm, snapshot_is_file, etcd):
    """One message per reason restore_control_plane.yml must not start.

    etcd: the etcd_member module's listing of the stacked cluster through the host, or None when it did not answer
    (no quorum: a linearizable read fails). The restore is for a quorum lost for good; while the quorum holds, lost
    hosts are replaced one at a time."""
    if topology != 'stacked':
        return ['restore_control_plane.yml restores stacked etcd (caas_etcd_topology is external): restore the '
                'external cluster with playbooks/etcd_restore.yml; the API servers are its clients.']
    if not host or host not in (groups.get('control_plane') or []):
        return [f'restore_host={host or "(empty)"} is not a host of the group control_plane: name the surviving '
                f'control-plane host that keeps its etcd data directory and static pods, e.g. -e restore_host=cp1.']
    problems = []
    if not snapshot_is_file:
        problems.append('restore_snapshot is not a file on the controller: name a snapshot that playbooks/etcd_backup.yml '
                        'copied there (etcd_backup_fetch_dir), e.g. -e restore_snapshot=/srv/backups/etcd/x.db.')
    if etcd is not None:
        voters = [m for m in etcd.get('members') or [] if not m.get('is_learner')]
        healthy = [e['name'] for e in etcd.get('endpoints') or [] if e.get('healthy') and not e.get('is_learner')]
        if len(healthy) >= len(voters) // 2 + 1:
            problems.append(f'The stacked etcd cluster holds its quorum ({len(healthy)} of {len(voters)} members '
                            f'healthy: {", ".join(healthy)}): nothing is lost, so nothing is restored. Replace a lost '
                            f'control-plane host with playbooks/replace_control_plane.yml.')
    if confirm != cluster_name:
        problems.append(f'restore_confirm is {confirm!r}: the restore replaces the cluster\'s state with the '
                        f'snapshot\'s (what was written after it is lost) and every other control-plane host joins '
                        f'again as a new one. Confirm with the cluster\'s name: -e restore_confirm={cluster_name}.')
    return problems
