# Loaded by Python at start-up when this directory is on PYTHONPATH (the az tests put it there).
#
# Why: Debian's azure-cli 2.45 package ships azure-mgmt-authorization 3.0.0 (azure-core era),
# while its `acs` module (`az aks update --attach-acr/--detach-acr`) is still written for the
# msrest-era client (the azure-mgmt-authorization 0.61 line upstream az required). Unpatched, every attach fails before any
# request (`'RoleAssignmentsOperations' object has no attribute 'config'`), retries ten times over
# 110 s, and exits 1. This restores the three things that code expects, and changes no request:
#   1. `RoleAssignmentsOperations.config`: the operation group's configuration (it reads
#      `config.subscription_id`), which the new client keeps as `_config`;
#   2. `custom_headers=`: accepted again; `acs` always passes None, and a None is dropped (a value
#      would be sent as `headers`, the new client's name for it);
#   3. `CloudError.message`: the error body's own message ("The role assignment already exists."),
#      which `acs` compares against to treat a 409 as success; the new error's `message` carries
#      "(Code) Message\nCode: ...\nMessage: ..." instead.
# Where the package is not Debian's (no such module, or a client that already has `config`),
# nothing is patched. Being first on the path, this file stands in for Debian's own sitecustomize,
# which only installs apport's crash hook.
import functools

try:
    from azure.core.exceptions import HttpResponseError
    from azure.mgmt.authorization.v2020_04_01_preview.operations import RoleAssignmentsOperations
except ImportError:  # not the Debian package: nothing to restore
    RoleAssignmentsOperations = None


def _msrest_era(method):
    @functools.wraps(method)
    def call(self, *args, **kwargs):
        headers = kwargs.pop('custom_headers', None)
        if headers:
            kwargs['headers'] = {**(kwargs.get('headers') or {}), **headers}
        try:
            return method(self, *args, **kwargs)
        except HttpResponseError as error:
            body_message = getattr(getattr(error, 'error', None), 'message', None)
            if body_message:
                error.message = body_message
            raise
    return call


if RoleAssignmentsOperations is not None and not hasattr(RoleAssignmentsOperations, 'config'):
    RoleAssignmentsOperations.config = property(lambda self: self._config)
    for name in ('create', 'create_by_id', 'delete', 'delete_by_id', 'get', 'get_by_id', 'list', 'list_for_scope'):
        if hasattr(RoleAssignmentsOperations, name):
            setattr(RoleAssignmentsOperations, name, _msrest_era(getattr(RoleAssignmentsOperations, name)))
