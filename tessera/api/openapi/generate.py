"""Write (or check) ``docs/openapi.json`` from the app an all-in-one serves.

``python -m tessera.api.openapi.generate`` rewrites the file;
``python -m tessera.api.openapi.generate --check`` exits 1 when it is out of date.

The routes are those of a real all-in-one API (every module installed, as
``tessera.api.wiring`` assembles it), started briefly in a temporary directory.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tessera.api.openapi import render
from tessera.api.openapi.document import build

DEFAULT_OUTPUT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"


def reference_document() -> dict[str, Any]:
    """The document of the API an embedded all-in-one serves."""
    # Imported here: the deployment layer sits above the API package.
    from tessera.deploy.cloud import EmbeddedCloud
    from tessera.deploy.embedded import EmbeddedLayout, prepare

    with tempfile.TemporaryDirectory(prefix="tessera-openapi-") as data:
        layout = EmbeddedLayout(Path(data), cells=1, computes_per_cell=1, api_port=0)
        prepare(layout)
        cloud = EmbeddedCloud(layout)
        cloud.start()
        try:
            assert cloud.api_server is not None
            return build(cloud.api_server.app)
        finally:
            cloud.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Write the document to ``--output``, or with ``--check`` compare it."""
    parser = argparse.ArgumentParser(prog="python -m tessera.api.openapi.generate")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="fail if the file is out of date")
    args = parser.parse_args(argv)
    text = render(reference_document())
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run {parser.prog}", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
