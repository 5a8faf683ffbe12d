"""Host discovery: map the compute hosts of cells to their cell, set-based.

Per cell: one query for unmapped nodes, one for which of their hosts are
mapped already, one multi-row insert that skips hosts a concurrent run mapped
first (and returns exactly the hosts *this* run added), a fresh read of who
owns any host a concurrent run mapped first, and one update marking this
cell's nodes mapped. Safe to run from several processes at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from tessera.objects import compute_node, host_mapping, service
from tessera.objects.cell_mapping import CellMapping
from tessera.objects.compute_node import UnmappedNode

Say = Callable[[str], None]


@dataclass
class CellDiscovery:
    """What discovery did in one cell."""

    cell: CellMapping
    """The cell examined."""
    unmapped_nodes: int = 0
    """Nodes found with ``mapped < 1``."""
    created: list[str] = field(default_factory=list)
    """Hosts this run mapped to the cell."""
    foreign: list[str] = field(default_factory=list)
    """Hosts already mapped to another cell (left alone)."""


def quiet(_message: str) -> None:
    """A ``say`` that says nothing."""


def _getting(cell: CellMapping) -> str:
    if cell.name:
        return f"Getting computes from cell '{cell.name}': {cell.uuid}"
    return f"Getting computes from cell: {cell.uuid}"


def discover_in_cell(
    api: Engine,
    cell_db: Engine,
    cell: CellMapping,
    *,
    say: Say = quiet,
    progress: Callable[[int], None] | None = None,
) -> CellDiscovery:
    """Map every unmapped compute host of ``cell``; mark its nodes mapped."""
    result = CellDiscovery(cell)
    say(_getting(cell))
    with cell_db.connect() as conn:
        nodes = compute_node.get_unmapped(conn)
    result.unmapped_nodes = len(nodes)
    if nodes:
        _map_nodes(api, cell_db, cell, nodes, result, say)
    say(f"Found {len(nodes)} unmapped computes in cell: {cell.uuid}")
    if progress:
        progress(len(nodes))
    return result


def _map_nodes(
    api: Engine,
    cell_db: Engine,
    cell: CellMapping,
    nodes: Sequence[UnmappedNode],
    result: CellDiscovery,
    say: Say,
) -> None:
    hosts = sorted({n.host for n in nodes})
    with api.begin() as conn:
        known = host_mapping.cells_of_hosts(conn, hosts)
        new_hosts = [h for h in hosts if h not in known]
        # Said before inserting, as the reference does; ``created`` is what this
        # run really added when a concurrent run got to some hosts first.
        _say_nodes(say, nodes, set(new_hosts))
        result.created = host_mapping.create_many(conn, cell.id, new_hosts)
    owners = {**known, **dict.fromkeys(result.created, cell.id)}
    # Only hosts a concurrent run mapped first are in doubt: read just their
    # owners, in a fresh transaction, rather than every host again.
    contested = [h for h in new_hosts if h not in owners]
    if contested:
        with api.connect() as conn:
            owners.update(host_mapping.cells_of_hosts(conn, contested))
    result.foreign = [h for h in hosts if owners.get(h) not in (None, cell.id)]
    mine = [n.id for n in nodes if owners.get(n.host) == cell.id]
    with cell_db.begin() as conn:
        compute_node.mark_mapped(conn, mine)


def _say_nodes(say: Say, nodes: Sequence[UnmappedNode], new_hosts: set[str]) -> None:
    if say is quiet:
        return
    announced: set[str] = set()
    for node in nodes:
        say(f"Checking host mapping for compute host '{node.host}': {node.uuid}")
        if node.host in new_hosts and node.host not in announced:
            announced.add(node.host)
            say(f"Creating host mapping for compute host '{node.host}': {node.uuid}")


def discover_by_service(
    api: Engine, cell_db: Engine, cell: CellMapping, *, say: Say = quiet
) -> CellDiscovery:
    """Map hosts of the cell's compute services (for drivers with no nodes yet)."""
    result = CellDiscovery(cell)
    say(_getting(cell))
    with cell_db.connect() as conn:
        hosts = service.compute_hosts(conn)
    with api.begin() as conn:
        known = host_mapping.cells_of_hosts(conn, hosts)
        new_hosts = [h for h in hosts if h not in known]
        result.created = host_mapping.create_many(conn, cell.id, new_hosts)
    for host in result.created:
        say(f"Creating host mapping for service {host}")
    say(f"Found {len(new_hosts)} unmapped computes in cell: {cell.uuid}")
    return result
