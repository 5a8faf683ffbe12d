"""Requests of ``/flavors``, their extra specs and access lists: schemas and value rules.

JSON Schema checks shapes; what it cannot say (printable text, integer
ranges of numeric strings, the known extra specs of microversion 2.86) is
spelled out here as small functions the handlers call after validation.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import os_resource_classes
import os_traits
from oslo_utils import strutils

from tessera.api.microversions import Version
from tessera.api.schemas.query import many
from tessera.objects.flavor import SORT_KEYS

MAX_INT = 0x7FFFFFFF
"""Largest value of the integer columns (signed 32 bits)."""
MAX_FLOAT = 3.40282e38
"""Largest ``rxtx_factor`` (single-precision float, as MySQL stores it)."""

# Numbers or numeric strings; ranges of strings are checked by :func:`integer`.
_SIZE = {"type": ["integer", "string"], "pattern": "^[0-9]+$", "maximum": MAX_INT}
_POSITIVE = {**_SIZE, "minimum": 1}
_NON_NEGATIVE = {**_SIZE, "minimum": 0}
_BOOLEAN = {
    "type": ["boolean", "string"],
    "enum": [
        True,
        *("True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes"),
        False,
        *("False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no"),
    ],
}
# No surrounding whitespace; :func:`unprintable` rejects control and format characters.
_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^\S(.*\S)?$"}
_DESCRIPTION = {"type": ["string", "null"], "maxLength": 65535}

_FLAVOR: dict[str, Any] = {
    "name": _NAME,
    # Digits, letters, dots, dashes, underscores and inner spaces; a number is taken as text.
    "id": {
        "type": ["string", "number", "null"],
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^(?! )[a-zA-Z0-9. _-]+(?<! )$",
    },
    "ram": _POSITIVE,
    "vcpus": _POSITIVE,
    "disk": _NON_NEGATIVE,
    "OS-FLV-EXT-DATA:ephemeral": _NON_NEGATIVE,
    "swap": _NON_NEGATIVE,
    "rxtx_factor": {
        "type": ["number", "string"],
        "pattern": r"^[0-9]+(\.[0-9]+)?$",
        "exclusiveMinimum": 0,
        "maximum": MAX_FLOAT,
    },
    "os-flavor-access:is_public": _BOOLEAN,
}


def _wrapped(key: str, inner: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            key: {
                "type": "object",
                "properties": inner,
                "required": required,
                "additionalProperties": False,
            }
        },
        "required": [key],
        "additionalProperties": False,
    }


CREATE: dict[str, Any] = _wrapped("flavor", _FLAVOR, ["name", "ram", "vcpus", "disk"])
"""``POST /flavors`` before 2.55 (``id`` optional: a UUID is made when it is missing)."""

CREATE_V255: dict[str, Any] = _wrapped(
    "flavor", {**_FLAVOR, "description": _DESCRIPTION}, ["name", "ram", "vcpus", "disk"]
)
"""From 2.55 a description may be given."""

UPDATE_V255: dict[str, Any] = _wrapped("flavor", {"description": _DESCRIPTION}, ["description"])
"""``PUT /flavors/{id}`` (2.55 and later): the description is all that may change."""

_TENANT = {"type": "string", "minLength": 1, "maxLength": 255}
ACTION: dict[str, Any] = {"type": "object", "minProperties": 1, "maxProperties": 1}
"""``POST /flavors/{id}/action``: the action is the body's single key."""
ADD_TENANT_ACCESS: dict[str, Any] = _wrapped("addTenantAccess", {"tenant": _TENANT}, ["tenant"])
"""``addTenantAccess``: the project to let use a private flavor."""
REMOVE_TENANT_ACCESS: dict[str, Any] = _wrapped(
    "removeTenantAccess", {"tenant": _TENANT}, ["tenant"]
)
"""``removeTenantAccess``: the project to take off the access list."""

