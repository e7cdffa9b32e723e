"""Labels from the dispatchers' work, learned through the event bus (classify imports nothing of dispatch): a
person's 立案/派遣 of a case the model read records the 小类 they chose — the suggestion accepted, or corrected —
and a 退回 (mis-dispatched) records that the case's last 小类 was wrong; a dispatch after a return is a re-route.
Each label keeps who and when; the system's own automatic steps are not labels."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.classify.audit import ClassifyAudit
from gridgov.classify.models import ClassifyLabel, ClassifyPrediction, LabelKind
from gridgov.common.audit import record_audit
from gridgov.common.events import EventBus, Published
from gridgov.common.principal import SYSTEM_PRINCIPAL, Role

CHOSEN = ("event.file", "event.dispatch")
RETURNED = "event.return"


def _person(event: Published) -> bool:
    return event.actor is not None and event.actor.role != Role.SYSTEM and event.actor.user_id is not None


def _latest(session: Session, event_id: int) -> ClassifyLabel | None:
    return session.scalars(
        select(ClassifyLabel).where(ClassifyLabel.event_id == event_id).order_by(ClassifyLabel.id.desc()).limit(1)
    ).first()


def _write(session: Session, event: Published, pred: ClassifyPrediction, code: str, kind: LabelKind) -> None:
    predicted = pred.top[0]["code"] if pred.top else None
    label = ClassifyLabel(
        event_id=pred.event_id,
        text=pred.text,
        channel=pred.channel,
        category_code=code,
        predicted_code=predicted,
        kind=kind.value,
        actor_id=event.actor.user_id if event.actor else None,
        at=event.at,
    )
    session.add(label)
    session.flush()
    detail = {"event_id": pred.event_id, "category": code, "predicted": predicted, "kind": kind.value}
    record_audit(session, event.actor or SYSTEM_PRINCIPAL, ClassifyAudit.LABEL, "classify_label", label.id, detail)


def on_chosen(session: Session, event: Published) -> None:
    code = event.payload.get("category")
    if not code or not _person(event):
        return
    pred = session.scalars(select(ClassifyPrediction).where(ClassifyPrediction.event_id == event.aggregate_id)).first()
    if pred is None:
        return
    last = _latest(session, pred.event_id)
    if last is not None and last.kind != LabelKind.RETURNED.value and last.category_code == code:
        return  # 立案 then 派遣 with the same 小类: one label
    if last is not None and last.kind == LabelKind.RETURNED.value:
        kind = LabelKind.REROUTED
    elif pred.top and pred.top[0]["code"] == code:
        kind = LabelKind.ACCEPTED
    else:
        kind = LabelKind.RECATEGORIZED
    _write(session, event, pred, str(code), kind)


def on_returned(session: Session, event: Published) -> None:
    if not _person(event):
        return
    pred = session.scalars(select(ClassifyPrediction).where(ClassifyPrediction.event_id == event.aggregate_id)).first()
    if pred is None:
        return
    last = _latest(session, pred.event_id)
    if last is not None and last.kind != LabelKind.RETURNED.value:
        wrong = last.category_code
    elif pred.auto and pred.top:
        wrong = str(pred.top[0]["code"])
    else:
        return
    _write(session, event, pred, wrong, LabelKind.RETURNED)


def register(bus: EventBus) -> None:
    for name in CHOSEN:
        bus.subscribe(name, on_chosen)
    bus.subscribe(RETURNED, on_returned)
