"""The unit directory: organisations (bureaus), their units, groups and aliases."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, UTCDateTime, enum_column, utcnow


class UnitKind(enum.StrEnum):
    """What kind of body a unit is."""

    DEPARTMENT = "department"
    INSTITUTION = "institution"
    PARTY_MASS = "party_mass"
    COORDINATION = "coordination"

    @property
    def label(self) -> str:
        return _UNIT_KIND_LABELS[self]

    @classmethod
    def from_label(cls, label: str) -> UnitKind:
        """The kind whose Chinese label is ``label`` (as the directory file writes it)."""
        for kind, text in _UNIT_KIND_LABELS.items():
            if text == label:
                return kind
        raise ValueError(f"未知的单位类型:{label}")


_UNIT_KIND_LABELS = {
    UnitKind.DEPARTMENT: "处室",
    UnitKind.INSTITUTION: "直属单位",
    UnitKind.PARTY_MASS: "机关党群",
    UnitKind.COORDINATION: "议事协调机构",
}


class GroupMembership(enum.StrEnum):
    """How a group's members are known."""

    #: The members are listed one by one.
    EXPLICIT = "explicit"
    #: Every active unit of one kind ("各处室" = every 处室).
    BY_KIND = "by_kind"
    #: Decided per task by 督审处 ("相关业务处室"); the kind, if set, is the candidate pool.
    PER_TASK = "per_task"

    @property
    def label(self) -> str:
        return {"explicit": "指定成员", "by_kind": "按单位类型", "per_task": "逐项确定"}[self.value]


class Organisation(Base):
    """A bureau: the province now, its city bureaus later (上下联动)."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    short_name: Mapped[str] = mapped_column(String(30))
    code: Mapped[str] = mapped_column(String(30), unique=True)
    #: The bureau above this one; None for the province.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    units: Mapped[list[Unit]] = relationship(back_populates="organisation", order_by="Unit.id")


group_member = Table(
    "unit_group_member",
    Base.metadata,
    Column("group_id", Integer, ForeignKey("unit_group.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", Integer, ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True),
)


class Unit(Base):
    """A 处室, 直属单位, 机关党群 body or 议事协调机构 of one organisation."""

    __tablename__ = "unit"
    __table_args__ = (
        UniqueConstraint("organisation_id", "name"),
        UniqueConstraint("organisation_id", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: The short name plans write ("科信处").
    name: Mapped[str] = mapped_column(String(100))
    #: The full official name ("科技和信息化处").
    full_name: Mapped[str] = mapped_column(String(200))
    #: Short code, unique within the organisation ("kxc").
    code: Mapped[str] = mapped_column(String(30))
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind))
    active: Mapped[bool] = mapped_column(default=True)
    #: The unit head signs the unit's reports off before they go to 督审处.
    requires_head_signoff: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="units")
    aliases: Mapped[list[DirectoryAlias]] = relationship(
        back_populates="unit", cascade="all, delete-orphan", order_by="DirectoryAlias.name"
    )
    groups: Mapped[list[UnitGroup]] = relationship(secondary=group_member, back_populates="members")

    def __repr__(self) -> str:
        return f"<Unit {self.name}>"


class UnitGroup(Base):
    """A name plans use for several units at once ("各处室", "XX领导小组各成员单位")."""

    __tablename__ = "unit_group"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    membership: Mapped[GroupMembership] = mapped_column(enum_column(GroupMembership))
    #: For BY_KIND, the kind of every member; for PER_TASK, the candidate pool (optional).
    member_kind: Mapped[UnitKind | None] = mapped_column(enum_column(UnitKind))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    members: Mapped[list[Unit]] = relationship(
        secondary=group_member, back_populates="groups", order_by="Unit.id"
    )
    aliases: Mapped[list[DirectoryAlias]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="DirectoryAlias.name"
    )

    def __repr__(self) -> str:
        return f"<UnitGroup {self.name}>"


class DirectoryAlias(Base):
    """Another way documents write a unit's or a group's name (省纤检局 = 省纤维检验局)."""

    __tablename__ = "directory_alias"
    __table_args__ = (
        UniqueConstraint("organisation_id", "name"),
        CheckConstraint("(unit_id IS NULL) <> (group_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("unit_group.id", ondelete="CASCADE"), index=True
    )

    unit: Mapped[Unit | None] = relationship(back_populates="aliases")
    group: Mapped[UnitGroup | None] = relationship(back_populates="aliases")


class UnitMapping(Base):
    """A city's remembered answer to "which 科室 does this provincial 处室's work": used on every dispatch."""

    __tablename__ = "unit_mapping"
    __table_args__ = (UniqueConstraint("organisation_id", "upper_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The city bureau that remembers the mapping.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    #: The 处室 of the bureau above.
    upper_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    #: The city's own 科室.
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
