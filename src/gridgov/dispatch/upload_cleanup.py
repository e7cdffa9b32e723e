"""Images stored before uploads were cleaned (EXIF GPS, camera serials, HEIC kept as sent): each one is decoded
and re-encoded clean in place, under the name it has always had (cases and steps refer to it by that digest), and
its row gets the new size and type. Idempotent: a clean image is left as it is (JPEG is not re-encoded twice); a
stored "image" that does not decode is kept but served as a download from then on. Run by `gridgov attachments
clean`, and by `gridgov init` until a pass has completed on the folder (a marker file in it: uploads since are
cleaned when they arrive; a folder restored from an older backup has no marker and is walked again); one audit
row per file changed."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.common.audit import record_audit
from gridgov.common.errors import InvalidInput
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.db import settings_of
from gridgov.dispatch.attachments import path_for
from gridgov.dispatch.audit import DispatchAudit
from gridgov.dispatch.images import FORMATS, carries_metadata, clean_image
from gridgov.dispatch.models import Attachment

UNREADABLE = "application/octet-stream"
MARKER = ".metadata-cleaned"


def already_cleaned(root: Path) -> bool:
    return (root / MARKER).is_file()


def mark_cleaned(root: Path) -> None:
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    (root / MARKER).write_text("images stored before upload cleaning have been stripped\n", encoding="utf-8")


@dataclass
class CleanupReport:
    checked: int = 0
    cleaned: int = 0
    undecodable: int = 0
    missing: int = 0


def _write_in_place(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)


def clean_stored_images(session: Session, root: Path) -> CleanupReport:
    """Strip every stored image that still carries metadata; the caller's unit of work commits the rows."""
    limits = settings_of(session)
    report = CleanupReport()
    rows = session.scalars(select(Attachment).where(Attachment.content_type.in_(list(FORMATS)))).all()
    for row in rows:
        target = path_for(root, row.sha256)
        if not target.is_file():
            report.missing += 1
            continue
        report.checked += 1
        data = target.read_bytes()
        before = {"type": row.content_type, "size": row.size}
        try:
            if not carries_metadata(data, row.content_type):
                continue
            clean = clean_image(data, row.content_type, limits.max_image_pixels, limits.max_image_side)
        except InvalidInput:
            row.content_type = UNREADABLE  # never shown inline again
            report.undecodable += 1
        else:
            _write_in_place(target, clean.data)
            row.content_type, row.size = clean.content_type, len(clean.data)
            report.cleaned += 1
        after = {"type": row.content_type, "size": row.size}
        record_audit(
            session,
            SYSTEM_PRINCIPAL,
            DispatchAudit.CLEAN_STORED,
            "attachment",
            row.sha256,
            {"before": before, "after": after},
        )
    return report
