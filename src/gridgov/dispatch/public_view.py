"""What a reporter without a staff role sees of a case's history — the anonymous 随手拍 follow-up and a
logged-in resident alike: the steps that tell the public where the case stands, without who did them (staff ids),
without the internal steps (督办, escalation, extensions, co-department reports, SLA warnings) and with notes and
photos only where they are meant for the reporter (the reason for 不立案, the result, the verification)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from gridgov.common.principal import Principal, Role
from gridgov.dispatch.rules import Action


class StepRow(Protocol):
    """A history row as read back (EventTransition) or as just written (its SimpleNamespace)."""

    id: int
    action: str
    from_status: str
    to_status: str
    at: datetime
    note: str | None
    attachments: list[str]


PUBLIC_NOTES = frozenset(
    {Action.REJECT, Action.HANDLE, Action.VERIFY_PASS, Action.VERIFY_FAIL, Action.RETURN, Action.RATE, Action.REOPEN}
)
PUBLIC_PHOTOS = frozenset({Action.REPORT, Action.HANDLE, Action.VERIFY_PASS, Action.VERIFY_FAIL})
INTERNAL_STEPS = frozenset(
    {
        Action.SUPERVISE,
        Action.ESCALATE,
        Action.REQUEST_EXTENSION,
        Action.APPROVE_EXTENSION,
        Action.DENY_EXTENSION,
        Action.CO_REPORT,
        Action.WARN_YELLOW,
        Action.WARN_RED,
    }
)


@dataclass(frozen=True)
class PublicStep:
    id: int
    action: str
    label: str
    from_status: str
    to_status: str
    at: datetime
    note: str | None
    photos: list[str]


def sees_public_view(actor: Principal) -> bool:
    """Residents (with an account or through a follow-up token) get the public projection of a case."""
    return actor.role == Role.RESIDENT


def public_steps(history: Iterable[StepRow]) -> list[PublicStep]:
    steps = []
    for h in history:
        action = Action(h.action)
        if action in INTERNAL_STEPS:
            continue
        steps.append(
            PublicStep(
                id=h.id,
                action=action.value,
                label=action.label,
                from_status=h.from_status,
                to_status=h.to_status,
                at=h.at,
                note=h.note if action in PUBLIC_NOTES else None,
                photos=list(h.attachments) if action in PUBLIC_PHOTOS else [],
            )
        )
    return steps
