"""受理: a dispute registered at a centre's window, from a referred case, a 12345 order, the police or a court —
its type, parties, amount and place (a standard address through the address library, a grid or community code, or
the referred case's own place) — and its escalation risk, recomputed whenever new words are recorded."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gridgov.address import library
from gridgov.address.models import Address
from gridgov.common.errors import Forbidden, InvalidInput
from gridgov.common.pii_store import originals
from gridgov.common.principal import Principal
from gridgov.common.scope import may_see
from gridgov.common.security import PiiCipher, pii_cipher
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of
from gridgov.dispatch.models import Event
from gridgov.mediation import parties, risk
from gridgov.mediation.access import require_mediator
from gridgov.mediation.dispute_types import dispute_type
from gridgov.mediation.models import Dispute, DisputeParty
from gridgov.mediation.rules import MediationAction, PartyRole, Source
from gridgov.mediation.stages import advance
from gridgov.org import cache

MAX_AMOUNT = Decimal("1000000000")


@dataclass(frozen=True)
class DisputeIn:
    dispute_type: str
    title: str
    parties: tuple[parties.PartyData, ...]
    source: Source = Source.WALK_IN
    description: str = ""
    amount: Decimal = Decimal(0)
    address_text: str = ""
    address_code: str | None = None  # a standard address chosen from the library's search
    division_code: str | None = None  # a grid or community code, when there is no address
    source_event_id: int | None = None  # the referred case (事件转办)


@dataclass(frozen=True)
class Place:
    division_id: int
    division_path: str
    address_id: int | None
    address_text: str


def place_of(session: Session, actor: Principal, cmd: DisputeIn) -> Place:
    """The dispute's place: the standard address chosen or matched, the grid/community named, else the source
    case's own place."""
    snap = cache.snapshot(session)
    event = None
    if cmd.source_event_id is not None:
        event = session.get(Event, cmd.source_event_id)
        if event is None or not may_see(actor, event.division_path):
            raise InvalidInput("转办的事件不存在或不在管辖范围内", field="source_event_id")
    if cmd.address_code:
        chosen = session.scalar(select(Address).where(Address.code == cmd.address_code, Address.status == "active"))
        if chosen is None:
            raise InvalidInput(f"标准地址“{cmd.address_code}”不存在或已停用", field="address_code")
        division_id = chosen.grid_id or chosen.community_id
        return Place(division_id, snap.divisions[division_id].path, chosen.id, chosen.full_name)
    text = cmd.address_text.strip()
    if text:
        result = library.engines(session).matcher.match(text)
        if result.best is None or result.needs_review:
            raise InvalidInput(f"地址“{text}”未能匹配到标准地址，请核对或填写网格/社区代码", field="address_text")
        address = session.scalar(select(Address).where(Address.code == result.best.code))
        if address is None:
            raise InvalidInput(f"地址“{text}”未能匹配到标准地址", field="address_text")
        division_id = address.grid_id or address.community_id
        return Place(division_id, snap.divisions[division_id].path, address.id, address.full_name)
    if cmd.division_code:
        found = snap.by_code.get(cmd.division_code)
        if found is None or snap.divisions[found].level not in ("grid", "community"):
            raise InvalidInput(f"网格或社区代码“{cmd.division_code}”不存在", field="division_code")
        return Place(found, snap.divisions[found].path, None, snap.divisions[found].name)
    if event is not None:
        if event.grid_id is None:
            raise InvalidInput("转办的事件尚未定位到网格", field="source_event_id")
        return Place(event.grid_id, event.division_path, event.address_id, event.address_text or "")
    raise InvalidInput("请填写纠纷发生地的地址，或网格/社区代码", field="address_text")


