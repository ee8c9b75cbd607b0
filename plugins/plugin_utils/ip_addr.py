# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one reader of `ip -o -4 addr show` for the filters that need a host's addresses."""

from __future__ import annotations


def ipv4_entries(lines):
    """(interface, address/prefix) for each line of `ip -o -4 addr show`, in the order given.

    A line reads "2: eth0    inet 10.250.0.21/24 brd ... scope global eth0\\ valid_lft ..."; a VLAN interface's
    "NAME@PARENT" is given as NAME. Lines of another shape are skipped.
    """
    entries = []
    for line in lines or []:
        fields = str(line).split()
        if len(fields) >= 4 and fields[2] == 'inet':
            entries.append((fields[1].split('@')[0], fields[3]))
    return entries
