"""Lookups that found nothing, and other record-level errors."""

from __future__ import annotations


class NotFound(Exception):
    """A record that was asked for does not exist."""


class CellMappingNotFound(NotFound):
    def __init__(self, uuid: str) -> None:
        super().__init__(f"Cell with uuid {uuid} was not found.")
        self.uuid = uuid


class HostMappingNotFound(NotFound):
    def __init__(self, host: str) -> None:
        super().__init__(f"Host {host} is not mapped to any cell.")
        self.host = host


class InstanceMappingNotFound(NotFound):
    def __init__(self, uuid: str) -> None:
        super().__init__(f"Instance {uuid} has no instance mapping.")
        self.uuid = uuid


class InstanceNotFound(NotFound):
    def __init__(self, uuid: str) -> None:
        super().__init__(f"Instance {uuid} could not be found.")
        self.uuid = uuid
