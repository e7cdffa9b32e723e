"""Self-declarations (自主申报) and verification tasks (核查): a landlord, property company or agent declares a
tenant's move-in or move-out from a phone page; each declaration, and each record not verified for the days its
type allows, becomes a task for the grid worker of its grid, who confirms, corrects or rejects it on site.

A declaration's PII (the tenant's ID number and phone, the declarant's phone) is one AES-GCM token beside the
masked forms for display and the declarant phone's blind index; plaintext never reaches the database."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.blockdata.models import PATH
from gridgov.common.choices import ChoiceSet, published
from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime


@published("declarant_role")
class DeclarantRole(ChoiceSet):
    LANDLORD = ("landlord", "房东", "#5b8ff9")
    PROPERTY = ("property", "物业公司", "#5ad8a6")
    AGENT = ("agent", "中介机构", "#f6bd16")


@published("declaration_kind")
class DeclarationKind(ChoiceSet):
    MOVE_IN = ("move_in", "租客入住", "#52c41a")
    MOVE_OUT = ("move_out", "租客退租", "#8c8c8c")


@published("verify_source")
class VerifySource(ChoiceSet):
    DECLARATION = ("declaration", "自主申报", "#5b8ff9")
    STALE = ("stale", "到期复核", "#f6bd16")


@published("verify_status")
class VerifyStatus(ChoiceSet):
    OPEN = ("open", "待核查", "#fa8c16")
    CONFIRMED = ("confirmed", "核查属实", "#52c41a")
    CORRECTED = ("corrected", "已更正", "#1677ff")
    REJECTED = ("rejected", "核查不实", "#f5222d")


class Declaration(Base):
    __tablename__ = "bd_declaration"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    declarant_role: Mapped[str] = mapped_column(String(16))
    declarant_name: Mapped[str] = mapped_column(String(64))
    declarant_phone_index: Mapped[str] = mapped_column(String(64), index=True)
    declarant_phone_masked: Mapped[str] = mapped_column(String(24))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the row without PII (names, dates, use)
    pii_enc: Mapped[str] = mapped_column(String(1024))  # {"id_number", "phone", "declarant_phone"} encrypted
    id_masked: Mapped[str | None] = mapped_column(String(32))
    phone_masked: Mapped[str | None] = mapped_column(String(24))
    address_text: Mapped[str] = mapped_column(String(300))
    address_id: Mapped[int | None] = mapped_column(ForeignKey("address.id"))
    room_code: Mapped[str | None] = mapped_column(String(80))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    division_path: Mapped[str] = mapped_column(PATH)
    status: Mapped[str] = mapped_column(String(16), default=VerifyStatus.OPEN.value)
    idem_scope: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ux_bd_declaration_idem", "idem_scope", "idempotency_key", unique=True),)


class VerificationTask(Base):
    """One on-site check: of a declaration, or of a record due for re-verification (its kind and id)."""

    __tablename__ = "bd_verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    declaration_id: Mapped[int | None] = mapped_column(ForeignKey("bd_declaration.id"), index=True)
    record: Mapped[str | None] = mapped_column(String(16))  # "person" / "entity" for a stale record
    record_id: Mapped[int | None] = mapped_column(Integer)
    stale_type: Mapped[str | None] = mapped_column(String(16))  # floating / registered / entity
    address_id: Mapped[int | None] = mapped_column(ForeignKey("address.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("division.id"))
    division_path: Mapped[str] = mapped_column(PATH)
    status: Mapped[str] = mapped_column(String(16), default=VerifyStatus.OPEN.value)
    due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by: Mapped[int | None] = mapped_column(Integer)
    done_by_name: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    written_record_id: Mapped[int | None] = mapped_column(Integer)  # the source record a confirmation wrote

    __table_args__ = (
        Index("ix_bd_verification_queue", "grid_id", "status"),
        Index("ix_bd_verification_record", "record", "record_id", "status"),
        Index("ix_bd_verification_path", "division_path"),
    )
