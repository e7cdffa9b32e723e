"""Parties' personal data: encrypted at rest with blind indexes for exact lookup (common/security.py), masked for
every reader; the full data only for a caller allowed to unmask PII, and each such read is audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gridgov.common.errors import InvalidInput
from gridgov.common.security import PiiCipher, mask_phone, normalize_phone
from gridgov.mediation.models import DisputeParty
from gridgov.mediation.rules import PartyKind, PartyRole

ID_NUMBER = re.compile(r"\d{17}[\dXx]")  # 居民身份证号
CREDIT_CODE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")  # 统一社会信用代码
PHONE = re.compile(r"1\d{10}|0\d{2,3}\d{7,8}")


@dataclass(frozen=True)
class PartyData:
    role: PartyRole
    kind: PartyKind
    name: str
    id_number: str | None = None  # 身份证号 for a person, 统一社会信用代码 for an entity
    phone: str | None = None


def mask_name(name: str, kind: str) -> str:
    """张** for a person; an entity's name keeps its head and tail (深圳市****有限公司)."""
    if kind == PartyKind.ENTITY.value:
        return name if len(name) <= 4 else name[:3] + "*" * (len(name) - 7 if len(name) > 7 else 1) + name[-4:]
    return name[:1] + "*" * max(1, len(name) - 1)


def mask_id(value: str) -> str:
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def check(party: PartyData, index: int) -> PartyData:
    where = f"parties[{index}]"
    name = party.name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("请填写当事人姓名或名称（不超过 100 字）", field=f"{where}.name")
    number = (party.id_number or "").strip().upper() or None
    if number is not None:
        pattern = ID_NUMBER if party.kind == PartyKind.PERSON else CREDIT_CODE
        if not pattern.fullmatch(number):
            what = "身份证号应为 18 位" if party.kind == PartyKind.PERSON else "统一社会信用代码应为 18 位"
            raise InvalidInput(f"当事人证件号码格式不正确：{what}", field=f"{where}.id_number")
    phone = normalize_phone(party.phone) if party.phone else None
    if phone is not None and not PHONE.fullmatch(phone):
        raise InvalidInput("当事人联系电话格式不正确", field=f"{where}.phone")
    return PartyData(party.role, party.kind, name, number, phone)


def sealed(cipher: PiiCipher, party: PartyData) -> DisputeParty:
    """A checked party as its row: everything personal encrypted, masked copies beside it."""
    return DisputeParty(
        role=party.role.value,
        kind=party.kind.value,
        name_enc=cipher.encrypt(party.name),
        name_masked=mask_name(party.name, party.kind.value),
        id_number_enc=cipher.encrypt(party.id_number) if party.id_number else None,
        id_number_index=cipher.blind_index(party.id_number) if party.id_number else None,
        id_number_masked=mask_id(party.id_number) if party.id_number else None,
        phone_enc=cipher.encrypt(party.phone) if party.phone else None,
        phone_index=cipher.blind_index(party.phone) if party.phone else None,
        phone_masked=mask_phone(party.phone) if party.phone else None,
    )


def opened(cipher: PiiCipher, row: DisputeParty) -> PartyData:
    """The full data of a party (for documents and callers allowed to unmask; the service audits it)."""
    return PartyData(
        PartyRole(row.role),
        PartyKind(row.kind),
        cipher.decrypt(row.name_enc),
        cipher.decrypt(row.id_number_enc) if row.id_number_enc else None,
        cipher.decrypt(row.phone_enc) if row.phone_enc else None,
    )
