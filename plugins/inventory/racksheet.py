# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: racksheet
short_description: Build the platform inventory from a data center's rack sheet (CSV)
version_added: 0.1.0
description:
  - Reads a CSV rack sheet, as exported from a CMDB or DCIM tool, with one row per host, and puts each host in
    the inventory contract's groups (C(lb), C(control_plane), C(etcd), C(workers), C(artifacts)) with its
    C(ansible_host), C(caas_zone), C(caas_rack) and, when given, C(caas_node_ip).
  - Adds the groups C(zone_<zone>) and C(rack_<rack>) (with C(-) written as C(_)), to act on one failure domain
    at a time, for example C(--limit zone_zone_a).
  - Cluster settings stay in C(group_vars/all) beside the source file, as with any inventory.
  - Refuses a sheet with a missing column, an unknown role, a duplicate host or an empty cell, naming the line.
  - The source file's name must end in C(.racksheet.yml) or C(.racksheet.yaml).
options:
  plugin:
    description: The name of this plugin.
    required: true
    type: str
    choices: [caas.platform.racksheet]
  sheet:
    description: The CSV file, relative to the source file. Its header must name the columns C(name),
      C(address), C(roles), C(zone), C(rack); C(node_ip) is optional. C(roles) holds one or more groups
      separated by spaces or C(;).
    required: true
    type: str
  delimiter:
    description: The CSV field delimiter.
    type: str
    default: ','
author:
  - caas.platform maintainers (@caas-platform)
"""

EXAMPLES = r"""
# inventories/dc1/dc1.racksheet.yml
plugin: caas.platform.racksheet
sheet: dc1-hosts.csv

# inventories/dc1/dc1-hosts.csv
# name,address,roles,zone,rack,node_ip
# dc1-lb-a1,10.20.0.11,lb,zone-a,a07,
# dc1-cp-a1,10.20.0.21,control_plane,zone-a,a07,
# dc1-wk-c3,mgmt-wk-c3.dc1.example.com,workers;artifacts,zone-c,c09,10.20.1.33
"""

import csv
import os
import re

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin

ROLES = ('lb', 'control_plane', 'etcd', 'workers', 'artifacts')
REQUIRED_COLUMNS = ('name', 'address', 'roles', 'zone', 'rack')


def domain_group(kind, value):
    return kind + '_' + re.sub(r'[^A-Za-z0-9_]', '_', value)


def read_sheet(path, delimiter=','):
    """Rows of the sheet as dicts, after checking the columns and every cell; errors name the line."""
    with open(path, newline='') as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        columns = [c.strip() for c in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise AnsibleParserError(f'{path}: the header lacks the column(s) {", ".join(missing)}; '
                                     f'it must name {", ".join(REQUIRED_COLUMNS)} (node_ip is optional)')
        rows, seen = [], {}
        for raw in reader:
            line = reader.line_num
            row = {(k or '').strip(): (v or '').strip() for k, v in raw.items()}
            if not any(row.values()):
                continue
            for column in REQUIRED_COLUMNS:
                if not row.get(column):
                    raise AnsibleParserError(f'{path} line {line}: the cell "{column}" is empty; fill it in')
            roles = [r for r in re.split(r'[;\s]+', row['roles']) if r]
            unknown = [r for r in roles if r not in ROLES]
            if unknown:
                raise AnsibleParserError(f'{path} line {line}: unknown role(s) {", ".join(unknown)} for host '
                                         f'{row["name"]}; use {", ".join(ROLES)}')
            if row['name'] in seen:
                raise AnsibleParserError(f'{path} line {line}: host {row["name"]} is already on line '
                                         f'{seen[row["name"]]}; each host has one row')
            seen[row['name']] = line
            row['roles'] = roles
            rows.append(row)
    return rows


class InventoryModule(BaseInventoryPlugin):
    """Hosts, groups and failure domains from a rack sheet."""

    NAME = 'caas.platform.racksheet'

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(('.racksheet.yml', '.racksheet.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        sheet = self.get_option('sheet')
        if not os.path.isabs(sheet):
            sheet = os.path.join(os.path.dirname(path), sheet)
        try:
            rows = read_sheet(sheet, self.get_option('delimiter'))
        except (IOError, OSError) as exc:
            raise AnsibleParserError(f'cannot read the rack sheet {sheet}: {to_native(exc)}') from exc
        for role in ROLES:
            self.inventory.add_group(role)
        for row in rows:
            host = row['name']
            self.inventory.add_host(host)
            for role in row['roles']:
                self.inventory.add_child(role, host)
            for kind in ('zone', 'rack'):
                group = self.inventory.add_group(domain_group(kind, row[kind]))
                self.inventory.add_child(group, host)
            self.inventory.set_variable(host, 'ansible_host', row['address'])
            self.inventory.set_variable(host, 'caas_zone', row['zone'])
            self.inventory.set_variable(host, 'caas_rack', row['rack'])
            if row.get('node_ip'):
                self.inventory.set_variable(host, 'caas_node_ip', row['node_ip'])