SPEC_KEY = "^[a-zA-Z0-9-_:. ]{1,255}$"
"""What an extra spec's name may be made of."""
_SPECS = {
    "type": "object",
    # Numbers are accepted and stored as their text.
    "patternProperties": {SPEC_KEY: {"type": ["string", "number"], "maxLength": 255}},
    "additionalProperties": False,
}
EXTRA_SPECS_CREATE: dict[str, Any] = {
    "type": "object",
    "properties": {"extra_specs": _SPECS},
    "required": ["extra_specs"],
    "additionalProperties": False,
}
"""``POST /flavors/{id}/os-extra_specs``: specs to add or change."""
EXTRA_SPEC_UPDATE: dict[str, Any] = {
    **copy.deepcopy(_SPECS),
    "minProperties": 1,
    "maxProperties": 1,
}
"""``PUT /flavors/{id}/os-extra_specs/{key}``: ``{key: value}``."""


def _list_query(strict: bool) -> dict[str, Any]:
    text = many({"type": "string"})
    return {
        "type": "object",
        "properties": {
            "limit": many({"type": "string", "pattern": "^[0-9]+$"}),
            "marker": text,
            "is_public": text,
            "minRam": text,
            "minDisk": text,
            "sort_key": many({"type": "string", "enum": list(SORT_KEYS)}),
            "sort_dir": many({"type": "string", "enum": ["asc", "desc"]}),
        },
        "additionalProperties": not strict,
    }


LIST_QUERY: dict[str, Any] = _list_query(strict=False)
"""Query of ``GET /flavors`` and ``/flavors/detail`` (each name maps to its values);
unknown names are ignored."""
LIST_QUERY_V275: dict[str, Any] = _list_query(strict=True)
"""From 2.75 unknown query parameters are refused."""


def list_query(version: Version) -> dict[str, Any]:
    """The listing's query schema at ``version``."""
    return LIST_QUERY_V275 if version.at_least("2.75") else LIST_QUERY


# --------------------------------------------------------------------------- values


def _printable(char: str) -> bool:
    # Letters, marks, numbers, punctuation, symbols and horizontal spaces; not
    # control, format, private-use or unassigned characters, nor line breaks.
    category = unicodedata.category(char)
    return category[0] != "C" and category not in ("Zl", "Zp")


def unprintable(text: str) -> str | None:
    """The first character of ``text`` that is not printable, or None."""
    return next((c for c in text if not _printable(c)), None)


def integer(value: int | str, name: str, minimum: int, maximum: int = MAX_INT) -> int:
    """A validated size ``value`` as an int; ValueError naming ``name`` when out of range."""
    number = int(value)
    if number < minimum:
        raise ValueError(f"{name} must be >= {minimum}")
    if number > maximum:
        raise ValueError(f"{name} must be <= {maximum}")
    return number


def boolean(value: bool | str) -> bool:
    """A :data:`_BOOLEAN` value as a bool."""
    return value if isinstance(value, bool) else strutils.bool_from_string(value, strict=True)


# --------------------------------------------------------------------------- known extra specs


@dataclass(frozen=True)
class KnownSpec:
    """An extra spec the scheduler or a driver understands, and what its value must be."""

    key: str
    """Regular expression the whole name matches."""
    kind: str = "text"
    """``text``, ``enum``, ``pattern``, ``int`` or ``bool``."""
    choices: tuple[str, ...] = ()
    """Allowed values of an ``enum``."""
    pattern: str = ""
    """Regular expression the whole value of a ``pattern`` spec matches."""
    minimum: int | None = None
    """Smallest value of an ``int``."""
    maximum: int | None = None
    """Largest value of an ``int``."""

    def problem(self, value: str) -> str | None:
        """Why ``value`` is not acceptable, or None."""
        if self.kind == "enum" and value not in self.choices:
            return f"'{value}' is not one of: {', '.join(self.choices)}."
        if self.kind == "pattern" and not re.fullmatch(self.pattern, value):
            return f"'{value}' is not of the format '{self.pattern}'."
        if self.kind == "bool" and value.strip().lower() not in _BOOL_WORDS:
            return f"'{value}' is not a valid boolean-like value."
        if self.kind == "int":
            return _int_problem(value, self.minimum, self.maximum)
        return None


