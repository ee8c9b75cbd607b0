# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a host keeps of Kubernetes after its node is gone, and where its data goes (the node_reset module)."""

from __future__ import annotations

import json
import os


def nft_tables(list_json):
    """[(family, name)] of C(nft -j list tables)."""
    data = json.loads(list_json or '{}')
    return [(item['table']['family'], item['table']['name'])
            for item in data.get('nftables', []) if 'table' in item]


def tables_to_delete(tables, keep):
    """The tables Kubernetes and Calico left: every table but those kept ('family name' strings): kube-proxy's and
    Calico's own, and the iptables-nft tables (ip filter, nat, mangle, raw) only they fill on a node."""
    kept = {tuple(entry.split(None, 1)) for entry in keep}
    return [table for table in tables if table not in kept]


def present(paths, exists=os.path.lexists, listdir=os.listdir):
    """The paths that exist and are not empty directories (an empty directory left by a package is not state)."""
    out = []
    for path in paths:
        if not exists(path):
            continue
        if os.path.isdir(path) and not os.path.islink(path) and not listdir(path):
            continue
        out.append(path)
    return out


def aside_path(aside_dir, stamp, path):
    """Where a data path is moved: <aside_dir>/<stamp>/<path without its leading slash>."""
    return os.path.join(aside_dir, stamp, path.lstrip('/'))
