"""The live classifier and what it suggests at intake: the three best 小类 with calibrated confidences and
whether the best clears its threshold for automatic dispatch. The loaded model is kept per file (versions never
change a file), so that intake pays the prediction only."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from gridgov.catalog import cache as catalog_cache
from gridgov.classify.batch_text import with_context_many
from gridgov.classify.engine import TextClassifier
from gridgov.classify.models import ClassifierVersion, ClassifyPrediction, ClassifyThreshold
from gridgov.db import settings_of

_lock = threading.Lock()
_loaded: dict[str, TextClassifier] = {}


@dataclass(frozen=True, slots=True)
class Option:
    code: str
    name: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Suggestions:
    version_id: int
    options: tuple[Option, ...]
    auto: bool  # the best option clears its 小类's threshold

    @property
    def best(self) -> Option:
        return self.options[0]


def load_model(path: str) -> TextClassifier:
    with _lock:
        clf = _loaded.get(path)
    if clf is None:
        clf = TextClassifier.load(Path(path))
        with _lock:
            _loaded[path] = clf
    return clf


def preload(session: Session) -> None:
    """Load the live model's file ahead of the first report (at app start-up); one prediction warms it up."""
    version = live_version(session)
    if version is not None and Path(version.path).is_file():
        load_model(version.path).top(with_context_many(["预热"]), k=1)


def forget() -> None:
    with _lock:
        _loaded.clear()


def live_version(session: Session) -> ClassifierVersion | None:
    return session.scalars(
        select(ClassifierVersion).where(ClassifierVersion.live.is_(True)).order_by(ClassifierVersion.id.desc())
    ).first()


def thresholds(session: Session) -> dict[str, float]:
    return {
        code: t for code, t in session.execute(select(ClassifyThreshold.category_code, ClassifyThreshold.threshold))
    }


def suggest(session: Session, items: Sequence[tuple[str, str | None]]) -> list[Suggestions | None]:
    """For each (text, channel): the live model's three best active 小类 of the catalog, or None for every item
    when no model is live (the reports then wait for a dispatcher, as before)."""
    version = live_version(session) if items else None
    if version is None or not Path(version.path).is_file():
        return [None] * len(items)
    clf = load_model(version.path)
    by_code = catalog_cache.snapshot(session).by_code
    default = settings_of(session).classify_auto_threshold
    limits = thresholds(session)
    out: list[Suggestions | None] = []
    for scored in clf.top(with_context_many([t for t, _ in items], [ch for _, ch in items]), k=3):
        options = tuple(
            Option(s.label, by_code[s.label].name, round(s.confidence, 4))
            for s in scored
            if s.label in by_code and by_code[s.label].parent_id is not None and by_code[s.label].active
        )
        if not options:
            out.append(None)
            continue
        auto = options[0].confidence >= limits.get(options[0].code, default)
        out.append(Suggestions(version.id, options, auto))
    return out


def record(session: Session, rows: Sequence[tuple[int, str, str | None, Suggestions]], now: datetime) -> None:
    """Keep what was suggested for each new case (event id, text, channel, suggestions) in one statement."""
    if not rows:
        return
    values = [
        {
            "event_id": event_id,
            "version_id": s.version_id,
            "text": text,
            "channel": channel,
            "top": [{"code": o.code, "name": o.name, "confidence": o.confidence} for o in s.options],
            "confidence": s.best.confidence,
            "auto": s.auto,
            "at": now,
        }
        for event_id, text, channel, s in rows
    ]
    session.execute(insert(ClassifyPrediction), values)


def predictions_for(session: Session, event_ids: Sequence[int]) -> dict[int, ClassifyPrediction]:
    if not event_ids:
        return {}
    rows = session.scalars(select(ClassifyPrediction).where(ClassifyPrediction.event_id.in_(list(event_ids))))
    return {r.event_id: r for r in rows}
