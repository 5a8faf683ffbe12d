"""Which policy file the API reads: only the one ``[oslo_policy]`` names."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from oslo_config import cfg

from tessera import conf as tessera_conf
from tessera.context import RequestContext
from tessera.policies.enforcer import Policy, get_enforcer

CROSS_CELL = "compute:servers:resize:cross_cell"
ADMIN = RequestContext(
    user_id="admin", project_id="admin", is_admin=True, roles=("admin", "member", "reader")
)
MEMBER = RequestContext(user_id="alice", project_id="p1", roles=("member", "reader"))
TARGET = {"project_id": "p1", "user_id": "alice"}
OPEN_CROSS_CELL = f'"{CROSS_CELL}": "rule:admin_api"\n'

WriteConf = Callable[..., str]


def _policy(config_file: str, reload_interval: float = 1.0) -> Policy:
    conf = tessera_conf.load(["--config-file", config_file], config_files=[])
    return Policy(conf, reload_interval=reload_interval)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_cross_cell_opened_for_admins_by_the_configured_file(
    tmp_path: Path, write_conf: WriteConf
) -> None:
    policy_file = _write(tmp_path / "rules" / "overrides.yaml", OPEN_CROSS_CELL)
    policy = _policy(write_conf({"oslo_policy": {"policy_file": str(policy_file)}}))
    assert policy.check(ADMIN, CROSS_CELL, TARGET)
    assert not policy.check(MEMBER, CROSS_CELL, TARGET)
    # Rules the file does not name keep their defaults.
    assert policy.check(MEMBER, "os_compute_api:servers:create", TARGET)
    assert not policy.check(MEMBER, "os_compute_api:os-services:list", {})


def test_stray_files_next_to_the_config_are_ignored(tmp_path: Path, write_conf: WriteConf) -> None:
    # oslo.policy on its own would find both (policy.yaml and policy.d/ next to the
    # config file) and apply them; unset means the defaults in code.
    config = write_conf({"DEFAULT": {"debug": "false"}})
    _write(tmp_path / "policy.yaml", OPEN_CROSS_CELL)
    _write(tmp_path / "policy.d" / "open.yaml", OPEN_CROSS_CELL)
    assert not _policy(config).check(ADMIN, CROSS_CELL, TARGET)


def test_relative_path_is_relative_to_the_config_file(
    tmp_path: Path, write_conf: WriteConf, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "etc" / "custom.yaml", OPEN_CROSS_CELL)
    config = write_conf({"oslo_policy": {"policy_file": "custom.yaml"}}, name="etc/tessera.conf")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert _policy(config).check(ADMIN, CROSS_CELL, TARGET)


def test_missing_configured_file_refuses_to_start(tmp_path: Path, write_conf: WriteConf) -> None:
    config = write_conf({"oslo_policy": {"policy_file": str(tmp_path / "nope.yaml")}})
    with pytest.raises(cfg.ConfigFilesNotFoundError):
        _policy(config)


def test_configured_policy_dirs_are_read(tmp_path: Path, write_conf: WriteConf) -> None:
    _write(tmp_path / "rules.d" / "10-cross-cell.yaml", OPEN_CROSS_CELL)
    config = write_conf({"oslo_policy": {"policy_dirs": str(tmp_path / "rules.d")}})
    assert _policy(config).check(ADMIN, CROSS_CELL, TARGET)


def _open_cross_cell(policy_file: Path) -> None:
    _write(policy_file, OPEN_CROSS_CELL)
    later = os.stat(policy_file).st_mtime + 5  # mtime granularity must not hide the change
    os.utime(policy_file, (later, later))


def test_file_changes_apply_without_restart(tmp_path: Path, write_conf: WriteConf) -> None:
    policy_file = _write(tmp_path / "p.yaml", "{}\n")
    config = write_conf({"oslo_policy": {"policy_file": str(policy_file)}})
    policy = _policy(config, reload_interval=0)
    assert not policy.check(ADMIN, CROSS_CELL, TARGET)
    _open_cross_cell(policy_file)
    assert policy.check(ADMIN, CROSS_CELL, TARGET)


def test_decisions_are_remembered_until_the_files_are_looked_at_again(
    tmp_path: Path, write_conf: WriteConf
) -> None:
    policy_file = _write(tmp_path / "p.yaml", "{}\n")
    config = write_conf({"oslo_policy": {"policy_file": str(policy_file)}})
    policy = _policy(config, reload_interval=3600)
    assert not policy.check(ADMIN, CROSS_CELL, TARGET)
    _open_cross_cell(policy_file)
    assert not policy.check(ADMIN, CROSS_CELL, TARGET)  # within the interval: remembered
    assert policy.check(ADMIN, CROSS_CELL, {**TARGET, "other": "x"})  # a new target reads anew


def test_get_enforcer_reads_the_tool_command_line(
    tmp_path: Path, write_conf: WriteConf, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy_file = _write(tmp_path / "p.yaml", OPEN_CROSS_CELL)
    config = write_conf({"oslo_policy": {"policy_file": str(policy_file)}})
    argv = ["oslopolicy-policy-generator", "--namespace", "tessera", "--config-file", config]
    monkeypatch.setattr(sys, "argv", argv)
    first, second = get_enforcer(), get_enforcer()
    assert first is not second  # the tools own a fresh one; nothing is cached
    creds = {"roles": ["admin"], "project_id": "admin", "is_admin": True}
    assert first.authorize(CROSS_CELL, TARGET, creds)
    assert CROSS_CELL in first.registered_rules
