# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleLookupError

from ansible_collections.caas.platform.plugins.lookup.node_path import LookupModule


def test_each_name_gives_its_path_in_the_order_asked():
    assert LookupModule().run(['kubelet_serving_cert', 'kubelet_kubeconfig']) == [
        '/var/lib/kubelet/pki/kubelet-server-current.pem', '/etc/kubernetes/kubelet.conf']


def test_an_unknown_name_is_refused_with_the_known_ones():
    with pytest.raises(AnsibleLookupError, match="knows no 'kubelet.conf': the names are kubelet_config, "
                                                 'kubelet_kubeconfig, kubelet_serving_cert'):
        LookupModule().run(['kubelet.conf'])
