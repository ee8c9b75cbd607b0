# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wall times of a scripts/test run: recorded one JSON line at a time, then reported as a table and a JSON file.

    python tests/times.py record JSONL KIND NAME SECONDS RESULT
    python tests/times.py report JSONL OUT.json [OUT.json...]

Kinds: bootstrap, step, scenario (a molecule scenario), playbook and layer-verify (written by
tests/callback_plugins/layer_times.py: each playbook run of a scenario, named <scenario>/<playbook>[ --check], and each
layer of its verify, named <scenario>/<layer>), prebuild-wait (a step waiting for the background artifact build, named after the step),
prebuild-build (the background build itself, start to rc file), total (the whole run).

A scenario's playbook and layer-verify records are the ones named <scenario>/... written before it; the second
converge run of a scenario is molecule's idempotence action and is named so; a step's scenarios and
prebuild waits are the ones written before it and after the step before. scripts/test runs them one after another.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import socket
import sys
from pathlib import Path

KINDS = ('bootstrap', 'step', 'scenario', 'playbook', 'layer-verify', 'prebuild-wait', 'prebuild-build', 'total')
SEPARATOR_WIDTH = 8 + 2 + 7


def record(args):
    line = {'kind': args.kind, 'name': args.name, 'seconds': round(float(args.seconds), 2), 'result': args.result}
    path = Path(args.jsonl)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open('a', encoding='utf-8') as out:
        out.write(json.dumps(line, sort_keys=True) + '\n')


