"""Resolving and validating the transport URL a cell command is given."""

from __future__ import annotations

import warnings
from typing import Any

from oslo_config import cfg

from tessera.manage.context import ManageContext
from tessera.urls import template


def resolve(ctx: ManageContext, flag: str | None, *, quiet: bool = False) -> str | None:
    """The ``--transport-url`` value, else ``[DEFAULT] transport_url``; None if invalid.

    Prints what the reference prints: where the value came from, or why there
    is none. ``quiet`` drops the "must specify" hint.
    """
    url = flag
    if not url:
        url = ctx.conf.transport_url
        if url:
            ctx.out(
                "--transport-url not provided in the command line, using the value "
                "[DEFAULT]/transport_url from the configuration file"
            )
    if not url:
        if not quiet:
            ctx.out(
                "Must specify --transport-url if [DEFAULT]/transport_url is not set "
                "in the configuration file."
            )
        return None
    return url if validate(ctx, url) else None


def validate(ctx: ManageContext, url: str) -> bool:
    """Check that ``url`` (after template expansion) parses as a transport URL."""
    try:
        expanded = template.expand(
            url,
            ctx.conf.transport_url,
            cell="(new)",
            option="transport_url",
            base_option="[DEFAULT] transport_url",
        )
        _parse(ctx, expanded or "")
    except (ValueError, _invalid_url_error()) as exc:
        ctx.out(f"Invalid transport URL: {exc}")
        return False
    return True


def _parse(ctx: ManageContext, url: str) -> None:
    # A throwaway ConfigOpts: the parser registers its own ``transport_url``
    # option, which would clash with ours.
    _oslo_messaging().TransportURL.parse(cfg.ConfigOpts(), url)


def _invalid_url_error() -> type[Exception]:
    error: type[Exception] = _oslo_messaging().InvalidTransportURL
    return error


def _oslo_messaging() -> Any:
    # Imported on demand: it costs ~0.6 s and most commands never need it.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import oslo_messaging
    return oslo_messaging
