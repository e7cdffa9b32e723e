"""Mediation figures (item 8), per centre or per mediator, over the disputes the caller may see: how many were
registered, concluded, agreed (success rate = agreed / (agreed + not agreed)), the mean time to agreement, judicial
confirmations and referrals by destination; exported as CSV or Excel. And the high-risk open disputes with the
explanation of each flag, for the leader's screen. The aggregation is pure (`summarize`); the query is scoped."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.principal import Principal
from gridgov.mediation.access import scoped
from gridgov.mediation.models import Dispute, DisputeStep, Mediator
from gridgov.mediation.risk import RiskLevel
from gridgov.mediation.rules import OPEN, Destination, MediationAction, Stage
from gridgov.org import cache

By = Literal["centre", "mediator"]
HIGH_RISK_MAX = 50


@dataclass(frozen=True)
class Fact:
    """One dispute as the figures see it."""

    key: int | None  # the centre's division id, or the mediator's id
    registered_at: datetime
    agreed_at: datetime | None
    failed: bool
    confirmed: bool
    destination: str | None


@dataclass
class FigureRow:
    key: int | None
    name: str
    registered: int = 0
    agreed: int = 0
    failed: int = 0
    confirmed: int = 0
    days_to_agreement: list[float] = field(default_factory=list, repr=False)
    referrals: dict[str, int] = field(default_factory=dict)

    @property
    def success_rate(self) -> float | None:
        concluded = self.agreed + self.failed
        return round(self.agreed / concluded, 4) if concluded else None

    @property
    def mean_days_to_agreement(self) -> float | None:
        d = self.days_to_agreement
        return round(sum(d) / len(d), 1) if d else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "registered": self.registered,
            "agreed": self.agreed,
            "failed": self.failed,
            "success_rate": self.success_rate,
            "mean_days_to_agreement": self.mean_days_to_agreement,
            "confirmed": self.confirmed,
            "referrals": {d.value: self.referrals.get(d.value, 0) for d in Destination},
        }


def _add(row: FigureRow, f: Fact) -> None:
    row.registered += 1
    if f.agreed_at is not None:
        row.agreed += 1
        row.days_to_agreement.append((f.agreed_at - f.registered_at).total_seconds() / 86400)
    if f.failed:
        row.failed += 1
    if f.confirmed:
        row.confirmed += 1
    if f.destination:
        row.referrals[f.destination] = row.referrals.get(f.destination, 0) + 1


def summarize(facts: Iterable[Fact], names: dict[int, str]) -> tuple[list[FigureRow], FigureRow]:
    """Rows per key (most disputes first) and the total (pure)."""
    rows: dict[int | None, FigureRow] = {}
    total = FigureRow(None, "合计")
    for f in facts:
        row = rows.get(f.key)
        if row is None:
            row = rows[f.key] = FigureRow(f.key, names.get(f.key, "未分派") if f.key is not None else "未分派")
        _add(row, f)
        _add(total, f)
    return sorted(rows.values(), key=lambda r: (-r.registered, r.name)), total


def facts(session: Session, actor: Principal, by: By) -> tuple[list[Fact], dict[int, str]]:
    sub = scoped(actor).subquery()
    marks = session.execute(
        select(DisputeStep.dispute_id, DisputeStep.action).where(
            DisputeStep.dispute_id.in_(select(sub.c.id)),
            DisputeStep.action.in_([MediationAction.FAIL.value, MediationAction.CONFIRM.value]),
        )
    ).all()
    failed = {i for i, a in marks if a == MediationAction.FAIL.value}
    confirmed = {i for i, a in marks if a == MediationAction.CONFIRM.value}
    rows = session.execute(
        select(
            sub.c.id,
            sub.c.lead_division_id,
            sub.c.division_id,
            sub.c.mediator_id,
            sub.c.registered_at,
            sub.c.agreed_at,
            sub.c.destination,
        )
    ).all()
    out = []
    for i, lead, place, mediator, registered, agreed, destination in rows:
        key = (lead or place) if by == "centre" else mediator
        out.append(Fact(key, registered, agreed, i in failed, i in confirmed, destination))
    if by == "centre":
        snap = cache.snapshot(session)
        names = {k: snap.divisions[k].name for k in {f.key for f in out} if k in snap.divisions}
    else:
        ids = {f.key for f in out if f.key is not None}
        found = session.execute(select(Mediator.id, Mediator.name).where(Mediator.id.in_(ids))).all() if ids else []
        names = {int(k): str(n) for k, n in found}
    return out, names


def figures(session: Session, actor: Principal, by: By) -> dict[str, Any]:
    rows, total = summarize(*facts(session, actor, by))
    return {"by": by, "rows": [r.as_dict() for r in rows], "total": total.as_dict()}


HEADER = ["名称", "受理", "达成协议", "未达成", "调解成功率", "平均达成协议用时（天）", "司法确认"]


def table(data: dict[str, Any]) -> list[list[Any]]:
    """The figures as a table with a Chinese header row (for the exports)."""
    header = [*HEADER, *(f"转入{d.label}" for d in Destination)]
    out: list[list[Any]] = [["调解中心" if data["by"] == "centre" else "调解员", *header[1:]]]
    for r in [*data["rows"], data["total"]]:
        rate = f"{r['success_rate'] * 100:.2f}%" if r["success_rate"] is not None else ""
        days = r["mean_days_to_agreement"] if r["mean_days_to_agreement"] is not None else ""
        out.append(
            [r["name"], r["registered"], r["agreed"], r["failed"], rate, days, r["confirmed"]]
            + [r["referrals"][d.value] for d in Destination]
        )
    return out


def to_csv(rows: Sequence[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # with a BOM: Excel opens it as UTF-8


def to_xlsx(rows: Sequence[Sequence[Any]], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for r in rows:
        sheet.append(list(r))
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def high_risk(session: Session, actor: Principal, limit: int = HIGH_RISK_MAX) -> list[dict[str, Any]]:
    """Open high-risk disputes in the caller's area, newest first, each with its flags' explanations."""
    query = (
        scoped(actor)
        .where(Dispute.risk_level == RiskLevel.HIGH.value, Dispute.stage.in_(sorted(s.value for s in OPEN)))
        .order_by(Dispute.risk_score.desc(), Dispute.id.desc())
        .limit(min(limit, HIGH_RISK_MAX))
    )
    return [
        {
            "id": d.id,
            "number": d.number,
            "title": d.title,
            "stage_label": Stage(d.stage).label,
            "place": d.address_text,
            "risk_score": d.risk_score,
            "flags": [{"label": f["label"], "explanation": f["explanation"]} for f in d.risk_flags],
        }
        for d in session.scalars(query)
    ]
