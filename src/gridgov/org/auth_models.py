"""Sign-ins and login throttles, kept in the database so that a restart (or a second API process) sees them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gridgov.common.timeutil import utcnow
from gridgov.db import Base, UTCDateTime


class AuthSession(Base):
    """One sign-in: its access tokens carry `id` (a revoked or expired session refuses them) and its refresh
    token is stored only as the SHA-256 of its secret, rotated at each refresh."""

    __tablename__ = "auth_session"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    client: Mapped[str] = mapped_column(String(16))  # "cookie" (the pages) or "bearer" (machine clients)
    source: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the absolute end of the sign-in
    refresh_hash: Mapped[str] = mapped_column(String(64))
    # The refresh token this one replaced, accepted for a few seconds (two tabs refreshing at once); after that
    # its use is a replay and ends the session.
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class LoginThrottle(Base):
    """Failed logins of one account name or one source address: growing delays, then a temporary lock."""

    __tablename__ = "login_throttle"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)  # "account" or "source"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
