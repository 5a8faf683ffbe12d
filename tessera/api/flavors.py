"""``/flavors``: list (brief and detail), show; create, describe (2.55) and delete for admins.

Everyone sees the public flavors and the private ones their project is on
the access list of; a private flavor is "not found" for everyone else.
Administrators see every flavor, and choose with ``?is_public=`` which kind
a listing shows. Extra specs (:mod:`tessera.api.flavor_extra_specs`) and
access lists (:mod:`tessera.api.flavor_access`) have their own modules.
"""

from __future__ import annotations

import math
import uuid as uuidlib
from typing import Any
from urllib.parse import parse_qsl, urlencode

import falcon
import jsonschema
import sqlalchemy as sa
from oslo_utils import strutils

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.microversions import Version
from tessera.api.schemas import flavors as schemas
from tessera.api.schemas.query import Params, last
from tessera.api.views import flavors as views
from tessera.context import RequestContext
from tessera.objects import flavor
from tessera.objects.flavor import (
    FlavorExists,
    FlavorIdExists,
    FlavorNotFound,
    ListFilters,
    MarkerNotFound,
    Page,
    Viewer,
)
from tessera.policies import flavors as rules


def viewer(req: falcon.Request) -> Viewer:
    """Which flavors the caller may see."""
    ctx = request.ctx(req)
    return Viewer(ctx.project_id, ctx.is_admin)


def own(ctx: RequestContext) -> dict[str, str | None]:
    """The policy target of calls about no project's resource: the caller's own."""
    return {"project_id": ctx.project_id, "user_id": ctx.user_id}


def shows_extra_specs(req: falcon.Request) -> bool:
    """Whether flavor bodies carry ``extra_specs`` (2.61 and later, when policy allows)."""
    if not request.version(req).at_least("2.61"):
        return False
    ctx = request.ctx(req)
    return request.policy(req).check(ctx, rules.EXTRA_SPECS_INDEX, own(ctx))


def find(conn: sa.Connection, req: falcon.Request, flavor_id: str) -> flavor.Flavor:
    """Flavor ``flavor_id`` as the caller may see it, or 404."""
    try:
        return flavor.get_visible(conn, flavor_id, viewer(req))
    except FlavorNotFound as exc:
        raise not_found(str(exc)) from None


# --------------------------------------------------------------------------- listing


def _params(req: falcon.Request) -> tuple[Params, list[tuple[str, str]]]:
    pairs = parse_qsl(req.query_string, keep_blank_values=True)
    params: Params = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    try:
        validation.validate(params, schemas.list_query(request.version(req)))
    except jsonschema.ValidationError as exc:
        name = str(exc.absolute_path[0]) if exc.absolute_path else "query"
        raise bad_request(
            f"Invalid input for query parameters {name}. Value: {exc.instance!r}. {exc.message}"
        ) from None
    return params, pairs


def _minimum(params: Params, name: str) -> int | None:
    raw = last(params, name)
    if raw is None:
        return None
    value = validation.query_int(raw, validation.INT32_MAX)
    if value is None:
        raise bad_request(f"Invalid {name} filter [{raw}]")
    return value


def _is_public(raw: str | None) -> bool | None:
    """An administrator's ``is_public``: absent means public, ``none`` means every flavor."""
    if raw is None:
        return True
    if raw.lower() == "none":
        return None
    try:
        return strutils.bool_from_string(raw, strict=True)
    except ValueError:
        raise bad_request(f"Invalid is_public filter [{raw}]") from None


def _filters(req: falcon.Request, params: Params) -> ListFilters:
    ram, disk = _minimum(params, "minRam"), _minimum(params, "minDisk")
    if request.ctx(req).is_admin:
        return ListFilters(_is_public(last(params, "is_public")), None, ram, disk)
    # Others see public flavors and their own private ones, never disabled ones.
    return ListFilters(True, False, ram, disk)


def _page(params: Params, max_limit: int) -> Page:
    limit = last(params, "limit")
    return Page(
        sort_key=last(params, "sort_key") or "flavorid",
        descending=last(params, "sort_dir") == "desc",
        limit=max_limit if limit is None else validation.query_int(limit, max_limit) or 0,
        marker=last(params, "marker"),
    )


class FlavorList:
    """``GET /flavors`` (brief) or ``GET /flavors/detail``."""

    def __init__(self, engine: sa.Engine, max_limit: int, detail: bool) -> None:
        self._engine = engine
        self._max_limit = max_limit
        self._detail = detail

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        version = request.version(req)
        params, pairs = _params(req)
        filters, page = _filters(req, params), _page(params, self._max_limit)
        try:
            with self._engine.connect() as conn:
                found = flavor.list_visible(conn, viewer(req), filters, page)
        except MarkerNotFound as exc:
            raise bad_request(str(exc)) from None
        body: dict[str, Any] = {"flavors": self._render(req, version, found)}
        if page.limit and len(found) == page.limit:
            kept = [(k, v) for k, v in pairs if k != "marker"]
            path = "flavors/detail" if self._detail else "flavors"
            query = urlencode([*kept, ("marker", found[-1].flavorid)])
            body["flavors_links"] = [
                {"rel": "next", "href": f"{request.base_url(req)}/{path}?{query}"}
            ]
        resp.media = body

    def _render(
        self, req: falcon.Request, version: Version, found: list[flavor.Flavor]
    ) -> list[dict[str, Any]]:
        base = request.base_url(req)
        if not self._detail:
            return [views.brief(s, version, base) for s in found]
        specs = shows_extra_specs(req)
        return [views.detail(s, version, base, extra_specs=specs) for s in found]


# --------------------------------------------------------------------------- create


