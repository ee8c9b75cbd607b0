#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: files
short_description: Manage many files, directories and key/value settings in one round trip
version_added: 0.1.0
description:
  - Brings a list of paths to their wanted state in a single module run, where one M(ansible.builtin.copy),
    M(ansible.builtin.file) or M(ansible.builtin.lineinfile) task per path would start a module per path. On a
    re-run that changes nothing, this is what keeps the node layer fast.
  - Each item is a file with given O(items[].content) (or O(items[].secret_content)), a directory, an absent path, the C(settings) of a key/value
    file such as C(/etc/login.defs), or only the owner, group and mode of a path that may not exist.
  - Files are written atomically; a O(items[].validate) command checks new content before it replaces the old.
options:
  items:
    description: The paths and their wanted state.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: The path.
        type: path
        required: true
      state:
        description:
          - C(file) writes O(items[].content), or edits O(items[].settings) into the existing file.
          - C(directory) creates the directory. C(absent) removes a file or an empty directory.
          - C(attributes) only sets owner, group and mode, and skips a path that does not exist.
        type: str
        choices: [file, directory, absent, attributes]
        default: file
      content:
        description: The whole content of the file.
        type: str
      secret_content:
        description:
          - The whole content of a file that holds a secret (a key, a password). Never shown in the diff, the
            module's output or its invocation.
          - Give the file a restrictive O(items[].mode) such as C("0600").
        type: str
      settings:
        description: Keys to set in a key/value file, each on its own line as KEY, separator, VALUE.
        type: dict
      separator:
        description: What stands between key and value, with O(items[].settings).
        type: str
        default: ' '
      owner:
        description: The owner.
        type: str
      group:
        description: The group.
        type: str
      mode:
        description: The mode, as an octal string such as C("0644").
        type: str
      validate:
        description: A command run on the new content before it is used; C(%s) is replaced by its temporary path.
        type: str
      tag:
        description:
          - A name for what reads the path (C(sshd), C(containerd)), returned in RV(changed_tags) when the path
            changed. A handler asks for its tag instead of matching paths.
        type: str
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reports which paths would change, and changes nothing.
  diff_mode:
    support: full
    description: Shows the content of each changed file before and after, except O(items[].secret_content).
  platform:
    support: full
    platforms: posix
    description: Any POSIX host.
notes:
  - Render templates on the controller with the C(ansible.builtin.template) lookup and pass them as content.
seealso:
  - module: ansible.builtin.copy
  - module: ansible.builtin.file
"""

EXAMPLES = r"""
- name: Banners, a drop-in, a login.defs setting and modes, in one round trip
  caas.platform.files:
    items:
      - {path: /etc/issue.net, content: "Authorized access only.\n", mode: "0644", owner: root, group: root}
      - {path: /etc/systemd/journald.conf.d, state: directory, mode: "0755"}
      - {path: /etc/systemd/journald.conf.d/60-caas.conf, content: "[Journal]\nStorage=persistent\n", mode: "0644"}
      - {path: /etc/login.defs, settings: {PASS_MAX_DAYS: 365, UMASK: "027"}}
      - {path: /etc/shadow-, state: attributes, owner: root, group: shadow, mode: "0640"}
      - {path: /etc/cron.deny, state: absent}

- name: Configuration a service reads, tagged so that its handler acts only on its own files
  caas.platform.files:
    items:
      - {path: /etc/chrony/chrony.conf, content: "{{ lookup('ansible.builtin.template', 'chrony.conf.j2') }}", tag: chrony}
      - {path: /etc/modules-load.d/caas.conf, content: "br_netfilter\n"}
  register: node_files
  notify: Restart chrony  # whose when is "'chrony' in node_files.changed_tags"

- name: A file checked before it is used
  caas.platform.files:
    items:
      - path: /etc/nftables.d/host.nft
        content: "{{ lookup('ansible.builtin.template', 'host.nft.j2') }}"
        mode: "0600"
        validate: nft -c -f %s
"""

RETURN = r"""
changed_paths:
  description: The paths that changed (or would change in check mode).
  returned: always
  type: list
  elements: str
  sample: [/etc/issue.net, /etc/login.defs]
