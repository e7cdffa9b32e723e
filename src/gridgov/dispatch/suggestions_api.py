"""GET /api/events/{id}/suggestions: the classifier's three best 小类 for a case that arrived without one, with
their calibrated confidences (what the dispatcher accepts with one key), and whether the system dispatched it."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from gridgov.classify.live import predictions_for
from gridgov.dispatch.scope import load_visible
from gridgov.org.deps import PrincipalDep, SessionDep

router = APIRouter(prefix="/api", tags=["events"])


class OptionOut(BaseModel):
    code: str
    name: str
    confidence: float


class SuggestionsOut(BaseModel):
    options: list[OptionOut]
    auto: bool
    version_id: int | None
    at: datetime | None


@router.get("/events/{event_id}/suggestions", response_model=SuggestionsOut, summary="智能分类建议（前三名与置信度）")
def get_suggestions(event_id: int, session: SessionDep, actor: PrincipalDep) -> SuggestionsOut:
    event = load_visible(session, actor, event_id)
    pred = predictions_for(session, [event.id]).get(event.id)
    if pred is None:
        return SuggestionsOut(options=[], auto=False, version_id=None, at=None)
    options = [OptionOut(code=o["code"], name=o["name"], confidence=o["confidence"]) for o in pred.top]
    return SuggestionsOut(options=options, auto=pred.auto, version_id=pred.version_id, at=pred.at)
