"""Free text that may hold phone or ID numbers, stored masked with the original encrypted beside it.

A model declares its free-text columns and the column holding their originals (`protect_columns`); every ORM
flush of such a row masks what was written (common/pii_text.py) and keeps the originals, encrypted under the
PII key, as one JSON object in that column. Bulk writers that insert with Core run the same `protect_row` on
their column values. Reading the originals back (`originals`) is for callers allowed to unmask PII, and their
service audits it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import PASSIVE_NO_INITIALIZE

from gridgov.common.pii_text import find_pii, mask_text
from gridgov.common.security import PiiCipher, pii_cipher
from gridgov.db import Base, settings_of


@dataclass(frozen=True)
class Protected:
    fields: tuple[str, ...]
    column: str  # where the encrypted originals live


PROTECTED: dict[type[Base], Protected] = {}


def protect_columns(model: type[Base], fields: tuple[str, ...], column: str) -> None:
    PROTECTED[model] = Protected(fields, column)


def originals(cipher: PiiCipher, token: str | None) -> dict[str, str]:
    """The original texts kept for a row (field → text), or none."""
    if not token:
        return {}
    found: dict[str, str] = json.loads(cipher.decrypt(token))
    return found


def _sealed(cipher: PiiCipher, kept: dict[str, str]) -> str | None:
    return cipher.encrypt(json.dumps(kept, ensure_ascii=False)) if kept else None


def protect_row(cipher: PiiCipher, model: type[Base], row: dict[str, Any]) -> None:
    """Mask the protected fields of a row of column values about to be inserted and set its originals column
    (None when it holds none: every row of a bulk insert has the same keys)."""
    spec = PROTECTED[model]
    kept: dict[str, str] = {}
    for name in spec.fields:
        value = row.get(name)
        if isinstance(value, str) and find_pii(value):
            kept[name], row[name] = value, mask_text(value)
    row[spec.column] = _sealed(cipher, kept)


def _protect_instance(cipher: PiiCipher, obj: Base, spec: Protected, is_new: bool) -> None:
    state = inspect(obj)
    changed: dict[str, str | None] = {}
    for name in spec.fields:
        # the attribute's own history, as `state.attrs[name].history` reads it, without building an AttributeState
        # for every column of the row first (that cost 2 ms a case in the SLA sweep's escalations)
        if not is_new and (
            name not in state.committed_state or not state.get_history(name, PASSIVE_NO_INITIALIZE).has_changes()
        ):
            continue
        value = getattr(obj, name)
        if isinstance(value, str) and find_pii(value):
            changed[name] = value
            setattr(obj, name, mask_text(value))
        elif not is_new:
            changed[name] = None  # rewritten without PII: its old original goes
    if not any(changed.values()) and (is_new or getattr(obj, spec.column) is None):
        return
    kept = {} if is_new else originals(cipher, getattr(obj, spec.column))
    for name, value in changed.items():
        if value is None:
            kept.pop(name, None)
        else:
            kept[name] = value
    setattr(obj, spec.column, _sealed(cipher, kept))


@event.listens_for(Session, "before_flush")
def _protect_free_text(session: Session, _context: Any, _instances: Any) -> None:
    cipher: PiiCipher | None = None
    for objs, is_new in ((session.new, True), (session.dirty, False)):
        for obj in objs:
            spec = PROTECTED.get(type(obj))
            if spec is None:
                continue
            cipher = cipher or pii_cipher(settings_of(session).pii_secret)
            _protect_instance(cipher, obj, spec, is_new)
