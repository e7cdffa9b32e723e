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


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash of nothing anyone knows, made with the same parameters as real ones: an unknown user's password is
    checked against it, so that the answer takes as long as for a known one."""
    return _hasher.hash(secrets.token_urlsafe(16))


def warm_password_check() -> None:
    """Compute the dummy hash ahead of the first login (the app's warm-up calls it)."""
    _dummy_hash()


def verify_password(password: str, hashed: str | None) -> bool:
    """Whether `password` matches `hashed`. With no usable hash (an unknown user, an account without a password)
    the password is checked against the dummy hash, so every refusal costs one full hash check."""
    if hashed:
        try:
            return _hasher.verify(password, hashed)
        except Exception:  # malformed or no hash (a demo account without a password): a failed login, never a crash
            pass
    _hasher.verify(password, _dummy_hash())
    return False


class TokenExpired(NotAuthenticated):
    """The access token ran out: the pages refresh it silently (POST /api/auth/refresh) and retry."""

    code = "token_expired"


def issue_token(
    secret: str,
    user_id: int,
    role: str,
    ttl_minutes: float,
    now: datetime | None = None,
    *,
    session_id: str,
    must_change_password: bool = False,
) -> str:
    """A signed access token of one sign-in (`session_id`); it dies with its session (logout, password change,
    deactivation) or after `ttl_minutes`, whichever comes first."""
    now = now or utcnow()
    payload: dict[str, Any] = {
        "sub": str(user_id),
        "sid": session_id,
        "role": role,
        "iat": now,
        "exp": now + timedelta(minutes=ttl_minutes),
    }
    if must_change_password:
        payload["pwc"] = True
    return jwt.encode(payload, secret, algorithm="HS256")


def read_token(secret: str, token: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sid"]})
    except jwt.ExpiredSignatureError as exc:
        raise TokenExpired("登录已过期，请重新登录") from exc
    except jwt.PyJWTError as exc:
        raise NotAuthenticated("登录凭据无效") from exc
    return data


def csrf_token_for(secret: str, session_id: str) -> str:
    """The CSRF token of a cookie sign-in: bound to its session, so a token of another sign-in does not pass."""
    return hmac.new(secret.encode(), b"gridgov-csrf:" + session_id.encode(), hashlib.sha256).hexdigest()


def secret_digest(secret: str) -> str:
    """SHA-256 of a random secret (refresh tokens, API keys: high entropy, so a fast one-way hash is right)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    plaintext: str
    prefix: str
    digest: str


def new_api_key() -> NewApiKey:
    plaintext = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return NewApiKey(plaintext, plaintext[:10], api_key_digest(plaintext))


def api_key_digest(plaintext: str) -> str:
    return secret_digest(plaintext)


class PiiCipher:
    """AES-GCM encryption of PII with an HMAC blind index for exact lookups."""

    def __init__(self, secret: str) -> None:
        root = hashlib.sha256(secret.encode()).digest()
        self._enc_key = hmac.new(root, b"gridgov-pii-encrypt", hashlib.sha256).digest()
        self._idx_key = hmac.new(root, b"gridgov-pii-index", hashlib.sha256).digest()
        self._aead = AESGCM(self._enc_key)
        self._idx_mac = hmac.new(self._idx_key, digestmod=hashlib.sha256)  # copied per value: no key set-up

    def encrypt(self, plaintext: str) -> str:
        nonce = os.urandom(12)
        blob = nonce + self._aead.encrypt(nonce, plaintext.encode(), None)
        return base64.urlsafe_b64encode(blob).decode()

    def decrypt(self, token: str) -> str:
        blob = base64.urlsafe_b64decode(token.encode())
        return self._aead.decrypt(blob[:12], blob[12:], None).decode()

    def blind_index(self, value: str) -> str:
        mac = self._idx_mac.copy()
        mac.update(normalize_phone(value).encode())
        return mac.hexdigest()


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
