# -*- coding: utf-8 -*-
# Copyright: caas.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running the cluster's command-line tools (kubeadm, kubectl) from a module: their options, their errors, their
private input files, and the secrets that must never leave the node in a message.

What the tools do, and this code relies on:
  - kubeadm's errors end with ``To see the stack trace of this error execute with --v=5 or higher`` on stderr,
    after the error line (``error execution phase <phase>: ...``, or a bare message) and its ``[ERROR <Check>]``
    lines; kubectl's errors are ``error: ...`` lines.
  - Both write klog lines (``I1121 10:45:07.123456 ...``) and warnings that say nothing about the failure.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile

# Where the node layer installs the binaries (the default of kubernetes_node_bin_dir).
BIN_DIR = '/usr/local/bin'
STACK_TRACE_HINT = 'To see the stack trace of this error'

# What kubeadm prints that unlocks the cluster: a bootstrap token (also inside a join command) and the
# certificate key that decrypts the uploaded control-plane keys. Never returned, never in a message.
SECRET_PATTERNS = (
    (re.compile(r'\b[a-z0-9]{6}\.[a-z0-9]{16}\b'), '<bootstrap token>'),
    (re.compile(r'\b[0-9a-f]{64}\b'), '<certificate key>'),
)


def argument_spec(*parts):
    """The options the modules share, as the caas.platform.kubeadm doc fragment documents them: kubeadm_path
    ('kubeadm'), kubernetes_dir ('node'), kubectl_path ('kubectl'), kubeconfig ('cluster'), api_wait ('api_wait')."""
    spec = {}
    if 'kubeadm' in parts:
        spec['kubeadm_path'] = dict(type='path', default=os.path.join(BIN_DIR, 'kubeadm'))
    if 'node' in parts:
        spec['kubernetes_dir'] = dict(type='path', default='/etc/kubernetes')
    if 'kubectl' in parts:
        spec['kubectl_path'] = dict(type='path', default=os.path.join(BIN_DIR, 'kubectl'))
    if 'cluster' in parts:
        spec['kubeconfig'] = dict(type='path', default='/etc/kubernetes/admin.conf')
    if 'api_wait' in parts:
        spec['api_wait'] = dict(type='int', default=60)
    return spec


class CommandError(Exception):
    """kubeadm or kubectl failed; the message is theirs (redacted)."""


def redact(text):
    """The text with its bootstrap tokens and certificate keys replaced by placeholders."""
    for pattern, placeholder in SECRET_PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


def command_message(stdout, stderr):
    """The tool's own error, without the stack-trace hint; the last lines of stdout when stderr is empty."""
    lines = [line.rstrip() for line in (stderr or '').splitlines()
             if line.strip() and STACK_TRACE_HINT not in line]
    if not lines:
        lines = [line.rstrip() for line in (stdout or '').splitlines() if line.strip()][-10:]
    # The error and its [ERROR ...] lines; warnings and klog lines (I1121 10:45:07.123456 ...) say nothing more.
    errors = [line for line in lines if re.match(r'^\s*(error|\[ERROR|fatal)', line, re.I)]
    if not errors:
        errors = [line for line in lines if not re.match(r'^([IW]\d{4} |\s*\[WARNING)', line)]
    return redact('\n'.join(errors or lines)) or '(no message)'


# Options of kubectl and kubeadm whose value is the next word: left out of a command's name.
VALUED_OPTIONS = ('--kubeconfig', '-n', '--namespace', '--context', '--config')


def command_name(argv):
    """The tool and its first two words that are not options, as a message names the command: kubectl get nodes,
    kubeadm config validate (the kubeconfig's path and the namespace left out)."""
    words, rest = [], list(argv[1:])
    while rest and len(words) < 2:
        word = rest.pop(0)
        if word in VALUED_OPTIONS:
            rest = rest[1:]
        elif not word.startswith('-'):
            words.append(word)
    return ' '.join([os.path.basename(argv[0])] + words)


def run(module, argv, check_rc=True, environ=None):
    """Run the tool; raise CommandError carrying its own message when it fails."""
    rc, stdout, stderr = module.run_command(argv, environ_update=environ or {})
    if rc != 0 and check_rc:
        raise CommandError('%s failed (rc=%d): %s' % (command_name(argv), rc, command_message(stdout, stderr)))
    return rc, stdout, stderr


class PrivateFile(object):
    """Text written 0600 as `name` in a private temporary directory (prefix), removed on exit: kubeadm and kubectl
    inputs may hold a bootstrap token, a certificate key or Secrets."""

    def __init__(self, text, prefix, name):
        self.text, self.prefix, self.name = text, prefix, name
        self.directory = None
        self.path = None

    def __enter__(self):
        self.directory = tempfile.mkdtemp(prefix=self.prefix)
        self.path = os.path.join(self.directory, self.name)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as handle:
            handle.write(self.text)
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.directory, ignore_errors=True)
        return False
