"""``tessera-manage cell_v2 discover_hosts | list_hosts | delete_host`` on every backend."""

from __future__ import annotations

from tests.conftest import CloudDBs, Result
from tests.manage.helpers import (
    CELL0_UUID,
    CELL1_UUID,
    CELL2_UUID,
    UNKNOWN_UUID,
    Manage,
    add_cell,
    add_host_mapping,
    add_instances,
    add_node,
    add_nodes,
    add_service,
    host_mappings,
    lines,
    listed_hosts,
    mapped_flags,
)


def discover(manage: Manage, conf: str, *flags: str) -> Result:
    return manage("cell_v2", "discover_hosts", *flags, conf=conf)


def not_found(uuid: str) -> Result:
    return Result(1, lines(f"Cell with uuid {uuid} was not found."), "")


# --------------------------------------------------------------------------- discover_hosts


def test_discover_hosts_maps_new_hosts_of_every_cell(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    add_nodes(cells.engine("cell1"), "compute1", "compute2")
    add_nodes(cells.engine("cell2"), "compute3")

    assert discover(manage, conf) == Result(0, "", "")

    assert host_mappings(cells) == {
        "compute1": CELL1_UUID,
        "compute2": CELL1_UUID,
        "compute3": CELL2_UUID,
    }
    assert mapped_flags(cells.engine("cell1")) == {"compute1": 1, "compute2": 1}
    assert mapped_flags(cells.engine("cell2")) == {"compute3": 1}


def test_discover_hosts_verbose_tells_what_it_does(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    node = add_node(cells.engine("cell1"), "compute1")

    r = discover(manage, conf, "--verbose")

    # The reference's order: a cell's "Found <n> unmapped computes" line comes last.
    assert r == Result(
        0,
        lines(
            "Found 3 cell mappings.",
            "Skipping cell0 since it does not contain hosts.",
            f"Getting computes from cell 'cell1': {CELL1_UUID}",
            f"Checking host mapping for compute host 'compute1': {node}",
            f"Creating host mapping for compute host 'compute1': {node}",
            f"Found 1 unmapped computes in cell: {CELL1_UUID}",
            f"Getting computes from cell 'cell2': {CELL2_UUID}",
            f"Found 0 unmapped computes in cell: {CELL2_UUID}",
        ),
        "",
    )


def test_discover_hosts_verbose_of_one_unnamed_cell(
    manage: Manage, conf: str, cloud: CloudDBs
) -> None:
    uuid = add_cell(cloud, None, db=cloud.cell1, transport="rabbit://mq1.example/")

    r = discover(manage, conf, "--cell_uuid", uuid, "--verbose")

    assert r == Result(
        0,
        lines(
            f"Getting computes from cell: {uuid}",
            f"Found 0 unmapped computes in cell: {uuid}",
        ),
        "",
    )


def test_discover_hosts_only_in_the_given_cell(manage: Manage, conf: str, cells: CloudDBs) -> None:
    add_nodes(cells.engine("cell1"), "compute1")
    add_nodes(cells.engine("cell2"), "compute3")

    assert discover(manage, conf, "--cell_uuid", CELL2_UUID) == Result(0, "", "")

    assert host_mappings(cells) == {"compute3": CELL2_UUID}
    assert mapped_flags(cells.engine("cell1")) == {"compute1": 0}


def test_discover_hosts_in_an_unknown_cell_exits_1(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    assert discover(manage, conf, "--cell_uuid", UNKNOWN_UUID) == not_found(UNKNOWN_UUID)
    assert discover(manage, conf, "--cell_uuid", UNKNOWN_UUID, "--verbose") == not_found(
        UNKNOWN_UUID
    )


def test_discover_hosts_strict_exits_1_when_nothing_was_new(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    add_nodes(cells.engine("cell1"), "compute1")

    assert discover(manage, conf, "--strict") == Result(0, "", "")
    assert discover(manage, conf, "--strict") == Result(1, "", "")
    assert discover(manage, conf) == Result(0, "", "")

    add_nodes(cells.engine("cell2"), "compute3")
    assert discover(manage, conf, "--strict") == Result(0, "", "")


def test_discover_hosts_strict_with_no_computes_at_all_exits_1(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    assert discover(manage, conf, "--strict") == Result(1, "", "")


def test_discover_hosts_is_idempotent(manage: Manage, conf: str, cells: CloudDBs) -> None:
    add_nodes(cells.engine("cell1"), "compute1", "compute2")
    assert discover(manage, conf).code == 0
    first = host_mappings(cells)

    assert discover(manage, conf) == Result(0, "", "")

    assert host_mappings(cells) == first
    assert listed_hosts(manage, conf) == [
        ("cell1", CELL1_UUID, "compute1"),
        ("cell1", CELL1_UUID, "compute2"),
    ]


def test_discover_hosts_skips_cell0(manage: Manage, conf: str, cells: CloudDBs) -> None:
    add_nodes(cells.engine("cell0"), "stray")

    assert discover(manage, conf, "--cell_uuid", CELL0_UUID, "--verbose") == Result(
        0, lines("Skipping cell0 since it does not contain hosts."), ""
    )
    assert discover(manage, conf) == Result(0, "", "")

    assert host_mappings(cells) == {}
    assert mapped_flags(cells.engine("cell0")) == {"stray": 0}


def test_discover_hosts_maps_a_host_once_for_all_its_nodes(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    cell1 = cells.engine("cell1")
    add_node(cell1, "compute1", node="compute1-a")
    add_node(cell1, "compute1", node="compute1-b")
    add_node(cell1, "compute1", node="compute1-old", deleted=True)

    assert discover(manage, conf, "--strict") == Result(0, "", "")

    assert host_mappings(cells) == {"compute1": CELL1_UUID}
    assert mapped_flags(cell1) == {"compute1-a": 1, "compute1-b": 1, "compute1-old": 0}


def test_discover_hosts_marks_nodes_of_hosts_already_mapped_to_their_cell(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    node = add_node(cells.engine("cell1"), "compute1")
    add_host_mapping(cells, "compute1", CELL1_UUID)

    r = discover(manage, conf, "--cell_uuid", CELL1_UUID, "--verbose", "--strict")

    assert r.code == 1  # nothing new was mapped
    assert f"Checking host mapping for compute host 'compute1': {node}" in r.out.splitlines()
    assert "Creating host mapping" not in r.out
    assert mapped_flags(cells.engine("cell1")) == {"compute1": 1}


def test_discover_hosts_leaves_a_host_mapped_to_another_cell_alone(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    add_host_mapping(cells, "compute1", CELL1_UUID)
    add_nodes(cells.engine("cell2"), "compute1", "compute3")

    assert discover(manage, conf) == Result(0, "", "")

    assert host_mappings(cells) == {"compute1": CELL1_UUID, "compute3": CELL2_UUID}
    # Not marked: the node is examined again on the next run.
    assert mapped_flags(cells.engine("cell2")) == {"compute1": 0, "compute3": 1}
    r = discover(manage, conf, "--cell_uuid", CELL2_UUID, "--verbose", "--strict")
    assert r.code == 1
    assert "Creating host mapping" not in r.out


def test_discover_hosts_by_service(manage: Manage, conf: str, cells: CloudDBs) -> None:
    cell1 = cells.engine("cell1")
    add_service(cell1, "compute1")
    add_service(cell1, "compute2", disabled=True)
    add_service(cell1, "compute3", deleted=True)
    add_service(cell1, "conductor1", binary="tessera-conductor")
    add_nodes(cell1, "compute1")

    assert discover(manage, conf, "--by-service", "--strict") == Result(0, "", "")

    assert host_mappings(cells) == {"compute1": CELL1_UUID, "compute2": CELL1_UUID}
    assert mapped_flags(cell1) == {"compute1": 0}  # nodes are not looked at
    assert discover(manage, conf, "--by-service", "--strict") == Result(1, "", "")


def test_discover_hosts_by_service_verbose(manage: Manage, conf: str, cells: CloudDBs) -> None:
    add_service(cells.engine("cell1"), "ironic1")

    r = discover(manage, conf, "--by-service", "--cell_uuid", CELL1_UUID, "--verbose")

    assert r == Result(
        0,
        lines(
            f"Getting computes from cell 'cell1': {CELL1_UUID}",
            "Creating host mapping for service ironic1",
            f"Found 1 unmapped computes in cell: {CELL1_UUID}",
        ),
        "",
    )


# --------------------------------------------------------------------------- list_hosts

EXPECTED_HOSTS = """\
+-----------+--------------------------------------+-----------+
| Cell Name |              Cell UUID               |  Hostname |
+-----------+--------------------------------------+-----------+
|   cell1   | 11111111-1111-4111-8111-111111111111 |  compute1 |
|   cell2   | 22222222-2222-4222-8222-222222222222 | compute10 |
+-----------+--------------------------------------+-----------+
"""


def test_list_hosts_prints_the_reference_table(manage: Manage, conf: str, cells: CloudDBs) -> None:
    add_host_mapping(cells, "compute10", CELL2_UUID)
    add_host_mapping(cells, "compute1", CELL1_UUID)

    assert manage("cell_v2", "list_hosts", conf=conf) == Result(0, EXPECTED_HOSTS, "")


def test_list_hosts_sorted_by_hostname(manage: Manage, conf: str, cells: CloudDBs) -> None:
    unnamed = add_cell(cells, None, db="sqlite:///u.db", transport="rabbit://u/")
    for host, cell in [("c", CELL2_UUID), ("a", CELL1_UUID), ("d", unnamed), ("b", CELL2_UUID)]:
        add_host_mapping(cells, host, cell)

    assert listed_hosts(manage, conf) == [
        ("cell1", CELL1_UUID, "a"),
        ("cell2", CELL2_UUID, "b"),
        ("cell2", CELL2_UUID, "c"),
        ("", unnamed, "d"),
    ]
    assert listed_hosts(manage, conf, "--cell_uuid", CELL2_UUID) == [
        ("cell2", CELL2_UUID, "b"),
        ("cell2", CELL2_UUID, "c"),
    ]
    assert listed_hosts(manage, conf, "--cell_uuid", CELL0_UUID) == []


def test_list_hosts_of_an_unknown_cell_exits_1(manage: Manage, conf: str, cells: CloudDBs) -> None:
    r = manage("cell_v2", "list_hosts", "--cell_uuid", UNKNOWN_UUID, conf=conf)

    assert r == not_found(UNKNOWN_UUID)


# --------------------------------------------------------------------------- delete_host


def delete_host(manage: Manage, conf: str, cell: str, host: str) -> Result:
    return manage("cell_v2", "delete_host", "--cell_uuid", cell, "--host", host, conf=conf)


def test_delete_host_removes_its_mapping_and_resets_its_nodes(
    manage: Manage, conf: str, cells: CloudDBs
) -> None:
    cell1 = cells.engine("cell1")
    add_node(cell1, "compute1", node="compute1-a", mapped=1)
    add_node(cell1, "compute1", node="compute1-b", mapped=1)
    add_node(cell1, "compute2", mapped=1)
    add_host_mapping(cells, "compute1", CELL1_UUID)
    add_host_mapping(cells, "compute2", CELL1_UUID)
    add_instances(cell1, 1, host="compute1", deleted=True)

    assert delete_host(manage, conf, CELL1_UUID, "compute1") == Result(0, "", "")

    assert host_mappings(cells) == {"compute2": CELL1_UUID}
    assert mapped_flags(cell1) == {"compute1-a": 0, "compute1-b": 0, "compute2": 1}
    # Discovery maps it again.
    assert discover(manage, conf, "--strict") == Result(0, "", "")
    assert host_mappings(cells) == {"compute1": CELL1_UUID, "compute2": CELL1_UUID}


def test_delete_host_without_compute_nodes(manage: Manage, conf: str, cells: CloudDBs) -> None:
    add_host_mapping(cells, "ironic1", CELL1_UUID)

    assert delete_host(manage, conf, CELL1_UUID, "ironic1") == Result(0, "", "")

    assert host_mappings(cells) == {}


def test_delete_host_in_an_unknown_cell_exits_1(manage: Manage, conf: str, cells: CloudDBs) -> None:
    add_host_mapping(cells, "compute1", CELL1_UUID)

    assert delete_host(manage, conf, UNKNOWN_UUID, "compute1") == not_found(UNKNOWN_UUID)
    assert host_mappings(cells) == {"compute1": CELL1_UUID}


def test_delete_host_that_is_not_mapped_exits_2(manage: Manage, conf: str, cells: CloudDBs) -> None:
    assert delete_host(manage, conf, CELL1_UUID, "compute9") == Result(
        2, lines("The host compute9 was not found."), ""
    )


def test_delete_host_of_another_cell_exits_3(manage: Manage, conf: str, cells: CloudDBs) -> None:
    add_host_mapping(cells, "compute1", CELL1_UUID)

    assert delete_host(manage, conf, CELL2_UUID, "compute1") == Result(
        3, lines(f"The host compute1 was not found in the cell {CELL2_UUID}."), ""
    )
    assert host_mappings(cells) == {"compute1": CELL1_UUID}


def test_delete_host_with_instances_exits_4(manage: Manage, conf: str, cells: CloudDBs) -> None:
    cell1 = cells.engine("cell1")
    add_nodes(cell1, "compute1", mapped=1)
    add_host_mapping(cells, "compute1", CELL1_UUID)
    add_instances(cell1, 1, host="compute1")

    assert delete_host(manage, conf, CELL1_UUID, "compute1") == Result(
        4, lines("There are instances on the host compute1."), ""
    )
    assert host_mappings(cells) == {"compute1": CELL1_UUID}
    assert mapped_flags(cell1) == {"compute1": 1}


def test_delete_host_needs_both_flags(manage: Manage, conf: str, cells: CloudDBs) -> None:
    r = manage("cell_v2", "delete_host", "--cell_uuid", CELL1_UUID, conf=conf)

    assert (r.code, r.out) == (2, "")
    assert "--host" in r.err
