"""``/os-keypairs``: generate or import SSH public keys, list, show and delete them.

Keypairs belong to a user: a caller only ever sees its own, and an admin may
name another user with ``user_id`` (microversion 2.10). Another user's
keypair is reported as not found, never as forbidden, so names do not leak.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import falcon
import sqlalchemy as sa

from tessera.api import request, validation
from tessera.api.deps import APIDeps
from tessera.api.errors import APIError, bad_request, not_found
from tessera.api.schemas import keypairs as schemas
from tessera.api.views import keypairs as views
from tessera.objects import keypair, quota
from tessera.objects.keypair import InvalidPublicKey, KeyPairExists, KeyPairNotFound
from tessera.policies import keypairs as rules


def _user(req: falcon.Request, asked: str | None) -> str:
    """Whose keypairs the request is about: ``asked`` from 2.10, else the caller."""
    if asked is not None and request.version(req).at_least("2.10"):
        return asked
    user = request.ctx(req).user_id
    assert user is not None  # the auth middleware always sets one
    return user


def _limit(req: falcon.Request, max_limit: int) -> int:
    """The page size (2.35): at most ``max_limit``, which is also the default, as in the
    reference; larger numbers are capped, never sent to the database."""
    raw = req.get_param("limit")
    if raw is None:
        return max_limit
    value = validation.query_int(raw, max_limit)
    if value is None:
        raise bad_request("Invalid input for query parameter limit: must be an integer >= 0.")
    return value


class KeypairCollection:
    """``GET`` (list) and ``POST`` (create or import) ``/os-keypairs``."""

    def __init__(self, engine: sa.Engine, max_limit: int) -> None:
        self._engine = engine
        self._max_limit = max_limit

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        version = request.version(req)
        user = _user(req, req.get_param("user_id"))
        request.authorize(req, rules.INDEX, {"user_id": user})
        limit: int | None = None
        marker: str | None = None
        if version.at_least("2.35"):
            limit = _limit(req, self._max_limit)
            marker = req.get_param("marker")
        try:
            with self._engine.connect() as conn:
                found = keypair.get_all(conn, user, limit, marker)
        except KeyPairNotFound:
            raise bad_request(f"Marker {marker} could not be found.") from None
        body: dict[str, Any] = {"keypairs": [views.listed(k, version) for k in found]}
        if limit is not None and found and len(found) == limit:
            query: dict[str, Any] = {"limit": limit, "marker": found[-1].name}
            if req.get_param("user_id") is not None:
                query["user_id"] = user
            href = f"{request.base_url(req)}/os-keypairs?{urlencode(query)}"
            body["keypairs_links"] = [{"rel": "next", "href": href}]
        resp.media = body

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        version = request.version(req)
        schema = schemas.CREATE
        if version.at_least("2.10"):
            schema = schemas.CREATE_V210
        elif version.at_least("2.2"):
            schema = schemas.CREATE_V22
        spec = validation.body(req, schema)["keypair"]
        user = _user(req, spec.get("user_id"))
        request.authorize(req, rules.CREATE, {"user_id": user})
        project = request.ctx(req).project_id or ""

        private_key = None
        public_key = spec.get("public_key")
        if public_key is None:
            generated = keypair.generate(spec["name"])
            public_key, private_key = generated.public_key, generated.private_key
        try:
            with self._engine.begin() as conn:
                limit = quota.limits(conn, project)["key_pairs"]
                # Counted per user, limited by the caller's project, like the reference API.
                if limit != quota.UNLIMITED and keypair.count(conn, user) >= limit:
                    raise APIError(403, "Quota exceeded, too many key pairs.")
                created = keypair.create(conn, user, spec["name"], public_key)
        except InvalidPublicKey as exc:
            raise bad_request(str(exc)) from None
        except KeyPairExists as exc:
            raise APIError(409, str(exc)) from None
        resp.status = falcon.HTTP_201 if version.at_least("2.2") else falcon.HTTP_200
        resp.media = {"keypair": views.created(created, version, private_key)}


class KeypairItem:
    """``GET`` and ``DELETE /os-keypairs/{name}``."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        user = _user(req, req.get_param("user_id"))
        request.authorize(req, rules.SHOW, {"user_id": user})
        try:
            with self._engine.connect() as conn:
                found = keypair.get(conn, user, name)
        except KeyPairNotFound as exc:
            raise not_found(str(exc)) from None
        resp.media = {"keypair": views.shown(found, request.version(req))}

    def on_delete(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        user = _user(req, req.get_param("user_id"))
        request.authorize(req, rules.DELETE, {"user_id": user})
        try:
            with self._engine.begin() as conn:
                keypair.delete(conn, user, name)
        except KeyPairNotFound as exc:
            raise not_found(str(exc)) from None
        if request.version(req).at_least("2.2"):
            resp.status = falcon.HTTP_204
        else:
            resp.status = falcon.HTTP_202


def install(app: falcon.App[falcon.Request, falcon.Response], deps: APIDeps) -> None:
    """Add the ``/os-keypairs`` routes."""
    app.add_route("/v2.1/os-keypairs", KeypairCollection(deps.api_engine, deps.max_limit))
    app.add_route("/v2.1/os-keypairs/{name}", KeypairItem(deps.api_engine))
