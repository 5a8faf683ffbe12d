"""``tessera-manage cell_v2`` cell commands, as an operator runs them, on every backend.

map_cell0, simple_cell_setup, create_cell, list_cells, update_cell, delete_cell.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from tessera.db import migration
from tessera.db.engines import create_engine
from tests.conftest import CloudDBs
from tests.manage.helpers import (
    CELL0_UUID,
    CELL1_MQ,
    CELL1_MQ_MASKED,
    CELL1_UUID,
    CELL2_MQ,
    CELL2_UUID,
    TRANSPORT,
    UNKNOWN_UUID,
    Manage,
    add_cell,
    add_host_mapping,
    add_instance_mapping,
    add_instances,
    add_node,
    add_nodes,
    cell_row,
    cell_uuids,
    conf_sections,
    cursor_rows,
    host_mappings,
    instance_mappings,
    lines,
    listed_cells,
    listed_hosts,
    mapped_flags,
)

WriteConf = Callable[..., str]

TRANSPORT_FALLBACK = (
    "--transport-url not provided in the command line, using the value "
    "[DEFAULT]/transport_url from the configuration file"
)
DATABASE_FALLBACK = (
    "--database_connection not provided in the command line, using the value "
    "[database]/connection from the configuration file"
)
MUST_SPECIFY_TRANSPORT = (
    "Must specify --transport-url if [DEFAULT]/transport_url is not set in the configuration file."
)
MUST_SPECIFY_DATABASE = (
    "Must specify --database_connection if [database]/connection is not set in the "
    "configuration file."
)


def already_exists(uuid: str) -> str:
    return lines(
        "The specified transport_url and/or database_connection combination already "
        f"exists for another cell with uuid {uuid}."
    )


def not_found(uuid: str) -> str:
    return lines(f"Cell with uuid {uuid} was not found.")


def derived_cell0(url: str) -> str:
    """``[database] connection`` with ``_cell0`` appended to the database name."""
    if url.endswith(".db"):  # SQLite keeps its extension.
        return url.removesuffix(".db") + "_cell0.db"
    return url + "_cell0"


@pytest.fixture
def derived_cell0_db(cloud: CloudDBs) -> Iterator[str]:
    """The (empty) database that cell0 of a host with cell1 as [database] would use."""
    url = cloud.backend.create("cell1_cell0")
    assert url == derived_cell0(cloud.cell1)
    yield url
    cloud.backend.drop("cell1_cell0")


def create_cell(manage: Manage, conf: str, *flags: str) -> str:
    """Run ``create_cell --verbose`` and return the new cell's uuid."""
    r = manage("cell_v2", "create_cell", "--verbose", *flags, conf=conf)
    assert (r.code, r.err) == (0, ""), r
    return r.out.strip()


# --------------------------------------------------------------------------- map_cell0


def test_map_cell0_derives_its_url_from_database_connection(
    manage: Manage, conf: str, cloud: CloudDBs
) -> None:
    r = manage("cell_v2", "map_cell0", conf=conf)

    assert (r.code, r.out, r.err) == (0, "", "")
    url = derived_cell0(cloud.cell1)
    assert listed_cells(manage, conf, "--verbose") == [
        ("cell0", CELL0_UUID, "none:///", url, "False")
    ]
    row = cell_row(cloud, CELL0_UUID)
    assert row is not None
    assert (row["name"], row["transport_url"], row["database_connection"]) == (
        "cell0",
        "none:///",
        url,
    )


@pytest.mark.parametrize(
    ("connection", "cell0"),
    [
        # The password is kept in clear.
        ("postgresql+psycopg://nova:s3cret@db.example:5432/nova", "postgresql+psycopg://nova:s3cret@db.example:5432/nova_cell0"),
        # A relative SQLite file keeps its extension.
        ("sqlite:///tessera.db", "sqlite:///tessera_cell0.db"),
    ],
    ids=["password", "relative-sqlite"],
)  # fmt: skip
def test_map_cell0_derived_url_examples(
    manage: Manage,
    cloud: CloudDBs,
    write_conf: WriteConf,
    connection: str,
    cell0: str,
) -> None:
    sections = conf_sections(cloud)
    sections["database"]["connection"] = connection
    conf = write_conf(sections)

    assert manage("cell_v2", "map_cell0", conf=conf).code == 0

    row = cell_row(cloud, CELL0_UUID)
    assert row is not None and row["database_connection"] == cell0


