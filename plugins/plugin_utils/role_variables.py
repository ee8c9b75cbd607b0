# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' own variables, checked for the whole site before any host is touched.

Each role declares its variables in ``meta/argument_specs.yml`` and is named by its prefix (``calico_``
for the calico role). This module reads those specs and the plays of ``playbooks/site.yml``, and checks
every role-prefixed variable an inventory sets: a name no role declares (with the nearest declared name),
a type, choice or nested option its role refuses, a YAML typing that Ansible would silently coerce
(``yes`` for a string, ``"false"`` for a boolean, ``1.30`` for a version), and a required variable
missing on a host its role runs on. It is the same spec the role validates when it starts; here it runs
first, so a bad value stops the run before the first layer changes anything.
"""

from __future__ import annotations

import copy
import difflib
import os
import typing as t

import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

# The collection's root: plugins/plugin_utils/ is two levels below it, installed or checked out.
COLLECTION_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
# A name of the operator's this close to one of ours is taken for a misspelling of ours.
NEAR_MISS_CUTOFF = 0.88


class RoleSpec:
    """One role: its prefix, its options (all entry points merged), and the hosts it runs on."""

    def __init__(self, name: str, options: dict[str, dict[str, t.Any]], defaults: dict[str, t.Any]):
        self.name = name
        self.prefix = name + '_'
        self.options = options
        self.defaults = defaults
        # A required option the role's defaults fill (from caas_* settings) is the role's business; one
        # they leave empty must come from the inventory.
        self.required_from_inventory = sorted(
            opt for opt, spec in options.items()
            if spec.get('required') and spec.get('default', defaults.get(opt)) in (None, '', [], {}))
        self._validator = ArgumentSpecValidator(_without_top_level_required(options))
        self.groups: set[str] = set()

    def validate(self, params: dict[str, t.Any]) -> list[str]:
        """The spec's own messages for these values (types, choices, nested options)."""
        result = self._validator.validate(copy.deepcopy(params))
        return list(result.error_messages)


def _without_top_level_required(options: dict[str, dict[str, t.Any]]) -> dict[str, dict[str, t.Any]]:
    spec = {}
    for name, option in options.items():
        option = {k: v for k, v in option.items() if k not in ('description', 'version_added')}
        option.pop('required', None)
        spec[name] = option
    return spec


def load_role_specs(root: str = COLLECTION_ROOT) -> dict[str, RoleSpec]:
    """Every role of the collection, keyed by name, with the groups site.yml runs it on."""
    roles_dir = os.path.join(root, 'roles')
    specs: dict[str, RoleSpec] = {}
    for name in sorted(os.listdir(roles_dir)):
        path = os.path.join(roles_dir, name, 'meta', 'argument_specs.yml')
        if not os.path.isfile(path):
            continue
        with open(path, encoding='utf-8') as handle:
            entry_points = (yaml.safe_load(handle) or {}).get('argument_specs') or {}
        options: dict[str, dict[str, t.Any]] = {}
        # The main entry point first: its definition of a shared option is the one that counts.
        for entry in sorted(entry_points, key=lambda e: e != 'main'):
            for option, spec in (entry_points[entry].get('options') or {}).items():
                if entry != 'main':
                    spec = {k: v for k, v in spec.items() if k != 'required'}
                options.setdefault(option, spec)
        specs[name] = RoleSpec(name, options, _defaults(os.path.join(roles_dir, name)))
    for role, groups in site_roles(root).items():
        if role in specs:
            specs[role].groups.update(groups)
    return specs


def _defaults(role_dir: str) -> dict[str, t.Any]:
    path = os.path.join(role_dir, 'defaults', 'main.yml')
    if not os.path.isfile(path):
        return {}
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle) or {}


def site_roles(root: str = COLLECTION_ROOT) -> dict[str, set[str]]:
    """Which inventory groups each role runs on, read from the plays site.yml imports.

    Only roles that run unconditionally count here: a layer guarded by a setting (``when:``) may not run
    at all, and its role checks its required variables itself.
    """
    playbooks = os.path.join(root, 'playbooks')
    runs: dict[str, set[str]] = {}
    for play in _plays(os.path.join(playbooks, 'site.yml'), playbooks):
        groups = {g for g in str(play.get('hosts', '')).split(':') if g and g.isidentifier()}
        for role in play.get('roles') or []:
            entry = role if isinstance(role, dict) else {'role': role}
            if 'when' not in entry:
                runs.setdefault(str(entry.get('role') or entry.get('name')).rsplit('.', 1)[-1], set()).update(groups)
        for task in play.get('tasks') or []:
            include = task.get('ansible.builtin.include_role') or task.get('ansible.builtin.import_role')
            if include and 'when' not in task:
                runs.setdefault(str(include['name']).rsplit('.', 1)[-1], set()).update(groups)
    return runs


def _plays(path: str, playbooks: str) -> t.Iterator[dict[str, t.Any]]:
    with open(path, encoding='utf-8') as handle:
        for play in yaml.safe_load(handle) or []:
            imported = play.get('ansible.builtin.import_playbook')
            if imported:
                yield from _plays(os.path.join(playbooks, imported), playbooks)
            else:
                yield play


