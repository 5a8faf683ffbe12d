"""Host discovery: map the compute hosts of cells to their cell, set-based.

Per cell: one query for unmapped nodes, one for which of their hosts are
mapped already, one multi-row insert that skips hosts a concurrent run mapped
first, one update marking nodes mapped. Safe to run from several processes.
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
    pass


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
    say(
        f"Getting computes from cell '{cell.name}': {cell.uuid}"
        if cell.name
        else f"Getting computes from cell: {cell.uuid}"
    )
    with cell_db.connect() as conn:
        nodes = compute_node.get_unmapped(conn)
    result.unmapped_nodes = len(nodes)
    say(f"Found {len(nodes)} unmapped computes in cell: {cell.uuid}")
    if not nodes:
        return result
    hosts = sorted({n.host for n in nodes})
    with api.begin() as conn:
        known = host_mapping.cells_of_hosts(conn, hosts)
        new_hosts = [h for h in hosts if h not in known]
        _say_nodes(say, nodes, known)
        host_mapping.create_many(conn, cell.id, new_hosts)
        # Re-read: a concurrent run may have mapped some of these hosts first.
        owners = host_mapping.cells_of_hosts(conn, hosts)
    result.created = [h for h in new_hosts if owners.get(h) == cell.id]
    result.foreign = [h for h in hosts if owners.get(h) not in (None, cell.id)]
    mine = [n.id for n in nodes if owners.get(n.host) == cell.id]
    with cell_db.begin() as conn:
        compute_node.mark_mapped(conn, mine)
    if progress:
        progress(len(nodes))
    return result


def _say_nodes(say: Say, nodes: Sequence[UnmappedNode], known: dict[str, int]) -> None:
    if say is quiet:
        return
    announced: set[str] = set()
    for node in nodes:
        say(f"Checking host mapping for compute host '{node.host}': {node.uuid}")
        if node.host not in known and node.host not in announced:
            announced.add(node.host)
            say(f"Creating host mapping for compute host '{node.host}': {node.uuid}")


def discover_by_service(
    api: Engine, cell_db: Engine, cell: CellMapping, *, say: Say = quiet
) -> CellDiscovery:
    """Map hosts of the cell's compute services (for drivers with no nodes yet)."""
    result = CellDiscovery(cell)
    with cell_db.connect() as conn:
        hosts = service.compute_hosts(conn)
    with api.begin() as conn:
        known = host_mapping.cells_of_hosts(conn, hosts)
        new_hosts = [h for h in hosts if h not in known]
        for host in new_hosts:
            say(f"Creating host mapping for service {host}")
        host_mapping.create_many(conn, cell.id, new_hosts)
        owners = host_mapping.cells_of_hosts(conn, new_hosts)
    result.created = [h for h in new_hosts if owners.get(h) == cell.id]
    return result
