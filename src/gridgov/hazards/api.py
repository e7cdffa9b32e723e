"""`/api/hazards`: devices post telemetry with their key; the centres read hazard sources, alarms and the map
layer in their scope and acknowledge or clear alarms; the administrator edits rules and dry-runs them."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.errors import Forbidden, InvalidInput, NotAuthenticated
from gridgov.common.principal import Role
from gridgov.common.timeutil import utcnow
from gridgov.common.uow import UnitOfWork
from gridgov.hazards import alarms, crowd, queries, rule_admin
from gridgov.hazards.alarms import DeviceInfo
from gridgov.hazards.ingest import ingest, keep_reject
from gridgov.hazards.inspection_api import router as inspection_router
from gridgov.hazards.models import AlarmRuleRow, HazardClass
from gridgov.hazards.payload import parse_samples
from gridgov.hazards.registry import device_by_key, device_types
from gridgov.hazards.risk_api import router as risk_router
from gridgov.hazards.schemas import (
    AlarmOut,
    ClearIn,
    CrowdHeatOut,
    CrowdPointOut,
    DeviceOut,
    DryRunIn,
    DryRunOut,
    IngestOut,
    RuleIn,
    RuleOut,
    SourceOut,
)
from gridgov.org.deps import PrincipalDep, SessionDep

router = APIRouter(prefix="/api/hazards", tags=["hazards"])

_SAMPLE = {
    "type": "object",
    "properties": {
        "ts": {"type": "integer", "description": "毫秒时间戳"},
        "values": {"type": "object", "additionalProperties": {"type": "number"}},
    },
    "required": ["values"],
}
_TELEMETRY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "array", "items": _SAMPLE, "maxItems": 1000}}},
    }
}


def _ingest(session: Session, key: str | None, raw: bytes) -> IngestOut:
    device = device_by_key(session, key)
    if device is None:
        raise NotAuthenticated("设备密钥无效或设备已停用", field="X-Device-Key")
    now = utcnow()
    try:
        samples = parse_samples(json.loads(raw), now.timestamp())
    except (ValueError, InvalidInput) as exc:
        err = exc if isinstance(exc, InvalidInput) else InvalidInput("遥测数据不是有效的 JSON", field="body")
        with UnitOfWork(session):
            keep_reject(session, "http", raw.decode("utf-8", "replace"), err.message, err.field, device)
        raise err from None
    info = DeviceInfo.of(device)
    with UnitOfWork(session):
        result = ingest(session, [(info, samples)], now=now)
    c = result.changes
    return IngestOut(accepted=result.messages, raised=c["create"], escalated=c["escalate"], cleared=c["clear"])


@router.post(
    "/telemetry",
    response_model=IngestOut,
    summary="设备上报遥测（X-Device-Key 设备密钥）",
    openapi_extra=_TELEMETRY_BODY,
    responses={401: {"description": "设备密钥无效或设备已停用"}, 413: {"description": "请求体过大"}},
)
async def post_telemetry(
    request: Request, session: SessionDep, x_device_key: Annotated[str | None, Header(description="设备密钥")] = None
) -> IngestOut:
    raw = await request.body()
    return await run_in_threadpool(_ingest, session, x_device_key, raw)


@router.get("/classes", summary="隐患类别与设备类型")
def classes(session: SessionDep, actor: PrincipalDep) -> dict[str, Any]:
    rows = session.scalars(select(HazardClass).order_by(HazardClass.id))
    return {
        "classes": [{"code": c.code, "name": c.name, "color": c.color, "category_code": c.category_code} for c in rows],
        "device_types": [{"code": t["code"], "name": t["name"], "keys": t["keys"]} for t in device_types().values()],
    }


@router.get("/sources", response_model=list[SourceOut], summary="隐患源（本人管辖范围内，可按类别、风险等级筛选）")
def sources(
    session: SessionDep,
    actor: PrincipalDep,
    class_code: Annotated[str | None, Query(max_length=32)] = None,
    risk_level: Annotated[str | None, Query(max_length=16)] = None,
) -> list[SourceOut]:
    return queries.list_sources(session, actor, class_code=class_code, risk_level=risk_level)


@router.get(
    "/crowd-heat", response_model=CrowdHeatOut, summary="人流热力：客流计数设备最近 15 分钟的人员密度（本人管辖范围内）"
)
def crowd_heat(session: SessionDep, actor: PrincipalDep) -> CrowdHeatOut:
    points, scale = crowd.crowd_heat(session, actor)
    return CrowdHeatOut(points=[CrowdPointOut(**asdict(p)) for p in points], scale=scale)


@router.get("/alarms", response_model=list[AlarmOut], summary="物联告警（本人管辖范围内）")
def alarm_list(
    session: SessionDep,
    actor: PrincipalDep,
    active: bool = True,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[AlarmOut]:
    return queries.list_alarms(session, actor, active_only=active, limit=limit)


@router.post("/alarms/{alarm_id}/acknowledge", response_model=AlarmOut, summary="确认告警（不解除）")
def acknowledge(alarm_id: int, session: SessionDep, actor: PrincipalDep) -> AlarmOut:
    with UnitOfWork(session):
        alarm = alarms.acknowledge_alarm(session, actor, alarm_id)
    return queries.alarm_by_id(session, actor, alarm.id)


@router.post("/alarms/{alarm_id}/clear", response_model=AlarmOut, summary="人工解除告警（须填原因）")
def clear(alarm_id: int, body: ClearIn, session: SessionDep, actor: PrincipalDep) -> AlarmOut:
    with UnitOfWork(session):
        alarm = alarms.clear_alarm(session, actor, alarm_id, body.note)
    return queries.alarm_by_id(session, actor, alarm.id)


def _rule_out(r: AlarmRuleRow) -> RuleOut:
    return RuleOut(code=r.code, name=r.name, device_type=r.device_type, enabled=r.enabled, spec=r.spec)


@router.get("/rules", response_model=list[RuleOut], summary="告警规则（管理员）")
def rules(session: SessionDep, actor: PrincipalDep) -> list[RuleOut]:
    if actor.role != Role.ADMIN:
        raise Forbidden("只有系统管理员可以查看告警规则", field="role")
    return [_rule_out(r) for r in session.scalars(select(AlarmRuleRow).order_by(AlarmRuleRow.id))]


@router.put("/rules/{code}", response_model=RuleOut, summary="修改告警规则（管理员）")
def put_rule(code: str, body: RuleIn, session: SessionDep, actor: PrincipalDep) -> RuleOut:
    with UnitOfWork(session):
        row = rule_admin.edit_rule(session, actor, code, name=body.name, enabled=body.enabled, spec=body.spec)
        out = _rule_out(row)
    return out


@router.get(
    "/devices", response_model=list[DeviceOut], summary="物联设备（管理员；可按设备类型筛选，供规则试运行选择）"
)
def devices(
    session: SessionDep,
    actor: PrincipalDep,
    device_type: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[DeviceOut]:
    if actor.role != Role.ADMIN:
        raise Forbidden("只有系统管理员可以查看设备清单", field="role")
    return queries.list_devices(session, device_type, limit)


@router.post("/rules/dry-run", response_model=DryRunOut, summary="规则试运行：用设备的历史遥测回放（不写入）")
def dry_run(body: DryRunIn, session: SessionDep, actor: PrincipalDep) -> DryRunOut:
    samples, outcomes = rule_admin.dry_run(session, actor, body.spec, body.device_code, body.limit)
    return DryRunOut(samples=samples, outcomes=outcomes)


router.include_router(inspection_router)
router.include_router(risk_router)
