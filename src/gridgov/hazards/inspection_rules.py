"""Inspections (巡查检查) of hazard sources, the pure part (no I/O): when the next one falls due, how a filled-in
checklist is checked and which items are findings, the rectification deadline a finding gets, and how far up the
tiers an overdue inspection has been escalated.

* Due: a source's first inspection is due FIRST_DAYS after it is registered (sooner when its plan is shorter);
  each next one `inspection_days` after the previous one was done (the risk grade will shorten the plan later
  by changing `inspection_days`).
* A result answers every checklist item exactly once, passed or not; a failed item is a finding and needs a
  note saying what was found. Every refusal names the field (``results[2].note``).
* A finding's rectification deadline follows the source's risk level (重大 1 day … 低 15 days).
* Overdue: an inspection not done by its due time escalates like a case, one tier at a time — 社区 at once,
  街道 after ESCALATE_DAYS[1] days overdue, 区 after ESCALATE_DAYS[2]."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gridgov.common.choices import ChoiceSet, published
from gridgov.common.errors import InvalidInput

NOTE_MAX = 500


@published("hazard_inspection_status")
class InspectionStatus(ChoiceSet):
    DUE = ("due", "待巡查", "#1677ff")
    DONE = ("done", "已巡查", "#52c41a")


TIERS = ("community", "street", "district")  # the org levels an overdue inspection is escalated to, in order
TIER_LABELS = {"community": "社区", "street": "街道", "district": "区"}
ESCALATE_DAYS = (0.0, 3.0, 7.0)  # days overdue at which each tier is reached
FIRST_DAYS = 3
RECTIFY_DAYS = {"major": 1, "high": 3, "medium": 7, "low": 15}


@dataclass(frozen=True, slots=True)
class ItemResult:
    item: str
    ok: bool
    note: str


def next_due(previous: datetime, inspection_days: int) -> datetime:
    return previous + timedelta(days=max(1, inspection_days))


def first_due(registered_at: datetime, inspection_days: int) -> datetime:
    return registered_at + timedelta(days=min(FIRST_DAYS, max(1, inspection_days)))


def rectify_deadline(found_at: datetime, risk_level: str) -> datetime:
    return found_at + timedelta(days=RECTIFY_DAYS.get(risk_level, RECTIFY_DAYS["medium"]))


def tier_reached(due_at: datetime, now: datetime) -> int:
    """How many tiers an inspection due at `due_at` has reached by `now` (0: not overdue)."""
    if now <= due_at:
        return 0
    days = (now - due_at).total_seconds() / 86400
    return sum(1 for d in ESCALATE_DAYS if days >= d)


def check_results(checklist: Sequence[str], results: Any) -> list[ItemResult]:
    """The filled-in checklist, in checklist order; refused with the field named."""
    if not isinstance(results, list) or not results:
        raise InvalidInput("请逐项填写检查结果", field="results")
    wanted = list(checklist)
    seen: dict[str, ItemResult] = {}
    for i, raw in enumerate(results):
        field = f"results[{i}]"
        if not isinstance(raw, Mapping):
            raise InvalidInput("每项结果应为对象 {item, ok, note}", field=field)
        item, ok, note = raw.get("item"), raw.get("ok"), raw.get("note") or ""
        if not isinstance(item, str) or item not in wanted:
            listed = "、".join(wanted)
            raise InvalidInput(f"检查项“{item}”不在本隐患源的检查清单中；清单：{listed}", field=f"{field}.item")
        if item in seen:
            raise InvalidInput(f"检查项“{item}”重复填写", field=f"{field}.item")
        if not isinstance(ok, bool):
            raise InvalidInput("请选择“合格”或“发现问题”", field=f"{field}.ok")
        if not isinstance(note, str) or len(note) > NOTE_MAX:
            raise InvalidInput(f"说明应为不超过 {NOTE_MAX} 字的文字", field=f"{field}.note")
        if not ok and not note.strip():
            raise InvalidInput(f"“{item}”发现问题，请说明发现的情况", field=f"{field}.note")
        seen[item] = ItemResult(item, ok, note.strip())
    missing = [w for w in wanted if w not in seen]
    if missing:
        raise InvalidInput(f"还有检查项未填写：{'、'.join(missing)}", field="results")
    return [seen[w] for w in wanted]


def findings(results: Sequence[ItemResult]) -> list[ItemResult]:
    return [r for r in results if not r.ok]
