"""Progress bars for bulk commands, shown only when stdout is a terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def bar(total: int | None, unit: str) -> Iterator[Callable[[int], None] | None]:
    """Yield an ``advance(n)`` callback drawing a bar on stderr, or None off a terminal."""
    if not sys.stdout.isatty():
        yield None
        return
    with tqdm(total=total, unit=unit, unit_scale=True, file=sys.stderr) as progress:

        def advance(n: int) -> None:
            progress.update(n)

        yield advance
