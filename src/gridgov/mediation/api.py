"""`/api/mediation`: disputes (受理, the stage actions, reads by stage), the agreement documents, joint-mediation
task feedback, mediators and dispute types. Each write is one service call in one unit of work."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from gridgov.common.errors import NotFound
from gridgov.common.principal import Principal
from gridgov.common.uow import UnitOfWork
from gridgov.mediation import assignment, documents, figures, scans, services, views
from gridgov.mediation.channel import refer_case, submit_dispute
from gridgov.mediation.dispute_types import dispute_types
from gridgov.mediation.schemas import (
    AssignIn,
    DisputeCreate,
    DisputeDetail,
    DisputeRow,
    NoteIn,
    PartyOut,
    SessionIn,
    TermsIn,
    TransferIn,
)
from gridgov.org.deps import PrincipalDep, SessionDep, SettingsDep

router = APIRouter(prefix="/api/mediation", tags=["mediation"])
EXPORTS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/types", summary="纠纷类型")
def types(_actor: PrincipalDep) -> list[dict[str, str]]:
    return [{"code": t.code, "label": t.label, "color": t.color} for t in dispute_types().values()]


@router.get("/disputes", response_model=list[DisputeRow], summary="我辖区的矛盾纠纷（可按阶段筛选）")
def list_disputes(
    session: SessionDep,
    actor: PrincipalDep,
    stage: str | None = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DisputeRow]:
    return views.list_disputes(session, actor, stage, mine, limit)


@router.get("/stages", summary="各阶段纠纷数")
def stages(session: SessionDep, actor: PrincipalDep) -> dict[str, int]:
    return views.stage_counts(session, actor)


@router.post("/disputes", response_model=DisputeDetail, status_code=201, summary="受理矛盾纠纷")
def create(body: DisputeCreate, session: SessionDep, actor: PrincipalDep) -> DisputeDetail:
    with UnitOfWork(session):
        cmd = body.to_command()
        if cmd.source_event_id is not None:  # a case already in the ledger: referred, no second case
            dispute = refer_case(session, actor, cmd.source_event_id, cmd)
        else:
            dispute = submit_dispute(session, actor, cmd)
    return views.detail(session, actor, dispute.id)


@router.get("/disputes/{dispute_id}", response_model=DisputeDetail, summary="纠纷详情（当事人信息已脱敏）")
def get_dispute(dispute_id: int, session: SessionDep, actor: PrincipalDep) -> DisputeDetail:
    return views.detail(session, actor, dispute_id)


@router.get("/disputes/{dispute_id}/parties", response_model=list[PartyOut], summary="当事人完整信息（有权限者，留痕）")
def parties_full(dispute_id: int, session: SessionDep, actor: PrincipalDep) -> list[PartyOut]:
    with UnitOfWork(session):
        return views.parties_unmasked(session, actor, dispute_id)


@router.post(
    "/disputes/{dispute_id}/assign", response_model=DisputeDetail, summary="分派（按分派规则，联调时每个单位一个任务）"
)
def assign(dispute_id: int, body: AssignIn, session: SessionDep, actor: PrincipalDep) -> DisputeDetail:
    with UnitOfWork(session):
        assignment.assign_dispute(session, actor, dispute_id, body.mediator_id)
    return views.detail(session, actor, dispute_id)


@router.post("/disputes/{dispute_id}/sessions", response_model=DisputeDetail, summary="记录一次调解")
def hold_session(dispute_id: int, body: SessionIn, session: SessionDep, actor: PrincipalDep) -> DisputeDetail:
    with UnitOfWork(session):
        services.hold_session(session, actor, dispute_id, body.held_at, body.notes, body.mediator_ids)
    return views.detail(session, actor, dispute_id)


@router.post("/disputes/{dispute_id}/agree", response_model=DisputeDetail, summary="达成协议")
def agree(dispute_id: int, body: TermsIn, session: SessionDep, actor: PrincipalDep) -> DisputeDetail:
    with UnitOfWork(session):
        services.agree(session, actor, dispute_id, body.terms)
    return views.detail(session, actor, dispute_id)


@router.post("/disputes/{dispute_id}/fail", response_model=DisputeDetail, summary="调解未达成")
def fail(dispute_id: int, body: NoteIn, session: SessionDep, actor: PrincipalDep) -> DisputeDetail:
    with UnitOfWork(session):
        services.fail(session, actor, dispute_id, body.note)
    return views.detail(session, actor, dispute_id)


@router.post("/disputes/{dispute_id}/confirm", response_model=DisputeDetail, summary="司法确认")
def confirm(dispute_id: int, body: NoteIn, session: SessionDep, actor: PrincipalDep) -> DisputeDetail:
    with UnitOfWork(session):
        services.confirm(session, actor, dispute_id, body.note)
    return views.detail(session, actor, dispute_id)


@router.post("/disputes/{dispute_id}/transfer", response_model=DisputeDetail, summary="转入仲裁、行政裁决、诉讼或信访")
def transfer(dispute_id: int, body: TransferIn, session: SessionDep, actor: PrincipalDep) -> DisputeDetail:
    with UnitOfWork(session):
        services.transfer(session, actor, dispute_id, body.destination, body.note)
    return views.detail(session, actor, dispute_id)


@router.post("/disputes/{dispute_id}/follow-up", response_model=DisputeDetail, summary="回访")
def follow_up(dispute_id: int, body: NoteIn, session: SessionDep, actor: PrincipalDep) -> DisputeDetail:
    with UnitOfWork(session):
        services.follow_up(session, actor, dispute_id, body.note)
    return views.detail(session, actor, dispute_id)


@router.post("/disputes/{dispute_id}/close", response_model=DisputeDetail, summary="结案")
def close(dispute_id: int, session: SessionDep, actor: PrincipalDep) -> DisputeDetail:
    with UnitOfWork(session):
        services.close(session, actor, dispute_id)
    return views.detail(session, actor, dispute_id)


NOT_AGREED: dict[int | str, dict[str, Any]] = {409: {"description": "纠纷尚未达成协议，不能生成文书"}}


def _document(session: Session, actor: Principal, dispute_id: int, fmt: str, kind: str) -> Response:
    with UnitOfWork(session):
        doc = documents.agreement_document(session, actor, dispute_id, fmt, kind=kind)
    quoted = doc.filename.encode("utf-8").hex()
    disposition = f"attachment; filename={kind}.{fmt}; filename*=UTF-8''" + "".join(
        f"%{quoted[i : i + 2]}" for i in range(0, len(quoted), 2)
    )
    return Response(doc.content, media_type=doc.media_type, headers={"Content-Disposition": disposition})


@router.get("/disputes/{dispute_id}/agreement.{fmt}", summary="调解协议书（PDF 或 DOCX）", responses=NOT_AGREED)
def agreement(dispute_id: int, fmt: str, session: SessionDep, actor: PrincipalDep) -> Response:
    return _document(session, actor, dispute_id, fmt, "agreement")


@router.get("/disputes/{dispute_id}/confirmation.{fmt}", summary="司法确认申请书（PDF 或 DOCX）", responses=NOT_AGREED)
def confirmation(dispute_id: int, fmt: str, session: SessionDep, actor: PrincipalDep) -> Response:
    return _document(session, actor, dispute_id, fmt, "confirmation")


@router.post("/disputes/{dispute_id}/scans", status_code=201, summary="上传签字扫描件（协议书、司法确认申请书等）")
async def upload_scan(
    dispute_id: int,
    session: SessionDep,
    actor: PrincipalDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="JPEG、PNG、WebP、HEIC 图片或 PDF")],
    kind: Annotated[str, Form(max_length=16, description="agreement / confirmation / other")] = "agreement",
    note: Annotated[str, Form(max_length=200)] = "",
) -> dict[str, Any]:
    data = await file.read(settings.max_upload_bytes + 1)
    with UnitOfWork(session):
        scan = scans.attach_scan(
            session, actor, dispute_id, data, kind, note, settings.attachments_dir, settings.max_upload_bytes
        )
        scan_id = scan.id
    return next(row for row in scans.list_scans(session, actor, dispute_id) if row["id"] == scan_id)


@router.get("/disputes/{dispute_id}/scans", summary="纠纷的签字扫描件")
def list_scans(dispute_id: int, session: SessionDep, actor: PrincipalDep) -> list[dict[str, Any]]:
    return scans.list_scans(session, actor, dispute_id)


@router.get("/disputes/{dispute_id}/scans/{scan_id}", summary="下载签字扫描件（以附件下载，禁止内容嗅探）")
def download_scan(
    dispute_id: int, scan_id: int, session: SessionDep, actor: PrincipalDep, settings: SettingsDep
) -> FileResponse:
    with UnitOfWork(session):
        found = scans.open_scan(session, actor, dispute_id, scan_id, settings.attachments_dir)
    return FileResponse(found.path, media_type=found.content_type, headers=found.headers)


@router.post("/tasks/{task_id}/done", summary="联调任务反馈")
def task_done(task_id: int, body: NoteIn, session: SessionDep, actor: PrincipalDep) -> dict[str, Any]:
    with UnitOfWork(session):
        task = assignment.complete_task(session, actor, task_id, body.note)
    return {"id": task.id, "status": task.status}


@router.get("/mediators", summary="本辖区的调解员")
def mediators(session: SessionDep, actor: PrincipalDep) -> list[dict[str, object]]:
    return views.mediators(session, actor)


ByQ = Annotated[Literal["centre", "mediator"], Query(description="centre 按调解中心 / mediator 按调解员")]


@router.get("/figures", summary="调解成效：成功率、达成协议用时、司法确认、转入去向（按中心或调解员）")
def get_figures(session: SessionDep, actor: PrincipalDep, by: ByQ = "centre") -> dict[str, Any]:
    return figures.figures(session, actor, by)


@router.get(
    "/figures.{fmt}",
    summary="导出调解成效（CSV 或 Excel）",
    responses={404: {"description": "导出格式不存在（csv 或 xlsx）"}},
)
def export_figures(fmt: str, session: SessionDep, actor: PrincipalDep, by: ByQ = "centre") -> Response:
    if fmt not in EXPORTS:
        raise NotFound("导出格式只有 csv 和 xlsx", field="fmt")
    rows = figures.table(figures.figures(session, actor, by))
    content = figures.to_csv(rows) if fmt == "csv" else figures.to_xlsx(rows, "调解成效")
    name = f"mediation-figures-{by}.{fmt}"
    return Response(content, media_type=EXPORTS[fmt], headers={"Content-Disposition": f"attachment; filename={name}"})


@router.get("/high-risk", summary="高风险矛盾纠纷（领导大屏，附风险说明）")
def get_high_risk(session: SessionDep, actor: PrincipalDep) -> list[dict[str, Any]]:
    return figures.high_risk(session, actor)
