"""Exact lookups by ID number or phone through the blind index (the plaintext is never compared in SQL), and
the import batches — all inside the caller's scope."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.blockdata.access import IMPORTERS, READERS, record_scope, require
from gridgov.blockdata.idcodes import CodeError, normalize_document, parse_phone
from gridgov.blockdata.models import ImportBatch, PersonRecord, PhoneRecord
from gridgov.blockdata.protect import document_index, phone_index
from gridgov.common.errors import InvalidInput, NotFound
from gridgov.common.principal import Principal, Role


def find_people(
    session: Session,
    actor: Principal,
    *,
    id_number: str | None = None,
    id_type: str = "resident",
    phone: str | None = None,
    limit: int = 100,
) -> list[PersonRecord]:
    """Every source record of the person with this document number, or with this phone number."""
    require(actor, READERS, "查询人口信息")
    visible = record_scope(actor, PersonRecord.division_path, PersonRecord.grid_id)
    if id_number:
        try:
            number = normalize_document(id_type, id_number)
        except CodeError as exc:
            raise InvalidInput(f"证件号码：{exc}", field="id_number") from exc
        stmt = select(PersonRecord).where(PersonRecord.id_index == document_index(session, number), visible)
    elif phone:
        try:
            digits = parse_phone(phone)
        except CodeError as exc:
            raise InvalidInput(str(exc), field="phone") from exc
        owners = select(PhoneRecord.person_id).where(PhoneRecord.phone_index == phone_index(session, digits))
        stmt = select(PersonRecord).where(PersonRecord.id.in_(owners), visible)
    else:
        raise InvalidInput("请给出证件号码或电话号码", field="id_number")
    return list(session.scalars(stmt.order_by(PersonRecord.id).limit(limit)))


def list_batches(session: Session, actor: Principal, limit: int = 50) -> list[ImportBatch]:
    """An importer's own batches; the administrator sees everyone's."""
    require(actor, IMPORTERS, "查看导入批次")
    stmt = select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)
    if actor.role not in (Role.ADMIN, Role.SYSTEM):
        stmt = stmt.where(ImportBatch.created_by == actor.user_id)
    return list(session.scalars(stmt))


def get_batch(session: Session, actor: Principal, batch_id: int) -> ImportBatch:
    require(actor, IMPORTERS, "查看导入批次")
    batch = session.get(ImportBatch, batch_id)
    if batch is None or (actor.role not in (Role.ADMIN, Role.SYSTEM) and batch.created_by != actor.user_id):
        raise NotFound("导入批次不存在或无权查看", field="batch_id")
    return batch


def error_report_csv(batch: ImportBatch) -> str:
    """The batch's error report as CSV (UTF-8 with BOM, so that Excel reads the Chinese): line, field, problem."""
    import csv
    import io

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["行号", "字段", "字段代码", "问题"])
    for e in batch.errors:
        writer.writerow([e.get("line"), e.get("label", ""), e.get("field", ""), e.get("message", "")])
    return out.getvalue()
