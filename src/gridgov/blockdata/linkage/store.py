"""The stored linkage of the person records (bd_person): reading the records into the pipeline (PII decrypted in
memory only), writing clusters, memberships and golden records back, and the services that change them - a link
run (incremental by default), a steward's merge and split. Each service checks the role, writes its audit row and
publishes its event; the entrypoint's unit of work commits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.blockdata.access import IMPORTERS, READERS, record_scope, require
from gridgov.blockdata.idcodes import mask_document
from gridgov.blockdata.linkage import decisions as rules
from gridgov.blockdata.linkage import pipeline
from gridgov.blockdata.linkage.audit import LinkageAudit
from gridgov.blockdata.linkage.records import with_none
from gridgov.blockdata.linkage.tables import LinkCluster, LinkDecision, LinkMember, LinkModel
from gridgov.blockdata.models import PersonRecord, PhoneRecord
from gridgov.common.audit import record_audit
from gridgov.common.errors import InvalidInput, NotFound
from gridgov.common.events import bus
from gridgov.common.principal import Principal
from gridgov.common.security import mask_phone, pii_cipher
from gridgov.common.timeutil import utcnow
from gridgov.db import settings_of

LINKED: Final = "blockdata.linked"
MERGED: Final = "blockdata.clusters_merged"
SPLIT: Final = "blockdata.cluster_split"
WRITE_CHUNK: Final = 5_000
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class LinkSummary:
    mode: str  # full / incremental
    records: int
    new_records: int
    clusters: int
    new_clusters: int


def quiet(_stage: str, _done: int, _total: int) -> None:
    return None


def load_records(session: Session, person_ids: list[int] | None = None) -> pd.DataFrame:
    """The person records as the pipeline reads them (record_id = bd_person.id); 身份证号 and phones decrypted in
    memory, never written anywhere."""
    cipher = pii_cipher(settings_of(session).pii_secret)
    query = select(
        PersonRecord.id,
        PersonRecord.department,
        PersonRecord.name,
        PersonRecord.id_enc,
        PersonRecord.birth_date,
        PersonRecord.sex,
        PersonRecord.imported_at,
        PersonRecord.address_text,
        Address.code,
    ).outerjoin(Address, Address.id == PersonRecord.address_id)
    if person_ids is not None:
        query = query.where(PersonRecord.id.in_(person_ids))
    rows = session.execute(query.order_by(PersonRecord.id)).all()
    phones: dict[int, str] = {}
    phone_query = select(PhoneRecord.person_id, PhoneRecord.phone_enc).where(PhoneRecord.person_id.is_not(None))
    for person_id, enc in session.execute(phone_query.order_by(PhoneRecord.id)).all():
        if person_id is not None:
            phones.setdefault(int(person_id), enc)
    frame = pd.DataFrame(
        {
            "record_id": [str(r.id) for r in rows],
            "source": [r.department for r in rows],
            "name": [r.name for r in rows],
            "id_number": [cipher.decrypt(r.id_enc) if r.id_enc else None for r in rows],
            "birth_date": [r.birth_date.isoformat() if r.birth_date else None for r in rows],
            "sex": [r.sex for r in rows],
            "phone": [cipher.decrypt(phones[r.id]) if r.id in phones else None for r in rows],
            "address_code": [r.code for r in rows],
            "address": [r.address_text or None for r in rows],
            "updated_at": [r.imported_at.date().isoformat() for r in rows],
        }
    )
    return frame


def stored_clusters(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(LinkMember.person_id, LinkCluster.key).join(LinkCluster, LinkCluster.id == LinkMember.cluster_id)
    ).all()
    return pd.DataFrame({"record_id": [str(r[0]) for r in rows], "cluster_id": [str(r[1]) for r in rows]})


def stored_decisions(session: Session) -> list[rules.Decision]:
    out: list[rules.Decision] = []
    for row in session.scalars(select(LinkDecision).order_by(LinkDecision.id)):
        ids = tuple(str(v) for v in row.record_ids)
        out.append(rules.Merge(ids) if row.kind == "merge" else rules.Split(ids, tuple(str(v) for v in row.rest_ids)))
    return out


def latest_model(session: Session) -> dict[str, Any] | None:
    row = session.scalar(select(LinkModel).order_by(LinkModel.id.desc()).limit(1))
    return None if row is None else dict(row.settings)


def _issued(session: Session) -> list[str]:
    return list(session.scalars(select(LinkCluster.key)))


def _golden_json(row: dict[str, Any]) -> dict[str, Any]:
    """A golden row as stored: PII masked (the full values stay encrypted on the records named in *_from)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in ("cluster_id", "record_count", "sources") or value is None or value != value:
            continue
        if key == "id_number":
            value = mask_document(str(value))
        elif key == "phone":
            value = mask_phone(str(value))
        out[key] = str(value)
    out["sources"] = str(row.get("sources") or "")
    return out


