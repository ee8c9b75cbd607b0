# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the site CA lives on every host: the site_ca action installs it there, the site_ca_path filter names it."""

from __future__ import annotations

DIRECTORY = '/etc/caas/pki'
PATH = DIRECTORY + '/artifacts-ca.crt'


def site_ca_path(ca_file):
    """The CA's path on a host when the site has one (caas_artifacts_ca_file set), else ''."""
    return PATH if ca_file else ''
