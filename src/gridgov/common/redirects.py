"""Where a page may send the browser after a login: a path of this site only (pure)."""

from __future__ import annotations

from urllib.parse import unquote

# A browser reads "\" as "/" and drops tabs and newlines inside a URL, so "/\evil", "/%5Cevil" and "/\t/evil"
# all leave the site; so does anything with a scheme or a host.
_BAD_CHARS = frozenset("\\")


def safe_next(value: str | None) -> str | None:
    """`value` when it is a same-site path ("/dispatch?id=3"), else None. Refused: "//host", "/\\host", their
    percent-encoded forms (decoded up to three times), control characters anywhere (tab, newline, DEL ...),
    schemes ("javascript:", "https:") and the login page itself."""
    if not value or len(value) > 2000:
        return None
    text = value
    for _ in range(3):
        if not _plain_path(text):
            return None
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    else:
        if unquote(text) != text:
            return None
    if text == "/login" or text.startswith(("/login?", "/login/")):
        return None
    return value


def _plain_path(text: str) -> bool:
    if not text.startswith("/") or text.startswith("//"):
        return False
    if any(ord(c) < 0x20 or ord(c) == 0x7F or c in _BAD_CHARS for c in text):
        return False
    head = text.split("?", 1)[0].split("#", 1)[0]
    return ":" not in head[1:].split("/", 1)[0]  # no scheme in the first segment
