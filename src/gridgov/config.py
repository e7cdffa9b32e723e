"""One settings object, read from the environment (prefix GRIDGOV_) and `.env`."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from datetime import time
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDGOV_", env_file=".env", extra="ignore")

    var_dir: Path = Field(default=Path("var"), description="Where the SQLite database, keys and uploads live")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite under var_dir")
    secret_key: str = Field(default="", description="JWT signing key; generated under var_dir when empty")
    pii_key: str = Field(default="", description="Key for PII encryption at rest; generated when empty")
    # Sign-in lifetimes: a short access token, refreshed silently by the pages (and by machine clients through
    # POST /api/auth/refresh) with a rotating refresh token kept server-side; README "Security and operations".
    access_token_minutes: float = Field(default=15, gt=0, description="Lifetime of an access token")
    refresh_idle_hours: float = Field(default=12, gt=0, description="A refresh token unused this long is dead")
    session_max_hours: float = Field(default=24, gt=0, description="A sign-in ends this long after the login")
    login_free_failures: int = Field(default=3, ge=1, description="Wrong passwords per account before delays")
    login_lock_failures: int = Field(default=10, ge=2, description="Wrong passwords per account that lock it")
    login_source_free_failures: int = Field(default=20, ge=1, description="Failures per source before delays")
    login_source_lock_failures: int = Field(default=100, ge=2, description="Failures per source that lock it")
    login_lock_minutes: int = Field(default=15, ge=1, description="How long a lock lasts (and failures count)")
    cookie_secure: bool | None = Field(
        default=None, description="Secure flag of the sign-in cookies; empty: when the request came over https"
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose X-Forwarded-For is believed; empty: the header is ignored",
    )
    api_docs: bool = Field(default=False, description="Serve /docs and /openapi.json")
    max_body_bytes: int = Field(default=2 * 1024 * 1024, description="Largest request body outside uploads")
    max_import_bytes: int = Field(default=64 * 1024 * 1024, description="Largest address or catalog import")
    audit_key: str = Field(default="", description="Key of the audit log's hash chain (HMAC); generated when empty")
    timezone: str = "Asia/Shanghai"
    work_periods: list[tuple[time, time]] = [(time(9, 0), time(12, 0)), (time(14, 0), time(18, 0))]
    sla_warn_ratio: float = Field(
        default=0.8, gt=0, lt=1, description="Share of the time limit used that turns a case yellow"
    )
    sla_sweep_seconds: int = Field(default=60, description="In-process sweeper interval; 0 disables it")
    blockdata_verify_days: dict[str, int] = Field(
        default={"floating": 90, "registered": 365, "entity": 365},
        description="Block data: days after its last verification (or import) a record becomes a 核查 task, per type"
        " (floating / registered population, entity); 0 turns a type off",
    )
    blockdata_verify_sweep_seconds: int = Field(
        default=3600, description="How often the due re-verification tasks are opened in process; 0 disables it"
    )
    major_alert_repeat_minutes: float = Field(
        default=5, gt=0, description="重特大: an alert not acknowledged is sent again every this many minutes"
    )
    major_alert_escalate_minutes: float = Field(
        default=15, gt=0, description="重特大: an alert not acknowledged after this many minutes goes to the next tier"
    )
    hazards_sweep_seconds: float = Field(
        default=60,
        ge=0,
        description="How often the in-process hazards worker marks silent devices offline (no-data"
        " alarms) and schedules and escalates inspections; 0 disables it (run `gridgov hazards sweep --follow`)",
    )
    hazards_grade_seconds: float = Field(
        default=86400,
        ge=0,
        description="How often that worker re-grades enterprise risk (also on its first round);"
        " 0: never in process (run `gridgov hazards grade`)",
    )
    outbox_poll_seconds: float = Field(
        default=1.0, ge=0, description="How often the in-process worker feeds the outbox to its subscribers; 0: never"
    )
    classify_auto_threshold: float = Field(
        default=0.9,
        ge=0,
        le=1.01,
        description="Classifier confidence above which a report without a 小类 is filed and dispatched by the system "
        "(per 小类 overrides in classify_threshold); above 1: never",
    )
    classify_holdout: int = Field(
        default=500,
        ge=10,
        description="Newest history labels held out to score a retrained classifier against the live one",
    )
    repeat_attach: bool = Field(
        default=True, description="Attach repeated reports (重复诉求) to their open case at intake; off: file each one"
    )
    repeat_radius_m: float = Field(
        default=100.0,
        ge=0,
        description="A new report within this distance of an open case (or at its standard address), of the same or "
        "a related 小类 and similar text, is attached to it as a repeat (重复诉求); 0: the same address only",
    )
    repeat_window_days: int = Field(
        default=7, ge=1, description="How far back a repeat looks: cases reported (or closed) within this many days"
    )
    repeat_reopen_days: float = Field(
        default=3,
        ge=0,
        description="A resident reporting the same problem again within this many days of their case being closed as "
        "resolved reopens it (重新办理) instead of filing a new linked case; 0: always file and link",
    )
    routing_learn_after: int = Field(
        default=1,
        ge=1,
        description="Consistent dispatcher corrections after which a 小类 × area's suggestion follows them",
    )
    notify_poll_seconds: float = Field(
        default=2.0,
        ge=0,
        description="How often the in-process notification sender runs; 0: never (run `gridgov notify run`)",
    )
    notify_public_url: str = Field(
        default="", description="Absolute base of links in SMS and e-mail, e.g. https://gridgov.example.cn"
    )
    notify_quiet_hours: str = Field(
        default="22:00-07:00", description="Quiet hours of whoever has set none (local time); empty: none"
    )
    notify_sms: str = Field(
        default="none", description="SMS adapter: none, file (JSON lines in notify_sms_file), log, or module:factory"
    )
    notify_sms_file: str = Field(default="", description="Where the file adapter writes; empty: var_dir/sms.jsonl")
    notify_sms_sign: str = Field(default="网格化治理", description="The signature SMS texts start with (【…】)")
    notify_smtp_host: str = Field(default="", description="SMTP server for e-mail; empty: no e-mail")
    notify_smtp_port: int = 25
    notify_smtp_user: str = ""
    notify_smtp_password: str = ""
    notify_smtp_starttls: bool = False
    notify_smtp_from: str = "gridgov@localhost"
    map_tile_url: str = Field(default="", description="Optional XYZ tile URL template for the maps; empty: no tiles")
    map_tile_attribution: str = ""
    map_tile_crs: Literal["wgs84", "gcj02", "bd09"] = Field(
        default="wgs84",
        description="Datum of the tile service: the overlays (WGS-84) are shifted into it; gcj02 for Amap/Tencent",
    )
    max_upload_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = Field(default=40_000_000, gt=0, description="Largest decoded image (width x height)")
    max_image_side: int = Field(default=12_000, gt=0, description="Longest decoded image side, in pixels")
    page_size_max: int = 200

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'gridgov.db').resolve()}"

    @property
    def attachments_dir(self) -> Path:
        return self.var_dir / "attachments"

    def _key(self, configured: str, filename: str) -> str:
        if configured:
            return configured
        path = self.var_dir / filename
        if not path.exists():
            self.var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Written whole into a private temporary file, then linked into place: another process sees either no
            # key file or the complete key, never an empty one (which it would read as the key); a racing
            # process keeps the first.
            fd, tmp = tempfile.mkstemp(dir=self.var_dir, prefix=f".{filename}.")  # created 0600
            try:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_urlsafe(48))
                with contextlib.suppress(FileExistsError):
                    os.link(tmp, path)
            finally:
                os.unlink(tmp)
        return path.read_text().strip()

    @cached_property
    def jwt_key(self) -> str:
        return self._key(self.secret_key, "secret.key")

    @cached_property
    def pii_secret(self) -> str:
        return self._key(self.pii_key, "pii.key")

    @cached_property
    def audit_secret(self) -> str:
        return self._key(self.audit_key, "audit.key")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
