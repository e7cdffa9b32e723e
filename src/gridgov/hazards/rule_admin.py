"""Alarm rules edited by the administrator, and a rule's dry run against a device's recorded telemetry (what it
would have raised, escalated and cleared) before it is saved."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.errors import Forbidden, InvalidInput, NotFound
from gridgov.common.events import bus
from gridgov.common.principal import Principal, Role
from gridgov.common.timeutil import utcnow
from gridgov.hazards.audit import HazardAudit
from gridgov.hazards.models import AlarmRuleRow, Device, Telemetry
from gridgov.hazards.rules import evaluate, new_state, parse_rule


def _admin(actor: Principal) -> None:
    if actor.role != Role.ADMIN:
        raise Forbidden("只有系统管理员可以修改告警规则", field="role")


def edit_rule(
    session: Session, actor: Principal, code: str, *, name: str, enabled: bool, spec: dict[str, Any]
) -> AlarmRuleRow:
    _admin(actor)
    row = session.scalar(select(AlarmRuleRow).where(AlarmRuleRow.code == code))
    if row is None:
        raise NotFound(f"告警规则“{code}”不存在", field="code")
    parse_rule(spec, "spec")
    before = {"name": row.name, "enabled": row.enabled, "spec": row.spec}
    row.name, row.enabled, row.spec, row.updated_at = name.strip(), enabled, spec, utcnow()
    record_audit(session, actor, HazardAudit.RULE_EDIT, "alarm_rule", row.id, {"code": code, "before": before})
    bus.publish(session, "hazards.rule_edited", "alarm_rule", row.id, {"code": code}, actor=actor)
    return row


def dry_run(
    session: Session, actor: Principal, spec: dict[str, Any], device_code: str, limit: int = 10000
) -> tuple[int, list[dict[str, Any]]]:
    """Replay the device's last `limit` samples through the rule from a blank memory; nothing is written."""
    _admin(actor)
    rule = parse_rule(spec, "spec")
    device_id = session.scalar(select(Device.id).where(Device.code == device_code))
    if device_id is None:
        raise InvalidInput(f"设备“{device_code}”不存在", field="device_code")
    rows = list(
        session.execute(
            select(Telemetry.ts, Telemetry.values)
            .where(Telemetry.device_id == device_id)
            .order_by(Telemetry.ts.desc())
            .limit(limit)
        )
    )
    rows.reverse()
    state = new_state()
    outcomes = []
    for ts, values in rows:
        out = evaluate(rule, state, ts / 1000.0, values)
        if out is not None:
            outcomes.append(
                {
                    "at": datetime.fromtimestamp(out.ts, UTC).isoformat(),
                    "change": out.change.value,
                    "change_label": out.change.label,
                    "severity": out.severity.value if out.severity else None,
                    "reason": out.reason,
                }
            )
    return len(rows), outcomes
