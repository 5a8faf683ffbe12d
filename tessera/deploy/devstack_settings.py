"""What a devstack is made of: its settings, names and deployment plan.

Every database and virtual host name is ``<prefix>_<label>``; the plan is the
one :mod:`tessera.deploy.configs` writes the per-service files from, with
MariaDB/PostgreSQL URLs, ``rabbit://`` transports and placement's endpoint.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from tessera.deploy import configs, provision
from tessera.deploy.configs import DeploymentPlan, Sections
from tessera.deploy.provision import Servers


def default_prefix(data_dir: Path) -> str:
    """``ts_<hash of the data directory>``: stable across restarts, distinct per directory."""
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()
    return f"ts_{digest[:10]}"


@dataclass(frozen=True)
class DevstackSettings:
    """What to deploy and where."""

    data_dir: Path
    """Configuration files, logs, guest disks and the state file go here."""
    prefix: str
    """Start of every database and virtual host name (unique per deployment)."""
    servers: Servers = field(default_factory=Servers)
    """The database server (and backend) and the broker."""
    cells: int = 2
    """Real cells besides cell0."""
    computes_per_cell: int = 2
    """Fake compute hosts in each cell."""
    api_port: int = 8774
    """Port of the REST API."""
    placement_port: int = 0
    """Port of the placement service; 0 picks a free one."""
    fake_driver: dict[str, str] = field(default_factory=dict)
    """``[fake_driver]`` options of every compute."""
    host_fake_driver: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per-host ``[fake_driver]`` overrides (failure injection)."""
    options: dict[str, dict[str, str]] = field(default_factory=dict)
    """Extra options for every service's file, by section (``DEFAULT``: ``service_down_time``)."""
    start_timeout: float = 180.0
    """Seconds each start stage (and :meth:`Devstack.wait_ready`) may take."""
    stop_timeout: float = 20.0
    """Seconds between SIGTERM and SIGKILL when stopping."""

    def __post_init__(self) -> None:
        provision.check_prefix(self.prefix)
        if self.cells < 1 or self.computes_per_cell < 1:
            raise ValueError("a devstack needs at least one cell and one compute per cell")

    def cell_names(self) -> list[str]:
        """``cell1`` .. ``cellN``."""
        return [f"cell{i}" for i in range(1, self.cells + 1)]

    def database_names(self) -> dict[str, str]:
        """Database name by label: ``api``, ``cell0``, ``cell1``.., ``placement``, ``network``."""
        labels = ["api", "cell0", *self.cell_names(), "placement", "network"]
        return {label: f"{self.prefix}_{label}" for label in labels}

    def vhost_names(self) -> dict[str, str]:
        """Virtual host by label: ``api``, ``notifications``, ``cell1``.."""
        labels = ["api", "notifications", *self.cell_names()]
        return {label: f"{self.prefix}_{label}" for label in labels}


def merged(sections: Sections, extra: dict[str, dict[str, str]]) -> Sections:
    """``sections`` with the options of ``extra`` added (or replaced)."""
    merged = {name: dict(values) for name, values in sections.items()}
    for name, values in extra.items():
        merged.setdefault(name, {}).update(values)
    return merged


def build_plan(settings: DevstackSettings, placement_port: int) -> DeploymentPlan:
    """The deployment ``settings`` describe, with placement on ``placement_port``."""
    servers, dbs, vhosts = settings.servers, settings.database_names(), settings.vhost_names()
    cells = tuple(
        configs.CellPlan(
            name,
            servers.database_url(dbs[name]),
            servers.transport_url(vhosts[name]),
            tuple(f"{name}-compute{i}" for i in range(1, settings.computes_per_cell + 1)),
        )
        for name in settings.cell_names()
    )
    return DeploymentPlan(
        state_path=settings.data_dir.resolve() / "state",
        api_database=servers.database_url(dbs["api"]),
        cell0_database=servers.database_url(dbs["cell0"]),
        api_transport=servers.transport_url(vhosts["api"]),
        notification_transport=servers.transport_url(vhosts["notifications"]),
        cells=cells,
        placement={"endpoint": f"http://127.0.0.1:{placement_port}"},
        network_database=servers.database_url(dbs["network"]),
        api_port=settings.api_port,
        image_endpoint=f"http://127.0.0.1:{settings.api_port}/image",
        fake_driver=dict(settings.fake_driver),
        host_fake_driver=dict(settings.host_fake_driver),
    )
