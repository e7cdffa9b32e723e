"""PII of block data: encrypted at rest with its blind index and masked form, and revealed only to a caller
holding the unmask privilege, with an audit row for every reveal."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.blockdata.access import READERS, record_scope, require
from gridgov.blockdata.idcodes import mask_document
from gridgov.blockdata.models import EntityRecord, PersonRecord, PhoneRecord
from gridgov.common.audit import CommonAudit, record_audit
from gridgov.common.errors import Forbidden, NotFound
from gridgov.common.principal import Principal
from gridgov.common.security import PiiCipher, mask_phone, pii_cipher
from gridgov.db import settings_of


@dataclass(frozen=True)
class Sealed:
    enc: str
    index: str
    masked: str


def seal_document(cipher: PiiCipher, number: str) -> Sealed:
    return Sealed(cipher.encrypt(number), cipher.blind_index("id:" + number), mask_document(number))


def seal_phone(cipher: PiiCipher, phone: str) -> Sealed:
    return Sealed(cipher.encrypt(phone), cipher.blind_index(phone), mask_phone(phone))


def document_index(session: Session, number: str) -> str:
    return pii_cipher(settings_of(session).pii_secret).blind_index("id:" + number)


def phone_index(session: Session, phone: str) -> str:
    return pii_cipher(settings_of(session).pii_secret).blind_index(phone)


@dataclass(frozen=True)
class Revealed:
    record: str
    record_id: int
    id_number: str | None
    phones: list[str]


def reveal(session: Session, actor: Principal, record: str, record_id: int) -> Revealed:
    """The full ID number and phones of one person or legal entity record in the caller's scope; audited."""
    require(actor, READERS, "查看块数据")
    if not actor.can_unmask_pii:
        raise Forbidden("无权查看完整证件号和电话", field="reveal")
    cipher = pii_cipher(settings_of(session).pii_secret)
    model = PersonRecord if record == "person" else EntityRecord
    row = session.scalar(
        select(model).where(model.id == record_id, record_scope(actor, model.division_path, model.grid_id))
    )
    if row is None:
        raise NotFound("记录不存在或无权查看", field="record_id")
    link = PhoneRecord.person_id if record == "person" else PhoneRecord.entity_id
    phones = [cipher.decrypt(t) for t in session.scalars(select(PhoneRecord.phone_enc).where(link == record_id))]
    number = cipher.decrypt(row.id_enc) if isinstance(row, PersonRecord) and row.id_enc else None
    fields = (["id_number"] if number else []) + (["phones"] if phones else [])
    record_audit(session, actor, CommonAudit.PII_READ, f"bd_{record}", record_id, {"fields": fields})
    return Revealed(record, record_id, number, phones)
