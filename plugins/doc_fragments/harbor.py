# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """How the Harbor modules reach Harbor's API (module_utils/harbor.py argument_spec builds their specs)."""

    DOCUMENTATION = r'''
options:
  url:
    description:
      - Harbor's external URL, for example V(https://registry.example.com) (its C(EXT_ENDPOINT)); the API is below
        C(/api/v2.0).
    type: str
    required: true
  username:
    description:
      - "The account the requests are made as, with O(password): the admin or a robot account (C(robot$<name>))."
      - Without both, the requests are anonymous and read only what Harbor shows anonymously.
    type: str
  password:
    description: The account's password or the robot's secret. Never logged, never returned.
    type: str
  ca_path:
    description: PEM file of the CA that signed Harbor's certificate (the site CA); the system's CAs otherwise.
    type: path
  validate_certs:
    description: Check Harbor's certificate. Leave it on; C(false) is for a first look at a test Harbor.
    type: bool
    default: true
  timeout:
    description: Seconds one request may take.
    type: int
    default: 30
attributes:
  platform:
    support: full
    platforms: posix
    description: Any host that reaches Harbor's URL.
'''
