"""``/limits`` and ``/os-quota-sets``: a project's limits and what it uses of them.

Usage is counted, never stored. Servers are counted from the API database's
instance mappings (not queued for deletion), so that number stays right while
a cell is down. Cores and RAM exist only in the cells' instance rows and are
summed over the cells where the project has servers, each under the
``[DEFAULT] cell_timeout`` deadline; a cell that is down or too slow is left
out of the sums (logged), so ``cores``/``ram`` usage is under-reported until it
answers again rather than the request failing.
"""

from __future__ import annotations

import falcon
import sqlalchemy as sa

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import bad_request
from tessera.api.schemas import quotas as schemas
from tessera.api.views import quotas as views
from tessera.cells.targets import CellTargets
from tessera.objects import keypair, quota
from tessera.policies import limits as limit_rules
from tessera.policies import quotas as rules


class Usage:
    """Counts a project's usage of every counted resource."""

    def __init__(self, targets: CellTargets, cell_timeout: float) -> None:
        self._targets = targets
        self._cell_timeout = cell_timeout

    @property
    def api_engine(self) -> sa.Engine:
        """The API database (limits, mappings, keypairs, groups)."""
        return self._targets.api_engine

    def count(self, project_id: str, user_id: str | None) -> dict[str, int]:
        """Usage by resource; ``key_pairs`` is ``user_id``'s (keypairs belong to users)."""
        with self._targets.api_engine.connect() as conn:
            used = {
                "instances": quota.instance_count(conn, project_id),
                "server_groups": quota.server_group_count(conn, project_id),
                "key_pairs": keypair.count(conn, user_id) if user_id else 0,
            }
        # Down cells are absent from these sums (see the module docstring).
        cells = quota.cell_usage(self._targets, project_id, self._cell_timeout)
        used["cores"] = cells.cores
        used["ram"] = cells.ram
        return used


class Limits:
    """``GET /limits`` (``?tenant_id=`` for another project, admin only)."""

    def __init__(self, usage: Usage) -> None:
        self._usage = usage

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        ctx = request.ctx(req)
        request.authorize(req, limit_rules.SHOW, {"project_id": ctx.project_id})
        project = ctx.project_id or ""
        other = req.get_param("tenant_id")
        if other is not None and other != project:
            request.authorize(req, limit_rules.OTHER_PROJECT, {"project_id": other})
            project = other
        with self._usage.api_engine.connect() as conn:
            found = quota.limits(conn, project)
        used = self._usage.count(project, ctx.user_id)
        resp.media = {"limits": views.limits(found, used, request.version(req))}


class QuotaSet:
    """``GET``, ``PUT`` and ``DELETE /os-quota-sets/{project_id}``."""

    def __init__(self, usage: Usage) -> None:
        self._usage = usage
        self._engine = usage.api_engine

    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        request.authorize(req, rules.SHOW, {"project_id": project_id})
        with self._engine.connect() as conn:
            found = quota.limits(conn, project_id)
        resp.media = {"quota_set": views.quota_set(project_id, found, request.version(req))}

    def on_put(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        request.authorize(req, rules.UPDATE, {"project_id": project_id})
        spec = dict(validation.body(req, schemas.UPDATE)["quota_set"])
        force = bool(spec.pop("force", False))
        if not force and spec:
            used = self._usage.count(project_id, request.ctx(req).user_id)
            for name, value in spec.items():
                if value != quota.UNLIMITED and value < used.get(name, 0):
                    raise bad_request(
                        f"Quota limit {value} for {name} must be greater than or equal to "
                        f"already used and reserved {used[name]}."
                    )
        with self._engine.begin() as conn:
            quota.update(conn, project_id, spec)
            found = quota.limits(conn, project_id)
        body = views.quota_set(project_id, found, request.version(req))
        del body["id"]  # the update answer names no project
        resp.media = {"quota_set": body}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        request.authorize(req, rules.DELETE, {"project_id": project_id})
        with self._engine.begin() as conn:
            quota.reset(conn, project_id)
        resp.status = falcon.HTTP_202


class QuotaDefaults:
    """``GET /os-quota-sets/{project_id}/defaults``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        request.authorize(req, rules.DEFAULTS, {"project_id": project_id})
        body = views.quota_set(project_id, quota.DEFAULTS, request.version(req))
        resp.media = {"quota_set": body}


class QuotaDetail:
    """``GET /os-quota-sets/{project_id}/detail``: limits with usage."""

    def __init__(self, usage: Usage) -> None:
        self._usage = usage

    def on_get(self, req: falcon.Request, resp: falcon.Response, project_id: str) -> None:
        request.authorize(req, rules.DETAIL, {"project_id": project_id})
        with self._usage.api_engine.connect() as conn:
            found = quota.limits(conn, project_id)
        used = self._usage.count(project_id, request.ctx(req).user_id)
        body = views.quota_set_detail(project_id, found, used, request.version(req))
        resp.media = {"quota_set": body}


def install(
    app: falcon.App[falcon.Request, falcon.Response], deps: APIDeps, cell_timeout: float = 10.0
) -> None:
    """Add ``/limits`` and ``/os-quota-sets``; ``cell_timeout`` is ``[DEFAULT] cell_timeout``."""
    usage = Usage(deps.servers.targets, cell_timeout)
    app.add_route("/v2.1/limits", Limits(usage))
    app.add_route("/v2.1/os-quota-sets/{project_id}", QuotaSet(usage))
    app.add_route("/v2.1/os-quota-sets/{project_id}/defaults", QuotaDefaults())
    app.add_route("/v2.1/os-quota-sets/{project_id}/detail", QuotaDetail(usage))
