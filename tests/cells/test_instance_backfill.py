"""Instance-mapping backfill (``tessera.cells.instance_backfill``) called directly.

Small page sizes put the page and ``max_count`` boundaries where the tests want them.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tessera.cells import instance_backfill
from tessera.cells.instance_backfill import BackfillResult
from tests.conftest import CloudDBs
from tests.manage.helpers import (
    CELL1_UUID,
    CELL2_UUID,
    CELL_MAPPINGS,
    add_instance_mapping,
    add_instances,
    archive,
    cursor_rows,
    instance_id,
    instance_mappings,
    map_cells,
    soft_delete,
)


def cell_id(cloud: CloudDBs, uuid: str) -> int:
    with cloud.engine("api").connect() as conn:
        stmt = sa.select(CELL_MAPPINGS.c.id).where(CELL_MAPPINGS.c.uuid == uuid)
        return int(conn.execute(stmt).scalar_one())


def backfill(cloud: CloudDBs, **kwargs: object) -> BackfillResult:
    return instance_backfill.backfill(
        cloud.engine("api"),
        cloud.engine("cell1"),
        cell_id(cloud, CELL1_UUID),
        **kwargs,  # type: ignore[arg-type]
    )


def steps(result: BackfillResult) -> tuple[int, bool]:
    """How far a run got: instances examined, and whether more remain."""
    return result.examined, result.more


@pytest.fixture
def cells(cloud: CloudDBs) -> CloudDBs:
    map_cells(cloud)
    return cloud


@pytest.mark.parametrize("count", [0, 1, 4, 5])
def test_unbounded_backfill_over_page_boundaries(cells: CloudDBs, count: int) -> None:
    servers = add_instances(cells.engine("cell1"), count)
    advanced: list[int] = []

    result = backfill(cells, page_size=2, progress=advanced.append)

    assert (result.examined, result.more) == (count, False)
    assert instance_mappings(cells) == dict.fromkeys(servers, CELL1_UUID)
    assert sum(advanced) == count
    assert cursor_rows(cells) == []


def test_deleted_instances_are_mapped_too(cells: CloudDBs) -> None:
    cell1 = cells.engine("cell1")
    servers = add_instances(cell1, 2) + add_instances(cell1, 2, deleted=True)

    assert steps(backfill(cells, page_size=3)) == (4, False)

    assert set(instance_mappings(cells)) == set(servers)


@pytest.mark.parametrize(
    ("count", "max_count", "page_size", "runs"),
    [
        (4, 4, 2, [(4, False)]),  # exactly max_count, ending on a page boundary
        (5, 4, 2, [(4, True), (1, False)]),  # the peeked row starts a new page
        (6, 4, 2, [(4, True), (2, False)]),
        (5, 2, 3, [(2, True), (2, True), (1, False)]),  # max_count below one page
        (7, 3, 2, [(3, True), (3, True), (1, False)]),
        (6, 3, 10, [(3, True), (3, False)]),
    ],
)
def test_bounded_backfill_stops_and_resumes(
    cells: CloudDBs, count: int, max_count: int, page_size: int, runs: list[tuple[int, bool]]
) -> None:
    cell1 = cells.engine("cell1")
    servers = add_instances(cell1, count)
    mapped = 0

    for examined, more in runs:
        result = backfill(cells, max_count=max_count, page_size=page_size)
        assert steps(result) == (examined, more)
        mapped += examined
        assert set(instance_mappings(cells)) == set(servers[:mapped])
        cursor = [(CELL1_UUID, instance_id(cell1, servers[mapped - 1]))] if more else []
        assert cursor_rows(cells) == cursor


def test_created_counts_only_the_mappings_this_run_inserted(cells: CloudDBs) -> None:
    servers = add_instances(cells.engine("cell1"), 5)
    add_instance_mapping(cells, servers[1], CELL1_UUID)
    add_instance_mapping(cells, servers[3], CELL2_UUID)

    assert backfill(cells, page_size=2) == BackfillResult(examined=5, created=3, more=False)
    assert backfill(cells, page_size=2) == BackfillResult(examined=5, created=0, more=False)

    assert instance_mappings(cells)[servers[3]] == CELL2_UUID


def test_reset_ignores_and_clears_the_cursor(cells: CloudDBs) -> None:
    servers = add_instances(cells.engine("cell1"), 5)
    assert backfill(cells, max_count=2).more

    assert steps(backfill(cells, max_count=10, reset=True)) == (5, False)

    assert set(instance_mappings(cells)) == set(servers)
    assert cursor_rows(cells) == []


def test_an_unbounded_run_resumes_from_the_cursor_and_clears_it(cells: CloudDBs) -> None:
    add_instances(cells.engine("cell1"), 5)
    assert backfill(cells, max_count=2).more

    assert steps(backfill(cells, page_size=2)) == (3, False)
    assert cursor_rows(cells) == []


def test_the_cursor_survives_its_instance_being_archived(cells: CloudDBs) -> None:
    cell1 = cells.engine("cell1")
    servers = add_instances(cell1, 4)
    assert backfill(cells, max_count=2).more
    soft_delete(cell1, servers[1])
    archive(cell1, servers[1])

    assert steps(backfill(cells, max_count=2)) == (2, False)

    assert set(instance_mappings(cells)) == set(servers)


def test_cursors_belong_to_their_cell(cells: CloudDBs) -> None:
    one = add_instances(cells.engine("cell1"), 3)
    two = add_instances(cells.engine("cell2"), 3)
    assert backfill(cells, max_count=1).more

    other = instance_backfill.backfill(
        cells.engine("api"), cells.engine("cell2"), cell_id(cells, CELL2_UUID), max_count=5
    )

    assert steps(other) == (3, False)
    assert cursor_rows(cells) == [(CELL1_UUID, instance_id(cells.engine("cell1"), one[0]))]
    assert steps(backfill(cells)) == (2, False)
    assert instance_mappings(cells) == {
        **dict.fromkeys(one, CELL1_UUID),
        **dict.fromkeys(two, CELL2_UUID),
    }


def test_a_large_cell_in_many_pages(cells: CloudDBs) -> None:
    servers = add_instances(cells.engine("cell1"), 250)

    assert steps(backfill(cells, page_size=7)) == (250, False)
    assert steps(backfill(cells, page_size=7)) == (250, False)

    assert set(instance_mappings(cells)) == set(servers)