def test_map_cell0_takes_the_given_database_connection(
    manage: Manage, conf: str, cloud: CloudDBs
) -> None:
    r = manage("cell_v2", "map_cell0", "--database_connection", cloud.cell0, conf=conf)

    assert (r.code, r.out, r.err) == (0, "", "")
    assert listed_cells(manage, conf) == [("cell0", CELL0_UUID, "none:///", cloud.cell0, "False")]


def test_map_cell0_twice_says_it_is_already_setup(
    manage: Manage, conf: str, cloud: CloudDBs
) -> None:
    manage("cell_v2", "map_cell0", "--database_connection", cloud.cell0, conf=conf)

    r = manage("cell_v2", "map_cell0", "--database_connection", cloud.cell2, conf=conf)

    assert (r.code, r.out, r.err) == (0, lines("Cell0 is already setup"), "")
    assert listed_cells(manage, conf) == [("cell0", CELL0_UUID, "none:///", cloud.cell0, "False")]


def test_map_cell0_without_any_database_url_exits_1(
    manage: Manage, cloud: CloudDBs, write_conf: WriteConf
) -> None:
    conf = write_conf(conf_sections(cloud, local=None))

    r = manage("cell_v2", "map_cell0", conf=conf)

    assert (r.code, r.out, r.err) == (1, lines(MUST_SPECIFY_DATABASE), "")
    assert cell_uuids(cloud) == []


# --------------------------------------------------------------------------- simple_cell_setup


def test_simple_cell_setup_without_hosts_exits_1(
    manage: Manage, conf: str, cloud: CloudDBs, derived_cell0_db: str
) -> None:
    r = manage("cell_v2", "simple_cell_setup", "--transport-url", CELL1_MQ, conf=conf)

    assert (r.code, r.out, r.err) == (1, lines("No hosts found to map to cell, exiting."), "")
    assert cell_uuids(cloud) == [CELL0_UUID]  # cell0 is mapped (and synced) first
    engine = create_engine(derived_cell0_db)
    try:
        assert migration.current(engine, "main") == migration.head("main")
    finally:
        engine.dispose()


def test_simple_cell_setup_maps_the_cell_its_hosts_and_instances(
    manage: Manage, conf: str, cloud: CloudDBs, derived_cell0_db: str
) -> None:
    local = cloud.engine("cell1")
    add_nodes(local, "compute2", "compute1")
    add_node(local, "compute2", node="compute2-b")
    servers = add_instances(local, 3) + add_instances(local, 1, deleted=True)

    r = manage("cell_v2", "simple_cell_setup", "--transport-url", CELL1_MQ, conf=conf)

    assert (r.code, r.out, r.err) == (0, "", "")
    [new] = [u for u in cell_uuids(cloud) if u != CELL0_UUID]
    rows = listed_cells(manage, conf)
    assert rows[0] == ("", new, CELL1_MQ_MASKED, cloud.cell1, "False")
    assert rows[1][:3] == ("cell0", CELL0_UUID, "none:///")
    assert listed_hosts(manage, conf) == [("", new, "compute1"), ("", new, "compute2")]
    assert instance_mappings(cloud) == dict.fromkeys(servers, new)
    # This path leaves compute_nodes.mapped alone; discovery marks the nodes later
    # without mapping anything new.
    assert set(mapped_flags(local).values()) == {0}
    r = manage("cell_v2", "discover_hosts", "--strict", conf=conf)
    assert (r.code, r.out, r.err) == (1, "", "")
    assert set(mapped_flags(local).values()) == {1}


def test_simple_cell_setup_twice_finds_everything_mapped(
    manage: Manage, conf: str, cloud: CloudDBs, derived_cell0_db: str
) -> None:
    add_nodes(cloud.engine("cell1"), "compute1")
    first = manage("cell_v2", "simple_cell_setup", conf=conf)
    assert (first.code, first.out, first.err) == (0, lines(TRANSPORT_FALLBACK), "")

    again = manage("cell_v2", "simple_cell_setup", conf=conf)

    assert (again.code, again.err) == (0, "")
    assert again.out == lines(
        TRANSPORT_FALLBACK, "Cell0 is already setup", "All hosts are already mapped to cell(s)."
    )
    [new] = [u for u in cell_uuids(cloud) if u != CELL0_UUID]
    row = cell_row(cloud, new)
    assert row is not None and row["transport_url"] == TRANSPORT
    assert host_mappings(cloud) == {"compute1": new}


