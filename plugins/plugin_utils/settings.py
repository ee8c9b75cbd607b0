# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the ``*_problems`` filters read from a role's settings the same way."""

from __future__ import annotations


def whole_number(value):
    """The setting as a whole number (``"600"`` and ``600`` alike), or None when it is not one."""
    try:
        return int(str(value).strip())
    except ValueError:
        return None
