"""HTTP entry points of block data: import a department file, its error report, column mappings, exact lookups,
the audited reveal of one record's PII and the profile of a standard address (一楼一档)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.blockdata import importing, profile, progress, protect, queries
from gridgov.blockdata.fileio import read_table
from gridgov.blockdata.models import PersonRecord
from gridgov.blockdata.rules import FIELDS
from gridgov.blockdata.schemas import (
    BatchOut,
    ImportOut,
    MappingIn,
    MappingOut,
    PersonOut,
    ProfileOut,
    RevealOut,
)
from gridgov.common.errors import InvalidInput, NotFound
from gridgov.common.principal import Principal
from gridgov.common.uow import UnitOfWork
from gridgov.org.deps import PrincipalDep, SessionDep

router = APIRouter(prefix="/api/blockdata", tags=["blockdata"])
Kind = Literal["person", "entity", "rental"]
MAX_FILE = 64 * 1024 * 1024


@router.post("/import", response_model=ImportOut, summary="导入部门数据（CSV/Excel，逐行校验，全部通过才写入）")
def import_file(
    session: SessionDep,
    actor: PrincipalDep,
    file: Annotated[UploadFile, File()],
    department: Annotated[str, Form(min_length=1, max_length=32, description="来源部门，如 公安、市场监管、住建")],
    kind: Annotated[Kind, Form(description="person 人口 / entity 法人 / rental 房屋租赁")],
    columns: Annotated[str | None, Form(description="可选：本次的列名映射 JSON；不给则用该部门保存的映射")] = None,
    job_id: Annotated[
        str | None,
        Form(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description="可选：进度查询键（页面轮询进度）"),
    ] = None,
) -> Response:
    track = _tracker(actor.user_id, job_id)
    track("upload", 0, 0)
    try:
        answer = _import(session, actor, file, department, kind, columns, track)
    except Exception:
        track("failed", 0, 0)
        raise
    track("done", 1, 1)
    return answer


def _tracker(owner: int | None, job: str | None) -> Callable[[str, int, int], None]:
    def track(stage: str, done: int, total: int) -> None:
        if job is not None:
            previous = progress.board.get(owner, job)
            if stage == "done" and previous is not None and previous.stage == "failed":
                return
            progress.board.update(owner, job, stage, done, total, finished=stage in ("done", "failed"))

    return track


def _import(
    session: Session,
    actor: Principal,
    file: UploadFile,
    department: str,
    kind: str,
    columns: str | None,
    track: Callable[[str, int, int], None],
) -> Response:
    data = file.file.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise InvalidInput("文件超过 64 MB", field="file")
    mapping = None
    if columns:
        try:
            mapping = {str(k): str(v) for k, v in dict(json.loads(columns)).items()}
        except (ValueError, TypeError) as exc:
            raise InvalidInput("列名映射应为 JSON 对象", field="columns") from exc
    filename = file.filename or "upload.csv"
    rows = read_table(filename, data)
    with UnitOfWork(session):
        report = importing.import_records(
            session,
            actor,
            department=department,
            kind=kind,
            filename=filename,
            rows=rows,
            columns=mapping,
            progress=track,
        )
    if not report.ok:
        track("failed", len(report.errors), report.rows)
        with UnitOfWork(session):
            importing.record_rejection(
                session, actor, department=department, kind=kind, filename=filename, report=report
            )
    out = ImportOut(
        ok=report.ok,
        rows=report.rows,
        batch_id=report.batch_id,
        counts=report.counts,
        errors=report.errors[:200],
        error_count=len(report.errors),
        error_report=f"/api/blockdata/batches/{report.batch_id}/errors.csv" if not report.ok else None,
    )
    body = out.model_dump(mode="json")
    if not report.ok:
        first = report.errors[0]
        body["error"] = {
            "code": "invalid_input",
            "field": first["field"],
            "message": f"第{first['line']}行 {first['label']}：{first['message']}"
            f"（共 {len(report.errors)} 处错误，未写入任何数据）",
        }
    return Response(
        json.dumps(body, ensure_ascii=False), status_code=201 if report.ok else 422, media_type="application/json"
    )


@router.get("/import/progress", summary="导入进度（本人发起的导入，按进度查询键）")
def import_progress(
    actor: PrincipalDep, job_id: Annotated[str, Query(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
) -> dict[str, object]:
    found = progress.board.get(actor.user_id, job_id)
    if found is None:
        raise NotFound("没有该导入的进度（尚未开始，或不是本人发起）", field="job_id")
    return found.as_dict()


@router.get("/batches", response_model=list[BatchOut], summary="导入批次")
def batches(
    session: SessionDep, actor: PrincipalDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[BatchOut]:
    return [BatchOut.model_validate(b) for b in queries.list_batches(session, actor, limit)]


@router.get("/batches/{batch_id}/errors.csv", summary="下载导入错误报告（CSV）", response_class=Response)
def error_report(session: SessionDep, actor: PrincipalDep, batch_id: int) -> Response:
    batch = queries.get_batch(session, actor, batch_id)
    return Response(
        queries.error_report_csv(batch),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{batch_id}-errors.csv"'},
    )


@router.get("/mappings/{department}/{kind}", response_model=MappingOut, summary="部门字段映射")
def get_mapping(session: SessionDep, _actor: PrincipalDep, department: str, kind: Kind) -> MappingOut:
    return MappingOut(
        department=department,
        kind=kind,
        columns=importing.saved_mapping(session, department, kind),
        fields=FIELDS[kind],
    )


@router.put("/mappings/{department}/{kind}", response_model=MappingOut, summary="保存部门字段映射")
def put_mapping(session: SessionDep, actor: PrincipalDep, department: str, kind: Kind, body: MappingIn) -> MappingOut:
    with UnitOfWork(session):
        row = importing.save_mapping(session, actor, department, kind, body.columns)
        columns = dict(row.columns)
    return MappingOut(department=department, kind=kind, columns=columns, fields=FIELDS[kind])


@router.get("/people", response_model=list[PersonOut], summary="按证件号码或电话精确查找人口记录（盲索引）")
def people(
    session: SessionDep,
    actor: PrincipalDep,
    id_number: Annotated[str | None, Query(max_length=40)] = None,
    id_type: str = "resident",
    phone: Annotated[str | None, Query(max_length=40)] = None,
) -> list[PersonOut]:
    found = queries.find_people(session, actor, id_number=id_number, id_type=id_type, phone=phone)
    ids = {p.address_id for p in found if p.address_id is not None}
    codes = {i: c for i, c in session.execute(select(Address.id, Address.code).where(Address.id.in_(ids)))}
    return [_person_out(p, codes.get(p.address_id) if p.address_id else None) for p in found]


def _person_out(p: PersonRecord, code: str | None) -> PersonOut:
    return PersonOut(
        id=p.id,
        name=p.name,
        id_type=p.id_type,
        id_masked=p.id_masked,
        sex=p.sex,
        birth_year=p.birth_date.year if p.birth_date else None,
        population=p.population,
        address_text=p.address_text,
        address_code=code,
        room_code=p.room_code,
        move_in=p.move_in,
        move_out=p.move_out,
        tags=list(p.tags or []),
        department=p.department,
        batch_id=p.batch_id,
        line=p.line,
    )


@router.post("/{record}/{record_id}/reveal", response_model=RevealOut, summary="查看完整证件号和电话（需权限，留痕）")
def reveal(session: SessionDep, actor: PrincipalDep, record: Literal["person", "entity"], record_id: int) -> RevealOut:
    with UnitOfWork(session):
        found = protect.reveal(session, actor, record, record_id)
    return RevealOut(**asdict(found))


@router.get("/profile/{code}", response_model=ProfileOut, summary="一楼一档：标准地址的人口、法人、房屋、电话和事件")
def address_profile(session: SessionDep, actor: PrincipalDep, code: str) -> ProfileOut:
    return ProfileOut(can_unmask=actor.can_unmask_pii, **asdict(profile.address_profile(session, actor, code)))
