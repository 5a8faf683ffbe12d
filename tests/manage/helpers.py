"""Small helpers for the ``tessera-manage`` tests: configs, rows in cell and API DBs, tables.

Rows are written with SQLAlchemy Core straight into the databases of the ``cloud``
fixture, the way a running cloud would have left them; what the commands did is
read back the same way.
"""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera.db.api.models import ApiBase
from tessera.db.main.models import MainBase
from tests.conftest import Backend, CloudDBs, Result

CELL0_UUID = "00000000-0000-0000-0000-000000000000"
CELL1_UUID = "11111111-1111-4111-8111-111111111111"
CELL2_UUID = "22222222-2222-4222-8222-222222222222"
UNKNOWN_UUID = "99999999-9999-4999-8999-999999999999"

# This host's own message queue (the base template URLs expand against).
TRANSPORT = "rabbit://tessera:mqpass@mq.example:5672/"
CELL1_MQ = "rabbit://tessera:mq1pass@mq1.example:5672/cell1"
CELL1_MQ_MASKED = "rabbit://tessera:****@mq1.example:5672/cell1"
CELL2_MQ = "rabbit://tessera:mq2pass@mq2.example:5672/cell2"
CELL2_MQ_MASKED = "rabbit://tessera:****@mq2.example:5672/cell2"

COMPUTE = "tessera-compute"

CELLS_HEADER = ["Name", "UUID", "Transport URL", "Database Connection", "Disabled"]
HOSTS_HEADER = ["Cell Name", "Cell UUID", "Hostname"]

Manage = Callable[..., Result]

_API = ApiBase.metadata.tables
_MAIN = MainBase.metadata.tables
CELL_MAPPINGS = _API["cell_mappings"]
HOST_MAPPINGS = _API["host_mappings"]
INSTANCE_MAPPINGS = _API["instance_mappings"]
CURSORS = _API["instance_mapping_cursors"]
INSTANCES = _MAIN["instances"]
COMPUTE_NODES = _MAIN["compute_nodes"]
SERVICES = _MAIN["services"]


# --------------------------------------------------------------------------- configuration


def conf_sections(
    cloud: CloudDBs,
    *,
    local: str | None = "cell1",
    transport: str | None = TRANSPORT,
    api: str | None = None,
) -> dict[str, dict[str, str]]:
    """A config for the API host of ``cloud``: its API DB, ``local`` as [database]."""
    default = {"transport_url": transport} if transport else {}
    database = {"max_retries": "0", "retry_interval": "0"}
    if local:
        database["connection"] = cloud.url(local)
    api_database = {"connection": api or cloud.api, "max_retries": "0"}
    return {"DEFAULT": default, "database": database, "api_database": api_database}


def unreachable_url(backend: Backend, tmp: Path) -> str:
    """A URL of the backend's kind that no connection can be opened to."""
    if backend.name == "mysql":
        return "mysql+pymysql://root:dbpass@127.0.0.1:1/tessera_down"
    if backend.name == "postgresql":
        return "postgresql+psycopg://postgres:dbpass@127.0.0.1:1/tessera_down"
    return f"sqlite:///{tmp}/missing/dir/tessera_down.db"


# --------------------------------------------------------------------------- API DB rows


def add_cell(
    cloud: CloudDBs,
    name: str | None,
    *,
    db: str | None,
    transport: str | None,
    uuid: str | None = None,
    disabled: bool = False,
) -> str:
    """Insert a cell mapping as stored (templates stay raw); return its uuid."""
    cell_uuid = uuid or str(uuidlib.uuid4())
    with cloud.engine("api").begin() as conn:
        conn.execute(
            sa.insert(CELL_MAPPINGS).values(
                uuid=cell_uuid,
                name=name,
                transport_url=transport,
                database_connection=db,
                disabled=disabled,
            )
        )
    return cell_uuid


def map_cells(cloud: CloudDBs) -> None:
    """cell0, cell1 and cell2 of ``cloud``, mapped as an operator would have."""
    add_cell(cloud, "cell0", db=cloud.cell0, transport="none:///", uuid=CELL0_UUID)
    add_cell(cloud, "cell1", db=cloud.cell1, transport=CELL1_MQ, uuid=CELL1_UUID)
    add_cell(cloud, "cell2", db=cloud.cell2, transport=CELL2_MQ, uuid=CELL2_UUID)


def cell_row(cloud: CloudDBs, uuid: str) -> dict[str, Any] | None:
    """The stored ``cell_mappings`` row of ``uuid`` (raw URLs), or None."""
    with cloud.engine("api").connect() as conn:
        row = conn.execute(sa.select(CELL_MAPPINGS).where(CELL_MAPPINGS.c.uuid == uuid)).first()
    return None if row is None else dict(row._mapping)


