"""HTTP entry points of the standard address library: search, translate, reverse geocode, manage, review."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from gridgov.address import basemap, editing, library, loading, lookup, queries
from gridgov.address import reviews as review_queue
from gridgov.address.components import ParsedAddress
from gridgov.address.fileio import read_rows
from gridgov.address.matcher import MatchResult
from gridgov.address.models import Address, AddressReview
from gridgov.address.shipped import load_tagger
from gridgov.common.errors import Conflict, InvalidInput
from gridgov.common.fields import NonBlank
from gridgov.common.uow import UnitOfWork
from gridgov.org.deps import PrincipalDep, SessionDep, SettingsDep

router = APIRouter(prefix="/api/addresses", tags=["addresses"])
CRSName = Literal["wgs84", "gcj02", "bd09"]


class CandidateOut(BaseModel):
    code: str
    level: str
    full_name: str
    score: float


class TranslateOut(BaseModel):
    text: str
    normalized: str
    best: CandidateOut | None
    candidates: list[CandidateOut]
    confidence: float
    level: str | None
    explanation: list[str]
    needs_review: bool
    remainder: str | None


def _out(r: MatchResult) -> TranslateOut:
    def cand(c: Any) -> CandidateOut:
        return CandidateOut(code=c.code, level=c.level, full_name=c.full_name, score=round(c.score, 3))

    return TranslateOut(
        text=r.text,
        normalized=r.normalized,
        best=cand(r.best) if r.best else None,
        candidates=[cand(c) for c in r.candidates],
        confidence=round(r.confidence, 3),
        level=r.level,
        explanation=r.explanation,
        needs_review=r.needs_review,
        remainder=r.remainder,
    )


class TranslateIn(BaseModel):
    text: str = Field(max_length=2000, description="任意地址描述，可含在投诉句子中")


class TranslateBatchIn(BaseModel):
    texts: list[Annotated[str, Field(max_length=2000)]] = Field(max_length=1000)


@router.post("/translate", response_model=TranslateOut, summary="地址翻译：任意写法 → 标准地址")
def translate(body: TranslateIn, session: SessionDep, _actor: PrincipalDep) -> TranslateOut:
    return _out(lookup.translate(session, body.text))


@router.post("/translate/batch", response_model=list[TranslateOut], summary="批量地址翻译（≤1000 条）")
def translate_batch(body: TranslateBatchIn, session: SessionDep, _actor: PrincipalDep) -> list[TranslateOut]:
    return [_out(r) for r in lookup.translate_batch(session, body.texts)]


class ParseIn(BaseModel):
    text: str = Field(max_length=2000, description="地址或含地址的句子")


class ComponentOut(BaseModel):
    label: str
    text: str
    start: int
    end: int


class ParseOut(BaseModel):
    text: str
    components: list[ComponentOut]
    fields: dict[str, str]


@router.post(
    "/parse",
    response_model=ParseOut,
    summary="地址要素解析（省市区、街道、社区、路、门牌、小区、楼栋、单元、楼层、房间…）",
)
def parse(body: ParseIn, _actor: PrincipalDep, settings: SettingsDep) -> ParseOut:
    tagger = load_tagger(settings.var_dir)
    if tagger is None:
        raise Conflict("地址解析模型尚未训练，请运行 gridgov address train", field="model")
    return _parse_out(tagger.parse(body.text))


class ParseBatchIn(BaseModel):
    texts: list[Annotated[str, Field(max_length=2000)]] = Field(max_length=1000)


@router.post("/parse/batch", response_model=list[ParseOut], summary="批量地址要素解析（≤1000 条）")
def parse_batch(body: ParseBatchIn, _actor: PrincipalDep, settings: SettingsDep) -> list[ParseOut]:
    tagger = load_tagger(settings.var_dir)
    if tagger is None:
        raise Conflict("地址解析模型尚未训练，请运行 gridgov address train", field="model")
    return [_parse_out(parsed) for parsed in tagger.parse_batch(body.texts)]


def _parse_out(parsed: ParsedAddress) -> ParseOut:
    return ParseOut(
        text=parsed.text,
        components=[ComponentOut(label=c.label, text=c.text, start=c.start, end=c.end) for c in parsed.components],
        fields=parsed.as_dict(),
    )


class AddressOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    level: str
    name: str
    full_name: str
    status: str
    lon: float | None
    lat: float | None
    grid_id: int | None
    aliases: list[str] = []


def _addresses_out(session: SessionDep, addresses: Sequence[Address]) -> list[AddressOut]:
    """The addresses with their aliases (one query for all of them)."""
    aliases = queries.aliases_of(session, addresses)
    return [_with_aliases(a, aliases.get(a.id, [])) for a in addresses]


def _with_aliases(a: Address, aliases: list[str]) -> AddressOut:
    item = AddressOut.model_validate(a)
    item.aliases = aliases
    return item


def _address_out(session: SessionDep, a: Address) -> AddressOut:
    return _addresses_out(session, [a])[0]


@router.get("/search", response_model=list[AddressOut], summary="地址查询（编码、前缀、模糊）")
def search(
    session: SessionDep,
    _actor: PrincipalDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    level: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[AddressOut]:
    return _addresses_out(session, queries.search_addresses(session, q, level, limit))


@router.get("/reverse", response_model=lookup.Located, summary="逆地理编码：坐标 → 网格、社区、街道和最近的标准地址")
def reverse(
    session: SessionDep,
    _actor: PrincipalDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    crs: CRSName = "wgs84",
    k: Annotated[int, Query(ge=1, le=20)] = 5,
    max_m: Annotated[float, Query(gt=0, le=5000)] = 300,
) -> lookup.Located:
    return lookup.locate_point(session, lon, lat, crs, k, max_m)


@router.post("/import", summary="导入地址（CSV/Excel/GeoJSON，逐行校验，全部成功才写入）")
async def import_file(
    session: SessionDep,
    actor: PrincipalDep,
    file: Annotated[UploadFile, File()],
    crs: CRSName = "wgs84",
) -> JSONResponse:
    data = await file.read(50 * 1024 * 1024 + 1)
    if len(data) > 50 * 1024 * 1024:
        raise InvalidInput("文件超过 50 MB", field="file")
    rows = read_rows(file.filename or "upload.csv", data)
    with UnitOfWork(session):
        report = loading.import_rows(session, actor, rows, crs=crs)
    body = {"ok": report.ok, "created": report.created, "errors": report.errors}
    if not report.ok:
        first = report.errors[0]
        body["error"] = {
            "code": "invalid_input",
            "field": first["field"],
            "message": f"第{first['line']}行 {first['field']}：{first['message']}"
            f"（共 {len(report.errors)} 处错误，未写入任何数据）",
        }
    return JSONResponse(body, status_code=201 if report.ok else 422)


class RenameIn(BaseModel):
    name: NonBlank = Field(min_length=1, max_length=100)
    keep_old_as_alias: bool = True
    note: str | None = None


class MergeIn(BaseModel):
    into_code: str
    note: str | None = None


class AliasIn(BaseModel):
    alias: NonBlank = Field(min_length=1, max_length=200)


class NoteIn(BaseModel):
    note: str | None = None


@router.post("/{code}/rename", response_model=AddressOut, summary="地址更名（旧名保留为别名）")
def rename(code: str, body: RenameIn, session: SessionDep, actor: PrincipalDep) -> AddressOut:
    with UnitOfWork(session):
        a = editing.rename_address(session, actor, code, body.name, body.keep_old_as_alias, body.note)
    return _address_out(session, a)


@router.post("/{code}/merge", response_model=AddressOut, summary="合并重复地址")
def merge(code: str, body: MergeIn, session: SessionDep, actor: PrincipalDep) -> AddressOut:
    with UnitOfWork(session):
        a = editing.merge_addresses(session, actor, code, body.into_code, body.note)
    return _address_out(session, a)


@router.post("/{code}/retire", response_model=AddressOut, summary="注销地址")
def retire(code: str, body: NoteIn, session: SessionDep, actor: PrincipalDep) -> AddressOut:
    with UnitOfWork(session):
        a = editing.retire_address(session, actor, code, body.note)
    return _address_out(session, a)


@router.post("/{code}/aliases", response_model=AddressOut, summary="添加别名")
def alias(code: str, body: AliasIn, session: SessionDep, actor: PrincipalDep) -> AddressOut:
    with UnitOfWork(session):
        a = editing.add_alias(session, actor, code, body.alias)
    return _address_out(session, a)


class ReviewOut(BaseModel):
    id: int
    input_text: str
    candidates: list[dict[str, Any]]
    confidence: float
    explanation: list[str]
    status: str
    source: str
    source_id: int | None


class ResolveIn(BaseModel):
    code: str = Field(description="选定的标准地址编码")
    learn: bool = Field(default=True, description="把输入学习为该地址的别名")


def _review_out(r: AddressReview) -> ReviewOut:
    return ReviewOut(
        id=r.id,
        input_text=r.input_text,
        candidates=r.candidates,
        confidence=r.confidence,
        explanation=r.explanation,
        status=r.status,
        source=r.source,
        source_id=r.source_id,
    )


@router.get("/reviews", response_model=list[ReviewOut], summary="地址待确认队列")
def reviews(
    session: SessionDep, actor: PrincipalDep, status: str = "pending", limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[ReviewOut]:
    return [_review_out(r) for r in review_queue.list_reviews(session, actor, status, limit)]


@router.post("/reviews/{review_id}/resolve", response_model=ReviewOut, summary="确认地址（并学习为别名）")
def resolve(review_id: int, body: ResolveIn, session: SessionDep, actor: PrincipalDep) -> ReviewOut:
    with UnitOfWork(session):
        review = review_queue.resolve_review(session, actor, review_id, body.code, body.learn)
    return _review_out(review)


@router.post("/reviews/{review_id}/dismiss", response_model=ReviewOut, summary="忽略")
def dismiss(review_id: int, body: NoteIn, session: SessionDep, actor: PrincipalDep) -> ReviewOut:
    with UnitOfWork(session):
        review = review_queue.dismiss_review(session, actor, review_id, body.note)
    return _review_out(review)


@router.get("/basemap", response_model=basemap.BaseMap, summary="无底图时的地图底层：附近道路（门牌连线）与建筑点位")
def base_map(
    session: SessionDep,
    _actor: PrincipalDep,
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    radius_m: Annotated[float, Query(gt=0, le=2000)] = 400,
) -> basemap.BaseMap:
    eng = library.engines(session)
    near = eng.points.nearest(lon, lat, k=basemap.MAX_POINTS, max_m=radius_m)
    return basemap.base_map(eng.records, (code for code, _m in near))


@router.get("/{code}", summary="地址详情（别名、下级数量、变更历史）")
def detail(code: str, session: SessionDep, _actor: PrincipalDep) -> dict[str, Any]:
    found = queries.address_detail(session, code)
    return {
        **_with_aliases(found.address, found.aliases).model_dump(),
        "children": found.children,
        "history": [
            {
                "action": h.action,
                "before": h.before,
                "after": h.after,
                "actor_id": h.actor_id,
                "note": h.note,
                "at": h.at.isoformat(),
            }
            for h in found.history
        ],
    }
