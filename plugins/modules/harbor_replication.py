#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: harbor_replication
short_description: Harbor replication policies, and running one until it is done
version_added: 0.1.0
description:
  - Makes a replication policy what the options say - push from this Harbor to a registry endpoint, or pull from one
    into this Harbor; which repositories and tags; into which namespace; when (by hand, on a schedule, or on each
    push and delete). Changed only when Harbor's policy differed.
  - With O(run), starts the policy once and, with O(wait), waits until the execution has finished and fails when a
    task of it failed; starting it is a change.
options:
  name:
    description: The policy's name.
    type: str
    required: true
  state:
    description: Whether the policy exists.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: A description.
    type: str
    default: ''
  direction:
    description: V(push) sends this Harbor's artifacts to O(registry); V(pull) brings O(registry)'s into this Harbor.
    type: str
    choices: [push, pull]
    default: push
  registry:
    description: The name of the registry endpoint (see the C(harbor_registry) module). Required with O(state=present).
    type: str
  repositories:
    description: Which repositories, a pattern with C(**), C(*), C(?) and C({a,b}) (for example C(team-a/**)).
    type: str
  tags:
    description: Which tags, a pattern (for example C(v*)); all tags when unset.
    type: str
  destination_namespace:
    description: The project (or namespace) at the destination; the source's when unset.
    type: str
  destination_namespace_replace_count:
    description: How many leading path components of the source repository the destination namespace replaces; -1 is
      Harbor's legacy mode (Harbor's C(dest_namespace_replace_count)).
    type: int
    default: -1
  trigger:
    description: V(manual) (O(run) or the API), V(scheduled) (O(cron)), V(event_based) (each push and delete; push only).
    type: str
    choices: [manual, scheduled, event_based]
    default: manual
  cron:
    description: With V(scheduled), Harbor's cron expression of six fields (seconds first).
    type: str
  override:
    description: Replace artifacts that exist at the destination.
    type: bool
    default: true
  replicate_deletion:
    description: Delete at the destination what is deleted at the source (push with V(event_based) only).
    type: bool
    default: false
  enabled:
    description: Whether the policy runs (a disabled policy keeps its settings).
    type: bool
    default: true
  run:
    description: Start the policy once in this run.
    type: bool
    default: false
  run_when_changed:
    description:
      - Start the policy once in this run only when this task made it or changed it, so that a second run with the
        same settings starts nothing (the policy's own trigger runs it from then on).
      - With O(run), the policy is started whatever.
    type: bool
    default: false
  wait:
    description: With O(run), wait until the execution has finished.
    type: bool
    default: true
  timeout:
    description: Seconds to wait with O(wait).
    type: int
    default: 600
extends_documentation_fragment:
  - caas.platform.harbor
author:
  - caas.platform maintainers (@caas-platform)
attributes:
  check_mode:
    support: full
    description: Reads the policy and says what would change; writes and starts nothing.
  diff_mode:
    support: full
    description: The policy before and after.
  platform:
    support: full
    platforms: posix
    description: Any host that reaches Harbor's URL; Harbor itself must reach the endpoint.
notes:
  - Needs the admin's login.
"""

EXAMPLES = r"""
- name: Push every release tag of team-a to the disaster-recovery Harbor on each push
  caas.platform.harbor_replication:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: team-a-to-dr
    direction: push
    registry: dr-harbor
    repositories: team-a/**
    tags: "v*"
    trigger: event_based

- name: Pull the mirror's images hourly, and once now when the policy is new or changed (waited for)
  caas.platform.harbor_replication:
    url: https://registry.example.com
    username: admin
    password: "{{ harbor_admin_password }}"
    name: publish-platform
    direction: pull
    registry: platform-source
    destination_namespace: platform
    trigger: scheduled
    cron: "0 0 * * * *"
    run_when_changed: true
    timeout: 900
"""

RETURN = r"""
policy:
  description: The policy as Harbor has it after the run (nothing when it is absent).
  returned: always
  type: dict
execution:
  description: The execution started with O(run) (its status and task counts).
  returned: when O(run) started one
  type: dict
  sample: {id: 12, status: Succeed, total: 3, succeed: 3, failed: 0}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.caas.platform.plugins.module_utils.harbor import (
    HarborClient, HarborError, argument_spec, exit_with, fail_with)
from ansible_collections.caas.platform.plugins.module_utils.harbor_replications import (
    REQUIRED_IF, apply_replication, replication_options, replication_problems)


def main():
    module = AnsibleModule(argument_spec=dict(argument_spec(), **replication_options()), supports_check_mode=True,
                           required_if=REQUIRED_IF)
    found = replication_problems(module.params)
    if found:
        module.fail_json(msg=found[0])
    client = HarborClient.from_module(module)
    try:
        changed, before, after, execution = apply_replication(client, module.params, module.check_mode)
    except HarborError as exc:
        fail_with(module, exc)
    extra = {} if execution is None else {'execution': execution}
    exit_with(module, changed, 'policy', before, after, **extra)


if __name__ == '__main__':
    main()
