"""The review queue: inputs the matcher could not place with confidence wait for a person, who picks the
standard address (it becomes a learned alias) or dismisses them.

Resolving publishes ``address.review_resolved``; the context that raised the input reacts through the event bus
(dispatch places the case that was waiting for its address) — the address library imports none of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from gridgov.address.access import REVIEWERS, AddressAudit, get_address, require_role, require_within
from gridgov.address.editing import add_alias
from gridgov.address.matcher import MatchResult
from gridgov.address.models import AddressReview, AddressStatus, ReviewStatus
from gridgov.address.normalize import normalize
from gridgov.common import scope
from gridgov.common.audit import record_audit
from gridgov.common.errors import Conflict, NotFound
from gridgov.common.events import bus
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow

LEARN_MAX_CHARS = 40
REVIEW_RESOLVED = "address.review_resolved"


def review_row(
    text_in: str, result: MatchResult, *, source: str, source_id: int | None, division_path: str
) -> dict[str, Any]:
    """The review-queue row for an input the matcher could not place with confidence."""
    return {
        "input_text": text_in[:300],
        "confidence": result.confidence,
        "explanation": list(result.explanation),
        "candidates": [
            {"code": c.code, "full_name": c.full_name, "level": c.level, "score": round(c.score, 3)}
            for c in result.candidates
        ],
        "source": source,
        "source_id": source_id,
        "division_path": division_path,
    }


def resolve_review(
    session: Session, actor: Principal, review_id: int, code: str, learn: bool = True, now: datetime | None = None
) -> AddressReview:
    """A human picks the standard address: the input becomes an alias (so it matches next time) and whoever
    raised it hears of it (``address.review_resolved``: a case gets its address, grid and tier)."""
    now = now or utcnow()
    require_role(actor, REVIEWERS, "确认地址")
    review = _visible_review(session, actor, review_id)
    if review.status != ReviewStatus.PENDING.value:
        raise Conflict("该条已处理", field="review_id")
    target = get_address(session, code)
    require_within(session, actor, target)
    if target.status != AddressStatus.ACTIVE.value:
        raise Conflict("不能选择已注销或合并的地址", field="code")
    review.status, review.resolved_address_id = ReviewStatus.RESOLVED.value, target.id
    review.resolved_by, review.resolved_at = actor.user_id, now
    record_audit(session, actor, AddressAudit.REVIEW_RESOLVE, "address_review", review.id, {"code": code})
    payload = {
        "source": review.source,
        "source_id": review.source_id,
        "address_id": target.id,
        "address_code": target.code,
        "confidence": 1.0,
    }
    bus.publish(session, REVIEW_RESOLVED, "address_review", review.id, payload, actor=actor, at=now)
    if learn:
        alias = normalize(review.input_text)
        # only short inputs become aliases; a whole complaint sentence would teach the matcher noise
        if alias and alias != target.name and len(alias) <= LEARN_MAX_CHARS:
            add_alias(session, actor, code, alias, kind="learned")
    return review


def dismiss_review(session: Session, actor: Principal, review_id: int, note: str | None = None) -> AddressReview:
    require_role(actor, REVIEWERS, "处理地址待确认")
    review = _visible_review(session, actor, review_id)
    if review.status != ReviewStatus.PENDING.value:
        raise Conflict("该条已处理", field="review_id")
    review.status, review.resolved_by, review.resolved_at = ReviewStatus.DISMISSED.value, actor.user_id, utcnow()
    record_audit(session, actor, AddressAudit.REVIEW_DISMISS, "address_review", review.id, {"note": note})
    return review


def _review_scope(actor: Principal) -> ColumnElement[bool]:
    if actor.role in scope.UNLIMITED:
        return true()
    path = actor.division_path
    if not path:
        return false()
    # a reviewer sees inputs raised inside their subtree, and unlocated ones raised above it
    return scope.subtree(AddressReview.division_path, path) | scope.ancestors_of(AddressReview.division_path, path)


def _visible_review(session: Session, actor: Principal, review_id: int) -> AddressReview:
    review = session.scalar(select(AddressReview).where(AddressReview.id == review_id, _review_scope(actor)))
    if review is None:
        raise NotFound("待确认记录不存在或无权查看", field="review_id")
    return review


def list_reviews(session: Session, actor: Principal, status: str = "pending", limit: int = 50) -> list[AddressReview]:
    require_role(actor, REVIEWERS, "查看地址待确认")
    return list(
        session.scalars(
            select(AddressReview)
            .where(AddressReview.status == status, _review_scope(actor))
            .order_by(AddressReview.id.desc())
            .limit(limit)
        )
    )
