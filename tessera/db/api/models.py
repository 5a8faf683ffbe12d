"""API database tables (no soft delete: rows are deleted outright)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tessera.db.types import MediumText, Timestamps


class ApiBase(DeclarativeBase):
    """Declarative base of the API schema (its own metadata and migrations)."""


class CellMapping(Timestamps, ApiBase):
    __tablename__ = "cell_mappings"
    __table_args__ = (
        UniqueConstraint("uuid", name="uniq_cell_mappings0uuid"),
        Index("uuid_idx", "uuid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    name: Mapped[str | None] = mapped_column(String(255))
    transport_url: Mapped[str | None] = mapped_column(Text)
    database_connection: Mapped[str | None] = mapped_column(Text)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class HostMapping(Timestamps, ApiBase):
    __tablename__ = "host_mappings"
    __table_args__ = (
        UniqueConstraint("host", name="uniq_host_mappings0host"),
        Index("host_idx", "host"),
        Index("host_mappings_cell_id_idx", "cell_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell_mappings.id"))
    host: Mapped[str] = mapped_column(String(255))


class InstanceMapping(Timestamps, ApiBase):
    __tablename__ = "instance_mappings"
    __table_args__ = (
        UniqueConstraint("instance_uuid", name="uniq_instance_mappings0instance_uuid"),
        Index("instance_uuid_idx", "instance_uuid"),
        Index("project_id_idx", "project_id"),
        Index("instance_mappings_user_id_project_id_idx", "user_id", "project_id"),
        Index("instance_mappings_cell_id_idx", "cell_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(String(36))
    cell_id: Mapped[int | None] = mapped_column(ForeignKey("cell_mappings.id"))
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))
    queued_for_delete: Mapped[bool | None] = mapped_column(Boolean, default=False)


class InstanceMappingCursor(Timestamps, ApiBase):
    """Where a bounded ``map_instances`` run stopped in a cell, to resume from."""

    __tablename__ = "instance_mapping_cursors"
    __table_args__ = (UniqueConstraint("cell_id", name="uniq_instance_mapping_cursors0cell_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cell_id: Mapped[int] = mapped_column(ForeignKey("cell_mappings.id", ondelete="CASCADE"))
    last_instance_id: Mapped[int] = mapped_column(BigInteger)


class BuildRequest(Timestamps, ApiBase):
    __tablename__ = "build_requests"
    __table_args__ = (
        UniqueConstraint("instance_uuid", name="uniq_build_requests0instance_uuid"),
        Index("build_requests_project_id_idx", "project_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str | None] = mapped_column(String(36))
    project_id: Mapped[str] = mapped_column(String(255))
    instance: Mapped[str | None] = mapped_column(MediumText)
    block_device_mappings: Mapped[str | None] = mapped_column(MediumText)
    tags: Mapped[str | None] = mapped_column(Text)


class RequestSpec(Timestamps, ApiBase):
    __tablename__ = "request_specs"
    __table_args__ = (
        UniqueConstraint("instance_uuid", name="uniq_request_specs0instance_uuid"),
        Index("request_spec_instance_uuid_idx", "instance_uuid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(String(36))
    spec: Mapped[str] = mapped_column(MediumText)


class Flavor(Timestamps, ApiBase):
    __tablename__ = "flavors"
    __table_args__ = (
        UniqueConstraint("flavorid", name="uniq_flavors0flavorid"),
        UniqueConstraint("name", name="uniq_flavors0name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    flavorid: Mapped[str] = mapped_column(String(255))
    memory_mb: Mapped[int] = mapped_column(Integer)
    vcpus: Mapped[int] = mapped_column(Integer)
    root_gb: Mapped[int | None] = mapped_column(Integer)
    ephemeral_gb: Mapped[int | None] = mapped_column(Integer)
    swap: Mapped[int] = mapped_column(Integer, default=0)
    vcpu_weight: Mapped[int | None] = mapped_column(Integer)
    rxtx_factor: Mapped[float | None] = mapped_column(Float, default=1.0)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str | None] = mapped_column(Text)


class FlavorExtraSpec(Timestamps, ApiBase):
    __tablename__ = "flavor_extra_specs"
    __table_args__ = (
        UniqueConstraint("flavor_id", "key", name="uniq_flavor_extra_specs0flavor_id0key"),
        Index("flavor_extra_specs_flavor_id_key_idx", "flavor_id", "key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavor_id: Mapped[int] = mapped_column(ForeignKey("flavors.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str | None] = mapped_column(String(255))


class FlavorProject(Timestamps, ApiBase):
    __tablename__ = "flavor_projects"
    __table_args__ = (
        UniqueConstraint(
            "flavor_id", "project_id", name="uniq_flavor_projects0flavor_id0project_id"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flavor_id: Mapped[int] = mapped_column(ForeignKey("flavors.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(String(255))


class KeyPair(Timestamps, ApiBase):
    __tablename__ = "key_pairs"
    __table_args__ = (UniqueConstraint("user_id", "name", name="uniq_key_pairs0user_id0name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str | None] = mapped_column(String(255))
    public_key: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(8), default="ssh", server_default="ssh")


class Aggregate(Timestamps, ApiBase):
    __tablename__ = "aggregates"
    __table_args__ = (
        UniqueConstraint("uuid", name="uniq_aggregates0uuid"),
        UniqueConstraint("name", name="uniq_aggregates0name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(255))


class AggregateHost(Timestamps, ApiBase):
    __tablename__ = "aggregate_hosts"
    __table_args__ = (
        UniqueConstraint("host", "aggregate_id", name="uniq_aggregate_hosts0host0aggregate_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    aggregate_id: Mapped[int] = mapped_column(ForeignKey("aggregates.id", ondelete="CASCADE"))


class AggregateMetadata(Timestamps, ApiBase):
    __tablename__ = "aggregate_metadata"
    __table_args__ = (
        UniqueConstraint("aggregate_id", "key", name="uniq_aggregate_metadata0aggregate_id0key"),
        Index("aggregate_metadata_key_idx", "key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    aggregate_id: Mapped[int] = mapped_column(ForeignKey("aggregates.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    value: Mapped[str] = mapped_column(String(255))


class InstanceGroup(Timestamps, ApiBase):
    __tablename__ = "instance_groups"
    __table_args__ = (UniqueConstraint("uuid", name="uniq_instance_groups0uuid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))


class InstanceGroupPolicy(Timestamps, ApiBase):
    __tablename__ = "instance_group_policy"
    __table_args__ = (Index("instance_group_policy_policy_idx", "policy"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("instance_groups.id", ondelete="CASCADE"))
    policy: Mapped[str] = mapped_column(String(255))
    rules: Mapped[str | None] = mapped_column(Text)


class InstanceGroupMember(Timestamps, ApiBase):
    __tablename__ = "instance_group_member"
    __table_args__ = (
        UniqueConstraint("group_id", "instance_uuid", name="uniq_group_member0group0instance"),
        Index("instance_group_member_instance_idx", "instance_uuid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("instance_groups.id", ondelete="CASCADE"))
    instance_uuid: Mapped[str] = mapped_column(String(36))


class Quota(Timestamps, ApiBase):
    __tablename__ = "quotas"
    __table_args__ = (
        UniqueConstraint("project_id", "resource", name="uniq_quotas0project_id0resource"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(255))
    hard_limit: Mapped[int | None] = mapped_column(Integer)


class ProjectUserQuota(Timestamps, ApiBase):
    __tablename__ = "project_user_quotas"
    __table_args__ = (
        UniqueConstraint(
            "user_id", "project_id", "resource", name="uniq_project_user_quotas0user0project0res"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(255))
    hard_limit: Mapped[int | None] = mapped_column(Integer)


class QuotaClass(Timestamps, ApiBase):
    __tablename__ = "quota_classes"
    __table_args__ = (
        UniqueConstraint("class_name", "resource", name="uniq_quota_classes0class_name0resource"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    class_name: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(255))
    hard_limit: Mapped[int | None] = mapped_column(Integer)