def read(path):
    records = []
    if not Path(path).exists():
        return records
    for number, line in enumerate(Path(path).read_text(encoding='utf-8').splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            item['seconds'] = float(item['seconds'])
            if item['kind'] not in KINDS:
                raise ValueError('unknown kind %r' % item['kind'])
            records.append({'kind': item['kind'], 'name': str(item['name']), 'seconds': item['seconds'],
                            'result': str(item['result'])})
        except (ValueError, KeyError, TypeError) as exc:
            sys.stderr.write('%s:%d: skipped, not a time record (%s): %s\n' % (path, number, exc, line))
    return records


def structure(records):
    """Nests layer verifies and playbook runs under their scenario, and scenarios and prebuild waits under their step.

    Returns the data and the table's rows, (indent, label, seconds, result), in the order things ran."""
    steps, layers, playbooks, children, loose = [], [], [], [], []
    data = {'steps': steps}
    for item in records:
        kind = item['kind']
        entry = {'name': item['name'], 'seconds': item['seconds'], 'result': item['result']}
        if kind == 'layer-verify':
            layers.append(entry)
        elif kind == 'playbook':
            playbooks.append(entry)
        elif kind == 'scenario':
            prefix = entry['name'] + '/'
            entry['layers'] = [layer for layer in layers if layer['name'].startswith(prefix)]
            layers = [layer for layer in layers if not layer['name'].startswith(prefix)]
            entry['playbooks'] = _idempotence_named([p for p in playbooks if p['name'].startswith(prefix)], prefix)
            playbooks = [p for p in playbooks if not p['name'].startswith(prefix)]
            children.append(('scenario', entry))
        elif kind == 'prebuild-wait':
            children.append(('wait', entry))
        elif kind == 'step':
            waits = [c for k, c in children if k == 'wait']
            if waits:
                entry['prebuild_wait_seconds'] = round(sum(w['seconds'] for w in waits), 2)
                entry['prebuild_wait_result'] = 'passed' if all(w['result'] == 'passed' for w in waits) else 'failed'
            scenarios = [c for k, c in children if k == 'scenario']
            if scenarios:
                entry['scenarios'] = scenarios
            entry['_children'] = children
            children = []
            steps.append(entry)
        elif kind == 'bootstrap':
            data['bootstrap'] = entry
        elif kind == 'prebuild-build':
            data['background_build'] = entry
        elif kind == 'total':
            data['total'] = entry
    loose.extend(c for k, c in children if k == 'scenario')
    loose.extend(playbooks)
    loose.extend(layers)
    if loose:
        data['not_in_a_step'] = loose
    if 'total' not in data:
        seconds = sum(s['seconds'] for s in steps) + data.get('bootstrap', {}).get('seconds', 0)
        failed = any(s['result'] != 'passed' for s in steps)
        data['total'] = {'name': 'scripts/test', 'seconds': round(seconds, 2), 'result': 'failed' if failed else 'passed'}

    rows = []
    if 'bootstrap' in data:
        rows.append((0, 'bootstrap (scripts/bootstrap)', data['bootstrap']['seconds'], data['bootstrap']['result']))
    for step in steps:
        rows.append((0, step['name'], step['seconds'], step['result']))
        for kind, child in step.pop('_children'):
            if kind == 'wait':
                rows.append((1, 'waiting for the background artifact build', child['seconds'], child['result']))
                continue
            rows.append((1, child['name'], child['seconds'], child['result']))
            rows.extend(_scenario_rows(child))
    rows.extend((0, item['name'], item['seconds'], item['result']) for item in loose)
    if 'background_build' in data:
        build = data['background_build']
        rows.append((0, 'background artifact build (%s)' % build['name'], build['seconds'], build['result']))
    return data, rows


def _idempotence_named(playbooks, prefix):
    """Molecule's idempotence action runs converge.yml again: the second converge of a scenario is that run."""
    converges = [p for p in playbooks if p['name'] == prefix + 'converge']
    if len(converges) > 1:
        converges[1]['name'] = prefix + 'converge (idempotence)'
    return playbooks


def _scenario_rows(scenario):
    """The playbook runs in order, each layer verify under the verify run (a record from before playbook runs were
    recorded has the layers alone)."""
    rows, layers = [], [(3, layer['name'], layer['seconds'], layer['result']) for layer in scenario['layers']]
    for playbook in scenario['playbooks']:
        rows.append((2, playbook['name'], playbook['seconds'], playbook['result']))
        if playbook['name'].endswith('/verify') and layers:
            rows.extend(layers)
            layers = []
    return rows + [(2,) + layer[1:] for layer in layers]


def table(data, rows):
    lines = [(('  ' * indent) + label, '%.1f' % seconds, result) for indent, label, seconds, result in rows]
    total = ('total', '%.1f' % data['total']['seconds'], data['total']['result'])
    head = ('step / scenario / playbook / layer verify', 'seconds', 'result')
    width = max(len(line[0]) for line in [head, total] + lines)
    fmt = '%-' + str(width) + 's  %8s  %s'
    rule = '-' * (width + SEPARATOR_WIDTH)
    return '\n'.join([fmt % head, rule] + [fmt % line for line in lines] + [rule, fmt % total]) + '\n'


def report(args):
    data, rows = structure(read(args.jsonl))
    data['run'] = {
        'date': datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        'host': socket.gethostname(),
        'cpus': os.cpu_count(),
    }
    text = json.dumps(data, indent=2, sort_keys=True) + '\n'
    for out in args.out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding='utf-8')
    sys.stdout.write('\n' + table(data, rows))
    sys.stdout.write('times: %s\n' % ', '.join(args.out))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    commands = parser.add_subparsers(dest='command', required=True)
    rec = commands.add_parser('record', help='append one time record to a JSON lines file')
    rec.add_argument('jsonl')
    rec.add_argument('kind', choices=KINDS)
    rec.add_argument('name')
    rec.add_argument('seconds', type=float)
    rec.add_argument('result')
    rec.set_defaults(func=record)
    rep = commands.add_parser('report', help='print the table and write the JSON file(s)')
    rep.add_argument('jsonl')
    rep.add_argument('out', nargs='+')
    rep.set_defaults(func=report)
    args = parser.parse_args(argv)
    args.func(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
