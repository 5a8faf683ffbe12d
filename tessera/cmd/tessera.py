"""``tessera``: run a whole deployment (``all-in-one``)."""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from tessera.cmd import manage
from tessera.deploy import clouds_yaml
from tessera.deploy.cloud import EmbeddedCloud
from tessera.deploy.embedded import EmbeddedLayout, prepare


def build_parser() -> argparse.ArgumentParser:
    """``tessera all-in-one [--data-dir DIR] [--cells N] [--computes N] [--port P]``."""
    parser = argparse.ArgumentParser(prog="tessera", description="Run a Tessera deployment.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    aio = commands.add_parser("all-in-one", help="The embedded deployment in one process.")
    aio.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data"),
        help="Where SQLite files, disks and configuration go (default: ./data).",
    )
    aio.add_argument("--cells", type=int, default=2, help="Cells besides cell0 (default: 2).")
    aio.add_argument(
        "--computes", type=int, default=2, help="Fake compute hosts per cell (default: 2)."
    )
    aio.add_argument("--port", type=int, default=8774, help="REST API port (default: 8774).")
    aio.add_argument(
        "--setup-only",
        action="store_true",
        help="Create and map the databases, print the cells, and exit.",
    )
    return parser


def _quiet_manage(*argv: str) -> int:
    # Setup steps print "already setup" chatter on a second start; keep it out.
    with contextlib.redirect_stdout(io.StringIO()):
        return manage.main(list(argv))


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass


def all_in_one(layout: EmbeddedLayout, setup_only: bool) -> int:
    """Set up the embedded cloud, run it until Ctrl-C (or just set it up)."""
    prepare(layout, run=_quiet_manage)
    conf = str(layout.config_file)
    if setup_only:
        return manage.main(["--config-file", conf, "cell_v2", "list_cells"])
    cloud = EmbeddedCloud(layout)
    try:
        cloud.start()
        cloud.discover_hosts()
        manage.main(["--config-file", conf, "cell_v2", "list_cells"])
        manage.main(["--config-file", conf, "cell_v2", "list_hosts"])
        clouds = clouds_yaml.write(layout.data_dir / "clouds.yaml", "127.0.0.1", layout.api_port)
        print(
            f"Compute API on http://127.0.0.1:{layout.api_port}/v2.1 — try:\n"
            f"  OS_CLIENT_CONFIG_FILE={clouds} openstack --os-cloud tessera server list\n"
            "Ctrl-C stops the cloud.",
            flush=True,
        )
        _wait_for_signal()
    finally:
        cloud.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tessera``."""
    args = build_parser().parse_args(argv)
    if args.cells < 1 or args.computes < 1:
        print("--cells and --computes must be at least 1", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    layout = EmbeddedLayout(args.data_dir, args.cells, args.computes, args.port)
    return all_in_one(layout, args.setup_only)