changed_tags:
  description: The O(items[].tag) of the items that changed (or would in check mode), each once, in the items' order.
  returned: always
  type: list
  elements: str
  sample: [chrony]
missing_paths:
  description: The paths of C(attributes) items that do not exist (and were skipped).
  returned: always
  type: list
  elements: str
  sample: [/etc/kubernetes/kubelet.conf]
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.files import read_file, set_keys, write_atomic


def attributes(module, item, changed, diff):
    args = dict(path=item['path'], owner=item.get('owner'), group=item.get('group'), mode=item.get('mode'))
    return module.set_fs_attributes_if_different(module.load_file_common_arguments(args), changed, diff)


def apply_item(module, item):
    """Bring one path to its state; returns (changed, diff), changed None for an attributes item's missing path."""
    path, state = item['path'], item['state']
    diff = {'before': {'path': path}, 'after': {'path': path}}
    if state == 'absent':
        if not os.path.lexists(path):
            return False, None
        if not module.check_mode:
            if os.path.isdir(path) and not os.path.islink(path):
                os.rmdir(path)
            else:
                os.unlink(path)
        return True, {'before': path + ' present\n', 'after': path + ' absent\n'}
    if state == 'attributes':
        if not os.path.lexists(path):
            return None, None
        return attributes(module, item, False, diff), None
    if state == 'directory':
        changed = False
        if not os.path.isdir(path):
            changed = True
            if not module.check_mode:
                os.makedirs(path)
            else:
                return True, None
        return attributes(module, item, changed, diff), None

    before = read_file(path)
    secret = item.get('secret_content') is not None
    if secret:
        content = item['secret_content']
    elif item.get('content') is not None:
        content = item['content']
    elif item.get('settings') is not None:
        if before is None and module.check_mode:
            # The package that creates it may be installed earlier in the same run: it would change.
            return True, None
        if before is None:
            module.fail_json(msg='%s does not exist: settings edit an existing file' % path)
        content = set_keys(before, dict((k, str(v)) for k, v in item['settings'].items()), item['separator'])
    else:
        module.fail_json(msg='%s: a file item needs content, secret_content or settings' % path)
    changed = before != content
    if changed and not module.check_mode:
        write_atomic(module, path, content, validate=item.get('validate'))
    file_diff = None
    if changed:
        shown = ('', '(secret content)\n') if secret else (before or '', content)
        file_diff = {'before': shown[0], 'after': shown[1], 'before_header': path, 'after_header': path}
    if module.check_mode and before is None:
        return True, file_diff
    return attributes(module, item, changed, diff), file_diff


def main():
    module = AnsibleModule(
        argument_spec=dict(items=dict(
            type='list', elements='dict', required=True,
            options=dict(
                path=dict(type='path', required=True),
                state=dict(type='str', choices=['file', 'directory', 'absent', 'attributes'], default='file'),
                content=dict(type='str'),
                secret_content=dict(type='str', no_log=True),
                settings=dict(type='dict'),
                separator=dict(type='str', default=' '),
                owner=dict(type='str'),
                group=dict(type='str'),
                mode=dict(type='str'),
                validate=dict(type='str'),
                tag=dict(type='str'),
            ),
            mutually_exclusive=[('content', 'secret_content', 'settings')],
        )),
        supports_check_mode=True,
    )
    changed_paths, changed_tags, missing_paths, diffs = [], [], [], []
    for item in module.params['items']:
        changed, diff = apply_item(module, item)
        if changed is None:
            missing_paths.append(item['path'])
        elif changed:
            changed_paths.append(item['path'])
            if item['tag'] and item['tag'] not in changed_tags:
                changed_tags.append(item['tag'])
            if diff:
                diffs.append(diff)
    result = dict(changed=bool(changed_paths), changed_paths=changed_paths, changed_tags=changed_tags,
                  missing_paths=missing_paths)
    if module._diff:
        result['diff'] = diffs
    module.exit_json(**result)


if __name__ == '__main__':
    main()
