# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract of awx/configuration.yml (applied by playbooks/awx_configure.yml): every playbook has its job
template, every survey field sets a variable a role's argument spec declares, with the same type, choices and
default, and every template's playbook passes --syntax-check. No AWX server runs here (docs/awx.md): this is
everything short of one."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.caas.platform.plugins.plugin_utils import role_variables

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO / 'playbooks'
# awx_configure.yml configures AWX itself; etcd_members.yml is a play the etcd playbooks import, not a job.
NOT_A_TEMPLATE = {'awx_configure.yml', 'etcd_members.yml'}
# AWX's survey types for the argument specs' types.
SURVEY_TYPE = {'int': 'integer', 'bool': 'multiplechoice', 'str': 'text', 'path': 'text'}


class Loader(yaml.SafeLoader):
    """YAML as Ansible reads it: !unsafe marks a string Ansible must not template (AWX's injectors)."""


Loader.add_constructor('!unsafe', lambda loader, node: loader.construct_scalar(node))


@pytest.fixture(scope='module')
def configuration():
    return yaml.load((REPO / 'awx' / 'configuration.yml').read_text(), Loader=Loader)  # noqa: S506 (SafeLoader)


@pytest.fixture(scope='module')
def specs():
    return role_variables.load_role_specs()


def playbook_text(name: str) -> str:
    """A playbook with the playbooks it imports."""
    text = (PLAYBOOKS / name).read_text()
    imported = re.findall(r'import_playbook:\s*(\S+\.yml)', text)
    return text + ''.join(playbook_text(Path(other).name) for other in imported)


def declaring_role(variable, specs):
    roles = [spec for spec in specs.values() if variable in spec.options]
    assert roles, f'{variable} is declared by no role\'s argument spec'
    return roles[0]


def test_every_playbook_has_one_template(configuration):
    templated = [template['playbook'] for template in configuration['awx_job_templates']]
    assert len(templated) == len(set(templated))
    playbooks = {path.name for path in PLAYBOOKS.glob('*.yml')} - NOT_A_TEMPLATE
    assert set(templated) == playbooks, (set(templated) ^ playbooks)
    assert len({template['name'] for template in configuration['awx_job_templates']}) == len(templated)


def test_every_survey_field_is_a_declared_variable_of_that_playbook(configuration, specs):
    fields = 0
    for template in configuration['awx_job_templates']:
        playbook = playbook_text(template['playbook'])
        for field in template.get('survey', []):
            fields += 1
            variable = field['variable']
            role = declaring_role(variable, specs)
            assert f'caas.platform.{role.name}' in playbook, f'{template["playbook"]} does not run {role.name}'
            option = role.options[variable]
            kind = option.get('type', 'str')
            wanted = 'password' if option.get('no_log') else \
                'multiplechoice' if option.get('choices') else SURVEY_TYPE[kind]
            assert field['type'] == wanted, (variable, field['type'], wanted)
            if kind == 'bool':
                assert field['choices'] == ['true', 'false'], variable
            elif option.get('choices'):
                assert field['choices'] == [str(choice) for choice in option['choices']], variable
            if 'default' in option and option['default'] not in (None, ''):
                assert str(field.get('default')).lower() == str(option['default']).lower(), variable
            else:
                assert field['required'] is True, f'{variable} has no default: the survey must require it'
            # The role's own validation takes every value the survey can give.
            for value in field.get('choices') or [field.get('default')]:
                if value is not None:
                    assert role.validate({variable: value}) == [], (variable, value)
            allowed = {'variable', 'question_name', 'type', 'choices', 'default', 'required', 'min', 'max'}
            assert field['question_name'] and set(field) <= allowed
    assert fields >= 9


def test_the_confirmation_of_what_destroys_is_in_its_survey(configuration):
    surveys = {t['playbook']: {f['variable'] for f in t.get('survey', [])} for t in configuration['awx_job_templates']}
    assert 'etcd_restore_confirm' in surveys['etcd_restore.yml']


def test_check_mode_is_offered_only_where_the_playbook_has_no_destructive_step(configuration):
    for template in configuration['awx_job_templates']:
        assert isinstance(template['check'], bool)
        if template['playbook'].startswith(('etcd_', 'storage_remove')):
            assert not template['check'], template['playbook']


def test_the_injected_secrets_are_declared_and_secret(configuration, specs):
    for kind in configuration['awx_credential_types']:
        secret = {field['id'] for field in kind['inputs']['fields'] if field.get('secret')}
        for variable, value in kind['injectors']['extra_vars'].items():
            assert declaring_role(variable, specs).options[variable].get('no_log'), variable
            assert value.strip('{} ') in secret, (variable, value)


def test_every_template_playbook_and_the_configuration_pass_syntax_check(configuration):
    playbooks = [f'playbooks/{t["playbook"]}' for t in configuration['awx_job_templates']] + \
        ['playbooks/awx_configure.yml']
    result = subprocess.run([str(Path(sys.executable).parent / 'ansible-playbook'), '--syntax-check',
                             '-i', 'inventories/example', *playbooks], cwd=REPO, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