def cell_uuids(cloud: CloudDBs) -> list[str]:
    """Uuids of every cell mapping, in creation order."""
    with cloud.engine("api").connect() as conn:
        stmt = sa.select(CELL_MAPPINGS.c.uuid).order_by(CELL_MAPPINGS.c.id)
        return list(conn.execute(stmt).scalars())


def _cell_id(conn: sa.Connection, uuid: str) -> int:
    stmt = sa.select(CELL_MAPPINGS.c.id).where(CELL_MAPPINGS.c.uuid == uuid)
    return int(conn.execute(stmt).scalar_one())


def add_host_mapping(cloud: CloudDBs, host: str, cell_uuid: str) -> None:
    with cloud.engine("api").begin() as conn:
        cell_id = _cell_id(conn, cell_uuid)
        conn.execute(sa.insert(HOST_MAPPINGS).values(host=host, cell_id=cell_id))


def add_instance_mapping(
    cloud: CloudDBs, instance_uuid: str, cell_uuid: str | None, project: str = "project1"
) -> None:
    with cloud.engine("api").begin() as conn:
        cell_id = None if cell_uuid is None else _cell_id(conn, cell_uuid)
        conn.execute(
            sa.insert(INSTANCE_MAPPINGS).values(
                instance_uuid=instance_uuid,
                cell_id=cell_id,
                project_id=project,
                user_id="user1",
                queued_for_delete=False,
            )
        )


def host_mappings(cloud: CloudDBs) -> dict[str, str]:
    """``{host: cell uuid}`` of every host mapping."""
    stmt = sa.select(HOST_MAPPINGS.c.host, CELL_MAPPINGS.c.uuid).join(
        CELL_MAPPINGS, HOST_MAPPINGS.c.cell_id == CELL_MAPPINGS.c.id
    )
    with cloud.engine("api").connect() as conn:
        return {row.host: row.uuid for row in conn.execute(stmt)}


def instance_mappings(cloud: CloudDBs) -> dict[str, str | None]:
    """``{instance uuid: cell uuid or None}`` of every instance mapping row."""
    stmt = sa.select(INSTANCE_MAPPINGS.c.instance_uuid, CELL_MAPPINGS.c.uuid).join(
        CELL_MAPPINGS, INSTANCE_MAPPINGS.c.cell_id == CELL_MAPPINGS.c.id, isouter=True
    )
    with cloud.engine("api").connect() as conn:
        rows = conn.execute(stmt).all()
    mappings = {row.instance_uuid: row.uuid for row in rows}
    assert len(mappings) == len(rows), "an instance is mapped twice"
    return mappings


def instance_mapping_rows(cloud: CloudDBs) -> list[dict[str, Any]]:
    """Every ``instance_mappings`` row, by id."""
    with cloud.engine("api").connect() as conn:
        stmt = sa.select(INSTANCE_MAPPINGS).order_by(INSTANCE_MAPPINGS.c.id)
        return [dict(row._mapping) for row in conn.execute(stmt)]


def delete_instance_mappings(cloud: CloudDBs, uuids: Sequence[str]) -> None:
    with cloud.engine("api").begin() as conn:
        conn.execute(
            sa.delete(INSTANCE_MAPPINGS).where(INSTANCE_MAPPINGS.c.instance_uuid.in_(uuids))
        )


def cursor_rows(cloud: CloudDBs) -> list[tuple[str, int]]:
    """``(cell uuid, last instance id)`` of every saved ``map_instances`` cursor."""
    stmt = sa.select(CELL_MAPPINGS.c.uuid, CURSORS.c.last_instance_id).join(
        CELL_MAPPINGS, CURSORS.c.cell_id == CELL_MAPPINGS.c.id
    )
    with cloud.engine("api").connect() as conn:
        return [(row.uuid, int(row.last_instance_id)) for row in conn.execute(stmt)]


# --------------------------------------------------------------------------- cell DB rows


def add_node(
    engine: Engine, host: str, *, node: str | None = None, mapped: int = 0, deleted: bool = False
) -> str:
    """Insert a compute node of ``host`` (hypervisor ``node``, default the host); its uuid."""
    node_uuid = str(uuidlib.uuid4())
    with engine.begin() as conn:
        result = conn.execute(
            sa.insert(COMPUTE_NODES).values(
                uuid=node_uuid,
                host=host,
                hypervisor_hostname=node or host,
                hypervisor_type="fake",
                mapped=mapped,
            )
        )
        if deleted:
            (node_id,) = result.inserted_primary_key
            conn.execute(
                sa.update(COMPUTE_NODES)
                .where(COMPUTE_NODES.c.id == node_id)
                .values(deleted=node_id, deleted_at=sa.func.now())
            )
    return node_uuid


