"""index for a project's servers in listing order

A server listing asks each cell for one project's live servers ordered by
``created_at`` descending then ``uuid``, starting after a marker. With only
``(project_id, deleted)`` indexed, the database sorts every server of the
project for each page; with the order in the index it reads one page's rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 07:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NAME = "instances_project_deleted_created_idx"


def upgrade() -> None:
    op.create_index(
        NAME, "instances", ["project_id", "deleted", sa.text("created_at DESC"), "uuid"]
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="instances")
