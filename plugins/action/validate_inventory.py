# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of caas.platform.validate_inventory: runs on the controller, touches no host."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.caas.platform.plugins.plugin_utils import inventory_contract, role_variables


class ActionModule(ActionBase):
    """Check the whole inventory against the contract before any host is touched."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset()
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        groups = {name: list(hosts) for name, hosts in task_vars.get('groups', {}).items()}
        specs = role_variables.load_role_specs()
        misses = {}
        hostvars = {}
        for host in self._cluster_hosts(groups):
            host_vars = task_vars['hostvars'][host]
            hostvars[host] = {}
            for name in self._names_to_read(host_vars, specs, misses):
                try:
                    hostvars[host][name] = host_vars[name]
                except AnsibleError as exc:
                    raise AnsibleError(f'Inventory refused, nothing was changed: {name} on host {host} '
                                       f'cannot be templated: {exc}') from exc

        problems, facts = inventory_contract.validate(groups, hostvars, specs)
        result['changed'] = False
        result['problems'] = [
            {'variable': p.variable, 'value': p.value, 'host': p.host, 'reason': p.reason, 'fix': p.fix}
            for p in problems
        ]
        if problems:
            result['failed'] = True
            result['msg'] = (f'Inventory refused ({len(problems)} problem{"s" if len(problems) > 1 else ""}), '
                             'nothing was changed:\n' + '\n'.join(f'- {p}' for p in problems))
        else:
            result['cluster'] = facts
            result['msg'] = (f'Inventory accepted: {len(hostvars)} hosts, Kubernetes {facts["kubernetes_version"]}, '
                             f'API {facts["api_endpoint"]}')
        return result

    @staticmethod
    def _cluster_hosts(groups):
        seen = {}
        for group in inventory_contract.GROUPS:
            for host in groups.get(group, []):
                seen.setdefault(host)
        return list(seen)

    @staticmethod
    def _names_to_read(host_vars, specs, misses):
        """Contract settings, the roles' variables (and near misses of their names), and the connection
        address the node address defaults to."""
        names = []
        for name in host_vars:
            if name.startswith('caas_') or name == 'ansible_host' or role_variables.role_of(name, specs):
                names.append(name)
            elif not name.startswith(('ansible_', '_')):
                if name not in misses:
                    misses[name] = role_variables.near_miss(name, specs)
                if misses[name]:
                    names.append(name)
        return names
