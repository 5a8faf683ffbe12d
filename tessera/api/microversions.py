"""Microversion negotiation of the compute API."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from functools import total_ordering

import falcon

from tessera.api.errors import APIError

MIN_VERSION = "2.1"
MAX_VERSION = "2.100"
_FORMAT = re.compile(r"^[1-9]\d*\.([1-9]\d*|0)$")
NEW_HEADER = "OpenStack-API-Version"
LEGACY_HEADER = "X-OpenStack-Nova-API-Version"


@total_ordering
@dataclass(frozen=True)
class Version:
    """A compute API microversion."""

    major: int
    """Always 2."""
    minor: int
    """The microversion."""

    @classmethod
    def parse(cls, text: str) -> Version:
        """``"2.47"`` -> Version(2, 47); 400 for a malformed string."""
        if not _FORMAT.match(text):
            raise APIError(
                400,
                f"API Version String {text} is of invalid format. Must be "
                "of format MajorNum.MinorNum.",
            )
        major, minor = text.split(".")
        return cls(int(major), int(minor))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return (self.major, self.minor) < (other.major, other.minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def at_least(self, text: str) -> bool:
        """Whether this version is ``text`` or newer."""
        major, minor = _threshold(text)
        return (self.major, self.minor) >= (major, minor)


@functools.lru_cache(maxsize=512)
def _threshold(text: str) -> tuple[int, int]:
    """``"2.47"`` -> (2, 47), parsed once: views ask dozens of times per server."""
    version = Version.parse(text)
    return version.major, version.minor


def requested(req: falcon.Request) -> Version:
    """The version a request asks for (2.1 when it asks for none)."""
    raw = _header_value(req)
    if raw is None:
        return Version.parse(MIN_VERSION)
    if raw.lower() == "latest":
        return Version.parse(MAX_VERSION)
    version = Version.parse(raw)
    if not Version.parse(MIN_VERSION) <= version <= Version.parse(MAX_VERSION):
        raise APIError(
            406,
            f"Version {raw} is not supported by the API. Minimum is "
            f"{MIN_VERSION} and maximum is {MAX_VERSION}.",
        )
    return version


def _header_value(req: falcon.Request) -> str | None:
    new = req.get_header(NEW_HEADER)
    if new:
        parts = new.strip().split()
        if len(parts) == 2 and parts[0].lower() == "compute":
            return parts[1]
        if len(parts) == 1 and parts[0].lower() != "compute":
            return None
    legacy = req.get_header(LEGACY_HEADER)
    return legacy.strip() if legacy else None


def set_headers(resp: falcon.Response, version: Version) -> None:
    """Version headers every versioned response carries."""
    resp.set_header(NEW_HEADER, f"compute {version}")
    resp.set_header(LEGACY_HEADER, str(version))
    resp.append_header("Vary", f"{NEW_HEADER}, {LEGACY_HEADER}")
