# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options the kubeadm modules share (module_utils/commands.py argument_spec builds their specs)."""

    DOCUMENTATION = r'''
options:
  kubeadm_path:
    description: The kubeadm binary.
    type: path
    default: /usr/local/bin/kubeadm
'''

    # Modules that read the node's own kubeadm files.
    NODE = r'''
options:
  kubernetes_dir:
    description: Where kubeadm keeps the node's kubeconfig files, manifests and PKI.
    type: path
    default: /etc/kubernetes
'''

    # Modules that ask the cluster with kubectl.
    KUBECTL = r'''
options:
  kubectl_path:
    description: The kubectl binary.
    type: path
    default: /usr/local/bin/kubectl
'''

    # Modules that run kubeadm against the cluster from a control-plane node.
    CLUSTER = r'''
options:
  kubeconfig:
    description: The kubeconfig kubeadm talks to the cluster with.
    type: path
    default: /etc/kubernetes/admin.conf
'''

    # Modules whose requests may meet an API server that is restarting (an upgrade, behind the API VIP).
    API_WAIT = r'''
options:
  api_wait:
    description: Seconds to keep repeating a request that an API server refuses the way it does while it restarts
      (the API VIP may hand a request to one; during an upgrade each restarts). Its answer is reported after that.
    type: int
    default: 60
'''
