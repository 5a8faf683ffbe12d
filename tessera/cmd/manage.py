"""``tessera-manage``: parse the command line, run one action, map errors to exit codes.

Exit codes beyond each action's own (see ``docs/tessera-manage.md``):
2 for a usage error (argparse), 1 for an unknown cell or a missing or malformed
setting, 255 for an unreachable or unsynced database or any unexpected error —
always with a one-line message and never a traceback (unless ``--debug``).
"""

from __future__ import annotations

import argparse
import logging
import pdb
import sys
import traceback
from collections.abc import Sequence

from oslo_config import cfg

from tessera import conf as tessera_conf
from tessera.db.engines import Databases
from tessera.db.errors import BadDatabaseURL, DatabaseError
from tessera.manage import cell_commands, db_commands, host_commands, instance_commands
from tessera.manage.context import ManageContext
from tessera.manage.errors import CommandError, ConfigError
from tessera.objects.errors import CellMappingNotFound
from tessera.urls.template import TemplateURLError

UNEXPECTED = 255


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: global options, categories and their actions."""
    parser = argparse.ArgumentParser(
        prog="tessera-manage", description="Tessera operator commands."
    )
    parser.add_argument(
        "--config-file",
        action="append",
        default=[],
        metavar="PATH",
        help="Configuration file to read (repeatable; later files win).",
    )
    parser.add_argument(
        "--config-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="Directory of *.conf files to read (repeatable).",
    )
    parser.add_argument(
        "--post-mortem", action="store_true", help="Start a debugger on an unexpected error."
    )
    parser.add_argument(
        "--debug", action="store_true", help="Print the traceback of an unexpected error."
    )
    categories = parser.add_subparsers(dest="category", metavar="CATEGORY", required=True)
    db_commands.register(categories)
    cell_v2 = categories.add_parser("cell_v2", help="Manage cells and their mappings.")
    actions = cell_v2.add_subparsers(dest="action_name", metavar="ACTION", required=True)
    for module in (cell_commands, host_commands, instance_commands):
        module.register(actions)
    return parser


def _load_conf(args: argparse.Namespace) -> cfg.ConfigOpts:
    cli: list[str] = []
    for path in args.config_file:
        cli += ["--config-file", path]
    for directory in args.config_dir:
        cli += ["--config-dir", directory]
    return tessera_conf.load(cli, prog="tessera-manage")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``tessera-manage`` with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        conf = _load_conf(args)
        settings = tessera_conf.database.DatabaseSettings.from_conf(conf, "database")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 2
    except (cfg.Error, ValueError) as exc:
        print(f"ERROR: cannot load configuration: {exc}", file=sys.stderr)
        return 1
    databases = Databases(settings)
    ctx = ManageContext(conf, databases)
    try:
        return _run(args, ctx)
    finally:
        databases.dispose()


def _run(args: argparse.Namespace, ctx: ManageContext) -> int:
    try:
        code = args.action(ctx, args)
        return int(code or 0)
    except ConfigError as exc:
        print(f"ERROR: {exc.message}", file=sys.stderr)
        return exc.code
    except CommandError as exc:
        if exc.message:
            print(exc.message)
        return exc.code
    except CellMappingNotFound as exc:
        print(str(exc))
        return 1
    except (BadDatabaseURL, TemplateURLError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    except DatabaseError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return UNEXPECTED
    except Exception as exc:
        return _unexpected(args, exc)


def _unexpected(args: argparse.Namespace, exc: Exception) -> int:
    first_line = (str(exc).splitlines() or [""])[0]
    print(f"An error has occurred: {type(exc).__name__}: {first_line}", file=sys.stderr)
    if args.debug:
        traceback.print_exc()
    if args.post_mortem:
        pdb.post_mortem(exc.__traceback__)
    return UNEXPECTED


if __name__ == "__main__":
    sys.exit(main())
