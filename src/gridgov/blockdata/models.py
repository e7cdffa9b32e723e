"""Block data records: one row per source record, with its provenance (department, batch, line, time), so that
the linkage can cluster them later. PII (ID numbers, phones) is stored AES-GCM encrypted, beside an HMAC blind
index for exact lookup and its masked form for display; plaintext never reaches the database."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.common.choices import ChoiceSet, published
from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime

PATH = String(128).with_variant(String(128, collation="C"), "postgresql")


@published("blockdata_kind")
class RecordKind(ChoiceSet):
    PERSON = ("person", "人口（户籍/居住登记）", "#5b8ff9")
    ENTITY = ("entity", "法人（企业登记）", "#5ad8a6")
    RENTAL = ("rental", "房屋租赁登记", "#f6bd16")


@published("population_type")
class PopulationType(ChoiceSet):
    REGISTERED = ("registered", "户籍人口", "#5b8ff9")
    FLOATING = ("floating", "流动人口", "#f6bd16")


@published("room_use")
class RoomUse(ChoiceSet):
    RESIDENTIAL = ("residential", "自住", "#5ad8a6")
    RENTAL = ("rental", "出租", "#f6bd16")
    COMMERCIAL = ("commercial", "商用", "#e8684a")
    MIXED = ("mixed", "混合", "#9270ca")


@published("licence_status")
class LicenceStatus(ChoiceSet):
    ACTIVE = ("active", "存续（在营）", "#52c41a")
    REVOKED = ("revoked", "吊销", "#f5222d")
    CANCELLED = ("cancelled", "注销", "#8c8c8c")


@published("batch_status")
class BatchStatus(ChoiceSet):
    COMMITTED = ("committed", "已导入", "#52c41a")
    REJECTED = ("rejected", "有错误，未导入", "#f5222d")


class ImportBatch(Base):
    """One department file: committed whole, or rejected with its error report (and then no record of it)."""

    __tablename__ = "bd_import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ColumnMapping(Base):
    """How a source department's file names its columns: source column → our field, per department and kind."""

    __tablename__ = "bd_column_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    columns: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ux_bd_column_mapping", "department", "kind", unique=True),)


class _Placed:
    """Provenance and place, shared by every record table."""

    batch_id: Mapped[int] = mapped_column(ForeignKey("bd_import_batch.id"), index=True)
    department: Mapped[str] = mapped_column(String(32))
    line: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    address_text: Mapped[str] = mapped_column(String(300), default="")
    address_id: Mapped[int | None] = mapped_column(ForeignKey("address.id"), index=True)
    address_confidence: Mapped[float | None] = mapped_column(Float)
    room_code: Mapped[str | None] = mapped_column(String(80))  # the standard address code + "-" + the room
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    division_path: Mapped[str] = mapped_column(PATH)  # the grid's path (the city's while unplaced)


class PersonRecord(_Placed, Base):
    __tablename__ = "bd_person"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    id_type: Mapped[str] = mapped_column(String(24), default="resident")
    id_enc: Mapped[str | None] = mapped_column(String(256))
    id_index: Mapped[str | None] = mapped_column(String(64), index=True)
    id_masked: Mapped[str | None] = mapped_column(String(32))
    sex: Mapped[str | None] = mapped_column(String(1))
    birth_date: Mapped[date | None] = mapped_column(Date)
    population: Mapped[str] = mapped_column(String(16), default=PopulationType.REGISTERED.value)
    move_in: Mapped[date | None] = mapped_column(Date)
    move_out: Mapped[date | None] = mapped_column(Date)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)

    __table_args__ = (
        Index("ix_bd_person_path", "division_path"),
        Index("ix_bd_person_grid", "grid_id"),
    )


class EntityRecord(_Placed, Base):
    __tablename__ = "bd_entity"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18), index=True)
    legal_rep: Mapped[str] = mapped_column(String(64), default="")
    industry: Mapped[str] = mapped_column(String(64), default="")
    licence_status: Mapped[str] = mapped_column(String(16), default=LicenceStatus.ACTIVE.value)

    __table_args__ = (Index("ix_bd_entity_path", "division_path"),)


class RoomRecord(_Placed, Base):
    __tablename__ = "bd_room"

    id: Mapped[int] = mapped_column(primary_key=True)
    room_label: Mapped[str] = mapped_column(String(64), default="")
    use: Mapped[str] = mapped_column(String(16), default=RoomUse.RESIDENTIAL.value)
    owner_name: Mapped[str] = mapped_column(String(64), default="")
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("bd_person.id"))

    __table_args__ = (Index("ix_bd_room_path", "division_path"), Index("ix_bd_room_code", "room_code"))


class PhoneRecord(Base):
    """A phone number on a source record, tied to the person or the legal entity the record names."""

    __tablename__ = "bd_phone"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("bd_import_batch.id"), index=True)
    department: Mapped[str] = mapped_column(String(32))
    line: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    phone_enc: Mapped[str] = mapped_column(String(256))
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    phone_masked: Mapped[str] = mapped_column(String(24))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("bd_person.id"), index=True)
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("bd_entity.id"), index=True)
    division_path: Mapped[str] = mapped_column(PATH)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