def add_nodes(engine: Engine, *hosts: str, mapped: int = 0) -> list[str]:
    """One compute node per host; their uuids in order."""
    return [add_node(engine, host, mapped=mapped) for host in hosts]


def add_service(
    engine: Engine,
    host: str,
    *,
    binary: str = COMPUTE,
    disabled: bool = False,
    deleted: bool = False,
) -> None:
    with engine.begin() as conn:
        result = conn.execute(
            sa.insert(SERVICES).values(
                uuid=str(uuidlib.uuid4()),
                host=host,
                binary=binary,
                topic=binary.removeprefix("tessera-"),
                disabled=disabled,
            )
        )
        if deleted:
            (service_id,) = result.inserted_primary_key
            conn.execute(
                sa.update(SERVICES).where(SERVICES.c.id == service_id).values(deleted=service_id)
            )


def add_instances(
    engine: Engine,
    count: int,
    *,
    host: str = "host1",
    deleted: bool = False,
    project: str = "project1",
    user: str = "user1",
) -> list[str]:
    """Insert ``count`` instances (soft-deleted if ``deleted``); their uuids in id order."""
    uuids = [str(uuidlib.uuid4()) for _ in range(count)]
    if not uuids:
        return uuids
    with engine.begin() as conn:
        conn.execute(
            sa.insert(INSTANCES),
            [
                {
                    "uuid": u,
                    "host": host,
                    "node": host,
                    "project_id": project,
                    "user_id": user,
                    "vm_state": "active",
                }
                for u in uuids
            ],
        )
    if deleted:
        for u in uuids:
            soft_delete(engine, u)
    return uuids


def soft_delete(engine: Engine, instance_uuid: str) -> None:
    """Delete the instance the way a cell does: ``deleted = id``."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(INSTANCES)
            .where(INSTANCES.c.uuid == instance_uuid)
            .values(deleted=INSTANCES.c.id, deleted_at=sa.func.now(), vm_state="deleted")
        )


def archive(engine: Engine, instance_uuid: str) -> None:
    """Remove the instance row, as ``db archive_deleted_rows`` does."""
    with engine.begin() as conn:
        conn.execute(sa.delete(INSTANCES).where(INSTANCES.c.uuid == instance_uuid))


def instance_id(engine: Engine, instance_uuid: str) -> int:
    with engine.connect() as conn:
        stmt = sa.select(INSTANCES.c.id).where(INSTANCES.c.uuid == instance_uuid)
        return int(conn.execute(stmt).scalar_one())


def mapped_flags(engine: Engine) -> dict[str, int]:
    """``{hypervisor hostname: mapped}`` of every compute node row."""
    with engine.connect() as conn:
        stmt = sa.select(COMPUTE_NODES.c.hypervisor_hostname, COMPUTE_NODES.c.mapped)
        return {row.hypervisor_hostname: row.mapped for row in conn.execute(stmt)}


# --------------------------------------------------------------------------- tables


def parse_table(text: str) -> list[list[str]]:
    """The cells of a prettytable (header first), checking its borders on the way."""
    lines = text.rstrip("\n").split("\n")
    border = lines[0]
    assert border.startswith("+-") and border.endswith("-+"), text
    assert set(border) <= {"+", "-"}, text
    assert lines[2] == border and lines[-1] == border, text
    body = [lines[1], *lines[3:-1]]
    rows = []
    for line in body:
        assert len(line) == len(border) and line[0] == "|" and line[-1] == "|", text
        rows.append([cell.strip() for cell in line[1:-1].split("|")])
    return rows


def table_rows(result: Result, header: list[str]) -> list[tuple[str, ...]]:
    """The rows of the one table a successful command printed under ``header``."""
    assert (result.code, result.err) == (0, ""), result
    table = parse_table(result.out)
    assert table[0] == header
    return [tuple(row) for row in table[1:]]


def listed_cells(manage: Manage, conf: str, *flags: str) -> list[tuple[str, ...]]:
    """``cell_v2 list_cells`` as rows: (name, uuid, transport, database, disabled)."""
    return table_rows(manage("cell_v2", "list_cells", *flags, conf=conf), CELLS_HEADER)


def listed_hosts(manage: Manage, conf: str, *flags: str) -> list[tuple[str, ...]]:
    """``cell_v2 list_hosts`` as rows: (cell name, cell uuid, hostname)."""
    return table_rows(manage("cell_v2", "list_hosts", *flags, conf=conf), HOSTS_HEADER)


def lines(*text: str) -> str:
    """What a command prints: each line followed by a newline."""
    return "".join(f"{line}\n" for line in text)
