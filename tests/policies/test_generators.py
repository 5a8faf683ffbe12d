"""The oslo.policy tools find our rules through the package's entry points."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tessera.policies import list_rules

BIN = Path(sys.executable).parent
DEFAULTS = {rule.name: rule.check_str for rule in list_rules()}


def _run(tool: str, *args: str, cwd: Path) -> str:
    done = subprocess.run(
        [str(BIN / tool), "--namespace", "tessera", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _rules(text: str, commented: bool) -> dict[str, str]:
    prefix = "#" if commented else ""
    line = re.compile(rf'^{prefix}"([^"]+)": "(.*)"$', re.MULTILINE)
    return dict(line.findall(text))


def test_sample_generator_lists_every_rule(tmp_path: Path) -> None:
    sample = _run("oslopolicy-sample-generator", cwd=tmp_path)
    assert _rules(sample, commented=True) == DEFAULTS
    assert '#"compute:servers:resize:cross_cell": "!"' in sample


def test_policy_generator_shows_the_effective_policy(
    tmp_path: Path, write_conf: Callable[..., str]
) -> None:
    override = tmp_path / "overrides.yaml"
    override.write_text('"compute:servers:resize:cross_cell": "rule:admin_api"\n')
    # A stray policy.yaml beside the config file must not count.
    (tmp_path / "policy.yaml").write_text('"os_compute_api:servers:show": "!"\n')
    config = write_conf({"oslo_policy": {"policy_file": str(override)}})
    effective = _rules(
        _run("oslopolicy-policy-generator", "--config-file", config, cwd=tmp_path),
        commented=False,
    )
    assert effective == {**DEFAULTS, "compute:servers:resize:cross_cell": "rule:admin_api"}
