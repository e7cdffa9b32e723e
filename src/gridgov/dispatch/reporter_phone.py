"""The reporter's full phone number, for callers allowed to unmask PII; every read is audited."""

from __future__ import annotations

from sqlalchemy.orm import Session

from gridgov.common.audit import CommonAudit, record_audit
from gridgov.common.errors import Forbidden, NotFound
from gridgov.common.principal import Principal
from gridgov.common.security import pii_cipher
from gridgov.db import settings_of
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