def test_simple_cell_setup_without_a_transport_url_exits_1(
    manage: Manage, cloud: CloudDBs, write_conf: WriteConf
) -> None:
    add_nodes(cloud.engine("cell1"), "compute1")
    conf = write_conf(conf_sections(cloud, transport=None))

    r = manage("cell_v2", "simple_cell_setup", conf=conf)

    assert (r.code, r.out, r.err) == (1, lines(MUST_SPECIFY_TRANSPORT), "")
    assert cell_uuids(cloud) == []


# --------------------------------------------------------------------------- create_cell


def test_create_cell_with_every_flag(manage: Manage, conf: str, cloud: CloudDBs) -> None:
    r = manage(
        "cell_v2",
        "create_cell",
        "--name",
        "cell1",
        "--transport-url",
        CELL1_MQ,
        "--database_connection",
        cloud.cell1,
        "--verbose",
        "--disabled",
        conf=conf,
    )

    assert (r.code, r.err) == (0, "")
    uuid = r.out.removesuffix("\n")
    assert r.out == lines(str(uuidlib.UUID(uuid)))  # the uuid alone on its line
    assert listed_cells(manage, conf, "--verbose") == [
        ("cell1", uuid, CELL1_MQ, cloud.cell1, "True")
    ]


def test_create_cell_prints_nothing_without_verbose_and_is_enabled(
    manage: Manage, conf: str, cloud: CloudDBs
) -> None:
    r = manage(
        "cell_v2",
        "create_cell",
        "--name",
        "cell1",
        "--transport-url",
        CELL1_MQ,
        "--database_connection",
        cloud.cell1,
        conf=conf,
    )

    assert (r.code, r.out, r.err) == (0, "", "")
    [uuid] = cell_uuids(cloud)
    assert listed_cells(manage, conf) == [("cell1", uuid, CELL1_MQ_MASKED, cloud.cell1, "False")]


def test_create_cell_falls_back_to_the_configuration(
    manage: Manage, conf: str, cloud: CloudDBs
) -> None:
    r = manage("cell_v2", "create_cell", conf=conf)

    assert (r.code, r.out, r.err) == (0, lines(TRANSPORT_FALLBACK, DATABASE_FALLBACK), "")
    [uuid] = cell_uuids(cloud)
    assert listed_cells(manage, conf, "--verbose") == [("", uuid, TRANSPORT, cloud.cell1, "False")]


def test_create_cell_without_a_transport_url_exits_1(
    manage: Manage, cloud: CloudDBs, write_conf: WriteConf
) -> None:
    conf = write_conf(conf_sections(cloud, transport=None))

    r = manage("cell_v2", "create_cell", "--database_connection", cloud.cell1, conf=conf)

    assert (r.code, r.out, r.err) == (1, lines(MUST_SPECIFY_TRANSPORT), "")
    assert cell_uuids(cloud) == []


def test_create_cell_without_a_database_connection_exits_1(
    manage: Manage, cloud: CloudDBs, write_conf: WriteConf
) -> None:
    conf = write_conf(conf_sections(cloud, local=None))

    r = manage("cell_v2", "create_cell", "--transport-url", CELL1_MQ, conf=conf)

    assert (r.code, r.out, r.err) == (1, lines(MUST_SPECIFY_DATABASE), "")
    assert cell_uuids(cloud) == []


@pytest.mark.parametrize(
    "bad_url", ["no-scheme", "rabbit://tessera:pw@mq.example:notaport/", "{bogus}://mq.example/"]
)
def test_create_cell_with_an_invalid_transport_url_exits_1(
    manage: Manage, conf: str, cloud: CloudDBs, bad_url: str
) -> None:
    r = manage(
        "cell_v2",
        "create_cell",
        "--transport-url",
        bad_url,
        "--database_connection",
        cloud.cell1,
        conf=conf,
    )

    assert (r.code, r.err) == (1, "")
    assert r.out.startswith("Invalid transport URL: ") and r.out.count("\n") == 1, r.out
    assert cell_uuids(cloud) == []