def _text_problem(value: str, name: str) -> None:
    bad = schemas.unprintable(value)
    if bad is not None:
        raise bad_request(
            f"Invalid input for field/attribute {name}. Value: {value!r}. "
            f"Character {bad!r} is not printable."
        )


def _description(value: str | None) -> str | None:
    if value is not None:
        _text_problem(value, "description")
        # The column holds 64 KiB on MySQL: more bytes would be cut or refused there.
        if len(value.encode()) > 65535:
            raise bad_request("Invalid input for field/attribute description. Too long.")
    return value


def _flavorid(raw: Any) -> str:
    # Like the reference, a missing or empty id (null, 0) asks for a generated UUID.
    if not raw:
        return str(uuidlib.uuid4())
    if isinstance(raw, float) and not math.isfinite(raw):
        raise bad_request(f"Invalid input for field/attribute id. Value: {raw}.")
    text = str(raw)
    if text.endswith("\n"):  # the schema's "$" lets one trailing newline through
        raise bad_request(f"Invalid input for field/attribute id. Value: {text!r}.")
    if len(text) > 255:
        raise bad_request("Invalid input for field/attribute id. Longer than 255 characters.")
    return text


def _new_flavor(spec: dict[str, Any], version: Version) -> dict[str, Any]:
    """The ``flavor.create`` arguments of a validated create body (400 for bad values)."""
    name = spec["name"].strip()
    _text_problem(name, "name")
    try:
        values: dict[str, Any] = {
            "memory_mb": schemas.integer(spec["ram"], "ram", 1),
            "vcpus": schemas.integer(spec["vcpus"], "vcpus", 1),
            "root_gb": schemas.integer(spec["disk"], "disk", 0),
            "ephemeral_gb": schemas.integer(
                spec.get("OS-FLV-EXT-DATA:ephemeral", 0), "ephemeral", 0
            ),
            "swap": schemas.integer(spec.get("swap", 0), "swap", 0),
        }
    except ValueError as exc:
        raise bad_request(f"Invalid input received: {exc}") from None
    rxtx_factor = float(spec.get("rxtx_factor", 1.0))
    if not 0 < rxtx_factor <= schemas.MAX_FLOAT:
        raise bad_request(
            f"'rxtx_factor' argument must be a float between 0 and {schemas.MAX_FLOAT:g}"
        )
    values.update(
        flavorid=_flavorid(spec.get("id")),
        name=name,
        rxtx_factor=rxtx_factor,
        is_public=schemas.boolean(spec.get("os-flavor-access:is_public", True)),
    )
    if version.at_least("2.55"):
        values["description"] = _description(spec.get("description"))
    return values


class FlavorCollection(FlavorList):
    """``GET /flavors`` and ``POST /flavors``."""

    def __init__(self, engine: sa.Engine, max_limit: int) -> None:
        super().__init__(engine, max_limit, detail=False)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        version = request.version(req)
        schema = schemas.CREATE_V255 if version.at_least("2.55") else schemas.CREATE
        spec = validation.body(req, schema)["flavor"]
        request.authorize(req, rules.CREATE, {})
        values = _new_flavor(spec, version)
        try:
            with self._engine.begin() as conn:
                created = flavor.create(conn, **values)
        except (FlavorExists, FlavorIdExists) as exc:
            raise APIError(409, str(exc)) from None
        # A new flavor has no extra specs yet; 2.61 shows the empty set when allowed.
        resp.media = {
            "flavor": views.detail(
                created, version, request.base_url(req), extra_specs=shows_extra_specs(req)
            )
        }


# --------------------------------------------------------------------------- one flavor


class FlavorItem:
    """``GET``, ``PUT`` (2.55) and ``DELETE /flavors/{flavor_id}``."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def on_get(self, req: falcon.Request, resp: falcon.Response, flavor_id: str) -> None:
        with self._engine.connect() as conn:
            size = find(conn, req, flavor_id)
        resp.media = {"flavor": self._render(req, size)}

    def on_put(self, req: falcon.Request, resp: falcon.Response, flavor_id: str) -> None:
        if not request.version(req).at_least("2.55"):
            raise not_found("The resource could not be found.")
        spec = validation.body(req, schemas.UPDATE_V255)["flavor"]
        request.authorize(req, rules.UPDATE, {})
        description = _description(spec["description"])
        try:
            with self._engine.begin() as conn:
                size = flavor.set_description(conn, flavor_id, description)
        except FlavorNotFound as exc:
            raise not_found(str(exc)) from None
        resp.media = {"flavor": self._render(req, size)}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, flavor_id: str) -> None:
        request.authorize(req, rules.DELETE, {})
        try:
            with self._engine.begin() as conn:
                flavor.delete(conn, flavor_id)
        except FlavorNotFound as exc:
            raise not_found(str(exc)) from None
        resp.status = falcon.HTTP_202

    @staticmethod
    def _render(req: falcon.Request, size: flavor.Flavor) -> dict[str, Any]:
        version, base = request.version(req), request.base_url(req)
        return views.detail(size, version, base, extra_specs=shows_extra_specs(req))


def install(
    app: falcon.App[falcon.Request, falcon.Response], deps: APIDeps, max_limit: int = 1000
) -> None:
    """Add the ``/flavors`` routes, with extra specs and access lists.

    ``max_limit`` is ``[api] max_limit``: the largest page a listing returns.
    """
    # Imported here: those modules build on this one's helpers.
    from tessera.api import flavor_access, flavor_extra_specs

    engine = deps.api_engine
    app.add_route("/v2.1/flavors", FlavorCollection(engine, max_limit))
    app.add_route("/v2.1/flavors/detail", FlavorList(engine, max_limit, detail=True))
    app.add_route("/v2.1/flavors/{flavor_id}", FlavorItem(engine))
    flavor_extra_specs.install(app, engine)
    flavor_access.install(app, engine)
