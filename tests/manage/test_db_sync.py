"""``tessera-manage api_db sync|version`` and ``db sync|version`` on every backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tessera.db import migration
from tests.conftest import Backend, CloudDBs, Result
from tests.manage.helpers import CELL0_UUID, Manage, add_cell, conf_sections, lines, unreachable_url

WriteConf = Callable[..., str]
FreshDB = Callable[[str], str]

API_HEAD = migration.head("api")
MAIN_HEAD = migration.head("main")
NO_CELL0 = "WARNING: cell0 mapping not found - not syncing cell0."
CELL0_CHECKLIST = [
    "ERROR: Could not access cell0.",
    "Has the tessera_api database been created?",
    "Has the tessera_cell0 database been created?",
    'Has "tessera-manage api_db sync" been run?',
    'Has "tessera-manage cell_v2 map_cell0" been run?',
    "Is [api_database]/connection set in tessera.conf?",
    "Is the cell0 database connection URL correct?",
]


@pytest.fixture
def fresh_conf(fresh_db: FreshDB, write_conf: WriteConf) -> tuple[str, str, str]:
    """A config over two new, empty databases: ``(path, api URL, local URL)``."""
    api, local = fresh_db("api"), fresh_db("local")
    path = write_conf(
        {
            "database": {"connection": local, "max_retries": "0"},
            "api_database": {"connection": api, "max_retries": "0"},
        }
    )
    return path, api, local


def version(manage: Manage, conf: str, category: str, *flags: str) -> str:
    r = manage(category, "version", *flags, conf=conf)
    assert (r.code, r.err) == (0, ""), r
    return r.out


# --------------------------------------------------------------------------- api_db


def test_api_db_sync_on_a_new_database(manage: Manage, fresh_conf: tuple[str, str, str]) -> None:
    conf, _, _ = fresh_conf
    assert version(manage, conf, "api_db") == lines("None")

    assert manage("api_db", "sync", conf=conf) == Result(0, "", "")

    assert version(manage, conf, "api_db") == lines(API_HEAD)
    assert manage("api_db", "sync", conf=conf) == Result(0, "", "")  # again: nothing to do
    assert version(manage, conf, "api_db") == lines(API_HEAD)


def test_api_db_sync_to_a_given_version(manage: Manage, fresh_conf: tuple[str, str, str]) -> None:
    conf, _, _ = fresh_conf

    assert manage("api_db", "sync", API_HEAD, conf=conf) == Result(0, "", "")

    assert version(manage, conf, "api_db") == lines(API_HEAD)


# --------------------------------------------------------------------------- db sync


def test_db_sync_without_cell0_warns_and_syncs_the_local_database(
    manage: Manage, fresh_conf: tuple[str, str, str]
) -> None:
    conf, _, _ = fresh_conf
    assert manage("api_db", "sync", conf=conf).code == 0
    assert version(manage, conf, "db") == lines("None")

    assert manage("db", "sync", conf=conf) == Result(0, lines(NO_CELL0), "")

    assert version(manage, conf, "db") == lines(MAIN_HEAD)


def test_db_sync_syncs_cell0_then_the_local_database(
    manage: Manage, fresh_conf: tuple[str, str, str], fresh_db: FreshDB
) -> None:
    conf, _, _ = fresh_conf
    cell0 = fresh_db("cell0")
    assert manage("api_db", "sync", conf=conf).code == 0
    assert manage("cell_v2", "map_cell0", "--database_connection", cell0, conf=conf).code == 0

    assert manage("db", "sync", conf=conf) == Result(0, "", "")

    assert version(manage, conf, "db") == lines(MAIN_HEAD)
    assert version(manage, conf, "db", "--database_connection", cell0) == lines(MAIN_HEAD)


def test_db_sync_with_an_unreachable_cell0_exits_1(
    manage: Manage, cloud: CloudDBs, write_conf: WriteConf, fresh_db: FreshDB, tmp_path: Path
) -> None:
    local = fresh_db("local")
    sections = conf_sections(cloud)
    sections["database"]["connection"] = local
    conf = write_conf(sections)
    down = unreachable_url(cloud.backend, tmp_path)
    add_cell(cloud, "cell0", db=down, transport="none:///", uuid=CELL0_UUID)

    r = manage("db", "sync", conf=conf)

    assert (r.code, r.err) == (1, "")
    out = r.out.splitlines()
    assert out[:-1] == CELL0_CHECKLIST
    assert out[-1].startswith("Error: Cannot connect to database "), r.out
    assert "dbpass" not in r.out  # the password of the cell0 URL is masked
    assert version(manage, conf, "db") == lines("None")  # stopped before the local sync


def test_db_sync_with_an_unsynced_api_db_exits_1(
    manage: Manage, fresh_conf: tuple[str, str, str]
) -> None:
    conf, _, _ = fresh_conf

    r = manage("db", "sync", conf=conf)

    assert (r.code, r.err) == (1, "")
    out = r.out.splitlines()
    assert out[:-1] == CELL0_CHECKLIST
    assert out[-1].startswith("Error: ") and "api_db sync" in out[-1], r.out


def test_db_sync_local_cell_skips_cell0(
    manage: Manage, cloud: CloudDBs, write_conf: WriteConf, fresh_db: FreshDB, tmp_path: Path
) -> None:
    local = fresh_db("local")
    sections = conf_sections(cloud)
    sections["database"]["connection"] = local
    conf = write_conf(sections)
    add_cell(
        cloud,
        "cell0",
        db=unreachable_url(cloud.backend, tmp_path),
        transport="none:///",
        uuid=CELL0_UUID,
    )

    assert manage("db", "sync", "--local_cell", conf=conf) == Result(0, "", "")

    assert version(manage, conf, "db") == lines(MAIN_HEAD)


def test_db_sync_local_cell_needs_no_api_database(
    manage: Manage, fresh_db: FreshDB, write_conf: WriteConf
) -> None:
    local = fresh_db("local")
    conf = write_conf({"database": {"connection": local, "max_retries": "0"}})

    assert manage("db", "sync", "--local_cell", conf=conf) == Result(0, "", "")

    assert version(manage, conf, "db") == lines(MAIN_HEAD)


def test_db_sync_of_a_given_database_connection(
    manage: Manage, fresh_conf: tuple[str, str, str], fresh_db: FreshDB
) -> None:
    conf, _, _ = fresh_conf
    other = fresh_db("other")

    r = manage("db", "sync", "--local_cell", "--database_connection", other, conf=conf)

    assert r == Result(0, "", "")
    assert version(manage, conf, "db", "--database_connection", other) == lines(MAIN_HEAD)
    assert version(manage, conf, "db") == lines("None")  # [database] connection untouched


def test_db_version_of_the_cloud_databases(manage: Manage, conf: str, cloud: CloudDBs) -> None:
    assert version(manage, conf, "db") == lines(MAIN_HEAD)
    assert version(manage, conf, "api_db") == lines(API_HEAD)
    for cell in cloud.cells:
        assert version(manage, conf, "db", "--database_connection", cell) == lines(MAIN_HEAD)


# --------------------------------------------------------------------------- missing settings


@pytest.mark.parametrize(
    ("argv", "sections"),
    [
        (("api_db", "sync"), {"database": {"connection": "sqlite:////nonexistent/x.db"}}),
        (("api_db", "version"), {"database": {"connection": "sqlite:////nonexistent/x.db"}}),
        (
            ("db", "sync", "--local_cell"),
            {"api_database": {"connection": "sqlite:////nonexistent/x.db"}},
        ),
        (("db", "version"), {"api_database": {"connection": "sqlite:////nonexistent/x.db"}}),
    ],
    ids=["api_db-sync", "api_db-version", "db-sync", "db-version"],
)
def test_sync_without_its_connection_setting_exits_1_with_one_error_line(
    manage: Manage,
    write_conf: WriteConf,
    argv: tuple[str, ...],
    sections: dict[str, dict[str, str]],
) -> None:
    conf = write_conf(sections)

    r = manage(*argv, conf=conf)

    assert (r.code, r.out) == (1, "")
    assert r.err.startswith("ERROR: ") and r.err.count("\n") == 1, r.err
    assert "connection" in r.err


def test_api_db_sync_of_an_unreachable_database_exits_255(
    manage: Manage, backend: Backend, write_conf: WriteConf, tmp_path: Path
) -> None:
    down = unreachable_url(backend, tmp_path)
    conf = write_conf({"api_database": {"connection": down}, "database": {"max_retries": "0"}})

    r = manage("api_db", "sync", conf=conf)

    assert (r.code, r.out) == (255, "")
    assert r.err.startswith("ERROR: Cannot connect to database ") and r.err.count("\n") == 1
    assert "dbpass" not in r.err
