"""Tables as the operator sees them (prettytable, centered like the reference)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import prettytable


def table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Render rows under ``columns`` as a bordered text table."""
    t = prettytable.PrettyTable(list(columns))
    for row in rows:
        t.add_row(list(row))
    return t.get_string()
