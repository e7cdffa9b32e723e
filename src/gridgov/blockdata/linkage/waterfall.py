"""The match-weight waterfall of two stored person records under the stored model: both records must be in the
caller's data scope (else 404, as if they did not exist); 身份证号 and phones are masked in the steps. Term
frequencies come from the records of the two records' clusters (the stored run's batch is not kept)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.blockdata.access import READERS, record_scope, require
from gridgov.blockdata.idcodes import mask_document
from gridgov.blockdata.linkage import engine, explain, records, store
from gridgov.blockdata.linkage.tables import LinkCluster, LinkMember
from gridgov.blockdata.models import PersonRecord
from gridgov.common.errors import InvalidInput, NotFound
from gridgov.common.principal import Principal
from gridgov.common.security import mask_phone

_MASKS = {"id_number": mask_document, "phone": mask_phone}


def _mask(column: str, value: str | None) -> str | None:
    masker = _MASKS.get(column)
    return value if value is None or masker is None else masker(value)


def of_pair(session: Session, actor: Principal, left: int, right: int) -> dict[str, Any]:
    """left, right, their cluster keys, the waterfall steps, the final weight and probability."""
    require(actor, READERS, "查看匹配解释")
    if left == right:
        raise InvalidInput("请选择两条不同的记录", field="right")
    visible = set(
        session.scalars(
            select(PersonRecord.id).where(
                PersonRecord.id.in_([left, right]),
                record_scope(actor, PersonRecord.division_path, PersonRecord.grid_id),
            )
        )
    )
    for which, person in (("left", left), ("right", right)):
        if person not in visible:
            raise NotFound(f"人口记录不存在：{person}", field=which)
    trained = store.latest_model(session)
    if trained is None:
        raise InvalidInput("尚未运行人员关联（gridgov blockdata link），没有可用的模型", field="model")
    keys = dict(
        session.execute(
            select(LinkMember.person_id, LinkCluster.key)
            .join(LinkCluster, LinkCluster.id == LinkMember.cluster_id)
            .where(LinkMember.person_id.in_([left, right]))
        ).all()
    )
    cluster_ids = select(LinkMember.cluster_id).where(LinkMember.person_id.in_([left, right]))
    pool_ids = set(session.scalars(select(LinkMember.person_id).where(LinkMember.cluster_id.in_(cluster_ids))))
    pool = records.prepare(store.load_records(session, sorted(pool_ids | {left, right})))
    pair = pool.set_index("unique_id").loc[[str(left), str(right)]].reset_index()
    fall = explain.waterfall(engine.score_pair(pair, trained, context=pool), trained)
    steps = [
        dict(asdict(step), left=_mask(step.column, step.left), right=_mask(step.column, step.right))
        for step in fall.steps
    ]
    return {
        "left": left,
        "right": right,
        "left_cluster": keys.get(left),
        "right_cluster": keys.get(right),
        "steps": steps,
        "match_weight": fall.match_weight,
        "match_probability": fall.match_probability,
    }
