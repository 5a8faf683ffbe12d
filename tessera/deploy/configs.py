"""Per-service configuration files of a deployment, from one description of it.

Each service gets its own file with only what it may reach: API-level services
get the API database and API transport; cell conductors and computes get their
cell's database and transport and nothing else (the isolation rule).
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass, field
from pathlib import Path

Sections = dict[str, dict[str, str]]


@dataclass(frozen=True)
class CellPlan:
    """One cell of a deployment."""

    name: str
    """``cell1``, ``cell2``, ..."""
    database: str
    """The cell's database URL."""
    transport: str
    """The cell's message queue URL."""
    computes: tuple[str, ...]
    """Host names of its compute services."""


@dataclass(frozen=True)
class DeploymentPlan:
    """Everything the configuration files are written from."""

    state_path: Path
    """Where state (guest disks, SQLite files) lives."""
    api_database: str
    """API database URL."""
    cell0_database: str
    """cell0's database URL (also where API-level services record themselves)."""
    api_transport: str
    """API-level message queue URL."""
    notification_transport: str
    """Bus of versioned notifications (compute ``service.create`` feeds discovery)."""
    cells: tuple[CellPlan, ...]
    """The real cells."""
    placement: dict[str, str] = field(default_factory=dict)
    """``[placement]`` options (``endpoint`` or ``connection``)."""
    network_database: str = ""
    """Database of the built-in network service (API level and cell conductors)."""
    api_port: int = 8774
    """Port of the REST API."""
    fake_driver: dict[str, str] = field(default_factory=dict)
    """``[fake_driver]`` options of every compute."""
    host_fake_driver: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per-host ``[fake_driver]`` overrides (failure injection in tests)."""
    image_endpoint: str = ""
    """Root URL of the image API computes upload snapshots to (``[image] api_servers``);
    empty when they reach the image service in-process (the all-in-one)."""


def _common(plan: DeploymentPlan, host: str, transport: str) -> Sections:
    return {
        "DEFAULT": {
            "host": host,
            "transport_url": transport,
            "state_path": str(plan.state_path),
            "report_interval": "2",
        },
        "oslo_messaging_notifications": {
            "driver": "messagingv2",
            "transport_url": plan.notification_transport,
        },
        "placement": dict(plan.placement),
    }


def api_level(plan: DeploymentPlan, host: str = "api") -> Sections:
    """Scheduler, super conductor and API: the API database and transport."""
    sections = _common(plan, host, plan.api_transport)
    sections["api_database"] = {"connection": plan.api_database}
    sections["database"] = {"connection": plan.cell0_database}
    sections["api"] = {"listen": "127.0.0.1", "port": str(plan.api_port)}
    sections["network"] = {"connection": plan.network_database}
    return sections


def cell_conductor(plan: DeploymentPlan, cell: CellPlan) -> Sections:
    """A cell conductor: its cell's database and transport only."""
    sections = _common(plan, f"{cell.name}-conductor", cell.transport)
    sections["database"] = {"connection": cell.database}
    # Ports are released where a delete completes: in the cell conductor.
    sections["network"] = {"connection": plan.network_database}
    return sections


def compute(plan: DeploymentPlan, cell: CellPlan, host: str) -> Sections:
    """A compute host: its cell's transport only (no database at all)."""
    sections = _common(plan, host, cell.transport)
    sections["fake_driver"] = {**plan.fake_driver, **plan.host_fake_driver.get(host, {})}
    if plan.image_endpoint:
        sections["image"] = {"api_servers": plan.image_endpoint}
    return sections


def write(path: Path, sections: Sections) -> Path:
    """Write one configuration file (oslo.config's ini dialect)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    for name, values in sections.items():
        if name == "DEFAULT":
            parser["DEFAULT"] = values
        elif values:
            parser[name] = values
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        parser.write(handle)
    return path
