"""Cell database tables (cell0 and every cell). Most rows are soft-deleted."""

from __future__ import annotations

import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tessera.db.types import MediumText, SoftDelete, Timestamps


class MainBase(DeclarativeBase):
    """Declarative base of the cell schema (its own metadata and migrations)."""


class Instance(Timestamps, SoftDelete, MainBase):
    __tablename__ = "instances"
    __table_args__ = (
        UniqueConstraint("uuid", name="uniq_instances0uuid"),
        Index("instances_project_id_deleted_idx", "project_id", "deleted"),
        Index("instances_host_node_deleted_idx", "host", "node", "deleted"),
        Index("instances_deleted_created_at_idx", "deleted", "created_at"),
        # Listing order of one project's servers (migration 0003).
        Index(
            "instances_project_deleted_created_idx",
            "project_id",
            "deleted",
            text("created_at DESC"),
            "uuid",
        ),
        Index("instances_reservation_id_idx", "reservation_id"),
        Index("instances_task_state_updated_at_idx", "task_state", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str | None] = mapped_column(String(255))
    image_ref: Mapped[str | None] = mapped_column(String(255))
    kernel_id: Mapped[str | None] = mapped_column(String(255))
    ramdisk_id: Mapped[str | None] = mapped_column(String(255))
    hostname: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    display_description: Mapped[str | None] = mapped_column(Text)
    launch_index: Mapped[int | None] = mapped_column(Integer)
    key_name: Mapped[str | None] = mapped_column(String(255))
    key_data: Mapped[str | None] = mapped_column(MediumText)
    power_state: Mapped[int | None] = mapped_column(Integer)
    vm_state: Mapped[str | None] = mapped_column(String(255))
    task_state: Mapped[str | None] = mapped_column(String(255))
    memory_mb: Mapped[int | None] = mapped_column(Integer)
    vcpus: Mapped[int | None] = mapped_column(Integer)
    root_gb: Mapped[int | None] = mapped_column(Integer)
    ephemeral_gb: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    node: Mapped[str | None] = mapped_column(String(255))
    compute_id: Mapped[int | None] = mapped_column(BigInteger)
    instance_type_id: Mapped[int | None] = mapped_column(Integer)
    user_data: Mapped[str | None] = mapped_column(MediumText)
    reservation_id: Mapped[str | None] = mapped_column(String(255))
    launched_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    terminated_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    launched_on: Mapped[str | None] = mapped_column(Text)
    locked: Mapped[bool | None] = mapped_column(Boolean)
    locked_by: Mapped[str | None] = mapped_column(String(8))
    os_type: Mapped[str | None] = mapped_column(String(255))
    architecture: Mapped[str | None] = mapped_column(String(255))
    root_device_name: Mapped[str | None] = mapped_column(String(255))
    config_drive: Mapped[str | None] = mapped_column(String(255))
    access_ip_v4: Mapped[str | None] = mapped_column(String(39))
    access_ip_v6: Mapped[str | None] = mapped_column(String(39))
    auto_disk_config: Mapped[bool | None] = mapped_column(Boolean)
    progress: Mapped[int | None] = mapped_column(Integer)
    shutdown_terminate: Mapped[bool | None] = mapped_column(Boolean)
    disable_terminate: Mapped[bool | None] = mapped_column(Boolean)
    cell_name: Mapped[str | None] = mapped_column(String(255))
    cleaned: Mapped[int | None] = mapped_column(Integer, default=0)
    hidden: Mapped[bool | None] = mapped_column(Boolean, default=False)


class InstanceFault(Timestamps, SoftDelete, MainBase):
    __tablename__ = "instance_faults"
    __table_args__ = (
        Index(
            "instance_faults_instance_uuid_deleted_created_at_idx",
            "instance_uuid",
            "deleted",
            "created_at",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str | None] = mapped_column(ForeignKey("instances.uuid"))
    code: Mapped[int] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[str | None] = mapped_column(MediumText)
    host: Mapped[str | None] = mapped_column(String(255))


class Service(Timestamps, SoftDelete, MainBase):
    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("host", "topic", "deleted", name="uniq_services0host0topic0deleted"),
        UniqueConstraint("host", "binary", "deleted", name="uniq_services0host0binary0deleted"),
        Index("services_uuid_idx", "uuid", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str | None] = mapped_column(String(36))
    host: Mapped[str | None] = mapped_column(String(255))
    binary: Mapped[str | None] = mapped_column(String(255))
    topic: Mapped[str | None] = mapped_column(String(255))
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[bool | None] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    last_seen_up: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    forced_down: Mapped[bool | None] = mapped_column(Boolean, default=False)
    version: Mapped[int | None] = mapped_column(Integer, default=0)


class ComputeNode(Timestamps, SoftDelete, MainBase):
    __tablename__ = "compute_nodes"
    __table_args__ = (
        UniqueConstraint(
            "host",
            "hypervisor_hostname",
            "deleted",
            name="uniq_compute_nodes0host0hypervisor_hostname0deleted",
        ),
        Index("compute_nodes_uuid_idx", "uuid", unique=True),
        Index("compute_nodes_mapped_deleted_idx", "mapped", "deleted"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str | None] = mapped_column(String(36))
    service_id: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))
    hypervisor_hostname: Mapped[str | None] = mapped_column(String(255))
    hypervisor_type: Mapped[str | None] = mapped_column(String(255))
    hypervisor_version: Mapped[int | None] = mapped_column(Integer)
    vcpus: Mapped[int] = mapped_column(Integer, default=0)
    memory_mb: Mapped[int] = mapped_column(Integer, default=0)
    local_gb: Mapped[int] = mapped_column(Integer, default=0)
    vcpus_used: Mapped[int] = mapped_column(Integer, default=0)
    memory_mb_used: Mapped[int] = mapped_column(Integer, default=0)
    local_gb_used: Mapped[int] = mapped_column(Integer, default=0)
    free_ram_mb: Mapped[int | None] = mapped_column(Integer)
    free_disk_gb: Mapped[int | None] = mapped_column(Integer)
    running_vms: Mapped[int | None] = mapped_column(Integer)
    host_ip: Mapped[str | None] = mapped_column(String(39))
    cpu_info: Mapped[str | None] = mapped_column(MediumText)
    stats: Mapped[str | None] = mapped_column(Text, default="{}")
    cpu_allocation_ratio: Mapped[float | None] = mapped_column(Float)
    ram_allocation_ratio: Mapped[float | None] = mapped_column(Float)
    disk_allocation_ratio: Mapped[float | None] = mapped_column(Float)
    mapped: Mapped[int | None] = mapped_column(Integer, default=0, server_default="0")


class Migration(Timestamps, SoftDelete, MainBase):
    __tablename__ = "migrations"
    __table_args__ = (
        Index("migrations_uuid_idx", "uuid", unique=True),
        Index("migrations_instance_uuid_and_status_idx", "deleted", "instance_uuid", "status"),
        # Two narrow indexes: one wide one exceeds MySQL's key length in utf8mb4.
        Index("migrations_source_compute_status_idx", "source_compute", "status"),
        Index("migrations_dest_compute_status_idx", "dest_compute", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str | None] = mapped_column(String(36))
    instance_uuid: Mapped[str | None] = mapped_column(ForeignKey("instances.uuid"))
    source_compute: Mapped[str | None] = mapped_column(String(255))
    dest_compute: Mapped[str | None] = mapped_column(String(255))
    source_node: Mapped[str | None] = mapped_column(String(255))
    dest_node: Mapped[str | None] = mapped_column(String(255))
    dest_compute_id: Mapped[int | None] = mapped_column(BigInteger)
    dest_host: Mapped[str | None] = mapped_column(String(255))
    old_instance_type_id: Mapped[int | None] = mapped_column(Integer)
    new_instance_type_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str | None] = mapped_column(String(255))
    migration_type: Mapped[str | None] = mapped_column(String(16))
    hidden: Mapped[bool | None] = mapped_column(Boolean, default=False)
    memory_total: Mapped[int | None] = mapped_column(BigInteger)
    memory_processed: Mapped[int | None] = mapped_column(BigInteger)
    memory_remaining: Mapped[int | None] = mapped_column(BigInteger)
    disk_total: Mapped[int | None] = mapped_column(BigInteger)
    disk_processed: Mapped[int | None] = mapped_column(BigInteger)
    disk_remaining: Mapped[int | None] = mapped_column(BigInteger)
    cross_cell_move: Mapped[bool | None] = mapped_column(Boolean, default=False)
    user_id: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str | None] = mapped_column(String(255))


