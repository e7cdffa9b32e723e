"""HTTP entry points of the stored linkage: a person cluster with its golden record, a steward's merge and split,
and the match-weight waterfall of any two person records (PII masked in every answer)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.blockdata.linkage import store, waterfall
from gridgov.blockdata.linkage.tables import LinkCluster
from gridgov.blockdata.models import PersonRecord
from gridgov.common.principal import Principal
from gridgov.common.uow import UnitOfWork
from gridgov.org.deps import PrincipalDep, SessionDep

router = APIRouter(prefix="/api/blockdata", tags=["blockdata"])
KEY = r"^P\d{9}$"
MISSING: dict[int | str, dict[str, Any]] = {404: {"description": "聚类或记录不存在（或不在调用者的数据范围内）"}}


class MemberOut(BaseModel):
    id: int
    name: str
    department: str
    id_masked: str | None
    address_text: str


class ClusterOut(BaseModel):
    key: str
    record_count: int
    members: list[int] = Field(description="人口记录编号（调用者数据范围内的）")
    records: list[MemberOut] = Field(default_factory=list, description="成员记录（证件号已脱敏）")
    golden: dict[str, str] = Field(
        description="标准档案：字段值（证件号、电话已脱敏）、来源记录（*_from）与理由（*_why）"
    )


class MergeIn(BaseModel):
    keys: list[Annotated[str, Field(pattern=KEY)]] = Field(min_length=2, max_length=50)
    reason: str = Field(default="", max_length=200)


class SplitIn(BaseModel):
    person_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(min_length=1, max_length=500)
    reason: str = Field(default="", max_length=200)


class StepOut(BaseModel):
    column: str
    label: str
    left: str | None
    right: str | None
    bayes_factor: float
    log2_bayes_factor: float
    cumulative_weight: float


class WaterfallOut(BaseModel):
    left: int
    right: int
    left_cluster: str | None
    right_cluster: str | None
    steps: list[StepOut]
    match_weight: float
    match_probability: float


def _members(session: Session, actor: Principal, row: LinkCluster, members: list[int]) -> ClusterOut:
    rows = session.execute(
        select(
            PersonRecord.id,
            PersonRecord.name,
            PersonRecord.department,
            PersonRecord.id_masked,
            PersonRecord.address_text,
        )
        .where(PersonRecord.id.in_(members))
        .order_by(PersonRecord.id)
    ).all()
    records = [MemberOut(id=r[0], name=r[1], department=r[2], id_masked=r[3], address_text=r[4]) for r in rows]
    return ClusterOut(
        key=row.key, record_count=row.record_count, members=members, records=records, golden=dict(row.golden)
    )


def _out(session: Session, actor: Principal, row: LinkCluster) -> ClusterOut:
    found, members = store.read_cluster(session, actor, row.key)
    return _members(session, actor, found, members)


@router.get(
    "/clusters/{key}", response_model=ClusterOut, summary="人员聚类：标准档案（哪条记录胜出、为什么）与成员记录"
)
def cluster(session: SessionDep, actor: PrincipalDep, key: Annotated[str, Path(pattern=KEY)]) -> ClusterOut:
    found, members = store.read_cluster(session, actor, key)
    return _members(session, actor, found, members)


@router.get("/person/{person_id}/cluster", response_model=ClusterOut, summary="一条人口记录所属的人员聚类与标准档案")
def person_cluster(
    session: SessionDep, actor: PrincipalDep, person_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> ClusterOut:
    return _out(session, actor, store.cluster_of_person(session, actor, person_id))


@router.post(
    "/clusters/merge",
    response_model=ClusterOut,
    responses=MISSING,
    summary="合并人员聚类（人工决定，重新关联后仍保留，留痕）",
)
def merge(session: SessionDep, actor: PrincipalDep, body: MergeIn) -> ClusterOut:
    with UnitOfWork(session):
        row = store.merge(session, actor, body.keys, body.reason)
    return _out(session, actor, row)


@router.post(
    "/clusters/split",
    response_model=ClusterOut,
    responses=MISSING,
    summary="从聚类中拆出记录（人工决定，重新关联后仍保留，留痕）",
)
def split(session: SessionDep, actor: PrincipalDep, body: SplitIn) -> ClusterOut:
    with UnitOfWork(session):
        row = store.split(session, actor, body.person_ids, body.reason)
    return _out(session, actor, row)


@router.get(
    "/waterfall",
    response_model=WaterfallOut,
    responses=MISSING,
    summary="任意两条人口记录的匹配权重瀑布图（先验与各比较项的贝叶斯因子）",
)
def pair_waterfall(
    session: SessionDep,
    actor: PrincipalDep,
    left: Annotated[int, Query(ge=1, le=2**31 - 1)],
    right: Annotated[int, Query(ge=1, le=2**31 - 1)],
) -> WaterfallOut:
    found = waterfall.of_pair(session, actor, left, right)
    return WaterfallOut(**found)
