"""Passwords, tokens, API keys, PII protection and upload sniffing (pure, no database)."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag

from gridgov.common.errors import NotAuthenticated
from gridgov.common.security import (
    API_KEY_PREFIX,
    PiiCipher,
    api_key_digest,
    hash_password,
    issue_token,
    mask_phone,
    new_api_key,
    normalize_phone,
    pii_cipher,
    read_token,
    verify_password,
)
from gridgov.common.timeutil import utcnow
from gridgov.dispatch.attachments import sniff

SECRET = "unit-test-secret-0123456789abcdef-0123456789abcdef"
OTHER = "another-secret-0123456789abcdef-0123456789abcdef!!"

# --- phones ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("１３８１２３４５６７８", "138****5678"),  # full-width digits
        ("+8613812345678", "138****5678"),
        ("+86 138 1234 5678", "138****5678"),
        ("+86-138-1234-5678", "138****5678"),
        ("＋８６ １３８－１２３４－５６７８", "138****5678"),  # full-width plus and dashes
        ("0755-12345678", "075*****5678"),  # landline: 12 digits
        ("1381234", "1381234"),  # exactly 7: nothing hidden in between
        ("12345", "*****"),
        ("", ""),
    ],
)
def test_mask_phone(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_mask_phone_never_shows_middle_digits() -> None:
    assert "1234" not in mask_phone("13812345678")[:7]
    assert mask_phone("13812345678").count("*") == 4


@pytest.mark.parametrize(
    "raw", ["13812345678", "138 1234 5678", "138-1234-5678", "+86 13812345678", "１３８１２３４５６７８"]
)
def test_normalize_phone(raw: str) -> None:
    assert normalize_phone(raw) == "13812345678"


def test_full_width_space_is_a_separator_too() -> None:
    raw = "１３８\u3000１２３４\u3000５６７８"
    assert normalize_phone(raw) == "13812345678"
    assert mask_phone(raw) == "138****5678"
    cipher = PiiCipher(SECRET)
    assert cipher.blind_index(raw) == cipher.blind_index("13812345678")


# --- PII cipher -----------------------------------------------------------------------------------------


def test_pii_round_trip() -> None:
    cipher = PiiCipher(SECRET)
    for text in ["13812345678", "张三，福田区华富街道莲花一村 3 栋 502", ""]:
        token = cipher.encrypt(text)
        assert text == "" or text not in token
        assert cipher.decrypt(token) == text
    # A new cipher from the same secret reads what the first wrote.
    assert PiiCipher(SECRET).decrypt(cipher.encrypt("李四")) == "李四"


def test_pii_nonce_is_random() -> None:
    cipher = PiiCipher(SECRET)
    a, b = cipher.encrypt("13812345678"), cipher.encrypt("13812345678")
    assert a != b
    assert base64.urlsafe_b64decode(a)[:12] != base64.urlsafe_b64decode(b)[:12]
    assert cipher.decrypt(a) == cipher.decrypt(b) == "13812345678"


def test_pii_wrong_key_or_tampering_is_detected() -> None:
    token = PiiCipher(SECRET).encrypt("13812345678")
    with pytest.raises(InvalidTag):
        PiiCipher(OTHER).decrypt(token)
    blob = bytearray(base64.urlsafe_b64decode(token))
    blob[-1] ^= 0x01
    with pytest.raises(InvalidTag):
        PiiCipher(SECRET).decrypt(base64.urlsafe_b64encode(bytes(blob)).decode())


def test_blind_index() -> None:
    cipher = PiiCipher(SECRET)
    idx = cipher.blind_index("13812345678")
    assert cipher.blind_index("138 1234 5678") == idx
    assert cipher.blind_index("+86 138-1234-5678") == idx
    assert cipher.blind_index("１３８１２３４５６７８") == idx
    assert PiiCipher(SECRET).blind_index("13812345678") == idx  # deterministic across instances
    assert cipher.blind_index("13812345679") != idx
    assert PiiCipher(OTHER).blind_index("13812345678") != idx
    assert len(idx) == 64 and int(idx, 16) >= 0
    # The index is keyed: it is not the bare hash of the number.
    assert idx != hashlib.sha256(b"13812345678").hexdigest()


def test_pii_cipher_cached_per_secret() -> None:
    assert pii_cipher(SECRET) is pii_cipher(SECRET)
    assert pii_cipher(SECRET) is not pii_cipher(OTHER)


# --- passwords ------------------------------------------------------------------------------------------


def test_password_hash_and_verify() -> None:
    hashed = hash_password("正确的密码 Correct-Horse-1")
    assert "Correct-Horse-1" not in hashed
    assert verify_password("正确的密码 Correct-Horse-1", hashed)
    assert not verify_password("正确的密码 Correct-Horse-2", hashed)
    assert not verify_password("", hashed)
    assert hash_password("same") != hash_password("same")  # salted


@pytest.mark.parametrize("bad", ["", "not-a-hash", "$argon2id$v=19$m=65536,t=3,p=4$broken", "$2b$12$short"])
def test_malformed_hash_returns_false(bad: str) -> None:
    assert verify_password("whatever", bad) is False


# --- tokens ---------------------------------------------------------------------------------------------


def test_token_round_trip() -> None:
    token = issue_token(SECRET, 42, "dispatcher", ttl_minutes=30, session_id="s1")
    data = read_token(SECRET, token)
    assert data["sub"] == "42"
    assert data["role"] == "dispatcher"
    assert data["exp"] - data["iat"] == 30 * 60


def test_expired_token_is_not_authenticated() -> None:
    # Issued two hours ago with a one-hour lifetime: expired by an hour, far beyond any clock leeway.
    token = issue_token(SECRET, 42, "dispatcher", ttl_minutes=60, now=utcnow() - timedelta(hours=2), session_id="s1")
    with pytest.raises(NotAuthenticated) as info:
        read_token(SECRET, token)
    assert info.value.status == 401
    assert "过期" in info.value.message


@pytest.mark.parametrize("case", ["wrong_secret", "garbage", "tampered"])
def test_invalid_token_is_not_authenticated(case: str) -> None:
    token = issue_token(SECRET, 7, "resident", ttl_minutes=30, session_id="s1")
    if case == "wrong_secret":
        secret, token = OTHER, token
    elif case == "garbage":
        secret, token = SECRET, "not.a.token"
    else:
        head, _body, sig = token.split(".")
        forged = base64.urlsafe_b64encode(b'{"sub":"1","role":"admin","exp":9999999999}').rstrip(b"=").decode()
        secret, token = SECRET, f"{head}.{forged}.{sig}"
    with pytest.raises(NotAuthenticated) as info:
        read_token(secret, token)
    assert info.value.message == "登录凭据无效"


# --- API keys -------------------------------------------------------------------------------------------


def test_api_key_digest_is_stable() -> None:
    digest = api_key_digest("gg_example-key")
    assert digest == api_key_digest("gg_example-key")
    # Pinned: stored digests must keep matching after upgrades (plain SHA-256 hex of the key).
    assert digest == "09299e2a586728770d51d846f5e96766bcad71bdd563c332ff9657219edfedc6"
    assert digest != api_key_digest("gg_example-kez")


def test_new_api_key() -> None:
    a, b = new_api_key(), new_api_key()
    assert a.plaintext.startswith(API_KEY_PREFIX)
    assert a.prefix == a.plaintext[:10]
    assert a.digest == api_key_digest(a.plaintext)
    assert a.plaintext not in a.digest
    assert len(a.plaintext) > 40  # 32 random bytes, url-safe
    assert a.plaintext != b.plaintext and a.digest != b.digest


# --- upload sniffing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32, "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 32, "image/png"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32, "image/webp"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", "image/heic"),
        (b"GIF89a\x01\x00\x01\x00", None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),  # RIFF but not WebP
        (b"XXXX\x24\x00\x00\x00WEBPVP8 ", None),  # WEBP without RIFF
        (b"\xff\xd8", None),  # truncated JPEG magic
        (b"%PDF", None),
        (b"<html><body>hi</body></html>", None),
        (b"PK\x03\x04", None),
        (b"", None),
    ],
    ids=[
        "jpeg",
        "png",
        "webp",
        "pdf",
        "heic",
        "heif-mif1",
        "gif",
        "riff-wave",
        "webp-no-riff",
        "short-jpeg",
        "short-pdf",
        "html",
        "zip",
        "empty",
    ],
)
def test_sniff(data: bytes, kind: str | None) -> None:
    assert sniff(data) == kind


def test_access_log_hides_tokens_in_query_strings() -> None:
    import logging

    from gridgov.app import RedactSecrets

    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', None, None)
    record.args = ("127.0.0.1:5000", "GET", "/api/dashboard/stream?access_token=eyJabc.def&x=1", "1.1", 200)
    RedactSecrets().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /api/dashboard/stream?access_token=***&x=1 HTTP/1.1" 200'
    record.args = ("127.0.0.1:5000", "GET", "/api/public/events/20261121?token=s3cr3t", "1.1", 200)
    RedactSecrets().filter(record)
    assert "s3cr3t" not in record.getMessage()


def test_verified_token_cache_still_refuses_expired_and_foreign_tokens() -> None:
    from gridgov.org import deps

    key, other = "k" * 40, "o" * 40
    soon = utcnow() - timedelta(seconds=59)  # expires in ~1 s
    token = issue_token(key, 7, "resident", ttl_minutes=1, now=soon, session_id="s1")
    assert deps._token_claims(key, token) == (7, "s1", False)
    assert deps._token_claims(key, token) == (7, "s1", False)  # from the cache
    with pytest.raises(NotAuthenticated):
        deps._token_claims(other, token)  # signed with another key
    with pytest.raises(NotAuthenticated):
        deps._token_claims(key, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    time.sleep(1.6)
    with pytest.raises(NotAuthenticated, match="过期"):
        deps._token_claims(key, token)
