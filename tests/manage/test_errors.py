"""How ``tessera-manage`` fails: exit codes and one-line messages, never a traceback.

2 usage error, 1 unknown cell or missing/malformed setting or URL, 255 unreachable
database or schema not synced (``ERROR: ...`` on stderr).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from tessera.db import migration
from tessera.db.engines import create_engine
from tests.conftest import CloudDBs, Result
from tests.manage.helpers import (
    CELL1_MQ,
    CELL1_UUID,
    CELL_MAPPINGS,
    UNKNOWN_UUID,
    Manage,
    add_cell,
    add_host_mapping,
    add_instance_mapping,
    conf_sections,
    lines,
    unreachable_url,
)

WriteConf = Callable[..., str]
FreshDB = Callable[[str], str]


def assert_one_error_line(r: Result, code: int, starts: str = "ERROR: ") -> None:
    """``code``, nothing on stdout, one line on stderr starting with ``starts``."""
    assert "Traceback" not in r.out + r.err, r
    assert (r.code, r.out) == (code, ""), r
    assert r.err.startswith(starts) and r.err.count("\n") == 1, r.err


# --------------------------------------------------------------------------- unreachable cells

DOWN = "dddddddd-dddd-4ddd-8ddd-dddddddddddd"

COMMANDS_NEEDING_THE_CELL_DB = {
    "discover_hosts": ("discover_hosts", "--cell_uuid", DOWN),
    "discover_hosts-all": ("discover_hosts", "--verbose"),
    "discover_hosts-by-service": ("discover_hosts", "--by-service"),
    "map_instances": ("map_instances", "--cell_uuid", DOWN),
    "map_instances-max-count": ("map_instances", "--cell_uuid", DOWN, "--max-count", "5"),
    "delete_cell-force": ("delete_cell", "--cell_uuid", DOWN, "--force"),
    "delete_host": ("delete_host", "--cell_uuid", DOWN, "--host", "compute9"),
}


@pytest.mark.parametrize(
    "argv", COMMANDS_NEEDING_THE_CELL_DB.values(), ids=COMMANDS_NEEDING_THE_CELL_DB.keys()
)
def test_an_unreachable_cell_database_exits_255(
    manage: Manage, conf: str, cloud: CloudDBs, tmp_path: Path, argv: tuple[str, ...]
) -> None:
    # MariaDB/PostgreSQL on port 1, or a SQLite file in a missing directory.
    down = unreachable_url(cloud.backend, tmp_path)
    add_cell(cloud, "down", db=down, transport="rabbit://mq9.example/", uuid=DOWN)
    add_host_mapping(cloud, "compute9", DOWN)
    add_instance_mapping(cloud, "c0ffee00-0000-4000-8000-000000000009", DOWN)

    r = manage("cell_v2", *argv, conf=conf)

    assert "Traceback" not in r.out + r.err
    assert r.code == 255, r
    assert r.err.startswith("ERROR: Cannot connect to database ") and r.err.count("\n") == 1
    assert "dbpass" not in r.out + r.err  # the URL's password is masked


def test_an_unreachable_api_database_exits_255(
    manage: Manage, cloud: CloudDBs, write_conf: WriteConf, tmp_path: Path
) -> None:
    conf = write_conf(conf_sections(cloud, api=unreachable_url(cloud.backend, tmp_path)))

    r = manage("cell_v2", "list_cells", conf=conf)

    assert_one_error_line(r, 255, "ERROR: Cannot connect to database ")
    assert "dbpass" not in r.err


def test_an_unsynced_api_database_exits_255_with_a_hint(
    manage: Manage, cloud: CloudDBs, write_conf: WriteConf, fresh_db: FreshDB
) -> None:
    conf = write_conf(conf_sections(cloud, api=fresh_db("api")))

    for argv in (("list_cells",), ("list_hosts",), ("discover_hosts",)):
        r = manage("cell_v2", *argv, conf=conf)
        assert r == Result(
            255,
            "",
            lines("ERROR: The API database has no schema; run 'tessera-manage api_db sync' first."),
        )


def test_an_unsynced_cell_database_exits_255_with_a_hint(
    manage: Manage, conf: str, cloud: CloudDBs, fresh_db: FreshDB
) -> None:
    add_cell(cloud, "cell9", db=fresh_db("cell9"), transport="rabbit://mq9.example/", uuid=DOWN)

    r = manage("cell_v2", "discover_hosts", "--cell_uuid", DOWN, conf=conf)

    assert_one_error_line(r, 255)
    assert "cell9" in r.err and "tessera-manage db sync" in r.err


def test_a_cell_url_template_that_cannot_expand_exits_1(
    manage: Manage, conf: str, cloud: CloudDBs
) -> None:
    add_cell(cloud, "cell9", db="{scheme}://{nosuchvar}/cell9", transport=CELL1_MQ, uuid=DOWN)

    r = manage("cell_v2", "discover_hosts", "--cell_uuid", DOWN, conf=conf)

    assert_one_error_line(r, 1)
    assert "cell9" in r.err and "{nosuchvar}" in r.err


# --------------------------------------------------------------------------- unknown cells

COMMANDS_TAKING_A_CELL = {
    "discover_hosts": ("discover_hosts",),
    "map_instances": ("map_instances",),
    "list_hosts": ("list_hosts",),
    "update_cell": ("update_cell", "--name", "x"),
    "delete_cell": ("delete_cell",),
    "delete_host": ("delete_host", "--host", "compute1"),
}


@pytest.mark.parametrize("argv", COMMANDS_TAKING_A_CELL.values(), ids=COMMANDS_TAKING_A_CELL.keys())
def test_an_unknown_cell_uuid_exits_1_in_every_command(
    manage: Manage, conf: str, cloud: CloudDBs, argv: tuple[str, ...]
) -> None:
    add_cell(cloud, "cell1", db=cloud.cell1, transport=CELL1_MQ, uuid=CELL1_UUID)
    add_host_mapping(cloud, "compute1", CELL1_UUID)

    r = manage("cell_v2", *argv, "--cell_uuid", UNKNOWN_UUID, conf=conf)

    assert r == Result(1, lines(f"Cell with uuid {UNKNOWN_UUID} was not found."), "")


# --------------------------------------------------------------------------- settings and URLs


def test_create_cell_with_a_malformed_database_connection_exits_1(
    manage: Manage, conf: str, cloud: CloudDBs
) -> None:
    r = manage(
        "cell_v2",
        "create_cell",
        "--transport-url",
        CELL1_MQ,
        "--database_connection",
        "mysql+pymysql://tessera:dbpass@db.example:notaport/cell9",
        conf=conf,
    )

    assert_one_error_line(r, 1)
    assert "dbpass" not in r.err


def test_create_cell_with_an_unparsable_database_connection_exits_1(
    manage: Manage, conf: str, cloud: CloudDBs
) -> None:
    r = manage(
        "cell_v2",
        "create_cell",
        "--transport-url",
        CELL1_MQ,
        "--database_connection",
        "not a url",
        conf=conf,
    )

    assert_one_error_line(r, 1)


def test_a_missing_config_file_exits_1(manage: Manage, tmp_path: Path) -> None:
    r = manage("cell_v2", "list_cells", conf=str(tmp_path / "nowhere.conf"))

    assert_one_error_line(r, 1)


def test_a_malformed_config_file_exits_1(manage: Manage, tmp_path: Path) -> None:
    path = tmp_path / "broken.conf"
    path.write_text("[database]\nthis line is not an option\n", encoding="utf-8")

    r = manage("cell_v2", "list_cells", conf=str(path))

    assert_one_error_line(r, 1)


@pytest.mark.parametrize(("option", "value"), [("max_retries", "many"), ("retry_interval", "-1")])
def test_a_malformed_database_setting_exits_1(
    manage: Manage, write_conf: WriteConf, option: str, value: str
) -> None:
    conf = write_conf({"database": {"connection": "sqlite:////nonexistent/x.db", option: value}})

    r = manage("cell_v2", "list_cells", conf=conf)

    assert_one_error_line(r, 1)
    assert option in r.err


def test_map_cell0_from_an_unparsable_database_connection_exits_1(
    manage: Manage, write_conf: WriteConf
) -> None:
    conf = write_conf(
        {
            "database": {"connection": "not a url"},
            "api_database": {"connection": "sqlite:////nonexistent/api.db"},
        }
    )

    r = manage("cell_v2", "map_cell0", conf=conf)

    assert_one_error_line(r, 1)


# --------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    "argv",
    [
        (),
        ("bogus",),
        ("cell_v2",),
        ("cell_v2", "bogus_action"),
        ("cell_v2", "update_cell"),
        ("cell_v2", "map_instances"),
        ("cell_v2", "verify_instance"),
        ("cell_v2", "list_cells", "--no-such-flag"),
        ("db", "bogus"),
    ],
    ids=lambda argv: "-".join(argv) or "nothing",
)
def test_a_usage_error_exits_2(
    manage: Manage, write_conf: WriteConf, argv: tuple[str, ...]
) -> None:
    r = manage(*argv, conf=write_conf({}))

    assert (r.code, r.out) == (2, "")
    assert r.err.startswith("usage: tessera-manage"), r.err
    assert "Traceback" not in r.err


# --------------------------------------------------------------------------- the real process


@pytest.fixture
def sqlite_cloud(tmp_path: Path, write_conf: WriteConf) -> str:
    """A config over a synced SQLite API DB and cell DB (no per-backend run)."""
    urls = {}
    for name, schema in (("api", "api"), ("cell1", "main")):
        urls[name] = f"sqlite:///{tmp_path}/{name}.db"
        engine = create_engine(urls[name])
        migration.upgrade(engine, schema)
        engine.dispose()
    return write_conf(
        {
            "database": {"connection": urls["cell1"], "max_retries": "0"},
            "api_database": {"connection": urls["api"]},
        }
    )


def run_console_script(*argv: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "tessera-manage"
    return subprocess.run(
        [str(script), *argv], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_console_script_exit_codes_and_output(sqlite_cloud: str, tmp_path: Path) -> None:
    down = f"sqlite:///{tmp_path}/missing/dir/down.db"
    engine = create_engine(f"sqlite:///{tmp_path}/api.db")
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(CELL_MAPPINGS).values(
                    uuid=DOWN, name="down", transport_url=CELL1_MQ, database_connection=down
                )
            )
    finally:
        engine.dispose()

    unknown = run_console_script(
        "--config-file", sqlite_cloud, "cell_v2", "list_hosts", "--cell_uuid", UNKNOWN_UUID
    )
    failed = run_console_script(
        "--config-file", sqlite_cloud, "cell_v2", "discover_hosts", "--cell_uuid", DOWN
    )

    assert (unknown.returncode, unknown.stdout, unknown.stderr) == (
        1,
        lines(f"Cell with uuid {UNKNOWN_UUID} was not found."),
        "",
    )
    assert (failed.returncode, failed.stdout, failed.stderr) == (
        255,
        "",
        lines(f"ERROR: Cannot connect to database {down}: unable to open database file"),
    )


def test_the_console_script_with_a_malformed_setting(write_conf: WriteConf) -> None:
    conf = write_conf({"database": {"max_retries": "many"}})

    r = run_console_script("--config-file", conf, "cell_v2", "list_cells")

    assert "Traceback" not in r.stderr
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith("ERROR: ") and r.stderr.count("\n") == 1, r.stderr
