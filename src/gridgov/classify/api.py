"""HTTP entry points of the classifier for the administrator: the model versions with their scores and which one
is live; putting one live (rollback)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from gridgov.classify.versions import list_versions, make_live
from gridgov.common.uow import UnitOfWork
from gridgov.org.deps import PrincipalDep, SessionDep

router = APIRouter(prefix="/api/admin/classifier", tags=["classify"])


class VersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    trained_at: datetime
    n_train: int
    n_holdout: int
    accuracy: float | None
    macro_f1: float | None
    live_macro_f1: float | None
    labels: list[str]
    live: bool
    note: str


@router.get("/versions", response_model=list[VersionOut], summary="分类模型版本（得分与现网）")
def get_versions(session: SessionDep, actor: PrincipalDep) -> list[VersionOut]:
    return [VersionOut.model_validate(v) for v in list_versions(session, actor)]


class LiveIn(BaseModel):
    version_id: int = Field(gt=0, description="要上线的模型版本")


@router.post("/live", response_model=VersionOut, summary="切换现网分类模型（回滚）")
def post_live(body: LiveIn, session: SessionDep, actor: PrincipalDep) -> VersionOut:
    with UnitOfWork(session):
        version = make_live(session, actor, body.version_id)
        out = VersionOut.model_validate(version)
    return out
