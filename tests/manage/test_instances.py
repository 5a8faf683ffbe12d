"""``tessera-manage cell_v2 map_instances | verify_instance`` on every backend."""

from __future__ import annotations

import pytest

from tests.conftest import CloudDBs, Result
from tests.manage.helpers import (
    CELL1_UUID,
    CELL2_UUID,
    UNKNOWN_UUID,
    Manage,
    add_cell,
    add_instance_mapping,
    add_instances,
    archive,
    cursor_rows,
    delete_instance_mappings,
    instance_id,
    instance_mapping_rows,
    instance_mappings,
    lines,
    soft_delete,
)


def map_instances(manage: Manage, conf: str, *flags: str, cell: str = CELL1_UUID) -> Result:
    return manage("cell_v2", "map_instances", "--cell_uuid", cell, *flags, conf=conf)


# --------------------------------------------------------------------------- map_instances


def test_map_instances_maps_every_instance_deleted_ones_too(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    cell1 = cells.engine("cell1")
    live = add_instances(cell1, 3, project="p1", user="u1")
    gone = add_instances(cell1, 2, project="p2", user="u2", deleted=True)
    elsewhere = add_instances(cells.engine("cell2"), 1)

    assert map_instances(manage, conf) == Result(0, "", "")

    assert instance_mappings(cells) == dict.fromkeys(live + gone, CELL1_UUID)
    rows = {r["instance_uuid"]: r for r in instance_mapping_rows(cells)}
    assert {(rows[u]["project_id"], rows[u]["user_id"]) for u in live} == {("p1", "u1")}
    assert {(rows[u]["project_id"], rows[u]["user_id"]) for u in gone} == {("p2", "u2")}
    assert not any(rows[u]["queued_for_delete"] for u in live)
    assert elsewhere[0] not in rows
    assert cursor_rows(cells) == []


def test_map_instances_of_an_empty_cell(manage: Manage, conf: str, cells: CloudDBs) -> None:
    assert map_instances(manage, conf) == Result(0, "", "")
    assert map_instances(manage, conf, "--max-count", "5") == Result(0, "", "")

    assert instance_mappings(cells) == {}


@pytest.mark.parametrize("count", ["0", "-1", "abc", "1.5"])
def test_map_instances_with_a_bad_max_count_exits_127(
    manage: Manage, conf: str, cells: CloudDBs, count: str
) -> None:
    add_instances(cells.engine("cell1"), 1)

    r = map_instances(manage, conf, f"--max-count={count}")

    assert r == Result(127, lines("Must supply a positive value for max-count"), "")
    assert instance_mappings(cells) == {}


def test_map_instances_negative_max_count_as_separate_argument(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    r = map_instances(manage, conf, "--max-count", "-1")

    assert r == Result(127, lines("Must supply a positive value for max-count"), "")


def test_map_instances_bad_max_count_is_checked_before_the_cell(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    r = map_instances(manage, conf, "--max-count", "0", cell=UNKNOWN_UUID)

    assert r.code == 127


def test_map_instances_of_an_unknown_cell_exits_1(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    assert map_instances(manage, conf, cell=UNKNOWN_UUID) == Result(
        1, lines(f"Cell with uuid {UNKNOWN_UUID} was not found."), ""
    )


def test_map_instances_resumes_where_a_bounded_run_stopped(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    servers = add_instances(cells.engine("cell1"), 7)

    assert map_instances(manage, conf, "--max-count", "3") == Result(1, "", "")
    assert set(instance_mappings(cells)) == set(servers[:3])
    assert map_instances(manage, conf, "--max-count", "3") == Result(1, "", "")
    assert set(instance_mappings(cells)) == set(servers[:6])
    assert map_instances(manage, conf, "--max-count", "3") == Result(0, "", "")

    # All seven mapped exactly once, and no marker rows among the mappings.
    rows = instance_mapping_rows(cells)
    assert sorted(r["instance_uuid"] for r in rows) == sorted(servers)
    assert cursor_rows(cells) == []


def test_map_instances_keeps_its_cursor_in_the_cursor_table(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    servers = add_instances(cells.engine("cell1"), 3)

    assert map_instances(manage, conf, "--max-count", "2").code == 1

    assert cursor_rows(cells) == [(CELL1_UUID, instance_id(cells.engine("cell1"), servers[1]))]
    assert len(instance_mapping_rows(cells)) == 2


def test_map_instances_with_exactly_max_count_left_exits_0(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    servers = add_instances(cells.engine("cell1"), 6)

    assert map_instances(manage, conf, "--max-count", "3") == Result(1, "", "")
    assert map_instances(manage, conf, "--max-count", "3") == Result(0, "", "")

    assert set(instance_mappings(cells)) == set(servers)
    assert cursor_rows(cells) == []


def test_map_instances_max_count_equal_to_all_exits_0(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    servers = add_instances(cells.engine("cell1"), 3)

    assert map_instances(manage, conf, "--max-count", "3") == Result(0, "", "")

    assert set(instance_mappings(cells)) == set(servers)


def test_map_instances_picks_up_instances_created_after_a_bounded_run(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    cell1 = cells.engine("cell1")
    first = add_instances(cell1, 3)
    assert map_instances(manage, conf, "--max-count", "3") == Result(0, "", "")

    later = add_instances(cell1, 2)
    assert map_instances(manage, conf) == Result(0, "", "")

    assert set(instance_mappings(cells)) == set(first + later)


def test_map_instances_without_reset_resumes_after_the_cursor(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    servers = add_instances(cells.engine("cell1"), 4)
    assert map_instances(manage, conf, "--max-count", "2").code == 1
    delete_instance_mappings(cells, servers[:2])

    assert map_instances(manage, conf) == Result(0, "", "")

    assert set(instance_mappings(cells)) == set(servers[2:])


def test_map_instances_reset_starts_over(manage: Manage, conf: str, cells: CloudDBs) -> None:
    servers = add_instances(cells.engine("cell1"), 4)
    assert map_instances(manage, conf, "--max-count", "2").code == 1
    delete_instance_mappings(cells, servers[:2])

    assert map_instances(manage, conf, "--reset") == Result(0, "", "")

    assert set(instance_mappings(cells)) == set(servers)
    assert cursor_rows(cells) == []


def test_map_instances_resumes_even_if_the_cursor_instance_was_archived(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    cell1 = cells.engine("cell1")
    servers = add_instances(cell1, 4)
    assert map_instances(manage, conf, "--max-count", "2").code == 1
    soft_delete(cell1, servers[1])
    archive(cell1, servers[1])

    assert map_instances(manage, conf, "--max-count", "2") == Result(0, "", "")

    assert set(instance_mappings(cells)) == set(servers)


def test_map_instances_cursors_are_per_cell(manage: Manage, conf: str, cells: CloudDBs) -> None:
    one = add_instances(cells.engine("cell1"), 3)
    two = add_instances(cells.engine("cell2"), 3)

    assert map_instances(manage, conf, "--max-count", "2").code == 1
    assert map_instances(manage, conf, "--max-count", "5", cell=CELL2_UUID).code == 0
    assert map_instances(manage, conf, "--max-count", "2").code == 0

    assert instance_mappings(cells) == {
        **dict.fromkeys(one, CELL1_UUID),
        **dict.fromkeys(two, CELL2_UUID),
    }


def test_map_instances_skips_instances_already_mapped(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    servers = add_instances(cells.engine("cell1"), 3)
    add_instance_mapping(cells, servers[0], CELL1_UUID)
    # A mapping to another cell (a move in progress) is not overwritten.
    add_instance_mapping(cells, servers[1], CELL2_UUID)

    assert map_instances(manage, conf) == Result(0, "", "")
    assert map_instances(manage, conf) == Result(0, "", "")

    assert instance_mappings(cells) == {
        servers[0]: CELL1_UUID,
        servers[1]: CELL2_UUID,
        servers[2]: CELL1_UUID,
    }


# --------------------------------------------------------------------------- verify_instance


def verify(manage: Manage, conf: str, uuid: str, *flags: str) -> Result:
    return manage("cell_v2", "verify_instance", "--uuid", uuid, *flags, conf=conf)


def test_verify_instance_in_a_cell_exits_0(manage: Manage, conf: str, cells: CloudDBs) -> None:
    [server] = add_instances(cells.engine("cell2"), 1)
    add_instance_mapping(cells, server, CELL2_UUID)

    assert verify(manage, conf, server) == Result(
        0, lines(f"Instance {server} is in cell: cell2 ({CELL2_UUID})"), ""
    )


def test_verify_instance_in_an_unnamed_cell(manage: Manage, conf: str, cloud: CloudDBs) -> None:
    uuid = add_cell(cloud, None, db=cloud.cell1, transport="rabbit://mq1.example/")
    [server] = add_instances(cloud.engine("cell1"), 1)
    add_instance_mapping(cloud, server, uuid)

    assert verify(manage, conf, server) == Result(
        0, lines(f"Instance {server} is in cell: None ({uuid})"), ""
    )


def test_verify_instance_not_mapped_exits_1(manage: Manage, conf: str, cells: CloudDBs) -> None:
    [server] = add_instances(cells.engine("cell1"), 1)

    assert verify(manage, conf, server) == Result(
        1,
        lines(
            f"Instance {server} is not mapped to a cell (upgrade is incomplete) or instance "
            "does not exist"
        ),
        "",
    )


def test_verify_instance_mapped_to_no_cell_exits_2(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    server = "c0ffee00-0000-4000-8000-000000000001"
    add_instance_mapping(cells, server, None)  # still being built

    assert verify(manage, conf, server) == Result(
        2, lines(f"Instance {server} is not mapped to a cell"), ""
    )


def test_verify_instance_deleted_exits_3(manage: Manage, conf: str, cells: CloudDBs) -> None:
    [server] = add_instances(cells.engine("cell1"), 1, deleted=True)
    add_instance_mapping(cells, server, CELL1_UUID)

    assert verify(manage, conf, server) == Result(
        3,
        lines(
            f"The instance with uuid {server} has been deleted.",
            "Execute 'tessera-manage db archive_deleted_rows' command to archive this deleted "
            "instance and remove its instance_mapping.",
        ),
        "",
    )


def test_verify_instance_archived_exits_4(manage: Manage, conf: str, cells: CloudDBs) -> None:
    [server] = add_instances(cells.engine("cell1"), 1, deleted=True)
    add_instance_mapping(cells, server, CELL1_UUID)
    archive(cells.engine("cell1"), server)

    assert verify(manage, conf, server) == Result(
        4,
        lines(
            f"The instance with uuid {server} has been archived.",
            "However its instance_mapping remains.",
        ),
        "",
    )


@pytest.mark.parametrize("state", ["present", "unmapped", "no cell", "deleted", "archived"])
def test_verify_instance_quiet_prints_nothing(
    manage: Manage, conf: str, cells: CloudDBs, state: str
) -> None:
    cell1 = cells.engine("cell1")
    [server] = add_instances(cell1, 1, deleted=state in ("deleted", "archived"))
    if state != "unmapped":
        add_instance_mapping(cells, server, None if state == "no cell" else CELL1_UUID)
    if state == "archived":
        archive(cell1, server)
    expected = ["present", "unmapped", "no cell", "deleted", "archived"].index(state)

    assert verify(manage, conf, server, "--quiet") == Result(expected, "", "")
