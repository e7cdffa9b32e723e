"""The classify context's tables: model versions (one live), the suggestions made for each case, the labels the
dispatchers' choices and corrections give, and the per-小类 auto-dispatch thresholds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.common.choices import ChoiceSet, published
from gridgov.db import Base, UTCDateTime


@published("classify_label_kind")
class LabelKind(ChoiceSet):
    ACCEPTED = ("accepted", "采纳建议", "#5ad8a6")
    RECATEGORIZED = ("recategorized", "改判小类", "#f6bd16")
    RETURNED = ("returned", "误派退回", "#e8684a")
    REROUTED = ("rerouted", "重新派遣", "#9270ca")


class ClassifierVersion(Base):
    __tablename__ = "classifier_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(16))  # demo | file | history
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime())
    trained_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    n_train: Mapped[int] = mapped_column(Integer)
    n_holdout: Mapped[int] = mapped_column(Integer)
    accuracy: Mapped[float | None] = mapped_column(Float)
    macro_f1: Mapped[float | None] = mapped_column(Float)
    live_macro_f1: Mapped[float | None] = mapped_column(Float)  # the model it replaced, on the same holdout
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    live: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    note: Mapped[str] = mapped_column(String(300), default="")


class ClassifyPrediction(Base):
    """What the live model suggested for a case at intake (the text it read, so that labels can be learned)."""

    __tablename__ = "classify_prediction"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, index=True, unique=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("classifier_version.id"))
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32))
    top: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"code", "name", "confidence"}]
    confidence: Mapped[float] = mapped_column(Float)
    auto: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ClassifyLabel(Base):
    """A person's word on a case's 小类: a suggestion accepted, a category corrected, a mis-dispatch returned."""

    __tablename__ = "classify_label"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, index=True)
    text: Mapped[str] = mapped_column(Text)
    channel: Mapped[str | None] = mapped_column(String(32))
    category_code: Mapped[str] = mapped_column(String(8))
    predicted_code: Mapped[str | None] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ClassifyThreshold(Base):
    """The confidence above which a 小类's reports are filed and dispatched without a person (default in
    settings)."""

    __tablename__ = "classify_threshold"

    category_code: Mapped[str] = mapped_column(String(8), primary_key=True)
    threshold: Mapped[float] = mapped_column(Float)