def _write(session: Session, clusters: pd.DataFrame, golden: pd.DataFrame, only: set[str] | None = None) -> int:
    """Upserts the clusters named in `golden` (all of them unless `only`), their memberships, and drops clusters
    left without members. Returns the number of clusters written."""
    if only is not None:
        golden = golden[golden["cluster_id"].isin(only)]
        clusters = clusters[clusters["cluster_id"].isin(only)]
    keys = golden["cluster_id"].astype(str).tolist()
    numbers = {k: int(k[1:]) for k in keys}
    now = utcnow()
    wanted = list(numbers.values())
    existing: set[int] = set()
    for start in range(0, len(wanted), WRITE_CHUNK):  # in chunks: SQLite takes at most 250,000 variables a statement
        part = wanted[start : start + WRITE_CHUNK]
        existing.update(session.scalars(select(LinkCluster.id).where(LinkCluster.id.in_(part))))
    records = with_none(golden).to_dict("records")
    fresh: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for row in records:
        number = numbers[str(row["cluster_id"])]
        values = {
            "id": number,
            "key": str(row["cluster_id"]),
            "record_count": int(row["record_count"]),
            "golden": _golden_json({str(k): v for k, v in row.items()}),
            "updated_at": now,
        }
        (changed if number in existing else fresh).append(values)
    for start in range(0, len(fresh), WRITE_CHUNK):
        session.execute(insert(LinkCluster), fresh[start : start + WRITE_CHUNK])
    for start in range(0, len(changed), WRITE_CHUNK):
        session.execute(update(LinkCluster), changed[start : start + WRITE_CHUNK])
    persons = [int(r) for r in clusters["record_id"]]
    for start in range(0, len(persons), WRITE_CHUNK):
        session.execute(delete(LinkMember).where(LinkMember.person_id.in_(persons[start : start + WRITE_CHUNK])))
    members = [
        {"person_id": int(r), "cluster_id": numbers.get(str(c), int(str(c)[1:]))}
        for r, c in zip(clusters["record_id"], clusters["cluster_id"], strict=True)
    ]
    for start in range(0, len(members), WRITE_CHUNK):
        session.execute(insert(LinkMember), members[start : start + WRITE_CHUNK])
    session.flush()
    # a cluster merged away keeps its row (its key is never given again), empty
    empty = select(LinkMember.cluster_id).distinct()
    session.execute(
        update(LinkCluster).where(LinkCluster.id.not_in(empty)).values(record_count=0, golden={}, updated_at=now)
    )
    return len(records)


def run_link(session: Session, actor: Principal, *, full: bool = False, progress: ProgressFn = quiet) -> LinkSummary:
    """Links the person records: incrementally (only records not yet in a cluster, against the stored clusters
    and the stored model) unless `full` or nothing is linked yet; every stored decision is honoured and stored
    cluster keys are kept."""
    require(actor, IMPORTERS, "运行人员关联")
    progress("read", 0, 3)
    everyone = load_records(session)
    before = stored_clusters(session)
    decisions = stored_decisions(session)
    trained = latest_model(session)
    issued = _issued(session)
    linked = set(before["record_id"])
    new = everyone[~everyone["record_id"].isin(linked)]
    progress("link", 1, 3)
    incremental = not full and trained is not None and len(before) > 0
    if not len(everyone):
        raise InvalidInput("没有可关联的人口记录，请先导入", field="records")
    if incremental and not len(new):
        summary = LinkSummary("incremental", len(everyone), 0, before["cluster_id"].nunique(), 0)
        record_audit(session, actor, LinkageAudit.LINK, "bd_link_cluster", 0, summary.__dict__)
        return summary
    if incremental:
        assert trained is not None
        old = everyone[everyone["record_id"].isin(linked)]
        result = pipeline.link_new(new, old, before, trained=trained, decisions=decisions, issued=issued)
    else:
        result = pipeline.link(everyone, previous=before if len(before) else None, decisions=decisions, issued=issued)
        session.add(LinkModel(settings=result.model, records=len(everyone)))
    progress("write", 2, 3)
    touched = None
    if incremental:
        new_ids = set(new["record_id"])
        touched = set(result.clusters.loc[result.clusters["record_id"].isin(new_ids), "cluster_id"])
    _write(session, result.clusters, result.golden, touched)
    progress("write", 3, 3)
    known = set(before["cluster_id"])
    summary = LinkSummary(
        "incremental" if incremental else "full",
        len(everyone),
        len(new),
        int(result.clusters["cluster_id"].nunique()),
        len(set(result.clusters["cluster_id"]) - known),
    )
    record_audit(session, actor, LinkageAudit.LINK, "bd_link_cluster", 0, summary.__dict__)
    bus.publish(session, LINKED, "bd_link_cluster", 0, summary.__dict__, actor=actor)
    return summary


