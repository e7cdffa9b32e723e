"""Model versions: train one, score it against the live one on held-out recent history, and let it go live only
if it is not worse; list the versions; put an older one back live (rollback). One service per action: permission,
the change, its audit row and its domain event; nothing commits here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gridgov.classify.audit import ClassifyAudit
from gridgov.classify.datafile import Labelled
from gridgov.classify.engine import EXTRA_WEIGHT, TextClassifier
from gridgov.classify.live import live_version, load_model
from gridgov.classify.metrics import Evaluation, evaluate
from gridgov.classify.models import ClassifierVersion, ClassifyLabel
from gridgov.classify.text import normalize, with_context
from gridgov.common.audit import record_audit
from gridgov.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from gridgov.common.events import bus
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of

VERSION_TRAINED = "classify.version_trained"
VERSION_LIVE = "classify.version_live"
MANAGERS = frozenset({Role.ADMIN, Role.SYSTEM})


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: str
    channel: str | None = None
    weight: float = 1.0  # below 1 for labelled texts of another kind (`engine.EXTRA_WEIGHT`)

    @property
    def doc(self) -> str:
        return with_context(self.text, self.channel)


def extra_examples(rows: Sequence[Labelled], dev: Sequence[Example]) -> list[Example]:
    """The train rows of a file of another kind of text (bodies beside titles, or titles beside bodies) as
    examples of weight `EXTRA_WEIGHT`. No leak into the dev score: a row whose normalised text equals a dev text
    is left out, and so is each dev text's nearest row (`nearest_left_out`), since two exports of one system may
    hold the title and the body of the same message without a key linking them."""
    held = {normalize(e.text) for e in dev}
    equal = [
        Example(r.text, r.label, r.channel, EXTRA_WEIGHT)
        for r in rows
        if r.split == "train" and normalize(r.text) not in held
    ]
    return nearest_left_out(equal, dev)


def nearest_left_out(extra: list[Example], held: Sequence[Example]) -> list[Example]:
    """`extra` without the nearest text of each held-out text (cosine of TF-IDF char 2–3-grams over the first 300
    characters, when they share any): a held-out title's own body goes, and some honest neighbours with it — the
    dev score stays conservative."""
    if not extra or not held:
        return extra
    vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), sublinear_tf=True)
    a = vec.fit_transform([e.text[:300] for e in extra] + [e.text[:300] for e in held])
    sims = (a[len(extra) :] @ a[: len(extra)].T).tocsr()
    best = np.asarray(sims.argmax(axis=1)).ravel()
    top = np.asarray(sims.max(axis=1).todense()).ravel()
    nearest = {int(i) for i, v in zip(best, top, strict=True) if v > 0}
    return [e for i, e in enumerate(extra) if i not in nearest]


@dataclass(frozen=True)
class Trained:
    version: ClassifierVersion
    score: Evaluation | None
    live_score: Evaluation | None


def _require_manager(actor: Principal) -> None:
    if actor.role not in MANAGERS:
        raise Forbidden("只有系统管理员可以管理分类模型", field="role")


def history_examples(session: Session) -> list[Example]:
    """The labels people gave (accepted, corrected, re-routed — not the returned ones, which say what a case is
    not), oldest first; the newest label of a case wins."""
    rows = session.scalars(
        select(ClassifyLabel).where(ClassifyLabel.kind != "returned").order_by(ClassifyLabel.at, ClassifyLabel.id)
    )
    latest: dict[int, ClassifyLabel] = {}
    for row in rows:
        latest.pop(row.event_id, None)
        latest[row.event_id] = row  # re-inserted: the dict keeps the order of the newest label
    return [Example(r.text, r.category_code, r.channel) for r in latest.values()]


def split_recent(examples: Sequence[Example], holdout: int) -> tuple[list[Example], list[Example]]:
    """Oldest to fit, the newest `holdout` (at most a fifth) to score."""
    n = min(holdout, len(examples) // 5)
    return list(examples[: len(examples) - n]), list(examples[len(examples) - n :])


def score(clf: TextClassifier, examples: Sequence[Example]) -> Evaluation | None:
    if not examples:
        return None
    return evaluate([e.label for e in examples], clf.predict([e.doc for e in examples]))


def train_version(
    session: Session,
    actor: Principal,
    train: Sequence[Example],
    holdout: Sequence[Example],
    *,
    source: str,
    out: Path,
    note: str = "",
    now: datetime | None = None,
) -> Trained:
    """Fit a model on `train`; score it and the live model on `holdout`; refuse it (Conflict, the file is not
    kept) when its macro-F1 is below the live one's; otherwise save it to `out` and make it live."""
    _require_manager(actor)
    now = now or utcnow()
    if not train:
        raise InvalidInput("没有可用于训练的标注数据", field="data")
    clf = TextClassifier().fit([e.doc for e in train], [e.label for e in train], [e.weight for e in train])
    new_score = score(clf, holdout)
    current = live_version(session)
    live_score = None
    if current is not None and holdout and Path(current.path).is_file():
        live_score = score(load_model(current.path), holdout)
    if new_score is not None and live_score is not None and new_score.macro_f1 < live_score.macro_f1:
        raise Conflict(
            f"新模型在近期历史留出集上的宏 F1 为 {new_score.macro_f1:.4f}，"
            f"低于现网模型（版本 {current.id if current else '-'}）的 {live_score.macro_f1:.4f}，未上线",
            field="model",
        )
    clf.save(out)
    session.execute(update(ClassifierVersion).where(ClassifierVersion.live.is_(True)).values(live=False))
    version = ClassifierVersion(
        path=str(out.resolve()),
        source=source,
        trained_at=now,
        trained_by_id=actor.user_id,
        n_train=len(train),
        n_holdout=len(holdout),
        accuracy=new_score.accuracy if new_score else None,
        macro_f1=new_score.macro_f1 if new_score else None,
        live_macro_f1=live_score.macro_f1 if live_score else None,
        labels=clf.labels,
        live=True,
        note=note[:300],
    )
    session.add(version)
    session.flush()
    detail2: dict[str, object] = {"source": source, "n_train": len(train), "n_holdout": len(holdout)}
    detail2.update({"macro_f1": version.macro_f1, "live_macro_f1": version.live_macro_f1})
    record_audit(session, actor, ClassifyAudit.TRAIN, "classifier_version", version.id, detail2)
    bus.publish(session, VERSION_TRAINED, "classifier_version", version.id, detail2, actor=actor, at=now)
    return Trained(version, new_score, live_score)


