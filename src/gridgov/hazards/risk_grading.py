"""Enterprise risk grading (企业风险分级), the services: every legal entity of the block data placed on a standard
address — and every address holding hazard sources where no entity is known — is scored by `risk_rules.score`
from its industry, the hazard sources at its address, those sources' inspection findings (open or rectified within
the window) and the cases reported at the address; the latest grade of each subject is kept with its factors and
regulators (`hazard_risk_grade`). A run writes one audit row and publishes ``hazards.risk_grade_changed`` for each
subject whose grade changed; the grade of a place shortens its sources' inspection period (`plan_days`).
Nothing here commits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.blockdata.models import EntityRecord
from gridgov.common.audit import record_audit
from gridgov.common.errors import Forbidden
from gridgov.common.events import bus
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import utcnow
from gridgov.dispatch.models import Event
from gridgov.dispatch.rules import OPEN
from gridgov.hazards.audit import HazardAudit
from gridgov.hazards.inspection_models import Finding, RiskGradeRow
from gridgov.hazards.models import HazardClass, HazardSource
from gridgov.hazards.registry import RiskLevel
from gridgov.hazards.risk_rules import RANK, RiskGrade, Subject, inspection_days, score, table

GRADERS = frozenset({Role.ADMIN, Role.SYSTEM})
_OPEN = [s.value for s in OPEN]
_LEVELS = {r.value for r in RiskLevel}


@dataclass
class GradingResult:
    graded: int = 0
    changed: int = 0
    by_grade: dict[str, int] | None = None


@dataclass
class _Place:
    code: str
    address_id: int | None
    sources: list[tuple[str, str, str, str]]
    open_findings: int = 0
    rectified: int = 0
    cases: int = 0
    name: str = ""
    grid_id: int | None = None
    path: str = ""


def _places(session: Session, now: datetime) -> dict[str, _Place]:
    """Every address with hazard sources, with its sources, their findings and the cases at it."""
    window = timedelta(days=int(table()["findings"]["window_days"]))
    places: dict[str, _Place] = {}
    source_place: dict[int, str] = {}
    for sid, name, level, klass, code, text, grid_id, path in session.execute(
        select(
            HazardSource.id,
            HazardSource.name,
            HazardSource.risk_level,
            HazardClass.code,
            HazardSource.address_code,
            HazardSource.address_text,
            HazardSource.grid_id,
            HazardSource.division_path,
        )
        .join(HazardClass, HazardClass.id == HazardSource.class_id)
        .where(HazardSource.status == "active", HazardSource.address_code.is_not(None))
        .order_by(HazardSource.id)
    ):
        if code is None:
            continue
        label = RiskLevel(level).label if level in _LEVELS else level
        place = places.setdefault(code, _Place(code, None, [], name=text or name, grid_id=grid_id, path=path))
        place.sources.append((name, level, label, klass))
        source_place[sid] = code
    if not places:
        return places
    for sid, status in session.execute(
        select(Finding.source_id, Event.status)
        .outerjoin(Event, Event.id == Finding.case_id)
        .where(Finding.found_at >= now - window)
    ):
        found = places.get(source_place.get(sid, ""))
        if found is not None:
            if status in _OPEN:
                found.open_findings += 1
            else:
                found.rectified += 1
    ids = dict(session.execute(select(Address.code, Address.id).where(Address.code.in_(list(places)))).all())
    for code, place in places.items():
        place.address_id = ids.get(code)
    counts = dict(
        session.execute(
            select(Event.address_id, func.count())
            .where(Event.address_id.in_(list(ids.values())), Event.reported_at >= now - window)
            .group_by(Event.address_id)
        ).all()
    )
    for place in places.values():
        place.cases = int(counts.get(place.address_id, 0))
    return places


def _entities(session: Session) -> list[tuple[EntityRecord, str]]:
    """The block data's legal entities placed on an address (one per credit code), with that address's code."""
    out: list[tuple[EntityRecord, str]] = []
    seen: set[str] = set()
    for e, code in session.execute(
        select(EntityRecord, Address.code)
        .join(Address, Address.id == EntityRecord.address_id)
        .order_by(EntityRecord.id)
    ):
        key = e.uscc or f"id{e.id}"
        if key not in seen:
            seen.add(key)
            out.append((e, code))
    return out


def _cases_at(session: Session, address_ids: list[int], since: datetime) -> dict[int, int]:
    if not address_ids:
        return {}
    rows = session.execute(
        select(Event.address_id, func.count())
        .where(Event.address_id.in_(address_ids), Event.reported_at >= since)
        .group_by(Event.address_id)
    ).all()
    return {int(a): int(n) for a, n in rows if a is not None}


def grade_all(session: Session, actor: Principal, now: datetime | None = None) -> GradingResult:
    """Grade every subject anew; the grades of subjects no longer found are dropped."""
    if actor.role not in GRADERS:
        raise Forbidden("只有系统管理员可以运行企业风险分级", field="role")
    now = now or utcnow()
    places = _places(session, now)
    window = timedelta(days=int(table()["findings"]["window_days"]))
    entities = _entities(session)
    cases = _cases_at(session, sorted({e.address_id for e, _ in entities if e.address_id is not None}), now - window)
    subjects: dict[str, dict[str, Any]] = {}
    covered: set[str] = set()
    for e, code in entities:
        place = places.get(code)
        if place is not None:
            covered.add(code)
        subject = Subject(
            industry=e.industry or "未知行业",
            sources=tuple(place.sources) if place else (),
            open_findings=place.open_findings if place else 0,
            rectified_findings=place.rectified if place else 0,
            cases=cases.get(e.address_id or -1, 0),
        )
        key = f"entity:{e.uscc}" if e.uscc else f"entity-id:{e.id}"
        subjects[key] = {
            "entity_id": e.id,
            "name": e.name,
            "industry": e.industry,
            "address_code": code,
            "grid_id": e.grid_id,
            "path": e.division_path,
            "graded": score(subject),
        }
    for code, place in places.items():
        if code in covered:
            continue
        subject = Subject(
            sources=tuple(place.sources),
            open_findings=place.open_findings,
            rectified_findings=place.rectified,
            cases=place.cases,
        )
        subjects[f"address:{code}"] = {
            "entity_id": None,
            "name": place.name,
            "industry": "",
            "address_code": code,
            "grid_id": place.grid_id,
            "path": place.path,
            "graded": score(subject),
        }
    existing = {r.subject: r for r in session.scalars(select(RiskGradeRow))}
    result = GradingResult(by_grade=defaultdict(int))
    for key, s in subjects.items():
        g = s["graded"]
        row = existing.pop(key, None)
        before = row.grade if row is not None else None
        if row is None:
            row = RiskGradeRow(subject=key)
            session.add(row)
        row.entity_id, row.name, row.industry = s["entity_id"], s["name"][:200], (s["industry"] or "")[:64]
        row.address_code, row.grid_id, row.division_path = s["address_code"], s["grid_id"], s["path"]
        row.score, row.grade, row.graded_at = g.score, g.grade.value, now
        row.factors = [{"name": f.name, "detail": f.detail, "points": f.points} for f in g.factors]
        row.regulators = list(g.regulators)
        result.graded += 1
        assert result.by_grade is not None
        result.by_grade[g.grade.value] += 1
        if before != g.grade.value:
            result.changed += 1
            session.flush()
            data = {"subject": key, "before": before, "grade": g.grade.value, "score": g.score}
            bus.publish(session, "hazards.risk_grade_changed", "hazard_risk_grade", row.id, data, actor=actor, at=now)
    if existing:
        session.execute(delete(RiskGradeRow).where(RiskGradeRow.id.in_([r.id for r in existing.values()])))
    session.flush()
    summary = {
        "graded": result.graded,
        "changed": result.changed,
        "dropped": len(existing),
        "by_grade": dict(result.by_grade or {}),
    }
    record_audit(session, actor, HazardAudit.RISK_GRADE, "hazard_risk_grade", 0, summary)
    return result


def grades_by_address(session: Session, codes: list[str] | None = None) -> dict[str, RiskGrade]:
    """The highest grade of the subjects at each address (of `codes`, when given)."""
    out: dict[str, RiskGrade] = {}
    stmt = select(RiskGradeRow.address_code, RiskGradeRow.grade).where(RiskGradeRow.address_code.is_not(None))
    if codes is not None:
        stmt = stmt.where(RiskGradeRow.address_code.in_(codes))
    for code, grade in session.execute(stmt):
        g = RiskGrade(grade)
        if code is None:
            continue
        if code not in out or RANK[g] > RANK[out[code]]:
            out[code] = g
    return out


def plan_days(source: HazardSource, grades: dict[str, RiskGrade]) -> int:
    """A source's inspection period: its plan, shortened to what its place's grade asks."""
    return inspection_days(source.inspection_days, grades.get(source.address_code or ""))