def test_create_cell_with_an_unknown_template_variable_names_it(
    manage: Manage, conf: str, cloud: CloudDBs
) -> None:
    r = manage(
        "cell_v2",
        "create_cell",
        "--transport-url",
        "{scheme}://{user}@mq9.example/",
        "--database_connection",
        cloud.cell1,
        conf=conf,
    )

    assert r.code == 1
    assert r.out.startswith("Invalid transport URL: ") and "{user}" in r.out, r.out
    assert cell_uuids(cloud) == []


@pytest.mark.parametrize("clash", ["transport", "database", "cell0 database"])
def test_create_cell_reusing_a_url_of_another_cell_exits_2(
    manage: Manage, conf: str, cells: CloudDBs, clash: str
) -> None:
    transport, database, owner = {
        "transport": (CELL1_MQ, "sqlite:////var/lib/tessera/cell9.db", CELL1_UUID),
        "database": ("rabbit://mq9.example/", cells.cell2, CELL2_UUID),
        "cell0 database": ("rabbit://mq9.example/", cells.cell0, CELL0_UUID),
    }[clash]

    r = manage(
        "cell_v2",
        "create_cell",
        "--name",
        "cell9",
        "--transport-url",
        transport,
        "--database_connection",
        database,
        conf=conf,
    )

    assert (r.code, r.out, r.err) == (2, already_exists(owner), "")
    assert cell_uuids(cells) == [CELL0_UUID, CELL1_UUID, CELL2_UUID]


