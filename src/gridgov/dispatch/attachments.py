"""Photo and document uploads: type sniffed from the bytes, size capped, photos decoded and re-encoded clean,
stored content-addressed; and the check that every photo a report or a step names was uploaded."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.errors import InvalidInput, TooLarge
from gridgov.common.principal import Principal
from gridgov.db import settings_of
from gridgov.dispatch.audit import DispatchAudit
from gridgov.dispatch.images import FORMATS, clean_image
from gridgov.dispatch.models import Attachment, Event, EventTransition
from gridgov.dispatch.scope import event_scope

SIGNATURES: list[tuple[bytes, int, str]] = [
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"WEBP", 8, "image/webp"),
    (b"%PDF-", 0, "application/pdf"),
]


def sniff(data: bytes) -> str | None:
    for magic, offset, kind in SIGNATURES:
        if data[offset : offset + len(magic)] == magic and (kind != "image/webp" or data[:4] == b"RIFF"):
            return kind
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    return None


def path_for(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256[2:4] / sha256


def store_attachment(session: Session, actor: Principal, data: bytes, root: Path, max_bytes: int) -> Attachment:
    """Store an upload: a photo is decoded, size-checked and re-encoded without metadata (dispatch/images.py),
    a PDF kept as sent (and always served as a download)."""
    if not data:
        raise InvalidInput("文件为空", field="file")
    if len(data) > max_bytes:
        limit = f"{max_bytes / (1024 * 1024):g} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes / 1024:g} KB"
        raise TooLarge(f"文件超过 {limit} 上限", field="file")
    kind = sniff(data)
    if kind is None:
        raise InvalidInput("只接受 JPEG、PNG、WebP、HEIC 图片或 PDF 文件", field="file")
    received = len(data)
    if kind in FORMATS:
        limits = settings_of(session)
        clean = clean_image(data, kind, limits.max_image_pixels, limits.max_image_side)
        data, kind = clean.data, clean.content_type
    digest = hashlib.sha256(data).hexdigest()
    existing = session.get(Attachment, digest)
    if existing is not None:
        return existing
    target = path_for(root, digest)
    if not target.exists():
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    row = Attachment(sha256=digest, content_type=kind, size=len(data), uploader_id=actor.user_id)
    session.add(row)
    detail = {"type": kind, "size": len(data), "received": received}
    record_audit(session, actor, DispatchAudit.UPLOAD, "attachment", digest, detail)
    return row


def check_attachments(session: Session, hashes: Iterable[str], uploaded: set[str] | None = None) -> None:
    """Every photo named must have been uploaded. `uploaded`: the hashes already looked up (a batch's, at once)."""
    hashes = list(hashes)
    if not hashes:
        return
    found = uploaded if uploaded is not None else uploaded_hashes(session, hashes)
    for h in hashes:
        if h not in found:
            raise InvalidInput(f"附件 {h[:12]}… 未上传", field="attachments")


def uploaded_hashes(session: Session, hashes: Iterable[str]) -> set[str]:
    wanted = set(hashes)
    if not wanted:
        return set()
    return set(session.scalars(select(Attachment.sha256).where(Attachment.sha256.in_(wanted))))


def attachment_visible(session: Session, actor: Principal, row: Attachment) -> bool:
    """The uploader sees their file; others see it when it is attached to a case step they may see."""
    if row.uploader_id is not None and row.uploader_id == actor.user_id:
        return True
    found = session.scalar(
        select(EventTransition.id)
        .join(Event, Event.id == EventTransition.event_id)
        .where(cast(EventTransition.attachments, String).contains(row.sha256), event_scope(actor))
        .limit(1)
    )
    return found is not None
