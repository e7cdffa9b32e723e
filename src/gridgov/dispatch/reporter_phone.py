"""PII in full, for callers allowed to unmask it: the reporter's phone number and the phone and ID numbers typed
into a case's free text (stored masked, their originals encrypted beside them); every read is audited."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import CommonAudit, record_audit
from gridgov.common.errors import Forbidden, NotFound
from gridgov.common.pii_store import originals
from gridgov.common.principal import Principal
from gridgov.common.security import pii_cipher
from gridgov.db import settings_of
from gridgov.dispatch.models import EventTask, EventTransition
from gridgov.dispatch.scope import load_visible


def reveal_phone(session: Session, actor: Principal, event_id: int) -> str:
    if not actor.can_unmask_pii:
        raise Forbidden("无权查看完整手机号")
    event = load_visible(session, actor, event_id)
    if event.reporter_phone_enc is None:
        raise NotFound("该事件没有上报人手机号", field="event_id")
    phone = pii_cipher(settings_of(session).pii_secret).decrypt(event.reporter_phone_enc)
    record_audit(session, actor, CommonAudit.PII_READ, "event", event_id, {"field": "reporter_phone"})
    return phone


@dataclass
class FreeText:
    """The originals of a case's masked free text: the case's fields, its steps' and its tasks' notes by id."""

    event: dict[str, str] = field(default_factory=dict)
    steps: dict[int, str] = field(default_factory=dict)
    tasks: dict[int, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.event or self.steps or self.tasks)


def reveal_free_text(session: Session, actor: Principal, event_id: int) -> FreeText:
    """The phone and ID numbers of a case's descriptions, notes and results in full; audited when there are any."""
    if not actor.can_unmask_pii:
        raise Forbidden("无权查看完整个人信息", field="reveal_pii")
    event = load_visible(session, actor, event_id)
    cipher = pii_cipher(settings_of(session).pii_secret)
    found = FreeText(event=originals(cipher, event.pii_text_enc))
    for model, into in ((EventTransition, found.steps), (EventTask, found.tasks)):
        for row_id, token in session.execute(
            select(model.id, model.pii_text_enc).where(model.event_id == event_id, model.pii_text_enc.is_not(None))
        ):
            into[row_id] = originals(cipher, token).get("note", "")
    if found:
        fields = sorted(found.event) + ["history.note"] * bool(found.steps) + ["tasks.note"] * bool(found.tasks)
        record_audit(session, actor, CommonAudit.PII_READ, "event", event_id, {"field": "free_text", "fields": fields})
    return found
