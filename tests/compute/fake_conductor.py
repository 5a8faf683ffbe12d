"""An in-memory cell conductor endpoint: what ``CellConductorAPI`` sends, kept in dicts.

It answers the same RPC methods with the same keyword arguments as the real
cell conductor, so a compute under test talks to it over a real transport.
Records are plain JSON-safe dicts (as they would arrive over the wire).
"""

from __future__ import annotations

import threading
import time
import uuid as uuidlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tessera.context import RequestContext
from tessera.objects.instance import Instance
from tessera.rpc.endpoint import endpoint_target

WAIT = 10.0
"""Seconds a test waits for something that should happen (far longer than needed)."""


@dataclass
class ServiceRecord:
    """A registered service."""

    id: int
    host: str
    binary: str
    topic: str | None
    report_count: int = 0


@dataclass
class Fault:
    """An instance fault as the compute reported it."""

    uuid: str
    code: int
    message: str
    details: str | None
    host: str | None


@dataclass
class Event:
    """A finished action event."""

    uuid: str
    event: str
    host: str | None
    error: str | None

    @property
    def result(self) -> str:
        """``Success`` or ``Error``, as the cell stores it."""
        return "Error" if self.error is not None else "Success"


@dataclass
class Reschedule:
    """A ``build_instances`` cast from a compute."""

    instance: dict[str, Any]
    request_spec: dict[str, Any]
    alternates: list[dict[str, Any]]


@dataclass
class State:
    """Everything the fake conductor holds."""

    instances: dict[str, dict[str, Any]] = field(default_factory=dict)
    services: dict[int, ServiceRecord] = field(default_factory=dict)
    nodes: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    reschedules: list[Reschedule] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    """Method names in arrival order (``instance_update`` results add ``->None``)."""


class FakeCellConductor:
    """The endpoint; test helpers start with ``t_`` and are not used over RPC."""

    target = endpoint_target()

    def __init__(self) -> None:
        self.state = State()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ services

    def service_register(
        self, ctxt: RequestContext, host: str, binary: str, topic: str | None
    ) -> int:
        with self._lock:
            self._log("service_register")
            for record in self.state.services.values():
                if (record.host, record.binary) == (host, binary):
                    return record.id
            record = ServiceRecord(len(self.state.services) + 1, host, binary, topic)
            self.state.services[record.id] = record
            return record.id

    def service_heartbeat(self, ctxt: RequestContext, service_id: int) -> None:
        with self._lock:
            self._log("service_heartbeat")
            self.state.services[service_id].report_count += 1

    def compute_node_update(
        self, ctxt: RequestContext, host: str, nodename: str, values: dict[str, Any]
    ) -> str:
        with self._lock:
            self._log("compute_node_update")
            node = self.state.nodes.setdefault((host, nodename), {"uuid": str(uuidlib.uuid4())})
            node.update(values)
            return str(node["uuid"])

    # ------------------------------------------------------------------ instances

    def instance_get(self, ctxt: RequestContext, uuid: str) -> dict[str, Any] | None:
        with self._lock:
            self._log("instance_get")
            return self._live(uuid)

    def instance_update(
        self,
        ctxt: RequestContext,
        uuid: str,
        values: dict[str, Any],
        expected_task_state: list[str | None] | None,
    ) -> dict[str, Any] | None:
        with self._lock:
            record = self._live(uuid)
            current = None if record is None else record["values"].get("task_state")
            if record is None or (
                expected_task_state is not None and current not in expected_task_state
            ):
                self._log("instance_update->None")
                return None
            self._log("instance_update")
            self.state.instances[uuid]["values"].update(values)
            return self._live(uuid)

    def instance_finish_delete(self, ctxt: RequestContext, uuid: str) -> None:
        with self._lock:
            self._log("instance_finish_delete")
            record = self.state.instances.get(uuid)
            if record is not None:
                record["values"].update(deleted=1, vm_state="deleted", task_state=None)

    def instance_fault(
        self,
        ctxt: RequestContext,
        uuid: str,
        code: int,
        message: str,
        details: str | None,
        host: str | None,
    ) -> None:
        with self._lock:
            self._log("instance_fault")
            self.state.faults.append(Fault(uuid, code, message, details, host))

    def action_event(
        self,
        ctxt: RequestContext,
        uuid: str,
        event: str,
        host: str | None,
        error: str | None = None,
    ) -> None:
        with self._lock:
            self._log("action_event")
            self.state.events.append(Event(uuid, event, host, error))

    def build_instances(
        self,
        ctxt: RequestContext,
        instance: dict[str, Any],
        request_spec: dict[str, Any],
        alternates: list[dict[str, Any]],
    ) -> None:
        with self._lock:
            self._log("build_instances")
            self.state.reschedules.append(Reschedule(instance, request_spec, alternates))

    # ------------------------------------------------------------------ test helpers

    def t_add_instance(self, instance: Instance) -> None:
        """Store ``instance`` as if the conductor had created it in the cell."""
        with self._lock:
            self.state.instances[instance.uuid] = instance.to_dict()

    def t_set(self, uuid: str, **values: Any) -> None:
        """Change columns directly (what the API does in the cell DB)."""
        with self._lock:
            self.state.instances[uuid]["values"].update(values)

    def t_values(self, uuid: str) -> dict[str, Any]:
        """The instance's columns, deleted or not."""
        with self._lock:
            return dict(self.state.instances[uuid]["values"])

    def t_wait(self, predicate: Callable[[State], bool], timeout: float = WAIT) -> bool:
        """Poll ``predicate(state)`` until it holds (True) or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if predicate(self.state):
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)

    def _live(self, uuid: str) -> dict[str, Any] | None:
        record = self.state.instances.get(uuid)
        if record is None or record["values"].get("deleted"):
            return None
        return {**record, "values": dict(record["values"])}

    def _log(self, name: str) -> None:
        self.state.calls.append(name)