class InstanceAction(Timestamps, SoftDelete, MainBase):
    __tablename__ = "instance_actions"
    __table_args__ = (
        Index("instance_uuid_idx", "instance_uuid"),
        Index("request_id_idx", "request_id"),
        Index("instance_actions_instance_uuid_updated_at_idx", "instance_uuid", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str | None] = mapped_column(String(255))
    instance_uuid: Mapped[str | None] = mapped_column(ForeignKey("instances.uuid"))
    request_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str | None] = mapped_column(String(255))
    start_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    finish_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    message: Mapped[str | None] = mapped_column(String(255))


class InstanceActionEvent(Timestamps, SoftDelete, MainBase):
    __tablename__ = "instance_actions_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str | None] = mapped_column(String(255))
    action_id: Mapped[int | None] = mapped_column(ForeignKey("instance_actions.id"), index=True)
    start_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    finish_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    result: Mapped[str | None] = mapped_column(String(255))
    traceback: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))
    details: Mapped[str | None] = mapped_column(Text)


class InstanceExtra(Timestamps, SoftDelete, MainBase):
    """Per-instance JSON blobs too large or too rarely read for ``instances``."""

    __tablename__ = "instance_extra"
    __table_args__ = (Index("instance_extra_idx", "instance_uuid", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(ForeignKey("instances.uuid"))
    flavor: Mapped[str | None] = mapped_column(Text)
    old_flavor: Mapped[str | None] = mapped_column(Text)
    new_flavor: Mapped[str | None] = mapped_column(Text)
    keypairs: Mapped[str | None] = mapped_column(Text)
    migration_context: Mapped[str | None] = mapped_column(Text)
    resources: Mapped[str | None] = mapped_column(Text)
    system_metadata: Mapped[str | None] = mapped_column(Text)


class InstanceMetadata(Timestamps, SoftDelete, MainBase):
    __tablename__ = "instance_metadata"
    __table_args__ = (Index("instance_metadata_instance_uuid_idx", "instance_uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str | None] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(String(255))
    instance_uuid: Mapped[str | None] = mapped_column(ForeignKey("instances.uuid"))


class BlockDeviceMapping(Timestamps, SoftDelete, MainBase):
    __tablename__ = "block_device_mapping"
    __table_args__ = (
        Index("block_device_mapping_instance_uuid_idx", "instance_uuid"),
        UniqueConstraint("uuid", name="uniq_block_device_mapping0uuid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str | None] = mapped_column(String(36))
    instance_uuid: Mapped[str | None] = mapped_column(ForeignKey("instances.uuid"))
    source_type: Mapped[str | None] = mapped_column(String(255))
    destination_type: Mapped[str | None] = mapped_column(String(255))
    guest_format: Mapped[str | None] = mapped_column(String(255))
    device_type: Mapped[str | None] = mapped_column(String(255))
    disk_bus: Mapped[str | None] = mapped_column(String(255))
    boot_index: Mapped[int | None] = mapped_column(Integer)
    device_name: Mapped[str | None] = mapped_column(String(255))
    delete_on_termination: Mapped[bool | None] = mapped_column(Boolean, default=False)
    snapshot_id: Mapped[str | None] = mapped_column(String(36))
    volume_id: Mapped[str | None] = mapped_column(String(36))
    volume_size: Mapped[int | None] = mapped_column(Integer)
    volume_type: Mapped[str | None] = mapped_column(String(255))
    image_id: Mapped[str | None] = mapped_column(String(36))
    no_device: Mapped[bool | None] = mapped_column(Boolean)
    connection_info: Mapped[str | None] = mapped_column(MediumText)
    tag: Mapped[str | None] = mapped_column(String(255))
    attachment_id: Mapped[str | None] = mapped_column(String(36))
    encrypted: Mapped[bool | None] = mapped_column(Boolean, default=False)


# Tags compare exactly on every backend: MySQL/MariaDB get a binary collation
# (migration 0002 picks the server's non-padding one).
TagText = String(80).with_variant(
    mysql.VARCHAR(80, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)


class Tag(MainBase):
    """Tags are not soft-deleted; they go with their instance."""

    __tablename__ = "tags"
    __table_args__ = (Index("tags_tag_idx", "tag"),)

    resource_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tag: Mapped[str] = mapped_column(TagText, primary_key=True)
