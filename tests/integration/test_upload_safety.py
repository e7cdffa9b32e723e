"""Uploads as an attacker sends them: photos published without their EXIF position, HTML behind an image header
and oversized images refused, documents served as downloads the browser may not sniff."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from gridgov.config import Settings
from gridgov.dispatch.attachments import path_for
from support import photo

Login = Callable[[str], dict[str, str]]
GPS, ORIENTATION, MAKE = 0x8825, 0x0112, 0x010F


def _jpeg_with_gps() -> bytes:
    img = Image.frombytes("RGB", (8, 6), photo("PPM", width=8, height=6)[-8 * 6 * 3 :])
    exif = Image.Exif()
    exif[MAKE] = "PhoneCam"
    exif[ORIENTATION] = 6  # taken turned: shown rotated by 90°
    exif[GPS] = {1: "N", 2: (22.0, 32.0, 35.0), 3: "E", 4: (114.0, 3.0, 28.0)}
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _upload(client: TestClient, headers: dict[str, str], name: str, data: bytes, ctype: str) -> dict[str, object]:
    r = client.post("/api/attachments", headers=headers, files={"file": (name, data, ctype)})
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def test_exif_and_gps_are_stripped_and_the_photo_turned_upright(
    app_client: TestClient, login: Login, settings: Settings
) -> None:
    data = _jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS)  # the upload carries a position
    resident = login("resident1")
    sha = str(_upload(app_client, resident, "gps.jpg", data, "image/jpeg")["sha256"])
    got = app_client.get(f"/api/attachments/{sha}", headers=resident)
    assert got.status_code == 200 and got.content == path_for(settings.attachments_dir, sha).read_bytes()
    published = Image.open(io.BytesIO(got.content))
    assert published.format == "JPEG" and published.size == (6, 8)  # the orientation applied, then dropped
    exif = published.getexif()
    assert not exif.get_ifd(GPS) and MAKE not in exif and ORIENTATION not in exif
    assert b"Exif" not in got.content[:64] and b"PhoneCam" not in got.content
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"] == "inline"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("page.png", b"\x89PNG\r\n\x1a\n<html><body><script>alert(document.cookie)</script></body></html>"),
        ("page.jpg", b"\xff\xd8\xff\xe0<!doctype html><script>alert(1)</script>"),
        ("page.webp", b"RIFF\x00\x00\x00\x00WEBP<html><script>alert(1)</script></html>"),
    ],
)
def test_html_behind_an_image_header_is_refused(app_client: TestClient, login: Login, name: str, data: bytes) -> None:
    r = app_client.post("/api/attachments", headers=login("resident1"), files={"file": (name, data, "image/png")})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "file" and "图片" in r.json()["error"]["message"]


def test_a_pdf_is_always_a_download(app_client: TestClient, login: Login) -> None:
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF"
    resident = login("resident1")
    sha = _upload(app_client, resident, "doc.pdf", pdf, "application/pdf")["sha256"]
    got = app_client.get(f"/api/attachments/{sha}", headers=resident)
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width × height (8-bit grey) over a few rows of data: decoders read the size
    from the header, so a bomb is refused before it is inflated."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * (width + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("width", "height"), [(20_000, 20_000), (12_001, 10), (7_000, 7_000)])
def test_huge_dimensions_are_refused(app_client: TestClient, login: Login, width: int, height: int) -> None:
    data = _png_header(width, height)
    r = app_client.post("/api/attachments", headers=login("resident1"), files={"file": ("big.png", data)})
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["field"] == "file" and "图片尺寸" in err["message"] and "超过上限" in err["message"]
    if width * height < 100_000_000:  # far past the cap, Pillow's own bomb guard answers before the size is read
        assert f"{width}×{height}" in err["message"]


def test_the_public_upload_is_cleaned_too(app_client: TestClient) -> None:
    r = app_client.post("/api/public/attachments", files={"file": ("gps.jpg", _jpeg_with_gps(), "image/jpeg")})
    assert r.status_code == 201, r.text
    bomb = app_client.post("/api/public/attachments", files={"file": ("b.png", _png_header(20_000, 20_000))})
    assert bomb.status_code == 422 and bomb.json()["error"]["field"] == "file"
