"""Network quotas, Neutron-shaped and read-only: what ``GET /v2.0/quotas/{project_id}`` shows.

The built-in network service enforces no quotas, so every limit is -1 (unlimited): the
routes exist because clients ask for them next to compute's (``openstack quota show``
without ``--compute`` reads both) and fail on a 404. Usage counts the project's own
networks, subnets and ports; there are no routers, floating IPs or security groups,
so theirs is 0.

Who may read a project's quotas follows the compute quotas' default rule: an admin any
project's, everyone else their own project's only (403 otherwise, as Neutron's
``get_quota`` policy answers).
"""

from __future__ import annotations

import sqlalchemy as sa

from tessera.network.errors import NetworkError
from tessera.network.records import Viewer
from tessera.network.schema import networks, ports, subnets

RESOURCES = (
    "network",
    "subnet",
    "port",
    "router",
    "floatingip",
    "security_group",
    "security_group_rule",
)
"""The resources a quota set names, as Neutron spells them."""
UNLIMITED = -1
"""The limit of every resource: none is enforced."""
_COUNTED = {"network": networks, "subnet": subnets, "port": ports}


class PolicyNotAuthorized(NetworkError):
    """The caller may not read another project's quotas."""

    status = 403

    def __init__(self) -> None:
        super().__init__("rule:get_quota is disallowed by policy")


def check_visible(viewer: Viewer, project_id: str) -> None:
    """Raise PolicyNotAuthorized unless ``viewer`` may read ``project_id``'s quotas."""
    if not viewer.is_admin and viewer.project_id != project_id:
        raise PolicyNotAuthorized()


def limits() -> dict[str, int]:
    """The quota set of any project (and the defaults): every resource unlimited."""
    return dict.fromkeys(RESOURCES, UNLIMITED)


def usage(conn: sa.Connection, project_id: str) -> dict[str, int]:
    """How many of each resource ``project_id`` owns."""
    used = dict.fromkeys(RESOURCES, 0)
    for name, table in _COUNTED.items():
        count = sa.select(sa.func.count()).select_from(table)
        used[name] = int(conn.execute(count.where(table.c.project_id == project_id)).scalar_one())
    return used


def details(conn: sa.Connection, project_id: str) -> dict[str, dict[str, int]]:
    """Limit, usage and reservations (none) per resource, as ``/quotas/{id}/details``."""
    used = usage(conn, project_id)
    return {
        name: {"limit": limit, "used": used[name], "reserved": 0}
        for name, limit in limits().items()
    }
