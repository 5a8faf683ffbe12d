"""Host discovery (``tessera.cells.host_discovery``) called directly, on every backend."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.cells import host_discovery
from tessera.cells.host_discovery import CellDiscovery
from tessera.db.engines import create_engine
from tessera.objects import cell_mapping
from tessera.objects.cell_mapping import CellMapping, URLBases
from tests.conftest import CloudDBs
from tests.manage.helpers import (
    CELL1_UUID,
    CELL2_UUID,
    COMPUTE_NODES,
    add_host_mapping,
    add_node,
    add_nodes,
    add_service,
    host_mappings,
    map_cells,
    mapped_flags,
)

NO_BASES = URLBases(None, None)


def cell(cloud: CloudDBs, uuid: str) -> CellMapping:
    with cloud.engine("api").connect() as conn:
        return cell_mapping.get_by_uuid(conn, uuid, NO_BASES)


def add_many_nodes(engine: Engine, hosts: list[str]) -> None:
    """One node per host, in one statement (for hundreds of hosts)."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(COMPUTE_NODES),
            [
                {"uuid": f"00000000-0000-4000-8000-{i:012d}", "host": h, "hypervisor_hostname": h}
                for i, h in enumerate(hosts)
            ],
        )


def discover(cloud: CloudDBs, uuid: str, **kwargs: object) -> CellDiscovery:
    name = "cell1" if uuid == CELL1_UUID else "cell2"
    return host_discovery.discover_in_cell(
        cloud.engine("api"),
        cloud.engine(name),
        cell(cloud, uuid),
        **kwargs,  # type: ignore[arg-type]
    )


def test_discover_in_cell_maps_new_hosts_and_marks_their_nodes(cloud: CloudDBs) -> None:
    map_cells(cloud)
    cell1 = cloud.engine("cell1")
    add_node(cell1, "compute2")
    add_node(cell1, "compute1", node="compute1-a")
    add_node(cell1, "compute1", node="compute1-b")
    said: list[str] = []
    advanced: list[int] = []

    result = discover(cloud, CELL1_UUID, say=said.append, progress=advanced.append)

    assert (result.unmapped_nodes, result.created, result.foreign) == (
        3,
        ["compute1", "compute2"],
        [],
    )
    assert host_mappings(cloud) == {"compute1": CELL1_UUID, "compute2": CELL1_UUID}
    assert mapped_flags(cell1) == {"compute2": 1, "compute1-a": 1, "compute1-b": 1}
    assert sum(advanced) == 3
    assert sum(m.startswith("Creating host mapping") for m in said) == 2


def test_discover_in_cell_with_nothing_unmapped(cloud: CloudDBs) -> None:
    map_cells(cloud)
    add_nodes(cloud.engine("cell1"), "compute1", mapped=1)

    result = discover(cloud, CELL1_UUID)

    assert (result.unmapped_nodes, result.created, result.foreign) == (0, [], [])
    assert host_mappings(cloud) == {}


def test_discover_in_cell_leaves_foreign_hosts_and_marks_own_ones(cloud: CloudDBs) -> None:
    map_cells(cloud)
    add_host_mapping(cloud, "compute1", CELL2_UUID)  # mapped to another cell
    add_host_mapping(cloud, "compute2", CELL1_UUID)  # mapped here by an earlier run
    add_nodes(cloud.engine("cell1"), "compute1", "compute2", "compute3")

    result = discover(cloud, CELL1_UUID)

    assert (result.created, result.foreign) == (["compute3"], ["compute1"])
    assert mapped_flags(cloud.engine("cell1")) == {"compute1": 0, "compute2": 1, "compute3": 1}
    assert host_mappings(cloud) == {
        "compute1": CELL2_UUID,
        "compute2": CELL1_UUID,
        "compute3": CELL1_UUID,
    }


def test_discover_in_cell_beyond_one_batch_of_hosts(cloud: CloudDBs) -> None:
    map_cells(cloud)
    hosts = [f"compute{i:04d}" for i in range(1003)]
    add_many_nodes(cloud.engine("cell1"), hosts)
    add_host_mapping(cloud, hosts[-1], CELL2_UUID)  # found in the second IN batch

    result = discover(cloud, CELL1_UUID)

    assert result.created == hosts[:-1]
    assert result.foreign == hosts[-1:]
    flags = mapped_flags(cloud.engine("cell1"))
    assert sum(flags.values()) == 1002
    assert len(host_mappings(cloud)) == 1003


def run_together(*jobs: Callable[[], CellDiscovery]) -> list[CellDiscovery]:
    """Run ``jobs`` in threads released at the same moment; re-raise their errors."""
    barrier = threading.Barrier(len(jobs))
    results: list[CellDiscovery | None] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int, job: Callable[[], CellDiscovery]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def separate_process_job(
    cloud: CloudDBs, uuid: str, engines: list[Engine]
) -> Callable[[], CellDiscovery]:
    """A discovery run with engines of its own, as another process would have."""
    name = "cell1" if uuid == CELL1_UUID else "cell2"
    api, cell_db = create_engine(cloud.api), create_engine(cloud.url(name))
    engines += [api, cell_db]
    target = cell(cloud, uuid)
    return lambda: host_discovery.discover_in_cell(api, cell_db, target)


