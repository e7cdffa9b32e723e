"""Uploaded photos decoded and published clean: the decoded size capped (decompression bombs refused), the
orientation applied, then re-encoded without EXIF (no GPS position, no camera serial) and without anything
appended after the image. The bytes say what an upload is, never the client; a file that starts like an
image but does not decode as one (an HTML page behind a PNG header) is refused."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from gridgov.common.errors import InvalidInput

pillow_heif.register_heif_opener()

# what the leading bytes claimed → the decoder Pillow must agree with, and how the clean copy is written
FORMATS: dict[str, tuple[str, str, str]] = {
    "image/jpeg": ("JPEG", "JPEG", "image/jpeg"),
    "image/png": ("PNG", "PNG", "image/png"),
    "image/webp": ("WEBP", "WEBP", "image/webp"),
    "image/heic": ("HEIF", "JPEG", "image/jpeg"),  # browsers do not show HEIC: published as JPEG
}


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int


def _limit(max_pixels: int, max_side: int) -> str:
    return f"单边不超过 {max_side} 像素，总计不超过 {max_pixels / 1_000_000:g} 百万像素"


def _refuse_size(width: int, height: int, max_pixels: int, max_side: int) -> None:
    if width > max_side or height > max_side or width * height > max_pixels:
        raise InvalidInput(f"图片尺寸 {width}×{height} 超过上限（{_limit(max_pixels, max_side)}）", field="file")


def clean_image(data: bytes, claimed: str, max_pixels: int, max_side: int) -> CleanImage:
    """Decode `data` (whose leading bytes said `claimed`), check its size, and re-encode it without metadata."""
    decoder, writer, content_type = FORMATS[claimed]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img: Image.Image = Image.open(io.BytesIO(data), formats=[decoder])
            _refuse_size(img.width, img.height, max_pixels, max_side)  # from the header, before decoding
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        limit = _limit(max_pixels, max_side)  # Pillow's own guard, for sizes far past ours: a decompression bomb
        raise InvalidInput(f"图片尺寸超过上限（{limit}），疑似解压炸弹", field="file") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput("文件内容不是有效的图片（与其声明的格式不符）", field="file") from exc
    img = ImageOps.exif_transpose(img)  # turned upright, then published without its EXIF
    if writer == "JPEG" and img.mode not in ("RGB", "L"):
        img = img.convert("RGB")
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 90} if writer in ("JPEG", "WEBP") else {}
    img.save(out, format=writer, **options)  # no exif=, no pnginfo=: no metadata is written
    return CleanImage(out.getvalue(), content_type, img.width, img.height)


# what a published image must not carry: EXIF (GPS, camera serial), XMP, comments, Photoshop blocks
METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "photoshop", "Raw profile type exif")


def carries_metadata(data: bytes, kind: str) -> bool:
    """Whether a stored image still holds metadata (an upload from before images were cleaned) or is in a format
    published otherwise (HEIC). Raises InvalidInput when the bytes do not open as the stored kind."""
    decoder, _writer, content_type = FORMATS[kind]
    if content_type != kind:
        return True
    try:
        img: Image.Image = Image.open(io.BytesIO(data), formats=[decoder])
        return bool(img.getexif()) or any(k in img.info for k in METADATA_KEYS) or bool(getattr(img, "text", None))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput("文件内容不是有效的图片（与其声明的格式不符）", field="file") from exc


INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


def download_headers(sha256: str, content_type: str) -> dict[str, str]:
    """How a stored file is served: never sniffed by the browser, shown inline only when it is a plain image,
    everything else (PDFs included) downloaded, and nothing in it may run."""
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}
    if content_type in INLINE_TYPES:
        headers["Content-Disposition"] = "inline"
    else:
        ext = {"application/pdf": "pdf", "image/heic": "heic"}.get(content_type, "bin")
        headers["Content-Disposition"] = f'attachment; filename="{sha256[:16]}.{ext}"'
    return headers
