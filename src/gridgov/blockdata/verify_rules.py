"""Pure rules of declarations and verification: which outcomes a task may take, when a record is due for
re-verification, and how a declaration becomes a rental row for the import's checks. No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from gridgov.blockdata.verify_models import DeclarationKind, VerifyStatus

OUTCOMES = {
    "confirm": VerifyStatus.CONFIRMED,
    "correct": VerifyStatus.CORRECTED,
    "reject": VerifyStatus.REJECTED,
}
DECLARED_DEPARTMENT = "自主申报"  # the provenance of a record written from a confirmed declaration
VERIFIED_DEPARTMENT = "网格员核查"  # the provenance of a record a grid worker corrected on site
# The fields of a declaration a grid worker may correct on site (the rental row's fields, see rules.FIELDS).
CORRECTABLE = ("tenant_name", "id_type", "id_number", "phone", "room", "use", "move_in", "move_out")
PII_FIELDS = ("id_number", "phone")
STALE_TYPES = ("floating", "registered", "entity")


def allowed_outcomes(status: str) -> tuple[str, ...]:
    """The outcomes a task may still take: all three while open, none once settled."""
    return tuple(OUTCOMES) if status == VerifyStatus.OPEN.value else ()


def stale_type(record: str, population: str | None) -> str:
    """The re-verification type of a record: a legal entity, or a person by population type."""
    if record == "entity":
        return "entity"
    return "floating" if population == "floating" else "registered"


def stale_cutoff(today: date, days: int) -> date | None:
    """Records last verified (or imported) before this day are due; None when the type is turned off."""
    return today - timedelta(days=days) if days > 0 else None


def declaration_number(created: date, declaration_id: int) -> str:
    return f"SB{created:%Y%m%d}{declaration_id:06d}"


def rental_row(address: str, room: str, fields: Mapping[str, str], pii: Mapping[str, str]) -> dict[str, str]:
    """The declaration as one row of a rental register (our field names), for `rules.check_row("rental", ...)`."""
    text = address.strip()
    if room.strip():
        text = f"{text}{room.strip()}"
    row = {k: str(v) for k, v in fields.items() if k not in ("room", "kind")}
    row |= {k: pii[k] for k in PII_FIELDS if pii.get(k)}
    row["address"] = text
    if not row.get("use"):
        row["use"] = "rental"
    return row


def corrected(
    fields: Mapping[str, str], pii: Mapping[str, str], changes: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The declaration's fields and PII with a grid worker's on-site corrections applied (blank ones ignored)."""
    new_fields, new_pii = dict(fields), dict(pii)
    for name, value in changes.items():
        if name not in CORRECTABLE or not str(value).strip():
            continue
        (new_pii if name in PII_FIELDS else new_fields)[name] = str(value).strip()
    return new_fields, new_pii


def kind_label(kind: str) -> str:
    return DeclarationKind(kind).label
