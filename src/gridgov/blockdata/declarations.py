"""自主申报: a landlord, property company or agent declares a tenant's move-in or move-out. The declaration is checked
by the import's own rules (names, ID checksums, phones, dates), placed on the standard address library, stored with
its PII encrypted, and becomes a verification task for the grid worker of its grid. A retry with the same
idempotency key (within the declarant's phone) answers the first declaration."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.blockdata.access import BlockdataAudit
from gridgov.blockdata.idcodes import mask_document
from gridgov.blockdata.placing import place_all
from gridgov.blockdata.rules import FIELDS, check_row
from gridgov.blockdata.verify_models import (
    DeclarantRole,
    Declaration,
    DeclarationKind,
    VerificationTask,
    VerifySource,
    VerifyStatus,
)
from gridgov.blockdata.verify_rules import declaration_number, rental_row
from gridgov.common.audit import record_audit
from gridgov.common.errors import InvalidInput
from gridgov.common.events import bus
from gridgov.common.principal import Principal
from gridgov.common.security import mask_phone, pii_cipher
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of

DECLARED = "blockdata.declared"


@dataclass(frozen=True)
class DeclarationIn:
    kind: str
    declarant_role: str
    declarant_name: str
    declarant_phone: str
    address: str
    room: str
    tenant_name: str
    id_type: str
    id_number: str
    phone: str
    move_in: str
    move_out: str
    use: str = ""
    idempotency_key: str | None = None


def declarant_scope(session: Session, phone: str) -> str:
    """The idempotency scope of a declarant: the blind index of their phone (never the number itself)."""
    return pii_cipher(settings_of(session).pii_secret).blind_index("declarant:" + phone)[:48]


def declare(session: Session, actor: Principal, body: DeclarationIn, today: date | None = None) -> Declaration:
    """Check, place and store one declaration with its verification task; audited, published."""
    scope = declarant_scope(session, body.declarant_phone)
    if body.idempotency_key:
        first = session.scalar(
            select(Declaration).where(
                Declaration.idem_scope == scope, Declaration.idempotency_key == body.idempotency_key
            )
        )
        if first is not None:
            return first
    if body.kind not in DeclarationKind.__members__.values():
        raise InvalidInput("申报类型应为 租客入住 或 租客退租", field="kind")
    if body.declarant_role not in DeclarantRole.__members__.values():
        raise InvalidInput("申报人身份应为 房东、物业公司 或 中介机构", field="declarant_role")
    if not body.declarant_name.strip():
        raise InvalidInput("请填写申报人姓名或单位名称", field="declarant_name")
    if body.kind == DeclarationKind.MOVE_OUT.value and not body.move_out.strip():
        raise InvalidInput("租客退租需填写退租日期", field="move_out")
    fields = {
        "tenant_name": body.tenant_name.strip(),
        "id_type": body.id_type.strip(),
        "move_in": body.move_in.strip(),
        "move_out": body.move_out.strip(),
        "use": body.use.strip(),
        "owner_name": body.declarant_name.strip()[:64] if body.declarant_role == "landlord" else "",
        "room": body.room.strip()[:40],
    }
    pii = {"id_number": body.id_number.strip(), "phone": body.phone.strip()}
    checked, problems = check_row(
        "rental", rental_row(body.address, fields["room"], fields, pii), today or date.today()
    )
    if problems:
        name, message = problems[0]
        labels = FIELDS["rental"]
        raise InvalidInput(message, field=name if name in labels else "address")
    placement = place_all(session, [checked.address])[0]
    if placement.grid_id is None:
        raise InvalidInput("地址未能匹配到标准地址，请核对路名、门牌号和楼栋后再提交", field="address")
    cipher = pii_cipher(settings_of(session).pii_secret)
    secret = {"id_number": checked.id_number or "", "phone": checked.phone or "", "declarant": body.declarant_phone}
    fields["id_type"] = checked.id_type
    row = Declaration(
        number="",
        kind=body.kind,
        declarant_role=body.declarant_role,
        declarant_name=body.declarant_name.strip()[:64],
        declarant_phone_index=scope,
        declarant_phone_masked=mask_phone(body.declarant_phone),
        fields=fields,
        pii_enc=cipher.encrypt(json.dumps(secret)),
        id_masked=mask_document(checked.id_number) if checked.id_number else None,
        phone_masked=mask_phone(checked.phone) if checked.phone else None,
        address_text=body.address.strip()[:300],
        address_id=placement.address_id,
        room_code=placement.room_code,
        grid_id=placement.grid_id,
        division_path=placement.division_path,
        status=VerifyStatus.OPEN.value,
        idem_scope=scope,
        idempotency_key=body.idempotency_key,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    row.number = declaration_number(row.created_at.date(), row.id)
    task = VerificationTask(
        source=VerifySource.DECLARATION.value,
        declaration_id=row.id,
        address_id=row.address_id,
        grid_id=row.grid_id,
        division_path=row.division_path,
        status=VerifyStatus.OPEN.value,
    )
    session.add(task)
    session.flush()
    detail = {"number": row.number, "kind": row.kind, "grid_id": row.grid_id, "task_id": task.id}
    record_audit(session, actor, BlockdataAudit.DECLARE, "bd_declaration", row.id, detail)
    bus.publish(session, DECLARED, "bd_declaration", row.id, detail, actor=actor)
    return row


def declared_pii(session: Session, row: Declaration) -> dict[str, str]:
    """The declaration's PII in the clear, for the service that writes the confirmed record (never a response)."""
    return dict(json.loads(pii_cipher(settings_of(session).pii_secret).decrypt(row.pii_enc)))
