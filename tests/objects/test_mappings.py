"""The mapping records' queries (cell, host and instance mappings, cursors), on every backend."""

from __future__ import annotations

import pytest

from tessera.objects import cell_mapping, host_mapping, instance_mapping, mapping_cursor
from tessera.objects.cell_mapping import URLBases
from tessera.objects.errors import CellMappingNotFound, InstanceMappingNotFound
from tessera.objects.instance_mapping import NewMapping
from tests.conftest import CloudDBs
from tests.manage.helpers import CELL1_UUID, CELL2_UUID, add_cell, map_cells

BASES = URLBases("rabbit://tessera:mqpass@mq.example:5672/", "sqlite:////x/local.db")
SERVER = "c0ffee00-0000-4000-8000-000000000001"


@pytest.fixture
def cells(cloud: CloudDBs) -> CloudDBs:
    map_cells(cloud)
    return cloud


def cell_id(cloud: CloudDBs, uuid: str) -> int:
    with cloud.engine("api").connect() as conn:
        return cell_mapping.get_by_uuid(conn, uuid, BASES).id


def test_cell_mappings_load_in_creation_order_with_expanded_urls(cloud: CloudDBs) -> None:
    add_cell(cloud, "zeta", db="sqlite:////x/z.db", transport="{scheme}://{hostname}:{port}/z")
    add_cell(cloud, "alpha", db="sqlite:////x/a.db", transport="rabbit://a/")

    with cloud.engine("api").connect() as conn:
        cells = cell_mapping.get_all(conn, BASES)

    assert [(c.name, c.transport_url) for c in cells] == [
        ("zeta", "rabbit://mq.example:5672/z"),
        ("alpha", "rabbit://a/"),
    ]
    assert cells[0].stored_transport_url == "{scheme}://{hostname}:{port}/z"


def test_an_unknown_cell_is_not_found(cloud: CloudDBs) -> None:
    with (
        cloud.engine("api").connect() as conn,
        pytest.raises(CellMappingNotFound, match=r"^Cell with uuid nope was not found\.$"),
    ):
        cell_mapping.get_by_uuid(conn, "nope", BASES)


def test_find_duplicate_compares_expanded_urls_except_the_excluded_cell(cells: CloudDBs) -> None:
    with cells.engine("api").connect() as conn:
        all_cells = cell_mapping.get_all(conn, BASES)

    clash = cell_mapping.find_duplicate(all_cells, None, cells.cell2)
    assert clash is not None and clash.uuid == CELL2_UUID
    assert cell_mapping.find_duplicate(all_cells, None, cells.cell2, exclude=CELL2_UUID) is None
    assert cell_mapping.find_duplicate(all_cells, "rabbit://new/", "sqlite:///new.db") is None


def test_host_mappings_create_many_skips_hosts_already_mapped(cells: CloudDBs) -> None:
    one, two = cell_id(cells, CELL1_UUID), cell_id(cells, CELL2_UUID)
    with cells.engine("api").begin() as conn:
        assert host_mapping.create_many(conn, one, ["a", "b"]) == ["a", "b"]
        assert host_mapping.create_many(conn, two, ["b", "c"]) == ["c"]
        assert host_mapping.cells_of_hosts(conn, ["a", "b", "c", "d"]) == {
            "a": one,
            "b": one,
            "c": two,
        }
        mappings = host_mapping.get_all(conn, BASES, cell_id=two)
    assert [(m.host, m.cell.uuid) for m in mappings] == [("c", CELL2_UUID)]


def test_instance_mappings_create_many_skips_instances_already_mapped(cells: CloudDBs) -> None:
    one = cell_id(cells, CELL1_UUID)
    rows = [NewMapping(f"c0ffee00-0000-4000-8000-00000000000{i}", "p", "u") for i in range(3)]
    with cells.engine("api").begin() as conn:
        assert instance_mapping.create_many(conn, one, rows[:2]) == 2
        assert instance_mapping.create_many(conn, one, rows) == 1
        assert instance_mapping.count_by_cell(conn, one) == 3


def test_an_instance_mapping_loads_with_its_cell(cells: CloudDBs) -> None:
    with cells.engine("api").begin() as conn:
        instance_mapping.create(conn, SERVER, "project1", "user1", cell_id(cells, CELL1_UUID))

    with cells.engine("api").connect() as conn:
        mapping = instance_mapping.get_by_instance_uuid(conn, SERVER, BASES)

    assert (mapping.instance_uuid, mapping.project_id, mapping.user_id) == (
        SERVER,
        "project1",
        "user1",
    )
    assert mapping.queued_for_delete is False
    assert mapping.cell is not None and mapping.cell.uuid == CELL1_UUID
    assert mapping.cell.database_connection == cells.cell1


def test_an_instance_mapping_without_a_cell(cells: CloudDBs) -> None:
    with cells.engine("api").begin() as conn:
        instance_mapping.create(conn, SERVER, "project1", None)

    with cells.engine("api").connect() as conn:
        mapping = instance_mapping.get_by_instance_uuid(conn, SERVER, BASES)

    assert mapping.cell is None and mapping.user_id is None


def test_an_unmapped_instance_is_not_found(cells: CloudDBs) -> None:
    with cells.engine("api").connect() as conn, pytest.raises(InstanceMappingNotFound):
        instance_mapping.get_by_instance_uuid(conn, SERVER, BASES)


def test_mapping_cursor_save_replaces_and_clear_forgets(cells: CloudDBs) -> None:
    one, two = cell_id(cells, CELL1_UUID), cell_id(cells, CELL2_UUID)
    with cells.engine("api").begin() as conn:
        assert mapping_cursor.get(conn, one) is None
        mapping_cursor.save(conn, one, 10)
        mapping_cursor.save(conn, one, 20)
        mapping_cursor.save(conn, two, 5)
        assert (mapping_cursor.get(conn, one), mapping_cursor.get(conn, two)) == (20, 5)
        mapping_cursor.clear(conn, one)
        assert (mapping_cursor.get(conn, one), mapping_cursor.get(conn, two)) == (None, 5)