def test_concurrent_discovery_maps_each_host_exactly_once(cloud: CloudDBs) -> None:
    map_cells(cloud)
    hosts = [f"compute{i:03d}" for i in range(300)]
    add_many_nodes(cloud.engine("cell1"), hosts)
    engines: list[Engine] = []
    try:
        jobs = [separate_process_job(cloud, CELL1_UUID, engines) for _ in range(2)]
        first, second = run_together(*jobs)
    finally:
        for engine in engines:
            engine.dispose()

    assert sorted(set(first.created) | set(second.created)) == hosts
    assert host_mappings(cloud) == dict.fromkeys(hosts, CELL1_UUID)
    assert set(mapped_flags(cloud.engine("cell1")).values()) == {1}


@pytest.mark.parametrize("other", [CELL1_UUID, CELL2_UUID], ids=["same-cell", "other-cell"])
def test_a_run_overtaken_by_another_reports_only_what_it_did(cloud: CloudDBs, other: str) -> None:
    """Run B starts and finishes while run A (cell1) is between reading and inserting."""
    map_cells(cloud)
    add_nodes(cloud.engine("cell1"), "compute1", "compute2")
    add_nodes(cloud.engine("cell2"), "compute1", "compute2")
    engines: list[Engine] = []
    try:
        run_b = separate_process_job(cloud, other, engines)
        overtaken: list[CellDiscovery] = []

        def say(message: str) -> None:
            # A says "Checking ..." after reading the mappings and before inserting.
            if message.startswith("Checking host mapping") and not overtaken:
                overtaken.append(run_b())

        api, cell_db = create_engine(cloud.api), create_engine(cloud.cell1)
        engines += [api, cell_db]
        a = host_discovery.discover_in_cell(api, cell_db, cell(cloud, CELL1_UUID), say=say)
    finally:
        for engine in engines:
            engine.dispose()

    [b] = overtaken
    assert b.created == ["compute1", "compute2"]
    assert host_mappings(cloud) == {"compute1": other, "compute2": other}
    # B inserted both mappings; A's inserts were skipped.
    assert a.created == []
    assert a.foreign == ([] if other == CELL1_UUID else ["compute1", "compute2"])
    expected_flag = 1 if other == CELL1_UUID else 0
    assert mapped_flags(cloud.engine("cell1")) == dict.fromkeys(
        ["compute1", "compute2"], expected_flag
    )


def test_concurrent_discovery_of_two_cells_claiming_one_host(cloud: CloudDBs) -> None:
    map_cells(cloud)
    add_nodes(cloud.engine("cell1"), "shared", "only1")
    add_nodes(cloud.engine("cell2"), "shared", "only2")
    engines: list[Engine] = []
    try:
        one, two = run_together(
            separate_process_job(cloud, CELL1_UUID, engines),
            separate_process_job(cloud, CELL2_UUID, engines),
        )
    finally:
        for engine in engines:
            engine.dispose()

    mappings = host_mappings(cloud)
    assert (mappings["only1"], mappings["only2"]) == (CELL1_UUID, CELL2_UUID)
    winner, loser = (one, two) if mappings["shared"] == CELL1_UUID else (two, one)
    assert "shared" in winner.created and "shared" not in loser.created
    winner_db = "cell1" if winner is one else "cell2"
    loser_db = "cell2" if winner is one else "cell1"
    assert mapped_flags(cloud.engine(winner_db))["shared"] == 1
    assert mapped_flags(cloud.engine(loser_db))["shared"] == 0


def test_discover_by_service_maps_compute_services(cloud: CloudDBs) -> None:
    map_cells(cloud)
    cell1 = cloud.engine("cell1")
    add_service(cell1, "ironic2")
    add_service(cell1, "ironic1", disabled=True)
    add_service(cell1, "ironic3", deleted=True)
    add_service(cell1, "scheduler1", binary="tessera-scheduler")
    add_host_mapping(cloud, "ironic2", CELL2_UUID)
    said: list[str] = []

    result = host_discovery.discover_by_service(
        cloud.engine("api"), cell1, cell(cloud, CELL1_UUID), say=said.append
    )

    assert result.created == ["ironic1"]
    assert said == [
        f"Getting computes from cell 'cell1': {CELL1_UUID}",
        "Creating host mapping for service ironic1",
        f"Found 1 unmapped computes in cell: {CELL1_UUID}",
    ]
    assert host_mappings(cloud) == {"ironic1": CELL1_UUID, "ironic2": CELL2_UUID}
