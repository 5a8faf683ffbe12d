"""The embedded deployment's layout: SQLite files and in-process transports.

``prepare`` is idempotent: it writes the configuration, syncs the schemas and
maps cell0 plus ``cells`` cells through ``tessera-manage`` itself, so the
all-in-one is set up exactly as an operator would set up a cloud.
"""

from __future__ import annotations

import configparser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tessera.cmd import manage

INPROC_SCHEME = "inproc"


@dataclass(frozen=True)
class EmbeddedLayout:
    """Where the all-in-one keeps its state and how its cells are named."""

    data_dir: Path
    """Directory for the SQLite files and the generated configuration."""
    cells: int = 2
    """Number of real cells besides cell0."""

    @property
    def config_file(self) -> Path:
        """The API-level configuration the all-in-one runs with."""
        return self.data_dir / "tessera.conf"

    def database(self, name: str) -> str:
        """SQLite URL of the database called ``name`` (``api``, ``cell1``, ...)."""
        return f"sqlite:///{(self.data_dir / name).resolve()}.db"

    def transport(self, vhost: str) -> str:
        """In-process transport URL of a virtual host (one per cell)."""
        return f"{INPROC_SCHEME}:///{vhost}"

    def cell_names(self) -> list[str]:
        """``cell1`` .. ``cellN``."""
        return [f"cell{i}" for i in range(1, self.cells + 1)]


def write_config(layout: EmbeddedLayout) -> Path:
    """Write the API-level configuration file (cell URLs live in cell mappings)."""
    parser = configparser.ConfigParser(interpolation=None)
    parser["DEFAULT"] = {
        "transport_url": layout.transport("api"),
        "state_path": str(layout.data_dir.resolve()),
    }
    parser["api_database"] = {"connection": layout.database("api")}
    parser["database"] = {"connection": layout.database("cell0")}
    layout.data_dir.mkdir(parents=True, exist_ok=True)
    with layout.config_file.open("w") as handle:
        parser.write(handle)
    return layout.config_file


def prepare(layout: EmbeddedLayout, run: Callable[..., int] = manage.main) -> None:
    """Create and map every database of the embedded cloud (safe to repeat)."""
    conf = str(write_config(layout))
    steps: list[list[str]] = [
        ["api_db", "sync"],
        ["cell_v2", "map_cell0", "--database_connection", layout.database("cell0")],
        ["db", "sync", "--local_cell"],
    ]
    for step in steps:
        _check(run("--config-file", conf, *step), step)
    for name in layout.cell_names():
        _create_cell(run, conf, layout, name)


def _create_cell(run: Callable[..., int], conf: str, layout: EmbeddedLayout, name: str) -> None:
    url = layout.database(name)
    _check(
        run("--config-file", conf, "db", "sync", "--local_cell", "--database_connection", url),
        ["db", "sync", name],
    )
    code = run(
        "--config-file",
        conf,
        "cell_v2",
        "create_cell",
        "--name",
        name,
        "--transport-url",
        layout.transport(name),
        "--database_connection",
        url,
    )
    # 2: a cell with these URLs exists already (a second start).
    if code not in (0, 2):
        _check(code, ["cell_v2", "create_cell", name])


def _check(code: int, step: list[str]) -> None:
    if code != 0:
        raise RuntimeError(f"tessera-manage {' '.join(step)} failed with exit code {code}")