_BOOL_WORDS = frozenset(strutils.TRUE_STRINGS + strutils.FALSE_STRINGS)
_CPU_SET = r"\^?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*"
_GROUP = "[a-zA-Z0-9_-]{1,64}"


def _int_problem(value: str, minimum: int | None, maximum: int | None) -> str | None:
    try:
        number = int(value)
    except ValueError:
        return f"'{value}' is not a valid integer value."
    if maximum is not None and number > maximum:
        return f"'{value}' is greater than the max value of '{maximum}'."
    if minimum is not None and number < minimum:
        return f"'{value}' is less than the min value of '{minimum}'."
    return None


def _enum(key: str, *choices: str) -> KnownSpec:
    return KnownSpec(key, "enum", choices=choices)


def _int(key: str, minimum: int | None = None, maximum: int | None = None) -> KnownSpec:
    return KnownSpec(key, "int", minimum=minimum, maximum=maximum)


def _hw() -> Iterator[KnownSpec]:
    for flag in (
        "cpu_realtime",
        "hide_hypervisor_id",
        "locked_memory",
        "boot_menu",
        "vif_multiqueue_enabled",
        "mem_encryption",
        "pmu",
        "virtio_packed_ring",
        "ephemeral_encryption",
    ):
        yield KnownSpec(f"hw:{flag}", "bool")
    for count in ("sockets", "cores", "threads", "max_sockets", "max_cores", "max_threads"):
        yield _int(f"hw:cpu_{count}", 1)
    yield _int("hw:numa_nodes", 1)
    yield _int(r"hw:numa_mem\.\d+", 1)
    yield _int("hw:serial_port_count", 0)
    yield _int("hw:redirected_usb_ports", 0, 15)
    for masked in ("hw:cpu_realtime_mask", "hw:cpu_dedicated_mask", r"hw:numa_cpus\.\d+"):
        yield KnownSpec(masked, "pattern", pattern=_CPU_SET)
    yield KnownSpec(
        "hw:mem_page_size", "pattern", pattern=r"(large|small|any|\d+([kKMGT]i?)?(b|bit|B)?)"
    )
    yield KnownSpec("hw:pmem", "pattern", pattern="([a-zA-Z0-9_]+(,)?)+")
    yield _enum("hw:cpu_policy", "dedicated", "shared", "mixed")
    yield _enum("hw:cpu_thread_policy", "prefer", "isolate", "require")
    yield _enum("hw:emulator_threads_policy", "isolate", "share")
    yield _enum("hw:pci_numa_affinity_policy", "required", "preferred", "legacy", "socket")
    yield _enum("hw:mem_encryption_model", "amd-sev", "amd-sev-es", "amd-sev-snp")
    yield _enum("hw:tpm_model", "tpm-tis", "tpm-crb")
    yield _enum("hw:tpm_version", "1.2", "2.0")
    yield _enum("hw:tpm_secret_security", "user", "host", "deployment")
    yield _enum("hw:watchdog_action", "none", "pause", "poweroff", "reset", "disabled")
    yield _enum("hw:viommu_model", "intel", "smmuv3", "virtio", "auto")
    sound = ("sb16", "es1370", "pcspk", "ac97", "ich6", "ich9", "usb", "virtio")
    yield _enum("hw:sound_model", *sound)
    yield _enum("hw:usb_model", "none", "nec-xhci", "qemu-xhci")
    yield _enum("hw:ephemeral_encryption_format", "plain", "luks", "luksv2")


def _quota() -> Iterator[KnownSpec]:
    for resource in ("cpu", "memory", "disk_io", "vif"):
        yield _int(f"quota:{resource}_limit", 0)
        yield _int(f"quota:{resource}_reservation")
        yield _enum(f"quota:{resource}_shares_level", "custom", "high", "normal", "low")
        yield _int(f"quota:{resource}_shares_share", 0)
    yield _int("quota:cpu_shares", 0)
    yield _int("quota:cpu_period", 0)
    yield _int("quota:cpu_quota")
    for stat in ("read", "write", "total"):
        for metric in ("bytes", "iops"):
            yield _int(f"quota:disk_{stat}_{metric}_sec", 0)
    for way in ("inbound", "outbound"):
        for metric in ("average", "peak", "burst"):
            yield _int(f"quota:vif_{way}_{metric}", 0)


