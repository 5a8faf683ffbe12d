"""The image store's own tiny SQLite schema (SQLAlchemy Core).

This is an internal store, not a migrated schema: ``metadata.create_all`` makes it on
first use. Properties and tags get their own tables so listings can filter on them in
SQL (``?os_distro=cirros``, ``?tag=x``) and still page with ``LIMIT``.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

images = sa.Table(
    "images",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=True),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("visibility", sa.String(20), nullable=False),
    sa.Column("owner", sa.String(255), nullable=True),
    sa.Column("protected", sa.Boolean, nullable=False),
    sa.Column("hidden", sa.Boolean, nullable=False),
    sa.Column("min_disk", sa.Integer, nullable=False),
    sa.Column("min_ram", sa.Integer, nullable=False),
    sa.Column("disk_format", sa.String(20), nullable=True),
    sa.Column("container_format", sa.String(20), nullable=True),
    sa.Column("size", sa.BigInteger, nullable=True),
    sa.Column("checksum", sa.String(32), nullable=True),
    sa.Column("os_hash_value", sa.String(128), nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ix_images_name", "name"),
    sa.Index("ix_images_owner", "owner"),
    sa.Index("ix_images_created_at_id", "created_at", "id"),
)

image_properties = sa.Table(
    "image_properties",
    metadata,
    sa.Column(
        "image_id", sa.String(36), sa.ForeignKey("images.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.PrimaryKeyConstraint("image_id", "name"),
    sa.Index("ix_image_properties_name_value", "name", "value"),
)

image_tags = sa.Table(
    "image_tags",
    metadata,
    sa.Column(
        "image_id", sa.String(36), sa.ForeignKey("images.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("value", sa.String(255), nullable=False),
    sa.PrimaryKeyConstraint("image_id", "value"),
    sa.Index("ix_image_tags_value", "value"),
)
