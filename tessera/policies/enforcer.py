"""The API's policy: who may call what, from the defaults in code and the operator's file.

Which policy file is read
-------------------------
Left to itself, oslo.policy looks for ``[oslo_policy] policy_file`` (default
``policy.yaml``) and every ``policy_dirs`` entry (default ``policy.d``) in the
directories of the config files given with ``--config-file``, then in
``~/.tessera``, ``~/``, ``/etc/tessera`` and ``/etc``. A stray ``policy.yaml``
left next to a config file would then silently change who may do what.

Tessera reads only what the operator names:

- ``[oslo_policy] policy_file`` unset: no file at all, the defaults in code apply;
- set to an absolute path: that file;
- set to a relative path: relative to the directory of the config file that
  sets it (from the command line or an override: to the working directory);
- set, but the file does not exist: :class:`Policy` refuses to start, rather
  than running with defaults the operator meant to change;
- ``policy_dirs`` likewise: read only when set, resolved the same way (a
  missing directory is skipped, as oslo.policy does).

The files are re-read when they change (oslo.policy compares modification
times on each check), so a policy change needs no restart.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from oslo_config import cfg
from oslo_policy import opts as policy_opts
from oslo_policy import policy

from tessera import policies
from tessera.api.errors import APIError
from tessera.context import RequestContext

GROUP = "oslo_policy"
API_PROG = "tessera-api"
"""The API's program name: the policy tools read the config files the API would."""


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register the ``[oslo_policy]`` options on ``conf`` (idempotent)."""
    for group, options in policy_opts.list_opts():
        conf.register_opts(options, group=group)


def _explicitly_set(conf: cfg.ConfigOpts, name: str) -> cfg.LocationInfo | None:
    """Where the operator set ``[oslo_policy] name``, or None when it is the default."""
    location = conf.get_location(name, GROUP)
    if location is None or location.location is cfg.Locations.opt_default:
        return None
    return location


def _resolve(value: str, location: cfg.LocationInfo) -> str:
    """``value`` as an absolute path; relative to the config file that set it."""
    path = os.path.expanduser(value)
    if os.path.isabs(path):
        return os.path.normpath(path)
    base = os.getcwd()
    if location.location is cfg.Locations.user and location.detail:
        base = os.path.dirname(os.path.abspath(location.detail))
    return os.path.normpath(os.path.join(base, path))


def configured_files(conf: cfg.ConfigOpts) -> dict[str, str]:
    """The policy file and directories the operator named: option value -> absolute path.

    Raises ``cfg.ConfigFilesNotFoundError`` when the named policy file is missing.
    """
    register_opts(conf)
    found: dict[str, str] = {}
    file_location = _explicitly_set(conf, "policy_file")
    if file_location is not None:
        name: str = conf[GROUP].policy_file
        path = _resolve(name, file_location)
        if not os.path.isfile(path):
            raise cfg.ConfigFilesNotFoundError([path])
        found[name] = path
    dirs_location = _explicitly_set(conf, "policy_dirs")
    if dirs_location is not None:
        for directory in conf[GROUP].policy_dirs:
            found[directory] = _resolve(directory, dirs_location)
    return found


class ConfiguredFilesEnforcer(policy.Enforcer):
    """An Enforcer that reads only the files in ``files``, never one it finds by searching."""

    def __init__(self, conf: cfg.ConfigOpts, files: Mapping[str, str]) -> None:
        self._configured = dict(files)
        super().__init__(conf)

    def _get_policy_path(self, path: str) -> str:
        # oslo.policy locates policy_file and each policy_dirs entry through this
        # hook, which would search the config directories: answer only for the
        # names the operator configured (see the module docstring).
        found = self._configured.get(path)
        if found is None or not os.path.exists(found):
            raise cfg.ConfigFilesNotFoundError([path])
        return found


def build_enforcer(conf: cfg.ConfigOpts) -> policy.Enforcer:
    """A new Enforcer over ``conf`` with every Tessera default registered."""
    enforcer = ConfiguredFilesEnforcer(conf, configured_files(conf))
    enforcer.register_defaults(policies.list_rules())
    return enforcer


def credentials(ctx: RequestContext) -> dict[str, Any]:
    """What the checks may test about the caller.

    Unknown ids are left out rather than passed as None: oslo.policy compares
    ``str()`` forms, so a None project would match a target whose project is None.
    """
    creds: dict[str, Any] = {"roles": list(ctx.roles), "is_admin": ctx.is_admin}
    if ctx.user_id is not None:
        creds["user_id"] = ctx.user_id
    if ctx.project_id is not None:
        creds["project_id"] = ctx.project_id
    return creds


def forbidden(rule: str) -> APIError:
    """The 403 a denied rule answers with."""
    return APIError(403, f"Policy doesn't allow {rule} to be performed.")


Decision = tuple[str, tuple[Any, ...], tuple[Any, ...]]
"""(rule, frozen credentials, frozen target): what a decision depends on."""
_MAX_DECISIONS = 10_000


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a credentials or target value."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(_frozen(v) for v in value)
    return value


class Policy:
    """The policy of one API app: built once from the API's configuration.

    Decisions are remembered: a check is a pure function of the rules, the
    caller's credentials and the target, and oslo.policy's own evaluation
    (a policy-file check plus argument introspection per check) costs a
    noticeable share of a small request. The policy files are looked at
    again, and every remembered decision dropped, at most every
    ``reload_interval`` seconds, so a changed file applies within that time.
    """

    def __init__(self, conf: cfg.ConfigOpts | None = None, reload_interval: float = 1.0) -> None:
        """``conf`` is the API's ConfigOpts; without one, only the defaults in code apply."""
        self._enforcer = build_enforcer(conf if conf is not None else _bare_conf())
        self._reload_interval = reload_interval
        self._lock = threading.Lock()
        self._decisions: dict[Decision, bool] = {}
        self._next_reload = 0.0

    @property
    def enforcer(self) -> policy.Enforcer:
        """The underlying oslo.policy Enforcer."""
        return self._enforcer

    def check(self, ctx: RequestContext, rule: str, target: Mapping[str, Any]) -> bool:
        """Whether ``ctx`` may do ``rule`` on ``target``.

        An unregistered ``rule`` raises ``oslo_policy.policy.PolicyNotRegistered``:
        a typo must fail loudly, not fall back to the default rule.
        """
        self._reload_if_due()
        creds = credentials(ctx)
        key = (rule, _frozen(creds), _frozen(target))
        found = self._decisions.get(key)
        if found is None:
            found = bool(self._enforcer.authorize(rule, dict(target), creds))
            with self._lock:
                if len(self._decisions) >= _MAX_DECISIONS:
                    self._decisions.clear()
                self._decisions[key] = found
        return found

    def _reload_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_reload:
            return
        with self._lock:
            if now < self._next_reload:
                return
            self._enforcer.load_rules()
            self._decisions.clear()
            self._next_reload = now + self._reload_interval

    def authorize(self, ctx: RequestContext, rule: str, target: Mapping[str, Any]) -> None:
        """Raise a 403 APIError unless ``ctx`` may do ``rule`` on ``target``."""
        if not self.check(ctx, rule, target):
            raise forbidden(rule)


def _bare_conf() -> cfg.ConfigOpts:
    """A configuration with no file: nothing to find, nothing to override."""
    conf = cfg.ConfigOpts()
    conf([], project="tessera", default_config_files=[])
    return conf


def _config_args(argv: Sequence[str]) -> list[str]:
    """The ``--config-file``/``--config-dir`` arguments among a tool's own arguments."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--config-file", action="append", default=[])
    parser.add_argument("--config-dir", action="append", default=[])
    known, _ = parser.parse_known_args(list(argv))
    args: list[str] = []
    for path in known.config_file:
        args += ["--config-file", path]
    for path in known.config_dir:
        args += ["--config-dir", path]
    return args


def get_enforcer() -> policy.Enforcer:
    """The ``oslo.policy.enforcer`` entry point (``oslopolicy-policy-generator`` and friends).

    The tools call it without arguments, so the config files come from the
    tool's own command line (``--config-file``/``--config-dir``), or oslo.config's
    usual search when there are none, just as ``tessera-api`` would find them.
    A new Enforcer each call: the tools own it; the API never uses it.
    """
    conf = cfg.ConfigOpts()
    conf(_config_args(sys.argv[1:]), project="tessera", prog=API_PROG)
    return build_enforcer(conf)
