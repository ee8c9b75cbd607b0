# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of caas.platform.site_ca: reads the CA on the controller, installs it with caas.platform.files."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.caas.platform.plugins.plugin_utils.site_ca import DIRECTORY, PATH


class ActionModule(ActionBase):
    """One site CA, in one place on every host."""

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('src',))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        src = self._task.args.get('src') or ''
        if not src:
            result.update(changed=False, path='', ready=True)
            return result
        src = os.path.expanduser(str(src))
        if not os.path.isfile(src):
            raise AnsibleActionFail('src (caas_artifacts_ca_file) = %r: is no file on the controller. Fix: the path of '
                                    'the PEM CA that signed the files repository and the mirror, or empty' % src)
        with open(src, encoding='utf-8') as handle:
            pem = handle.read()
        if '-----BEGIN CERTIFICATE-----' not in pem:
            raise AnsibleActionFail('src (caas_artifacts_ca_file) = %r: holds no PEM certificate. Fix: the CA '
                                    'certificate in PEM form' % src)
        files = self._execute_module(
            module_name='caas.platform.files', task_vars=task_vars,
            module_args={'items': [
                {'path': DIRECTORY, 'state': 'directory', 'owner': 'root', 'group': 'root', 'mode': '0755'},
                {'path': PATH, 'content': pem, 'owner': 'root', 'group': 'root', 'mode': '0644'}]})
        if files.get('failed'):
            result.update(failed=True, msg=files.get('msg', 'caas.platform.files failed'))
            return result
        changed_paths = files.get('changed_paths', [])
        result.update(changed=files.get('changed', False), path=PATH,
                      ready=not (self._task.check_mode and PATH in changed_paths))
        if 'diff' in files:
            result['diff'] = files['diff']
        return result