def test_create_cell_compares_expanded_template_urls(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    # [DEFAULT] transport_url is rabbit://tessera:mqpass@mq.example:5672/
    add_cell(cells, "cell3", db="sqlite:////x/cell3.db", transport=TRANSPORT + "cell3")

    r = manage(
        "cell_v2",
        "create_cell",
        "--transport-url",
        "{scheme}://{username}:{password}@{hostname}:{port}/cell3",
        "--database_connection",
        "sqlite:////x/cell9.db",
        conf=conf,
    )

    assert r.code == 2
    assert r.out.startswith("The specified transport_url and/or database_connection")


def test_create_cell_stores_templates_raw_and_list_cells_expands_them(
    manage: Manage, cloud: CloudDBs, write_conf: WriteConf
) -> None:
    sections = conf_sections(cloud)
    sections["database"]["connection"] = "mysql+pymysql://tessera:dbpass@db.example:3306/tessera"
    conf = write_conf(sections)
    transport = "{scheme}://{username}:{password}@cell9-mq.example:{port}/{path}cell9"
    database = "{scheme}://{username}:{password}@{hostname}:{port}/cell9"

    uuid = create_cell(
        manage,
        conf,
        "--name",
        "cell9",
        "--transport-url",
        transport,
        "--database_connection",
        database,
    )

    row = cell_row(cloud, uuid)
    assert row is not None
    assert (row["transport_url"], row["database_connection"]) == (transport, database)
    assert listed_cells(manage, conf, "--verbose") == [
        (
            "cell9",
            uuid,
            "rabbit://tessera:mqpass@cell9-mq.example:5672/cell9",
            "mysql+pymysql://tessera:dbpass@db.example:3306/cell9",
            "False",
        )
    ]
    assert listed_cells(manage, conf) == [
        (
            "cell9",
            uuid,
            "rabbit://tessera:****@cell9-mq.example:5672/cell9",
            "mysql+pymysql://tessera:****@db.example:3306/cell9",
            "False",
        )
    ]


# --------------------------------------------------------------------------- list_cells

EXPECTED_TABLE = """\
+-------+--------------------------------------+----------------------------------------------+------------------------------------------------+----------+
|  Name |                 UUID                 |                Transport URL                 |              Database Connection               | Disabled |
+-------+--------------------------------------+----------------------------------------------+------------------------------------------------+----------+
| cell0 | 00000000-0000-0000-0000-000000000000 |                   none:///                   |      sqlite:////var/lib/tessera/cell0.db       |  False   |
| cell1 | 11111111-1111-4111-8111-111111111111 | rabbit://tessera:****@mq1.example:5672/cell1 | mysql+pymysql://tessera:****@db1.example/cell1 |   True   |
+-------+--------------------------------------+----------------------------------------------+------------------------------------------------+----------+
"""  # noqa: E501


def test_list_cells_prints_the_reference_table(manage: Manage, conf: str, cloud: CloudDBs) -> None:
    add_cell(
        cloud,
        "cell1",
        db="mysql+pymysql://tessera:dbpass@db1.example/cell1",
        transport="rabbit://tessera:mqpass@mq1.example:5672/cell1",
        uuid=CELL1_UUID,
        disabled=True,
    )
    add_cell(
        cloud,
        "cell0",
        db="sqlite:////var/lib/tessera/cell0.db",
        transport="none:///",
        uuid=CELL0_UUID,
    )

    r = manage("cell_v2", "list_cells", conf=conf)

    assert (r.code, r.out, r.err) == (0, EXPECTED_TABLE, "")


def test_list_cells_of_no_cells_prints_an_empty_table(manage: Manage, conf: str) -> None:
    assert listed_cells(manage, conf) == []


def test_list_cells_sorts_by_name_unnamed_first(manage: Manage, conf: str, cloud: CloudDBs) -> None:
    zeta = add_cell(cloud, "zeta", db="sqlite:///z.db", transport="rabbit://z/")
    first = add_cell(cloud, None, db="sqlite:///n1.db", transport="rabbit://n1/")
    alpha = add_cell(cloud, "alpha", db="sqlite:///a.db", transport="rabbit://a/")
    second = add_cell(cloud, "", db="sqlite:///n2.db", transport="rabbit://n2/")
    beta = add_cell(cloud, "Beta", db="sqlite:///b.db", transport="rabbit://b/", disabled=True)

    assert listed_cells(manage, conf) == [
        ("", first, "rabbit://n1/", "sqlite:///n1.db", "False"),
        ("", second, "rabbit://n2/", "sqlite:///n2.db", "False"),
        ("Beta", beta, "rabbit://b/", "sqlite:///b.db", "True"),
        ("alpha", alpha, "rabbit://a/", "sqlite:///a.db", "False"),
        ("zeta", zeta, "rabbit://z/", "sqlite:///z.db", "False"),
    ]


MASKING = [
    ("rabbit://u1:p1@h1:5672/vh", "rabbit://u1:****@h1:5672/vh"),
    # Every host of a multi-host URL is masked; none is swallowed.
    ("rabbit://u1:p1@h1:5672,u2:p2@h2:5672/vh", "rabbit://u1:****@h1:5672,u2:****@h2:5672/vh"),
    ("rabbit://u1:p1@h1,u2:p2@h2,h3:5673/vh?ssl=1", "rabbit://u1:****@h1,u2:****@h2,h3:5673/vh?ssl=1"),
    ("rabbit://u1:p@ss:w0rd@h1:5672/", "rabbit://u1:****@h1:5672/"),
    ("rabbit://guest@h1:5672/", "rabbit://guest@h1:5672/"),
    ("rabbit://h1:5672/", "rabbit://h1:5672/"),
    ("none:///", "none:///"),
]  # fmt: skip


def test_list_cells_masks_every_password(manage: Manage, conf: str, cloud: CloudDBs) -> None:
    masked_rows, verbose_rows = [], []
    for number, (url, masked) in enumerate(MASKING):
        db = url.replace("rabbit://", "postgresql+psycopg://", 1).split("?")[0]
        masked_db = masked.replace("rabbit://", "postgresql+psycopg://", 1).split("?")[0]
        uuid = add_cell(cloud, f"cell{number}", db=db, transport=url)
        masked_rows.append((f"cell{number}", uuid, masked, masked_db, "False"))
        verbose_rows.append((f"cell{number}", uuid, url, db, "False"))

    assert listed_cells(manage, conf) == masked_rows
    assert listed_cells(manage, conf, "--verbose") == verbose_rows


@pytest.mark.parametrize(
    ("template", "variable"),
    [
        ("{scheme}://{username}:{password}@mq9.example:{port}/", "{port}"),
        ("{scheme}://{user}@mq9.example/", "{user}"),
        ("{scheme}://{username1}@mq9.example/", "{username1}"),
    ],
)
def test_list_cells_names_the_cell_and_variable_of_a_bad_template(
    manage: Manage, cloud: CloudDBs, write_conf: WriteConf, template: str, variable: str
) -> None:
    conf = write_conf(conf_sections(cloud, transport="rabbit://tessera:mqpass@mq.example/"))
    uuid = add_cell(cloud, "cell9", db="sqlite:///c9.db", transport=template)

    r = manage("cell_v2", "list_cells", conf=conf)

    assert (r.code, r.out) == (1, "")
    assert r.err.startswith("ERROR: ") and r.err.count("\n") == 1, r.err
    assert "cell9" in r.err and uuid in r.err and variable in r.err
    assert "None" not in r.err


# --------------------------------------------------------------------------- update_cell


def update_cell(manage: Manage, conf: str, uuid: str, *flags: str) -> tuple[int, str, str]:
    r = manage("cell_v2", "update_cell", "--cell_uuid", uuid, *flags, conf=conf)
    return r.code, r.out, r.err


def test_update_cell_name_changes_only_the_name(manage: Manage, conf: str, cells: CloudDBs) -> None:
    before = cell_row(cells, CELL1_UUID)

    assert update_cell(manage, conf, CELL1_UUID, "--name", "cell-one") == (0, "", "")

    after = cell_row(cells, CELL1_UUID)
    assert before is not None and after is not None
    # The config's [DEFAULT] transport_url / [database] connection are not copied in.
    assert (after["name"], after["transport_url"], after["database_connection"]) == (
        "cell-one",
        CELL1_MQ,
        cells.cell1,
    )
    assert after["disabled"] == before["disabled"]


def test_update_cell_urls(manage: Manage, conf: str, cells: CloudDBs) -> None:
    new_mq = "rabbit://tessera:new@mq1b.example:5672/cell1"

    assert update_cell(manage, conf, CELL1_UUID, "--transport-url", new_mq) == (0, "", "")
    assert update_cell(
        manage, conf, CELL1_UUID, "--database_connection", "sqlite:////x/cell1b.db"
    ) == (0, "", "")

    assert listed_cells(manage, conf, "--verbose")[1] == (
        "cell1",
        CELL1_UUID,
        new_mq,
        "sqlite:////x/cell1b.db",
        "False",
    )


def test_update_cell_stores_a_template_raw(manage: Manage, conf: str, cells: CloudDBs) -> None:
    template = "{scheme}://{username}:{password}@mq1b.example:{port}/cell1"

    assert update_cell(manage, conf, CELL1_UUID, "--transport-url", template) == (0, "", "")

    row = cell_row(cells, CELL1_UUID)
    assert row is not None and row["transport_url"] == template
    assert listed_cells(manage, conf)[1][2] == "rabbit://tessera:****@mq1b.example:5672/cell1"


def test_update_cell_to_its_own_urls_is_no_clash(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    code = update_cell(
        manage,
        conf,
        CELL1_UUID,
        "--transport-url",
        CELL1_MQ,
        "--database_connection",
        cells.cell1,
    )
    assert code == (0, "", "")


def test_update_cell_disable_and_enable(manage: Manage, conf: str, cells: CloudDBs) -> None:
    assert update_cell(manage, conf, CELL1_UUID, "--disable") == (0, "", "")
    assert listed_cells(manage, conf)[1][4] == "True"
    assert update_cell(manage, conf, CELL1_UUID, "--disable") == (
        0,
        lines(f"Cell {CELL1_UUID} is already disabled"),
        "",
    )
    assert update_cell(manage, conf, CELL1_UUID, "--enable") == (0, "", "")
    assert update_cell(manage, conf, CELL1_UUID, "--enable") == (
        0,
        lines(f"Cell {CELL1_UUID} is already enabled"),
        "",
    )
    assert listed_cells(manage, conf)[1][4] == "False"


def test_update_cell_of_an_unknown_cell_exits_1(manage: Manage, conf: str, cells: CloudDBs) -> None:
    assert update_cell(manage, conf, UNKNOWN_UUID, "--name", "x") == (
        1,
        not_found(UNKNOWN_UUID),
        "",
    )


def test_update_cell_with_an_invalid_transport_url_exits_1_and_changes_nothing(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    before = cell_row(cells, CELL1_UUID)

    code, out, err = update_cell(
        manage, conf, CELL1_UUID, "--name", "renamed", "--transport-url", "no-scheme"
    )

    assert (code, err) == (1, "")
    assert out.startswith("Invalid transport URL: ") and out.count("\n") == 1, out
    assert cell_row(cells, CELL1_UUID) == before


def test_update_cell_with_a_malformed_database_connection_exits_1(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    before = cell_row(cells, CELL1_UUID)

    code, out, err = update_cell(manage, conf, CELL1_UUID, "--database_connection", "not a url")

    assert (code, out) == (1, "")
    assert err.startswith("ERROR: ") and err.count("\n") == 1, err
    assert cell_row(cells, CELL1_UUID) == before


@pytest.fixture
def frozen_cell_mappings(cloud: CloudDBs) -> Iterator[None]:
    """A trigger that makes every UPDATE of cell_mappings fail (dropped afterwards)."""
    backend = cloud.backend.name
    create, drop = {
        "sqlite": (
            [
                "CREATE TRIGGER tt_frozen BEFORE UPDATE ON cell_mappings "
                "BEGIN SELECT RAISE(ABORT, 'cell mappings are frozen'); END"
            ],
            ["DROP TRIGGER tt_frozen"],
        ),
        "mysql": (
            [
                "CREATE TRIGGER tt_frozen BEFORE UPDATE ON cell_mappings FOR EACH ROW "
                "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'cell mappings are frozen'"
            ],
            ["DROP TRIGGER tt_frozen"],
        ),
        "postgresql": (
            [
                "CREATE FUNCTION tt_frozen() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'cell mappings are frozen'; END $$",
                "CREATE TRIGGER tt_frozen BEFORE UPDATE ON cell_mappings "
                "FOR EACH ROW EXECUTE FUNCTION tt_frozen()",
            ],
            ["DROP TRIGGER tt_frozen ON cell_mappings", "DROP FUNCTION tt_frozen()"],
        ),
    }[backend]
    with cloud.engine("api").begin() as conn:
        for statement in create:
            conn.execute(sa.text(statement))
    yield
    with cloud.engine("api").begin() as conn:
        for statement in drop:
            conn.execute(sa.text(statement))


def test_update_cell_that_cannot_be_saved_exits_2(
    manage: Manage, conf: str, cells: CloudDBs, frozen_cell_mappings: None
) -> None:
    code, out, err = update_cell(manage, conf, CELL1_UUID, "--name", "renamed")

    assert (code, err) == (2, "")
    assert out.startswith("Unable to update CellMapping: ") and out.count("\n") == 1, out
    assert "cell mappings are frozen" in out


@pytest.mark.parametrize("clash", ["transport", "database"])
def test_update_cell_to_a_url_of_another_cell_exits_3(
    manage: Manage, conf: str, cells: CloudDBs, clash: str
) -> None:
    flag, value = {
        "transport": ("--transport-url", CELL2_MQ),
        "database": ("--database_connection", cells.cell2),
    }[clash]
    before = cell_row(cells, CELL1_UUID)

    assert update_cell(manage, conf, CELL1_UUID, flag, value) == (
        3,
        already_exists(CELL2_UUID),
        "",
    )
    assert cell_row(cells, CELL1_UUID) == before


def test_update_cell_disable_and_enable_together_exits_4(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    assert update_cell(manage, conf, CELL1_UUID, "--disable", "--enable") == (
        4,
        lines("Cell cannot be disabled and enabled at the same time."),
        "",
    )


@pytest.mark.parametrize("flag", ["--disable", "--enable"])
def test_update_cell0_disable_or_enable_exits_5(
    manage: Manage, conf: str, cells: CloudDBs, flag: str
) -> None:
    assert update_cell(manage, conf, CELL0_UUID, flag) == (
        5,
        lines("Cell0 cannot be disabled."),
        "",
    )
    assert listed_cells(manage, conf)[0][4] == "False"


# --------------------------------------------------------------------------- delete_cell


def delete_cell(manage: Manage, conf: str, uuid: str, *flags: str) -> tuple[int, str, str]:
    r = manage("cell_v2", "delete_cell", "--cell_uuid", uuid, *flags, conf=conf)
    return r.code, r.out, r.err


def test_delete_cell_of_an_empty_cell(manage: Manage, conf: str, cells: CloudDBs) -> None:
    assert delete_cell(manage, conf, CELL2_UUID) == (0, "", "")

    assert cell_uuids(cells) == [CELL0_UUID, CELL1_UUID]


def test_delete_cell_of_an_unknown_cell_exits_1(manage: Manage, conf: str, cells: CloudDBs) -> None:
    assert delete_cell(manage, conf, UNKNOWN_UUID) == (1, not_found(UNKNOWN_UUID), "")


def test_delete_cell_with_hosts_exits_2_without_force(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    add_host_mapping(cells, "compute1", CELL1_UUID)

    assert delete_cell(manage, conf, CELL1_UUID) == (
        2,
        lines(f"There are existing hosts mapped to cell with uuid {CELL1_UUID}."),
        "",
    )
    assert CELL1_UUID in cell_uuids(cells)


def test_delete_cell_force_with_live_instances_exits_3(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    add_nodes(cells.engine("cell1"), "compute1", mapped=1)
    add_host_mapping(cells, "compute1", CELL1_UUID)
    [gone] = add_instances(cells.engine("cell1"), 1, deleted=True)
    [live] = add_instances(cells.engine("cell1"), 1)
    for server in (gone, live):
        add_instance_mapping(cells, server, CELL1_UUID)

    assert delete_cell(manage, conf, CELL1_UUID, "--force") == (
        3,
        lines(f"There are existing instances mapped to cell with uuid {CELL1_UUID}."),
        "",
    )

    assert CELL1_UUID in cell_uuids(cells)
    assert set(instance_mappings(cells)) == {gone, live}
    assert host_mappings(cells) == {"compute1": CELL1_UUID}
    assert mapped_flags(cells.engine("cell1")) == {"compute1": 1}


def test_delete_cell_with_live_instances_and_no_hosts_exits_3(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    [live] = add_instances(cells.engine("cell1"), 1)
    add_instance_mapping(cells, live, CELL1_UUID)

    assert delete_cell(manage, conf, CELL1_UUID) == (
        3,
        lines(f"There are existing instances mapped to cell with uuid {CELL1_UUID}."),
        "",
    )


def test_delete_cell_with_only_deleted_instances_exits_4_without_force(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    [gone] = add_instances(cells.engine("cell1"), 1, deleted=True)
    add_instance_mapping(cells, gone, CELL1_UUID)

    assert delete_cell(manage, conf, CELL1_UUID) == (
        4,
        lines(
            f"There are instance mappings to cell with uuid {CELL1_UUID}, but all instances "
            "have been deleted in the cell.",
            "So execute 'tessera-manage db archive_deleted_rows' to delete the instance mappings.",
        ),
        "",
    )
    assert instance_mappings(cells) == {gone: CELL1_UUID}


def test_delete_cell_force_removes_hosts_and_deleted_instances(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    cell1 = cells.engine("cell1")
    add_nodes(cell1, "compute1", "compute2", mapped=1)
    add_host_mapping(cells, "compute1", CELL1_UUID)
    add_host_mapping(cells, "compute2", CELL1_UUID)
    add_nodes(cells.engine("cell2"), "compute3", mapped=1)
    add_host_mapping(cells, "compute3", CELL2_UUID)
    [gone] = add_instances(cell1, 1, deleted=True)
    add_instance_mapping(cells, gone, CELL1_UUID)
    [elsewhere] = add_instances(cells.engine("cell2"), 1)
    add_instance_mapping(cells, elsewhere, CELL2_UUID)

    assert delete_cell(manage, conf, CELL1_UUID, "--force") == (0, "", "")

    assert cell_uuids(cells) == [CELL0_UUID, CELL2_UUID]
    assert host_mappings(cells) == {"compute3": CELL2_UUID}
    assert instance_mappings(cells) == {elsewhere: CELL2_UUID}
    # Discovery would find the hosts again if the cell were re-created.
    assert mapped_flags(cell1) == {"compute1": 0, "compute2": 0}
    assert mapped_flags(cells.engine("cell2")) == {"compute3": 1}


def test_delete_cell_force_with_only_hosts(manage: Manage, conf: str, cells: CloudDBs) -> None:
    add_nodes(cells.engine("cell1"), "compute1", mapped=1)
    add_host_mapping(cells, "compute1", CELL1_UUID)

    assert delete_cell(manage, conf, CELL1_UUID, "--force") == (0, "", "")

    assert host_mappings(cells) == {}
    assert mapped_flags(cells.engine("cell1")) == {"compute1": 0}


def test_delete_cell_force_after_a_bounded_map_instances(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    add_instances(cells.engine("cell1"), 3, deleted=True)
    r = manage("cell_v2", "map_instances", "--cell_uuid", CELL1_UUID, "--max-count", "1", conf=conf)
    assert r.code == 1
    assert cursor_rows(cells) != []

    assert delete_cell(manage, conf, CELL1_UUID, "--force") == (0, "", "")

    assert cell_uuids(cells) == [CELL0_UUID, CELL2_UUID]
    assert cursor_rows(cells) == []
    assert instance_mappings(cells) == {}