def retrain_from_history(session: Session, actor: Principal, out: Path, now: datetime | None = None) -> Trained:
    examples = history_examples(session)
    train, holdout = split_recent(examples, settings_of(session).classify_holdout)
    return train_version(session, actor, train, holdout, source="history", out=out, now=now)


def list_versions(session: Session, actor: Principal) -> list[ClassifierVersion]:
    _require_manager(actor)
    return list(session.scalars(select(ClassifierVersion).order_by(ClassifierVersion.id.desc())))


def make_live(session: Session, actor: Principal, version_id: int, now: datetime | None = None) -> ClassifierVersion:
    """Rollback (or forward): the named version becomes the live one."""
    _require_manager(actor)
    now = now or utcnow()
    version = session.get(ClassifierVersion, version_id)
    if version is None:
        raise NotFound(f"模型版本 {version_id} 不存在", field="version_id")
    if not Path(version.path).is_file():
        raise Conflict(f"模型版本 {version_id} 的文件已不存在，不能上线", field="version_id")
    if version.live:
        return version
    before = live_version(session)
    session.execute(update(ClassifierVersion).where(ClassifierVersion.live.is_(True)).values(live=False))
    version.live = True
    detail: dict[str, object] = {"from": before.id if before else None, "to": version.id}
    record_audit(session, actor, ClassifyAudit.ROLLBACK, "classifier_version", version.id, detail)
    bus.publish(session, VERSION_LIVE, "classifier_version", version.id, detail, actor=actor, at=now)
    return version
