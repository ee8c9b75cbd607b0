# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """How the etcd modules reach a cluster through etcdctl."""

    DOCUMENTATION = r'''
options:
  cacert:
    description: PEM file of the CA of the etcd servers' certificates.
    type: path
  cert:
    description: PEM file of the client certificate, when the cluster checks client certificates.
    type: path
  key:
    description: PEM file of the client certificate's key. Its path is never logged.
    type: path
  etcdctl_path:
    description: The etcdctl binary, a name looked up in the PATH or a path.
    type: str
    default: etcdctl
'''