def _cluster(session: Session, key: str) -> LinkCluster:
    row = session.scalar(select(LinkCluster).where(LinkCluster.key == key))
    if row is None:
        raise NotFound(f"聚类不存在：{key}", field="key")
    return row


def _regolden(session: Session, clusters: pd.DataFrame, keys: set[str]) -> None:
    """Recomputes and stores the golden records of the named clusters after a steward's decision."""
    members = clusters[clusters["cluster_id"].isin(keys)]
    records = load_records(session, [int(r) for r in members["record_id"]])
    from gridgov.blockdata.linkage import golden
    from gridgov.blockdata.linkage import records as prep

    _write(session, members, golden.golden_records(prep.prepare(records), members), keys)


def merge(session: Session, actor: Principal, keys: list[str], reason: str = "") -> LinkCluster:
    """A steward's merge of clusters into the oldest of them; survives every later relink."""
    require(actor, IMPORTERS, "合并人员聚类")
    for key in keys:
        read_cluster(session, actor, key)  # each one exists and holds records of the caller's data scope (else 404)
    after, decision = rules.apply_merge(stored_clusters(session), keys)
    row = LinkDecision(
        kind="merge", record_ids=[int(r) for r in decision.record_ids], reason=reason, created_by=actor.user_id
    )
    session.add(row)
    kept = min(dict.fromkeys(keys))
    _regolden(session, after, {kept})
    target = _cluster(session, kept)
    detail = {"clusters": list(dict.fromkeys(keys)), "into": kept, "reason": reason}
    record_audit(session, actor, LinkageAudit.MERGE, "bd_link_cluster", target.id, detail)
    bus.publish(session, MERGED, "bd_link_cluster", target.id, detail, actor=actor)
    return target


def split(session: Session, actor: Principal, person_ids: list[int], reason: str = "") -> LinkCluster:
    """A steward's split of records out of their cluster into a new one; survives every later relink."""
    require(actor, IMPORTERS, "拆分人员聚类")
    wanted = sorted(set(person_ids))
    visible = session.scalars(
        select(PersonRecord.id).where(
            PersonRecord.id.in_(wanted), record_scope(actor, PersonRecord.division_path, PersonRecord.grid_id)
        )
    )
    missing = sorted(set(wanted) - set(visible))
    if missing:
        raise NotFound(f"人口记录不存在：{missing[0]}", field="person_ids")
    before = stored_clusters(session)
    issued = _issued(session)
    after, decision = rules.apply_split(before, [str(p) for p in person_ids], issued)
    row = LinkDecision(
        kind="split",
        record_ids=[int(r) for r in decision.group],
        rest_ids=[int(r) for r in decision.rest],
        reason=reason,
        created_by=actor.user_id,
    )
    session.add(row)
    moved = after.set_index("record_id").at[str(person_ids[0]), "cluster_id"]
    source = before.set_index("record_id").at[str(person_ids[0]), "cluster_id"]
    _regolden(session, after, {str(moved), str(source)})
    target = _cluster(session, str(moved))
    detail = {"from": str(source), "into": str(moved), "records": [int(p) for p in person_ids], "reason": reason}
    record_audit(session, actor, LinkageAudit.SPLIT, "bd_link_cluster", target.id, detail)
    bus.publish(session, SPLIT, "bd_link_cluster", target.id, detail, actor=actor)
    return target


def cluster_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(LinkCluster)) or 0)


def read_cluster(session: Session, actor: Principal, key: str) -> tuple[LinkCluster, list[int]]:
    """A cluster with its golden record and member record ids (PII masked)."""
    require(actor, READERS, "查看人员聚类")
    row = _cluster(session, key)
    members = list(
        session.scalars(
            select(LinkMember.person_id)
            .join(PersonRecord, PersonRecord.id == LinkMember.person_id)
            .where(
                LinkMember.cluster_id == row.id,
                record_scope(actor, PersonRecord.division_path, PersonRecord.grid_id),
            )
        )
    )
    if not members:  # nothing of it in the caller's data scope: as if it did not exist
        raise NotFound(f"聚类不存在：{key}", field="key")
    return row, sorted(members)


def cluster_of_person(session: Session, actor: Principal, person_id: int) -> LinkCluster:
    """The cluster of one person record in the caller's data scope (else 404)."""
    require(actor, READERS, "查看人员聚类")
    found = session.scalar(
        select(LinkCluster)
        .join(LinkMember, LinkMember.cluster_id == LinkCluster.id)
        .join(PersonRecord, PersonRecord.id == LinkMember.person_id)
        .where(
            LinkMember.person_id == person_id,
            record_scope(actor, PersonRecord.division_path, PersonRecord.grid_id),
        )
    )
    if found is None:
        raise NotFound(f"人口记录不存在或尚未关联：{person_id}", field="person_id")
    return found
