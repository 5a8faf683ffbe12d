"""The sample configuration generator and loading configuration files."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import tessera.conf

REPO = Path(__file__).resolve().parents[2]
GENERATOR_CONF = REPO / "etc" / "tessera-config-generator.conf"


def test_generator_writes_every_group(tmp_path: Path) -> None:
    output = tmp_path / "tessera.conf.sample"
    generator = Path(sys.executable).parent / "oslo-config-generator"
    proc = subprocess.run(
        [str(generator), "--config-file", str(GENERATOR_CONF), "--output-file", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )

    assert proc.returncode == 0, proc.stderr
    sample = output.read_text(encoding="utf-8")
    for expected in (
        "[api_database]",
        "[database]",
        "#transport_url = <None>",
        "#max_retries = 3",
        "#retry_interval = 1.0",
    ):
        assert expected in sample


def test_load_reads_both_database_groups(write_conf: Callable[..., str]) -> None:
    path = write_conf(
        {
            "database": {"connection": "sqlite:////tmp/cell1.db"},
            "api_database": {"connection": "mysql+pymysql://root@127.0.0.1/api"},
        }
    )

    conf = tessera.conf.load([], config_files=[path])

    assert conf.database.connection == "sqlite:////tmp/cell1.db"
    assert conf.api_database.connection == "mysql+pymysql://root@127.0.0.1/api"


def test_loaded_configs_are_independent(write_conf: Callable[..., str]) -> None:
    one = write_conf({"database": {"connection": "sqlite:////tmp/one.db"}}, name="one.conf")
    two = write_conf({"database": {"connection": "sqlite:////tmp/two.db"}}, name="two.conf")

    conf_one = tessera.conf.load([], config_files=[one])
    conf_two = tessera.conf.load([], config_files=[two])
    conf_one.set_override("max_retries", 7, group="database")

    assert conf_one is not conf_two
    assert conf_one.database.connection == "sqlite:////tmp/one.db"
    assert conf_two.database.connection == "sqlite:////tmp/two.db"
    assert conf_two.database.max_retries == 3
    assert tessera.conf.load([], config_files=[]).database.connection is None