def check_command(cmd: DisputeIn) -> tuple[parties.PartyData, ...]:
    dispute_type(cmd.dispute_type)
    if not cmd.title.strip() or len(cmd.title) > 200:
        raise InvalidInput("请填写纠纷标题（不超过 200 字）", field="title")
    if cmd.amount < 0 or cmd.amount > MAX_AMOUNT:
        raise InvalidInput("争议金额应在 0 到 10 亿元之间", field="amount")
    if cmd.source == Source.CASE_REFERRAL and cmd.source_event_id is None:
        raise InvalidInput("事件转办需要填写来源事件", field="source_event_id")
    checked = tuple(parties.check(p, i) for i, p in enumerate(cmd.parties))
    roles = {p.role for p in checked}
    if PartyRole.APPLICANT not in roles or PartyRole.RESPONDENT not in roles:
        raise InvalidInput("纠纷至少需要一名申请人和一名被申请人", field="parties")
    return checked


def visits(session: Session, indexes: list[str], since: datetime, without: int | None = None) -> int:
    """Disputes since `since` that name one of these parties (by phone or ID blind index)."""
    if not indexes:
        return 0
    query = (
        select(func.count(func.distinct(DisputeParty.dispute_id)))
        .join(Dispute, Dispute.id == DisputeParty.dispute_id)
        .where(
            or_(DisputeParty.phone_index.in_(indexes), DisputeParty.id_number_index.in_(indexes)),
            Dispute.registered_at >= since,
        )
    )
    if without is not None:
        query = query.where(Dispute.id != without)
    return int(session.scalar(query) or 0)


def refresh_risk(session: Session, dispute: Dispute, now: datetime, extra_texts: tuple[str, ...] = ()) -> None:
    """Recompute the dispute's risk flags from its description, its sessions' notes and the parties' visits."""
    config = risk.builtin_config()
    indexes = [i for p in dispute.parties for i in (p.phone_index, p.id_number_index) if i]
    since = now - timedelta(days=config.repeat_window_days)
    count = visits(session, indexes, since, without=dispute.id) + 1
    cipher = pii_cipher(settings_of(session).pii_secret)
    texts = [dispute.title, *_full(cipher, dispute.description, dispute.description_pii, "description")]
    for s in dispute.sessions:
        texts += _full(cipher, s.notes, s.notes_pii, "notes")
    found = risk.assess(config, [*texts, *extra_texts], dispute.dispute_type, dispute.amount, count)
    dispute.risk_level, dispute.risk_score = found.level.value, found.score
    dispute.risk_flags = [f.as_dict() for f in found.flags]


def _full(cipher: PiiCipher, text: str, sealed: str | None, field: str) -> list[str]:
    return [originals(cipher, sealed).get(field, text)]


def register_dispute(session: Session, actor: Principal, cmd: DisputeIn, now: datetime | None = None) -> Dispute:
    """受理 one dispute in the caller's area; its first step, audit row and `mediation.register` event."""
    require_mediator(actor)
    now = now or utcnow()
    checked = check_command(cmd)
    place = place_of(session, actor, cmd)
    if not may_see(actor, place.division_path):
        raise Forbidden("纠纷发生地不在您的管辖范围内", field="address_text")
    cipher = pii_cipher(settings_of(session).pii_secret)
    dispute = Dispute(
        number=f"tmp-{uuid.uuid4().hex[:20]}",
        dispute_type=cmd.dispute_type,
        title=cmd.title.strip(),
        description=cmd.description.strip(),
        amount=cmd.amount,
        source=cmd.source.value,
        source_event_id=cmd.source_event_id,
        division_id=place.division_id,
        division_path=place.division_path,
        address_id=place.address_id,
        address_text=place.address_text,
        stage="",
        registered_at=now,
        updated_at=now,
        created_by=actor.user_id,
        parties=[parties.sealed(cipher, p) for p in checked],
    )
    session.add(dispute)
    session.flush()
    dispute.number = f"TJ{now:%Y%m%d}{dispute.id:06d}"
    refresh_risk(session, dispute, now, (cmd.description,))
    return advance(
        session,
        actor,
        dispute,
        MediationAction.REGISTER,
        now,
        data={
            "type": cmd.dispute_type,
            "source": cmd.source.value,
            "risk": dispute.risk_level,
            "source_event_id": cmd.source_event_id,  # dispatch holds that case for mediation (its subscriber)
        },
    )
