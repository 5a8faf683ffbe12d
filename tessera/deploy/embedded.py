"""The embedded deployment's layout: SQLite files and in-process transports.

``prepare`` is idempotent: it writes the configuration files, syncs the
schemas and maps cell0 plus the cells through ``tessera-manage`` itself, so
the all-in-one is set up exactly as an operator would set up a cloud.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tessera.cmd import manage
from tessera.deploy import configs
from tessera.deploy.configs import CellPlan, DeploymentPlan

INPROC_SCHEME = "inproc"


@dataclass(frozen=True)
class EmbeddedLayout:
    """Where the all-in-one keeps its state and how big it is."""

    data_dir: Path
    """Directory for the SQLite files, guest disks and configuration files."""
    cells: int = 2
    """Number of real cells besides cell0."""
    computes_per_cell: int = 2
    """Fake compute hosts in each cell."""
    api_port: int = 8774
    """Port of the REST API (0: any free port)."""
    fake_driver: dict[str, str] = field(default_factory=dict)
    """``[fake_driver]`` options of every compute (capacity, spawn time)."""
    host_fake_driver: dict[str, dict[str, str]] = field(default_factory=dict)
    """Per-host ``[fake_driver]`` overrides (failure injection)."""

    @property
    def config_file(self) -> Path:
        """The API-level configuration (what ``tessera-manage`` is run with)."""
        return self.etc / "api.conf"

    @property
    def etc(self) -> Path:
        """Directory of the per-service configuration files."""
        return self.data_dir.resolve() / "etc"

    def database(self, name: str) -> str:
        """SQLite URL of the database called ``name`` (``api``, ``cell1``, ...)."""
        return f"sqlite:///{(self.data_dir / name).resolve()}.db"

    def transport(self, vhost: str) -> str:
        """In-process transport URL of a virtual host (one per cell)."""
        return f"{INPROC_SCHEME}:///{vhost}"

    def cell_names(self) -> list[str]:
        """``cell1`` .. ``cellN``."""
        return [f"cell{i}" for i in range(1, self.cells + 1)]

    def plan(self) -> DeploymentPlan:
        """The deployment these files describe."""
        cells = tuple(
            CellPlan(
                name,
                self.database(name),
                self.transport(name),
                tuple(f"{name}-compute{i}" for i in range(1, self.computes_per_cell + 1)),
            )
            for name in self.cell_names()
        )
        return DeploymentPlan(
            state_path=self.data_dir.resolve(),
            api_database=self.database("api"),
            cell0_database=self.database("cell0"),
            api_transport=self.transport("api"),
            notification_transport=self.transport("notifications"),
            cells=cells,
            placement={"connection": self.database("placement")},
            network_database=self.database("network"),
            api_port=self.api_port,
            fake_driver=dict(self.fake_driver),
            host_fake_driver=dict(self.host_fake_driver),
        )


def write_configs(layout: EmbeddedLayout) -> DeploymentPlan:
    """Write every service's configuration file; return the plan they came from."""
    plan = layout.plan()
    configs.write(layout.config_file, configs.api_level(plan))
    for cell in plan.cells:
        configs.write(
            layout.etc / f"{cell.name}-conductor.conf", configs.cell_conductor(plan, cell)
        )
        for host in cell.computes:
            configs.write(layout.etc / f"{host}.conf", configs.compute(plan, cell, host))
    return plan


def _manage(*argv: str) -> int:
    return manage.main(list(argv))


def prepare(layout: EmbeddedLayout, run: Callable[..., int] = _manage) -> DeploymentPlan:
    """Create and map every database of the embedded cloud (safe to repeat)."""
    plan = write_configs(layout)
    conf = str(layout.config_file)
    steps: list[list[str]] = [
        ["api_db", "sync"],
        ["cell_v2", "map_cell0", "--database_connection", plan.cell0_database],
        ["db", "sync", "--local_cell"],
    ]
    for step in steps:
        _check(run("--config-file", conf, *step), step)
    for cell in plan.cells:
        _create_cell(run, conf, cell)
    return plan


def _create_cell(run: Callable[..., int], conf: str, cell: CellPlan) -> None:
    _check(
        run(
            "--config-file",
            conf,
            "db",
            "sync",
            "--local_cell",
            "--database_connection",
            cell.database,
        ),
        ["db", "sync", cell.name],
    )
    code = run(
        "--config-file",
        conf,
        "cell_v2",
        "create_cell",
        "--name",
        cell.name,
        "--transport-url",
        cell.transport,
        "--database_connection",
        cell.database,
    )
    # 2: a cell with these URLs exists already (a second start).
    if code not in (0, 2):
        _check(code, ["cell_v2", "create_cell", cell.name])


def _check(code: int, step: list[str]) -> None:
    if code != 0:
        raise RuntimeError(f"tessera-manage {' '.join(step)} failed with exit code {code}")
