"""Signed scans attached to a dispute or its agreement (签字版调解协议书, 司法确认申请书, other signed papers).

The file goes through the dispatch context's one safe upload path (`dispatch.attachments.store_attachment`: type
sniffed from the bytes, size capped, photos decoded, dimension-capped and re-encoded without EXIF, stored
content-addressed) and is served with its download headers (`dispatch.images.download_headers`: nosniff, a sandbox
CSP), always as an attachment. Attaching checks the role and the dispute's scope, writes the audit row and publishes
`mediation.scan_attached`; reading one is scope-checked and audited (a signed paper carries the parties' data).
Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.choices import ChoiceSet, published
from gridgov.common.errors import Conflict, InvalidInput, NotFound
from gridgov.common.events import bus
from gridgov.common.principal import Principal
from gridgov.common.timeutil import utcnow
from gridgov.dispatch.attachments import path_for, store_attachment
from gridgov.dispatch.images import download_headers
from gridgov.dispatch.models import Attachment
from gridgov.mediation.access import load, require_mediator, require_reader
from gridgov.mediation.models import DisputeScan
from gridgov.mediation.rules import MediationAudit, Stage

NOTE_MAX = 200
SCAN_ATTACHED = "mediation.scan_attached"
AGREED = frozenset({Stage.AGREED, Stage.CONFIRMED, Stage.FOLLOWED_UP, Stage.CLOSED})


@published("scan_kind")
class ScanKind(ChoiceSet):
    AGREEMENT = ("agreement", "调解协议书（签字版）", "#269a99")
    CONFIRMATION = ("confirmation", "司法确认申请书（签字版）", "#1e9493")
    OTHER = ("other", "其他签字材料", "#5b8ff9")


NEEDS_AGREEMENT = frozenset({ScanKind.AGREEMENT, ScanKind.CONFIRMATION})


def scan_kind(value: str) -> ScanKind:
    try:
        return ScanKind(value)
    except ValueError:
        listed = "、".join(f"{k.value}（{k.label}）" for k in ScanKind)
        raise InvalidInput(f"扫描件类别“{value[:40]}”不存在；可选：{listed}", field="kind") from None


def attach_scan(
    session: Session,
    actor: Principal,
    dispute_id: int,
    data: bytes,
    kind: str,
    note: str,
    root: Path,
    max_bytes: int,
    now: datetime | None = None,
) -> DisputeScan:
    """One signed scan on a dispute in the caller's scope; the agreement's and the application's only once agreed."""
    require_mediator(actor)
    now = now or utcnow()
    which = scan_kind(kind)
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"说明不能超过 {NOTE_MAX} 字", field="note")
    dispute = load(session, actor, dispute_id, for_update=True)
    if which in NEEDS_AGREEMENT and Stage(dispute.stage) not in AGREED:
        stage = Stage(dispute.stage).label
        raise Conflict(f"纠纷处于“{stage}”阶段，尚未达成协议，不能上传{which.label}", field="kind")
    stored = store_attachment(session, actor, data, root, max_bytes)
    scan = DisputeScan(
        dispute_id=dispute.id,
        sha256=stored.sha256,
        kind=which.value,
        note=note.strip(),
        uploaded_by=actor.user_id,
        uploaded_at=now,
    )
    session.add(scan)
    session.flush()
    detail = {"number": dispute.number, "scan": scan.id, "kind": which.value, "sha256": stored.sha256}
    record_audit(session, actor, MediationAudit.SCAN_UPLOAD, "dispute", dispute.id, detail)
    payload = {**detail, "division_path": dispute.division_path}
    bus.publish(session, SCAN_ATTACHED, "dispute", dispute.id, payload, actor=actor, at=now)
    return scan


def scan_rows(session: Session, dispute_id: int) -> list[dict[str, Any]]:
    """The scans of a dispute already loaded through its scope, oldest first."""
    rows = session.execute(
        select(DisputeScan, Attachment.content_type, Attachment.size)
        .join(Attachment, Attachment.sha256 == DisputeScan.sha256)
        .where(DisputeScan.dispute_id == dispute_id)
        .order_by(DisputeScan.id)
    ).all()
    return [
        {
            "id": scan.id,
            "kind": scan.kind,
            "kind_label": ScanKind(scan.kind).label,
            "note": scan.note,
            "content_type": content_type,
            "size": size,
            "uploaded_at": scan.uploaded_at,
        }
        for scan, content_type, size in rows
    ]


def list_scans(session: Session, actor: Principal, dispute_id: int) -> list[dict[str, Any]]:
    require_reader(actor)
    dispute = load(session, actor, dispute_id)
    return scan_rows(session, dispute.id)


@dataclass(frozen=True)
class ScanFile:
    path: Path
    content_type: str
    headers: dict[str, str]


def open_scan(session: Session, actor: Principal, dispute_id: int, scan_id: int, root: Path) -> ScanFile:
    """One scan of a dispute in the caller's scope (404 otherwise), its reading audited; always a download."""
    require_reader(actor)
    dispute = load(session, actor, dispute_id)
    found = session.execute(
        select(DisputeScan, Attachment)
        .join(Attachment, Attachment.sha256 == DisputeScan.sha256)
        .where(DisputeScan.id == scan_id, DisputeScan.dispute_id == dispute.id)
    ).first()
    if found is None:
        raise NotFound("扫描件不存在或无权查看", field="scan_id")
    scan, stored = found
    headers = download_headers(stored.sha256, stored.content_type)
    ext = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}
    name = f"scan-{dispute.number}-{scan.id}.{ext.get(stored.content_type, 'bin')}"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'  # a signed paper is never shown inline
    detail = {"number": dispute.number, "scan": scan.id, "kind": scan.kind}
    record_audit(session, actor, MediationAudit.SCAN_READ, "dispute", dispute.id, detail)
    return ScanFile(path_for(root, stored.sha256), stored.content_type, headers)
