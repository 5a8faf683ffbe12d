"""Server bodies by microversion: ``GET /servers/{id}``, detail-list entries, update answers.

Which keys a body has depends on the microversion, on the call (:class:`Kind`:
``server_groups`` is never in a detail list; an update answers with a short body
before 2.75) and on policy (:class:`Visible`: extended attributes, host status,
flavor extra specs), decided once per request, not once per server.
"""

from __future__ import annotations

import datetime
import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tessera.api.microversions import Version
from tessera.api.views.status import server_status
from tessera.compute.server_details import ServerView, Wanted
from tessera.compute.server_parts import UNKNOWN
from tessera.compute.server_parts import image_id as image_id_of
from tessera.context import RequestContext
from tessera.objects.instance import Instance
from tessera.policies import servers as rules
from tessera.policies.enforcer import Policy

# Image properties a server shows (2.98): those the compute service itself reads,
# under their current or legacy names; an image's free-form properties stay out.
_IMAGE_PROPERTY_PREFIXES = ("hw_", "img_")
_IMAGE_PROPERTIES = frozenset(
    {
        # os_* names the compute service reads (others, like os_glance_*, are not its).
        "os_admin_user",
        "os_command_line",
        "os_distro",
        "os_require_quiesce",
        "os_secure_boot",
        "os_skip_agent_inject_files_at_boot",
        "os_skip_agent_inject_ssh",
        "os_type",
        # Legacy names of hw_*/img_*/os_* properties.
        "architecture",
        "auto_disk_config",
        "bdm_v2",
        "bittorrent",
        "block_device_mapping",
        "cache_in_nova",
        "ipxe_boot",
        "mappings",
        "owner_id",
        "vm_mode",
        "vmware_disktype",
        "vmware_image_version",
        "vmware_linked_clone",
        "vmware_ostype",
        "xenapi_device_id",
        "xenapi_image_compression_level",
        "xenapi_skip_agent_inject_files_at_boot",
        "xenapi_skip_agent_inject_ssh",
        "xenapi_use_agent",
    }
)
_PROGRESS_STATUSES = ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING")
_FAULT_STATUSES = ("ERROR", "DELETED")


class Kind(enum.Enum):
    """The call a server body answers."""

    SHOW = "show"
    """``GET /servers/{id}``."""
    DETAIL = "detail"
    """One entry of ``GET /servers/detail``."""
    UPDATE = "update"
    """``PUT /servers/{id}``."""


class HostStatus(enum.Enum):
    """How much of ``host_status`` (2.16) policy lets a caller see."""

    ALL = "all"
    """Every value (``show:host_status``)."""
    UNKNOWN_ONLY = "unknown-only"
    """Only ``UNKNOWN`` (``show:host_status:unknown-only``); other values leave the key out."""
    NONE = "none"
    """Never."""


@dataclass(frozen=True)
class Visible:
    """What policy lets the caller see in server bodies."""

    extended: bool
    """``OS-EXT-SRV-ATTR:*`` attributes (``os-extended-server-attributes``)."""
    host_status: HostStatus
    """``host_status`` (2.16)."""
    extra_specs: bool
    """The flavor's ``extra_specs`` (2.47)."""
    is_admin: bool
    """Fault details of code 500 are for administrators (the context decides, as in the
    reference, not a rule)."""


def visible(policy: Policy, ctx: RequestContext, target: Mapping[str, Any]) -> Visible:
    """What ``ctx`` may see of servers owned as ``target`` says (three rule checks)."""
    host_status = HostStatus.NONE
    if policy.check(ctx, rules.SHOW_HOST_STATUS, target):
        host_status = HostStatus.ALL
    elif policy.check(ctx, rules.SHOW_HOST_STATUS_UNKNOWN_ONLY, target):
        host_status = HostStatus.UNKNOWN_ONLY
    return Visible(
        extended=policy.check(ctx, rules.EXTENDED_ATTRIBUTES, target),
        host_status=host_status,
        extra_specs=policy.check(ctx, rules.SHOW_FLAVOR_EXTRA_SPECS, target),
        is_admin=ctx.is_admin,
    )


def _full(version: Version, kind: Kind) -> bool:
    """Whether the body has every attribute (an update's does from 2.75)."""
    return kind is not Kind.UPDATE or version.at_least("2.75")


