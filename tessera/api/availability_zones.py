"""``/os-availability-zone``: the zones computes are in, and (detail) their hosts.

A compute is in the zone of its aggregates, else the default zone; every
other service is in the internal zone, which only the detail shows. Cells
that do not answer in time are skipped.
"""

from __future__ import annotations

import falcon

from tessera.api.deps import APIDeps
from tessera.api.services import INTERNAL_ZONE, CellHosts, CellService, HostSettings, authorize
from tessera.api.views import availability_zones as views
from tessera.cells.targets import CellTargets
from tessera.db.types import utcnow

LIST_RULE = "os_compute_api:os-availability-zone:list"
DETAIL_RULE = "os_compute_api:os-availability-zone:detail"


class ZoneList:
    """``GET /os-availability-zone`` (``detail=False``) and ``.../detail``."""

    def __init__(self, hosts: CellHosts, detail: bool) -> None:
        self._hosts = hosts
        self._detail = detail

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        authorize(req, DETAIL_RULE if self._detail else LIST_RULE)
        listing = self._hosts.services(None, None, with_unknown=False)
        found = [e.record for e in listing if isinstance(e, CellService)]
        zones = self._hosts.zones(r.service.host for r in found if r.is_compute)
        zoned = [(self._hosts.zone_of(r, zones), r) for r in found]
        if self._detail:
            info = views.detail(zoned, self._hosts.settings.service_down_time, utcnow())
        else:
            info = views.index(zoned, INTERNAL_ZONE)
        resp.media = {"availabilityZoneInfo": info}


def install(
    app: falcon.App[falcon.Request, falcon.Response],
    deps: APIDeps,
    targets: CellTargets,
    settings: HostSettings,
) -> None:
    """Add the ``/os-availability-zone`` routes."""
    hosts = CellHosts(targets, settings)
    app.add_route("/v2.1/os-availability-zone", ZoneList(hosts, detail=False))
    app.add_route("/v2.1/os-availability-zone/detail", ZoneList(hosts, detail=True))
