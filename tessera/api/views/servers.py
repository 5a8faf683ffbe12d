"""Server representations (``GET /servers/{id}``) by microversion."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from tessera.api.microversions import Version
from tessera.api.views.status import server_status
from tessera.compute.api import ServerView
from tessera.context import RequestContext
from tessera.objects.instance import Instance


def _time(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


def host_id(project_id: str | None, host: str | None) -> str:
    """Opaque per-project host identity: SHA-224 of project + host ('' without a host)."""
    if not host:
        return ""
    return hashlib.sha224(f"{project_id}{host}".encode()).hexdigest()


def links(base_url: str, kind: str, ident: str) -> list[dict[str, str]]:
    """``self`` and ``bookmark`` links of a resource."""
    root = base_url.rstrip("/")
    bookmark = root.rsplit("/v2.1", 1)[0]
    return [
        {"rel": "self", "href": f"{root}/{kind}/{ident}"},
        {"rel": "bookmark", "href": f"{bookmark}/{kind}/{ident}"},
    ]


def _flavor(record: Instance, version: Version, base_url: str) -> dict[str, Any]:
    flavor = record.flavor
    if not version.at_least("2.47"):
        flavorid = str(flavor.get("flavorid", ""))
        return {"id": flavorid, "links": links(base_url, "flavors", flavorid)[1:]}
    return {
        "vcpus": flavor.get("vcpus"),
        "ram": flavor.get("memory_mb"),
        "disk": flavor.get("root_gb"),
        "ephemeral": flavor.get("ephemeral_gb", 0),
        "swap": flavor.get("swap", 0),
        "original_name": flavor.get("name"),
        "extra_specs": dict(flavor.get("extra_specs") or {}),
    }


def _image(record: Instance, base_url: str) -> dict[str, Any] | str:
    if not record.image_ref:
        return ""
    return {"id": record.image_ref, "links": links(base_url, "images", record.image_ref)[1:]}


def show(ctx: RequestContext, view: ServerView, version: Version, base_url: str) -> dict[str, Any]:
    """The full server body at ``version``."""
    record = view.instance
    status = server_status(record.vm_state, record.task_state)
    body: dict[str, Any] = {
        "id": record.uuid,
        "name": record.display_name,
        "status": status,
        "tenant_id": record.project_id,
        "user_id": record.user_id,
        "created": _time(record.created_at),
        "updated": _time(record.updated_at or record.created_at),
        "links": links(base_url, "servers", record.uuid),
        "hostId": host_id(record.project_id, record.host),
        "image": _image(record, base_url),
        "flavor": _flavor(record, version, base_url),
        "metadata": dict(record.metadata),
        "addresses": view.addresses,
        "accessIPv4": "",
        "accessIPv6": "",
        "OS-DCF:diskConfig": "MANUAL",
        "OS-EXT-AZ:availability_zone": record.availability_zone or "",
        "config_drive": "",
        "key_name": record.key_name,
        "OS-SRV-USG:launched_at": _time(record.launched_at),
        "OS-SRV-USG:terminated_at": _time(record.terminated_at),
        "OS-EXT-STS:task_state": record.task_state,
        "OS-EXT-STS:vm_state": record.vm_state,
        "OS-EXT-STS:power_state": record.power_state or 0,
        "os-extended-volumes:volumes_attached": [],
    }
    _versioned(body, record, version)
    _conditional(body, ctx, view, status)
    return body


def _versioned(body: dict[str, Any], record: Instance, version: Version) -> None:
    if version.at_least("2.9"):
        body["locked"] = bool(record.locked)
    if version.at_least("2.19"):
        body["description"] = record.display_description
    if version.at_least("2.26"):
        body["tags"] = []
    if version.at_least("2.73"):
        body["locked_reason"] = None


def _conditional(body: dict[str, Any], ctx: RequestContext, view: ServerView, status: str) -> None:
    record = view.instance
    if status in ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING"):
        body["progress"] = record.progress or 0
    if view.fault is not None and status in ("ERROR", "DELETED"):
        fault: dict[str, Any] = {
            "code": view.fault.code,
            "message": view.fault.message,
            "created": body["updated"],
        }
        if view.fault.details and (ctx.is_admin or view.fault.code != 500):
            fault["details"] = view.fault.details
        body["fault"] = fault
    if ctx.is_admin:
        body["OS-EXT-SRV-ATTR:host"] = record.host
        body["OS-EXT-SRV-ATTR:hypervisor_hostname"] = record.node
        body["OS-EXT-SRV-ATTR:instance_name"] = f"instance-{record.id:08x}" if record.id else ""


def created(record: Instance, base_url: str) -> dict[str, Any]:
    """The 202 body of ``POST /servers``."""
    return {
        "id": record.uuid,
        "links": links(base_url, "servers", record.uuid),
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": "default"}],
    }