def wanted(version: Version, kind: Kind, seen: Visible | None = None) -> Wanted:
    """The optional parts a body of ``kind`` at ``version`` shows (``seen``: if known)."""
    full = _full(version, kind)
    status_seen = seen is None or seen.host_status is not HostStatus.NONE
    return Wanted(
        host_status=full and version.at_least("2.16") and status_seen,
        request_spec=full and version.at_least("2.96"),
        server_groups=kind is not Kind.DETAIL and version.at_least("2.71"),
        image_properties=version.at_least("2.98"),
        tags=version.at_least("2.26"),
    )


def _time(value: datetime.datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _usage_time(value: datetime.datetime | None) -> str | None:
    # The reference sends launched_at/terminated_at as a naive timestamp with microseconds.
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%S.%f")


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


def _flavor(record: Instance, version: Version, base_url: str, seen: Visible) -> dict[str, Any]:
    flavor = record.flavor
    if not flavor:
        return {}
    if not version.at_least("2.47"):
        flavorid = str(flavor.get("flavorid", ""))
        return {"id": flavorid, "links": links(base_url, "flavors", flavorid)[1:]}
    body = {
        "vcpus": flavor.get("vcpus"),
        "ram": flavor.get("memory_mb"),
        "disk": flavor.get("root_gb"),
        "ephemeral": flavor.get("ephemeral_gb") or 0,
        "swap": flavor.get("swap") or 0,
        "original_name": flavor.get("name"),
    }
    if seen.extra_specs:
        body["extra_specs"] = dict(flavor.get("extra_specs") or {})
    return body


def _image(view: ServerView, version: Version, base_url: str) -> dict[str, Any] | str:
    image_id = image_id_of(view.instance.image_ref)
    if not image_id:
        return ""  # booted from a volume
    body: dict[str, Any] = {"id": image_id, "links": links(base_url, "images", image_id)[1:]}
    if version.at_least("2.98"):
        body["properties"] = {
            k: v for k, v in view.image_properties.items() if _compute_property(k)
        }
    return body


def _compute_property(name: str) -> bool:
    return name.startswith(_IMAGE_PROPERTY_PREFIXES) or name in _IMAGE_PROPERTIES


def _addresses(view: ServerView, extended: bool) -> dict[str, list[dict[str, Any]]]:
    if extended:
        return {net: [dict(a) for a in found] for net, found in view.addresses.items()}
    # Update answers before 2.75 show only the address and its IP version.
    return {
        net: [{"addr": a["addr"], "version": a["version"]} for a in found]
        for net, found in view.addresses.items()
    }


def server(
    view: ServerView, version: Version, base_url: str, seen: Visible, kind: Kind = Kind.SHOW
) -> dict[str, Any]:
    """The body of one server (the value of ``"server"``, or one entry of ``"servers"``)."""
    if view.partial:
        return _partial(view, version, base_url, seen, kind)
    record, full = view.instance, _full(version, kind)
    status = "DELETED" if record.deleted else server_status(record.vm_state, record.task_state)
    body: dict[str, Any] = {
        "id": record.uuid,
        "name": record.display_name,
        "status": status,
        "tenant_id": record.project_id or "",
        "user_id": record.user_id or "",
        "created": _time(record.created_at),
        "updated": _time(record.updated_at or record.created_at),
        "links": links(base_url, "servers", record.uuid),
        "hostId": host_id(record.project_id, record.host),
        "image": _image(view, version, base_url),
        "flavor": _flavor(record, version, base_url, seen),
        "metadata": dict(record.metadata),
        "addresses": _addresses(view, extended=full),
        "accessIPv4": record.access_ip_v4 or "",
        "accessIPv6": record.access_ip_v6 or "",
        "OS-DCF:diskConfig": "AUTO" if record.values.get("auto_disk_config") else "MANUAL",
    }
    _by_state(body, view, status, seen)
    if full:
        _everything(body, view, version, seen)
    _versioned(body, view, version, seen, kind)
    return body


def _by_state(body: dict[str, Any], view: ServerView, status: str, seen: Visible) -> None:
    if status in _PROGRESS_STATUSES:
        body["progress"] = view.instance.progress or 0
    fault = view.fault
    if fault is None or status not in _FAULT_STATUSES:
        return
    created = getattr(fault, "created_at", None)
    shown: dict[str, Any] = {
        "code": fault.code,
        "created": _time(created) if created is not None else body["updated"],
        "message": fault.message,
    }
    if fault.details and (seen.is_admin or fault.code != 500):
        shown["details"] = fault.details
    body["fault"] = shown


def _everything(body: dict[str, Any], view: ServerView, version: Version, seen: Visible) -> None:
    """What show and detail always have (and update answers from 2.75)."""
    record = view.instance
    body["OS-EXT-AZ:availability_zone"] = record.availability_zone or ""
    body["config_drive"] = record.config_drive or ""
    body["key_name"] = record.key_name
    body["OS-SRV-USG:launched_at"] = _usage_time(record.launched_at)
    body["OS-SRV-USG:terminated_at"] = _usage_time(record.terminated_at)
    if view.security_groups:
        body["security_groups"] = [{"name": name} for name in view.security_groups]
    if seen.extended:
        _extended(body, record, version)
    body["OS-EXT-STS:task_state"] = record.task_state
    body["OS-EXT-STS:vm_state"] = record.vm_state
    body["OS-EXT-STS:power_state"] = record.power_state or 0
    body["os-extended-volumes:volumes_attached"] = [
        {"id": v.id, "delete_on_termination": v.delete_on_termination}
        if version.at_least("2.3")
        else {"id": v.id}
        for v in view.volumes
    ]


def _extended(body: dict[str, Any], record: Instance, version: Version) -> None:
    body["OS-EXT-SRV-ATTR:host"] = record.host
    body["OS-EXT-SRV-ATTR:instance_name"] = f"instance-{record.id:08x}" if record.id else ""
    body["OS-EXT-SRV-ATTR:hypervisor_hostname"] = record.node
    if not version.at_least("2.3"):
        return
    values = record.values
    body["OS-EXT-SRV-ATTR:hostname"] = record.hostname
    body["OS-EXT-SRV-ATTR:kernel_id"] = values.get("kernel_id")
    body["OS-EXT-SRV-ATTR:launch_index"] = record.launch_index
    body["OS-EXT-SRV-ATTR:ramdisk_id"] = values.get("ramdisk_id")
    body["OS-EXT-SRV-ATTR:reservation_id"] = record.reservation_id
    body["OS-EXT-SRV-ATTR:root_device_name"] = values.get("root_device_name")
    body["OS-EXT-SRV-ATTR:user_data"] = record.user_data


def _versioned(
    body: dict[str, Any], view: ServerView, version: Version, seen: Visible, kind: Kind
) -> None:
    record, full = view.instance, _full(version, kind)
    if version.at_least("2.9"):
        body["locked"] = bool(record.locked)
    if version.at_least("2.16") and full:
        _host_status(body, view, seen)
    if version.at_least("2.19"):
        body["description"] = record.display_description
    if version.at_least("2.26"):
        body["tags"] = list(view.tags)
    if version.at_least("2.63"):
        certs = view.trusted_image_certificates
        body["trusted_image_certificates"] = None if certs is None else list(certs)
    if version.at_least("2.71") and kind is not Kind.DETAIL:
        body["server_groups"] = list(view.server_groups)
    if version.at_least("2.73"):
        body["locked_reason"] = None  # lock reasons are not stored yet
    if version.at_least("2.90") and not (full and seen.extended):
        body["OS-EXT-SRV-ATTR:hostname"] = record.hostname
    if version.at_least("2.96") and full:
        body["pinned_availability_zone"] = view.spec.availability_zone
    if version.at_least("2.100"):
        body["scheduler_hints"] = dict(view.spec.scheduler_hints)


def _host_status(body: dict[str, Any], view: ServerView, seen: Visible) -> None:
    status = view.host_status
    if status is None or seen.host_status is HostStatus.NONE:
        return
    if seen.host_status is HostStatus.UNKNOWN_ONLY and status != UNKNOWN:
        return
    body["host_status"] = status


def _partial(
    view: ServerView, version: Version, base_url: str, seen: Visible, kind: Kind
) -> dict[str, Any]:
    """What is known of a server whose cell is down (2.69 and later)."""
    record = view.instance
    body: dict[str, Any] = {
        "id": record.uuid,
        "status": "UNKNOWN",
        "tenant_id": record.project_id,
        "created": _time(record.created_at),
        "links": links(base_url, "servers", record.uuid),
    }
    if kind is Kind.DETAIL:
        return body
    body["image"] = _image(view, version, base_url)
    body["flavor"] = _flavor(record, version, base_url, seen)
    body["OS-EXT-AZ:availability_zone"] = record.availability_zone or "UNKNOWN"
    body["OS-EXT-STS:power_state"] = 0
    body["user_id"] = record.user_id or "UNKNOWN"
    if version.at_least("2.71"):
        body["server_groups"] = list(view.server_groups)
    return body


def created(record: Instance, base_url: str) -> dict[str, Any]:
    """The 202 body of ``POST /servers``."""
    return {
        "id": record.uuid,
        "links": links(base_url, "servers", record.uuid),
        "OS-DCF:diskConfig": "MANUAL",
        "security_groups": [{"name": "default"}],
    }
