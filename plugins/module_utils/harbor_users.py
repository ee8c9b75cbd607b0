# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Harbor's own users and their passwords, as caas.platform.harbor_user and caas.platform.harbor_configuration (the
admin's rotation) settle them."""

from __future__ import annotations

from ansible_collections.caas.platform.plugins.module_utils.harbor import HarborError, HarborRefused


def user_summary(user):
    """A user as the modules return it: never a password."""
    if not user:
        return {}
    return dict(user_id=user.get('user_id'), username=user.get('username'), email=user.get('email') or '',
                realname=user.get('realname') or '', sysadmin=bool(user.get('sysadmin_flag')))


def find_user(client, name):
    found = next((u for u in client.get_all('/users', query={'q': 'username=%s' % name}) if u.get('username') == name),
                 None)
    if found is None:
        # Harbor's list leaves out its first user, the admin (user id 1): asked by its id instead.
        try:
            first = client.get('/users/1')
        except HarborError as exc:
            if exc.status not in (403, 404):
                raise
            first = None
        if first and first.get('username') == name:
            found = first
    return found


def password_works(client, name, password):
    """Whether name logs in to client's Harbor with password."""
    try:
        client.as_user(name, password).get('/users/current')
        return True
    except HarborError as exc:
        if exc.status == 401:
            return False
        raise


def change_password(client, user, password, old_password, own, check_mode):
    """Sets the user's password (not in check mode); own is whether the user is client's login, whose change Harbor
    takes with its old_password only (HarborRefused without one)."""
    if own and not old_password:
        raise HarborRefused('the password of %s, the account this module logs in as, differs: give old_password to '
                            'change it (Harbor asks for it)' % user['username'])
    if not check_mode:
        body = {'new_password': password}
        if own:
            body['old_password'] = old_password
        client.request('PUT', '/users/%s/password' % user['user_id'], body=body)
