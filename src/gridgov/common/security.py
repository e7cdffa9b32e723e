"""Passwords, tokens, API keys and PII protection (encryption at rest, blind index, masking)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pwdlib import PasswordHash

from gridgov.common.errors import NotAuthenticated
from gridgov.common.timeutil import utcnow

_hasher = PasswordHash.recommended()
API_KEY_PREFIX = "gg_"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    try:
        return _hasher.verify(password, hashed)
    except Exception:  # malformed hash: treat as a failed login, never a crash
        return False


def issue_token(secret: str, user_id: int, role: str, ttl_minutes: int, now: datetime | None = None) -> str:
    now = now or utcnow()
    payload = {"sub": str(user_id), "role": role, "iat": now, "exp": now + timedelta(minutes=ttl_minutes)}
    return jwt.encode(payload, secret, algorithm="HS256")


def read_token(secret: str, token: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"])
    except jwt.ExpiredSignatureError as exc:
        raise NotAuthenticated("登录已过期，请重新登录") from exc
    except jwt.PyJWTError as exc:
        raise NotAuthenticated("登录凭据无效") from exc
    return data


@dataclass(frozen=True)
class NewApiKey:
    plaintext: str
    prefix: str
    digest: str


def new_api_key() -> NewApiKey:
    plaintext = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return NewApiKey(plaintext, plaintext[:10], api_key_digest(plaintext))


def api_key_digest(plaintext: str) -> str:
    # API keys carry 256 bits of entropy, so a plain SHA-256 is the right (and fast) one-way hash.
    return hashlib.sha256(plaintext.encode()).hexdigest()


class PiiCipher:
    """AES-GCM encryption of PII with an HMAC blind index for exact lookups."""

    def __init__(self, secret: str) -> None:
        root = hashlib.sha256(secret.encode()).digest()
        self._enc_key = hmac.new(root, b"gridgov-pii-encrypt", hashlib.sha256).digest()
        self._idx_key = hmac.new(root, b"gridgov-pii-index", hashlib.sha256).digest()
        self._aead = AESGCM(self._enc_key)

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        blob = nonce + self._aead.encrypt(nonce, plaintext.encode(), None)
        return base64.urlsafe_b64encode(blob).decode()

    def decrypt(self, token: str) -> str:
        blob = base64.urlsafe_b64decode(token.encode())
        return self._aead.decrypt(blob[:12], blob[12:], None).decode()

    def blind_index(self, value: str) -> str:
        return hmac.new(self._idx_key, normalize_phone(value).encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=4)
def pii_cipher(secret: str) -> PiiCipher:
    return PiiCipher(secret)


def normalize_phone(value: str) -> str:
    """Full-width digits and separators are normalized; +86 is dropped."""
    s = "".join(value.translate(_FULLWIDTH).split()).replace("-", "")
    if s.startswith("+86"):
        s = s[3:]
    return s


_FULLWIDTH = {ord("０") + i: ord("0") + i for i in range(10)} | {ord("＋"): ord("+"), ord("－"): ord("-")}


def mask_phone(value: str) -> str:
    s = normalize_phone(value)
    if len(s) >= 7:
        return s[:3] + "*" * (len(s) - 7) + s[-4:]
    return "*" * len(s)
