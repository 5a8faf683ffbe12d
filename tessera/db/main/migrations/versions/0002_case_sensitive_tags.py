"""case-sensitive server tags on MySQL/MariaDB

Server tags compare exactly on SQLite and PostgreSQL. MySQL and MariaDB
default to ``utf8mb4_general_ci``, which ignores case and trailing spaces:
there, a server could not carry both ``prod`` and ``PROD`` (the primary key
collides) and the listing filter ``tags=prod`` also matched ``PROD``. The
``tag`` column gets a binary collation without space padding so every
backend behaves alike. Other backends are untouched.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _binary_collation(bind: sa.Connection) -> str:
    """A binary, non-padding utf8mb4 collation of this server."""
    if getattr(bind.dialect, "is_mariadb", False):
        return "utf8mb4_nopad_bin"
    version = bind.dialect.server_version_info or (0,)
    # MySQL 8's utf8mb4_0900_bin does not pad; older servers only have utf8mb4_bin.
    return "utf8mb4_0900_bin" if version >= (8, 0, 17) else "utf8mb4_bin"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "mysql":
        return
    op.alter_column(
        "tags",
        "tag",
        existing_type=sa.String(length=80),
        type_=mysql.VARCHAR(length=80, charset="utf8mb4", collation=_binary_collation(bind)),
        existing_nullable=False,
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "mysql":
        return
    # Fails if a server holds tags differing only in case: those cannot coexist again.
    op.alter_column(
        "tags",
        "tag",
        existing_type=mysql.VARCHAR(length=80),
        type_=mysql.VARCHAR(length=80, charset="utf8mb4", collation="utf8mb4_general_ci"),
        existing_nullable=False,
    )