_CAPABILITIES = (
    "id",
    "uuid",
    "service_id",
    "host",
    "vcpus",
    "memory_mb",
    "local_gb",
    "vcpus_used",
    "memory_mb_used",
    "local_gb_used",
    "hypervisor_type",
    "hypervisor_version",
    "hypervisor_hostname",
    "free_ram_mb",
    "free_disk_gb",
    "current_workload",
    "running_vms",
    "disk_available_least",
    "host_ip",
    "mapped",
    "cpu_allocation_ratio",
    "ram_allocation_ratio",
    "disk_allocation_ratio",
    "total_usable_ram_mb",
    "total_usable_disk_gb",
    "disk_mb_used",
    "free_disk_mb",
    "vcpus_total",
    "num_instances",
    "num_io_ops",
    "failed_builds",
    "aggregates",
    "cell_uuid",
    "updated",
)
# Capabilities holding structures: a path into them may follow (``capabilities:stats:foo``).
_NESTED_CAPABILITIES = (
    "cpu_info",
    "metrics",
    "stats",
    "numa_topology",
    "supported_hv_specs",
    "pci_device_pools",
    "nodename",
    "pci_stats",
    "supported_instances",
    "limits",
    "instances",
)


def _others() -> Iterator[KnownSpec]:
    yield from (KnownSpec(f"capabilities:{name}") for name in _CAPABILITIES)
    yield from (KnownSpec(rf"capabilities:{name}(:\w+)*") for name in _NESTED_CAPABILITIES)
    yield KnownSpec("aggregate_instance_extra_specs:.+")
    yield KnownSpec("accel:device_profile")
    yield KnownSpec("hw_rng:allowed", "bool")
    yield _int("hw_rng:rate_bytes", 0)
    yield _int("hw_rng:rate_period", 0)
    yield _int("hw_video:ram_max_mb", 0)
    yield _enum("os:secure_boot", "disabled", "required")
    yield KnownSpec("pci_passthrough:alias", "pattern", pattern=r"[^:]+:\d+(?:\s*,\s*[^:]+:\d+)*")
    yield KnownSpec("vmware:hw_version")
    yield KnownSpec("vmware:storage_policy")
    yield KnownSpec("hide_hypervisor_id", "bool")
    yield _enum("group_policy", "isolate", "none")
    classes = "|".join(re.escape(rc) for rc in os_resource_classes.STANDARDS)
    yield _int(f"resources({_GROUP})?:({classes}|CUSTOM_[A-Z0-9_]+)")
    traits = "|".join(re.escape(t) for t in os_traits.get_traits())
    yield _enum(f"trait({_GROUP})?:({traits}|CUSTOM_[A-Z0-9_]+)", "required", "forbidden")


KNOWN_SPECS: tuple[KnownSpec, ...] = (*_hw(), *_quota(), *_others())
"""Every extra spec checked from microversion 2.86."""
_BY_KEY = {s.key: s for s in KNOWN_SPECS if re.escape(s.key) == s.key}
_PATTERNED = [(re.compile(s.key), s) for s in KNOWN_SPECS if s.key not in _BY_KEY]
# Namespaces (the part before the first colon) that have known specs: any
# other name in them is a typo.
_NAMESPACES = re.compile(
    "|".join(sorted({s.key.split(":", 1)[0] for s in KNOWN_SPECS if ":" in s.key}))
)


def extra_spec_problem(key: str, value: str) -> str | None:
    """Why ``key = value`` is refused from 2.86, or None (unknown namespaces pass)."""
    known = _BY_KEY.get(key) or next((s for r, s in _PATTERNED if r.fullmatch(key)), None)
    if known is not None:
        why = known.problem(value)
        return None if why is None else f"Validation failed; {why}"
    if ":" in key and _NAMESPACES.fullmatch(key.split(":", 1)[0]):
        return f"Validation failed; extra spec '{key}' does not appear to be a valid extra spec."
    return None