def role_of(name: str, specs: dict[str, RoleSpec]) -> RoleSpec | None:
    """The role whose prefix the variable carries (the longest prefix wins)."""
    owner = None
    for spec in specs.values():
        if name.startswith(spec.prefix) and (owner is None or len(spec.prefix) > len(owner.prefix)):
            owner = spec
    return owner


def all_options(specs: dict[str, RoleSpec]) -> list[str]:
    return sorted(option for spec in specs.values() for option in spec.options)


def near_miss(name: str, specs: dict[str, RoleSpec]) -> str | None:
    """One of our variable names that this name of the operator's is most likely a misspelling of."""
    close = difflib.get_close_matches(name, all_options(specs), n=1, cutoff=NEAR_MISS_CUTOFF)
    return close[0] if close else None


def typing_problems(name: str, value: t.Any, spec: dict[str, t.Any]) -> list[tuple[str, t.Any, str, str]]:
    """YAML typings Ansible would coerce without a word, each as (variable, value, reason, fix).

    The role's spec accepts "yes" for a boolean and 1.30 for a string, but the role then works with the
    raw value: "false" is true in a condition, and 1.30 has already become 1.3.
    """
    kind = spec.get('type', 'str')
    if value is None:
        return []
    if kind == 'bool' and not isinstance(value, bool):
        return [(name, value, 'must be a boolean, not a string or a number (a quoted "false" counts as true)',
                 'write true or false, unquoted')]
    if kind == 'str' and isinstance(value, (bool, float)):
        read_as = 'boolean' if isinstance(value, bool) else 'number'
        return [(name, value, f'is a string but YAML read a {read_as} ({value!r}), which changes '
                 'the text (yes becomes True, 1.30 becomes 1.3)', 'quote the value')]
    if kind == 'list':
        if not isinstance(value, list):
            return [(name, value, 'must be a YAML list (a string is split at commas without a word)',
                     'write it as a list, one item per line or [a, b]')]
        problems = []
        elements = spec.get('elements')
        for index, item in enumerate(value):
            item_spec = {'type': elements or 'raw', 'options': spec.get('options')}
            problems.extend(typing_problems(f'{name}[{index}]', item, item_spec))
        return problems
    if kind == 'dict':
        if not isinstance(value, dict):
            return [(name, value, 'must be a YAML mapping', 'write it as key: value lines')]
        problems = []
        for key, option in (spec.get('options') or {}).items():
            if key in value:
                problems.extend(typing_problems(f'{name}.{key}', value[key], option))
        return problems
    return []


def check(hostvars: dict[str, dict[str, t.Any]], groups: dict[str, list[str]],
          specs: dict[str, RoleSpec]) -> list[tuple[str, t.Any, str, str, str | None]]:
    """Every problem with the roles' variables, as (variable, value, reason, fix, host).

    A problem several hosts share (the same value from group_vars) is reported once, naming the hosts, or
    none when it is every host.
    """
    found: dict[tuple[str, str, str], dict[str, t.Any]] = {}

    def add(variable, value, reason, fix, host):
        entry = found.setdefault((variable, repr(value), reason), {'value': value, 'fix': fix, 'hosts': []})
        entry['hosts'].append(host)

    validated: dict[tuple[str, str], list[str]] = {}
    misses: dict[str, str | None] = {}
    for host, variables in hostvars.items():
        for name, value in sorted(variables.items()):
            spec = role_of(name, specs)
            if spec is None:
                if name not in misses:
                    misses[name] = None if name.startswith(('caas_', 'ansible_', '_')) else near_miss(name, specs)
                close = misses[name]
                if close:
                    add(name, value, 'is not a variable of any caas.platform role and would be ignored',
                        f'did you mean {close}? rename it', host)
                continue
            option = spec.options.get(name)
            if option is None:
                close = difflib.get_close_matches(name, sorted(spec.options), n=1) or \
                    difflib.get_close_matches(name, all_options(specs), n=1)
                hint = f'did you mean {close[0]}? ' if close else ''
                add(name, value, f'is not a variable of the {spec.name} role and would be ignored',
                    f'{hint}see ansible-doc -t role caas.platform.{spec.name}', host)
                continue
            typing = typing_problems(name, value, option)
            for problem in typing:
                add(*problem, host)
            if typing:
                continue
            key = (name, repr(value))
            if key not in validated:
                validated[key] = spec.validate({name: value})
            for message in validated[key]:
                add(name, value, message, f'see ansible-doc -t role caas.platform.{spec.name}', host)
        for spec in specs.values():
            if not any(host in (groups.get(g) or []) for g in spec.groups):
                continue
            for name in spec.required_from_inventory:
                if variables.get(name) in (None, ''):
                    add(name, variables.get(name), f'is required on the hosts the {spec.name} role runs on '
                        f'(groups {", ".join(sorted(spec.groups))})',
                        f'set it for those hosts (ansible-doc -t role caas.platform.{spec.name})', host)
    every_host = set(hostvars)
    problems = []
    for (variable, _value, reason), entry in found.items():
        hosts = entry['hosts']
        if len(hosts) > 1 and set(hosts) == every_host:
            where = None
        else:
            where = ', '.join(hosts[:3]) + (f' and {len(hosts) - 3} more' if len(hosts) > 3 else '')
        problems.append((variable, entry['value'], reason, entry['fix'], where))
    return problems
