"""``/flavors/{flavor_id}/os-extra_specs``: a flavor's scheduler and driver hints.

Reading them follows flavor visibility (a private flavor the caller may not
see is not found); changing them is for administrators. Values may be sent
as numbers and are stored as text; from microversion 2.86 the specs of known
namespaces (``hw:``, ``trait:``, ``resources:``, ...) must be known and well-formed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import falcon
import sqlalchemy as sa

from tessera.api import request, validation
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.flavors import find, own
from tessera.api.schemas import flavors as schemas
from tessera.objects import flavor
from tessera.objects.flavor import ExtraSpecConflict, ExtraSpecNotFound, FlavorNotFound
from tessera.policies import flavors as rules


def _checked(req: falcon.Request, specs: Mapping[str, Any]) -> dict[str, str]:
    """``specs`` (schema-validated) as stored text; 400 for a value that may not be stored."""
    validate_known = request.version(req).at_least("2.86")
    texts: dict[str, str] = {}
    for key, value in specs.items():
        if key.endswith("\n"):  # the schema's "$" lets one trailing newline through
            raise bad_request(f"Invalid extra_specs key {key!r}.")
        text = value if isinstance(value, str) else str(value)
        if len(text) > 255:
            raise bad_request(f"extra_specs value of {key} is longer than 255 characters.")
        if validate_known:
            problem = schemas.extra_spec_problem(key, text)
            if problem is not None:
                raise bad_request(problem)
        texts[key] = text
    return texts


def _store(engine: sa.Engine, req: falcon.Request, flavor_id: str, specs: dict[str, str]) -> None:
    try:
        with engine.begin() as conn:
            flavor.set_extra_specs(conn, find(conn, req, flavor_id), specs)
    except ExtraSpecConflict as exc:
        raise APIError(409, str(exc)) from None
    except FlavorNotFound as exc:  # deleted while we wrote
        raise not_found(str(exc)) from None


class ExtraSpecs:
    """``GET`` (list) and ``POST`` (add or change) ``/flavors/{flavor_id}/os-extra_specs``."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def on_get(self, req: falcon.Request, resp: falcon.Response, flavor_id: str) -> None:
        request.authorize(req, rules.EXTRA_SPECS_INDEX, own(request.ctx(req)))
        with self._engine.connect() as conn:
            size = find(conn, req, flavor_id)
        resp.media = {"extra_specs": dict(size.extra_specs)}

    def on_post(self, req: falcon.Request, resp: falcon.Response, flavor_id: str) -> None:
        body = validation.body(req, schemas.EXTRA_SPECS_CREATE)
        request.authorize(req, rules.EXTRA_SPECS_CREATE, {})
        _store(self._engine, req, flavor_id, _checked(req, body["extra_specs"]))
        # The request is echoed as sent (numbers stay numbers), as the reference does.
        resp.media = body


class ExtraSpec:
    """``GET``, ``PUT`` and ``DELETE /flavors/{flavor_id}/os-extra_specs/{key}``."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def on_get(self, req: falcon.Request, resp: falcon.Response, flavor_id: str, key: str) -> None:
        request.authorize(req, rules.EXTRA_SPECS_SHOW, own(request.ctx(req)))
        with self._engine.connect() as conn:
            size = find(conn, req, flavor_id)
        if key not in size.extra_specs:
            raise not_found(str(ExtraSpecNotFound(flavor_id, key)))
        resp.media = {key: size.extra_specs[key]}

    def on_put(self, req: falcon.Request, resp: falcon.Response, flavor_id: str, key: str) -> None:
        body = validation.body(req, schemas.EXTRA_SPEC_UPDATE)
        request.authorize(req, rules.EXTRA_SPECS_UPDATE, {})
        if key not in body:
            raise bad_request("Request body and URI mismatch")
        _store(self._engine, req, flavor_id, _checked(req, body))
        resp.media = body

    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, flavor_id: str, key: str
    ) -> None:
        request.authorize(req, rules.EXTRA_SPECS_DELETE, {})
        try:
            with self._engine.begin() as conn:
                flavor.delete_extra_spec(conn, find(conn, req, flavor_id), key)
        except ExtraSpecNotFound as exc:
            raise not_found(str(exc)) from None
        # 200 with an empty body, as the reference answers.
        resp.status = falcon.HTTP_200


def install(app: falcon.App[falcon.Request, falcon.Response], engine: sa.Engine) -> None:
    """Add the extra spec routes."""
    app.add_route("/v2.1/flavors/{flavor_id}/os-extra_specs", ExtraSpecs(engine))
    app.add_route("/v2.1/flavors/{flavor_id}/os-extra_specs/{key}", ExtraSpec(engine))
