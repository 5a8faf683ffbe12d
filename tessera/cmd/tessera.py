"""``tessera``: run a whole deployment (``all-in-one`` today)."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Sequence
from pathlib import Path

from tessera.cmd import manage
from tessera.deploy.embedded import EmbeddedLayout, prepare


def build_parser() -> argparse.ArgumentParser:
    """``tessera all-in-one [--data-dir DIR] [--cells N]``."""
    parser = argparse.ArgumentParser(prog="tessera", description="Run a Tessera deployment.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    aio = commands.add_parser("all-in-one", help="The embedded deployment in one process.")
    aio.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data"),
        help="Where SQLite files and the configuration go (default: ./data).",
    )
    aio.add_argument("--cells", type=int, default=2, help="Cells besides cell0 (default: 2).")
    return parser


def _quiet_manage(*argv: str) -> int:
    # Setup steps print "already setup" chatter on a second start; keep it out.
    with contextlib.redirect_stdout(io.StringIO()):
        return manage.main(list(argv))


def all_in_one(layout: EmbeddedLayout) -> int:
    """Set up the embedded cloud and show its cells."""
    prepare(layout, run=_quiet_manage)
    print(
        f"Embedded cloud ready in {layout.data_dir.resolve()} "
        f"(configuration: {layout.config_file})."
    )
    return manage.main(["--config-file", str(layout.config_file), "cell_v2", "list_cells"])


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tessera``."""
    args = build_parser().parse_args(argv)
    if args.cells < 1:
        print("--cells must be at least 1", file=sys.stderr)
        return 2
    return all_in_one(EmbeddedLayout(args.data_dir, args.cells))
