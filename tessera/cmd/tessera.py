"""``tessera``: run a whole deployment (``all-in-one``, ``devstack``)."""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from tessera.cmd import manage
from tessera.deploy import clouds_yaml
from tessera.deploy import devstack as ds
from tessera.deploy.cloud import EmbeddedCloud
from tessera.deploy.devstack_setup import StartupError
from tessera.deploy.embedded import EmbeddedLayout, prepare
from tessera.deploy.provision import BACKEND_NAMES, ProvisionError, Servers
from tessera.deploy.supervise import SpawnError
from tessera.placement.errors import PlacementError


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
    _add_devstack(commands)
    return parser


def _add_devstack(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``tessera devstack``: one process per service on MariaDB/PostgreSQL and RabbitMQ."""
    dev = commands.add_parser(
        "devstack", help="One process per service on MariaDB/PostgreSQL and RabbitMQ."
    )
    dev.add_argument(
        "--data-dir",
        type=Path,
        default=Path("devstack-data"),
        help="Configuration files, logs and guest disks (default: ./devstack-data).",
    )
    dev.add_argument("--backend", choices=BACKEND_NAMES, default="mysql", help="Database server.")
    dev.add_argument("--cells", type=int, default=2, help="Cells besides cell0 (default: 2).")
    dev.add_argument(
        "--computes", type=int, default=2, help="Compute processes per cell (default: 2)."
    )
    dev.add_argument("--port", type=int, default=8774, help="REST API port (default: 8774).")
    dev.add_argument(
        "--placement-port", type=int, default=0, help="Placement port (default: any free one)."
    )
    dev.add_argument(
        "--prefix",
        help="Start of every database and vhost name (default: derived from --data-dir).",
    )
    dev.add_argument(
        "--cleanup",
        action="store_true",
        help="After stopping, drop the databases and delete the vhosts.",
    )


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


class _Interrupted(Exception):
    """SIGINT or SIGTERM arrived: stop the devstack."""


def _interrupt(signum: int, _frame: object) -> None:
    raise _Interrupted(signal.Signals(signum).name)


def _print_services(stack: ds.Devstack) -> None:
    print(f"Services (process group {stack.pgid}; logs in {stack.data_dir / 'logs'}):")
    for name, process in stack.processes.items():
        print(f"  {name:<18} pid {process.pid:<8} {process.spec.config_file}")
    print(f"  {'placement':<18} pid {stack.placement.pid:<8} {stack.placement_url}")


def _print_ready(stack: ds.Devstack, clouds: Path) -> None:
    api = f"{stack.api_url}/v2.1"
    print(
        f"Compute API on {api} — try:\n"
        f"  curl -s -H 'X-Auth-Token: demo:demo' {api}/flavors\n"
        f"  OS_CLIENT_CONFIG_FILE={clouds} openstack --os-cloud tessera server list\n"
        "Ctrl-C stops every service.",
        flush=True,
    )


def _supervise(stack: ds.Devstack) -> None:
    """Report services that exit (none is restarted) until a signal arrives."""
    while True:
        time.sleep(1.0)
        for process in stack.poll():
            print(f"devstack: {process.describe_exit()} (not restarted)", file=sys.stderr)


def _stop(stack: ds.Devstack, cleanup: bool) -> int:
    # A second Ctrl-C must not cut the stop short and leave services behind.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    print("Stopping every service...", flush=True)
    left = stack.stop()
    if left:
        print(f"devstack: still running in group {stack.pgid}: {left}", file=sys.stderr)
    if not cleanup:
        return 1 if left else 0
    try:
        stack.cleanup()
    except (StartupError, ProvisionError) as exc:
        print(f"devstack: not cleaned up: {exc}", file=sys.stderr)
        return 1
    print(f"Dropped the databases and vhosts named {stack.settings.prefix}_*.")
    return 1 if left else 0


def devstack(args: argparse.Namespace) -> int:
    """Start the devstack, supervise it until SIGINT/SIGTERM, then stop it."""
    logging.getLogger("tessera.deploy").setLevel(logging.INFO)
    prefix = args.prefix or ds.default_prefix(args.data_dir)
    try:
        settings = ds.DevstackSettings(
            data_dir=args.data_dir,
            prefix=prefix,
            servers=Servers(backend=args.backend),
            cells=args.cells,
            computes_per_cell=args.computes,
            api_port=args.port,
            placement_port=args.placement_port,
        )
    except ValueError as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        return 2
    stack = ds.Devstack(settings)
    print(f"devstack {prefix}: {args.backend} + RabbitMQ, data in {stack.data_dir}", flush=True)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _interrupt)
    code = 0
    try:
        stack.start()
        _print_services(stack)
        stack.wait_ready()
        _print_ready(
            stack, clouds_yaml.write(stack.data_dir / "clouds.yaml", "127.0.0.1", args.port)
        )
        _supervise(stack)
    except _Interrupted as exc:
        print(f"devstack: {exc}", flush=True)
    except (StartupError, SpawnError, ProvisionError, PlacementError, OSError) as exc:
        print(f"devstack: {exc}", file=sys.stderr)
        code = 1
    finally:
        code = _stop(stack, args.cleanup) or code
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``tessera``."""
    args = build_parser().parse_args(argv)
    if args.cells < 1 or args.computes < 1:
        print("--cells and --computes must be at least 1", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "devstack":
        return devstack(args)
    layout = EmbeddedLayout(args.data_dir, args.cells, args.computes, args.port)
    return all_in_one(layout, args.setup_only)
