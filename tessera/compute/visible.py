"""Finding a server's mapping as a caller may see it."""

from __future__ import annotations

from tessera.cells.targets import CellTargets
from tessera.context import RequestContext
from tessera.objects import instance_mapping
from tessera.objects.errors import InstanceMappingNotFound, InstanceNotFound


def mapping(
    targets: CellTargets, ctx: RequestContext, uuid: str
) -> instance_mapping.InstanceMapping:
    """The server's instance mapping; InstanceNotFound when there is none or when it
    belongs to another project and the caller is no admin (existence is never revealed)."""
    try:
        with targets.api_engine.connect() as conn:
            found = instance_mapping.get_by_instance_uuid(conn, uuid, targets.bases)
    except InstanceMappingNotFound:
        raise InstanceNotFound(uuid) from None
    return check(ctx, found)


def check(
    ctx: RequestContext, found: instance_mapping.InstanceMapping
) -> instance_mapping.InstanceMapping:
    """``found`` when the caller may see its server; InstanceNotFound otherwise."""
    if not ctx.is_admin and found.project_id != ctx.project_id:
        raise InstanceNotFound(found.instance_uuid)
    return found
