"""Setting up a devstack's databases through ``tessera-manage``, and finding the services.

The steps are the ones an operator runs on a fresh deployment: sync the API
schema, map cell0, sync every cell's schema and create its cell mapping. They
run in-process (``tessera.cmd.manage.main``, the console script's own entry
point) to spare an interpreter start per step; their output is kept and shown
only when a step fails. Every step is safe to repeat on a second start.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import sys
from pathlib import Path

from tessera.cmd import manage
from tessera.db.engines import create_engine
from tessera.deploy.configs import CellPlan, DeploymentPlan
from tessera.objects import flavor

# tessera-manage cell_v2 create_cell: "a cell with these URLs exists already".
_CELL_EXISTS = 2


class StartupError(RuntimeError):
    """The deployment could not be set up or did not come up."""


def _manage(config: Path, *argv: str, ok: tuple[int, ...] = (0,)) -> None:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = manage.main(["--config-file", str(config), *argv])
    if code not in ok:
        output = (out.getvalue() + err.getvalue()).strip()
        raise StartupError(f"tessera-manage {' '.join(argv)} failed ({code}): {output}")


def _setup_cell(config: Path, cell: CellPlan) -> None:
    _manage(config, "db", "sync", "--local_cell", "--database_connection", cell.database)
    _manage(
        config,
        "cell_v2",
        "create_cell",
        "--name",
        cell.name,
        "--transport-url",
        cell.transport,
        "--database_connection",
        cell.database,
        ok=(0, _CELL_EXISTS),
    )


def setup(config: Path, plan: DeploymentPlan) -> None:
    """Sync the API, cell0 and cell schemas and map the cells, with the API-level file."""
    _manage(config, "api_db", "sync")
    _manage(config, "cell_v2", "map_cell0", "--database_connection", plan.cell0_database)
    _manage(config, "db", "sync", "--local_cell")
    for cell in plan.cells:
        _setup_cell(config, cell)


def ensure_flavors(api_database: str) -> None:
    """Create the default m1.* flavors, as the all-in-one does."""
    engine = create_engine(api_database)
    try:
        with engine.begin() as conn:
            flavor.ensure_defaults(conn)
    finally:
        engine.dispose()


def service_command(binary: str) -> tuple[str, ...]:
    """How to run console script ``binary``: next to this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / binary
    if beside.exists():
        return (str(beside),)
    found = shutil.which(binary)
    if found is None:
        raise StartupError(f"{binary} is not installed (pip install -e . puts it in the venv)")
    return (found,)
