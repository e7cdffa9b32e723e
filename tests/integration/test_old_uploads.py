"""Images stored before uploads were cleaned (issue 12, finding 6): `gridgov init` (and `gridgov attachments
clean`) strips their EXIF in place under the same name, makes a stored "image" that does not decode a download,
audits each change, and leaves clean files untouched on a second run; init walks the folder only until one pass
has completed."""

from __future__ import annotations

import hashlib
import io
import os

from PIL import Image, PngImagePlugin
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from gridgov.cli import app
from gridgov.common.audit import AuditLog
from gridgov.config import Settings
from gridgov.dispatch.attachments import path_for
from gridgov.dispatch.models import Attachment
from gridgov.dispatch.upload_cleanup import MARKER
from support import photo

GPS, MAKE = 0x8825, 0x010F


def _jpeg_with_gps() -> bytes:
    img = Image.frombytes("RGB", (8, 6), os.urandom(8 * 6 * 3))
    exif = Image.Exif()
    exif[MAKE] = "PhoneCam"
    exif[GPS] = {1: "N", 2: (22.0, 32.0, 35.0), 3: "E", 4: (114.0, 3.0, 28.0)}
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "福田区某小区 3 栋 1201")
    out = io.BytesIO()
    Image.frombytes("RGB", (4, 4), os.urandom(48)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _store_as_before(session: Session, settings: Settings, data: bytes, content_type: str) -> str:
    """An attachment as the old upload code stored it: the bytes as sent, named by their digest."""
    sha = hashlib.sha256(data).hexdigest()
    target = path_for(settings.attachments_dir, sha)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    session.add(Attachment(sha256=sha, content_type=content_type, size=len(data), uploader_id=None))
    session.commit()
    return sha


def test_init_strips_images_stored_before_cleaning_and_a_second_run_changes_nothing(
    session: Session, settings: Settings
) -> None:
    gps = _store_as_before(session, settings, _jpeg_with_gps(), "image/jpeg")
    text = _store_as_before(session, settings, _png_with_text(), "image/png")
    clean = _store_as_before(session, settings, photo("PNG"), "image/png")
    html = _store_as_before(session, settings, b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>", "image/png")
    clean_bytes = path_for(settings.attachments_dir, clean).read_bytes()
    (settings.attachments_dir / MARKER).unlink(missing_ok=True)  # a folder from before the cleaning existed

    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 0, result.output
    assert (settings.attachments_dir / MARKER).is_file()

    published = Image.open(path_for(settings.attachments_dir, gps))
    exif = published.getexif()
    assert published.format == "JPEG" and not exif.get_ifd(GPS) and MAKE not in exif
    assert b"PhoneCam" not in path_for(settings.attachments_dir, gps).read_bytes()
    assert "福田区".encode() not in path_for(settings.attachments_dir, text).read_bytes()
    assert not getattr(Image.open(path_for(settings.attachments_dir, text)), "text", None)
    assert path_for(settings.attachments_dir, clean).read_bytes() == clean_bytes  # a clean image is left alone
    session.expire_all()
    rows = {a.sha256: a for a in session.scalars(select(Attachment).where(Attachment.sha256.in_([gps, text, html])))}
    assert rows[gps].size == path_for(settings.attachments_dir, gps).stat().st_size
    assert rows[html].content_type == "application/octet-stream"  # served as a download from now on
    cleaned = (AuditLog.action == "attachment.clean", AuditLog.entity_id.in_([gps, text, html]))
    audited = session.scalars(select(AuditLog.entity_id).where(*cleaned)).all()
    assert sorted(audited) == sorted([gps, text, html])

    after_first = {sha: path_for(settings.attachments_dir, sha).read_bytes() for sha in (gps, text, clean, html)}
    result = CliRunner().invoke(app, ["attachments", "clean"])
    assert result.exit_code == 0, result.output
    assert {sha: path_for(settings.attachments_dir, sha).read_bytes() for sha in after_first} == after_first
    again = session.scalars(select(AuditLog.id).where(*cleaned)).all()
    assert len(again) == 3  # nothing re-encoded, nothing audited twice

    late = _store_as_before(session, settings, _jpeg_with_gps(), "image/jpeg")
    assert CliRunner().invoke(app, ["init"]).exit_code == 0
    assert b"PhoneCam" in path_for(settings.attachments_dir, late).read_bytes()  # init no longer walks the folder
    assert CliRunner().invoke(app, ["attachments", "clean"]).exit_code == 0  # the command always does
    assert b"PhoneCam" not in path_for(settings.attachments_dir, late).read_bytes()
