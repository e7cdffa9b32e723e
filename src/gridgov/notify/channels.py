"""The channels, behind one interface: `send(session, message)`. In-app writes the bell in the session it is
handed (so it is sent exactly when the delivery is marked sent); SMS goes through an `SmsAdapter` (a file of
JSON lines or the log for tests and the demo; a real gateway is `GRIDGOV_NOTIFY_SMS=module:factory`); e-mail is
SMTP with the standard library. Every message carries its delivery's idempotency key: the file adapter keeps
one line per key, the e-mail's Message-ID is derived from it, and a gateway can pass it on as its out-id."""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import smtplib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session

from gridgov.common.security import mask_phone
from gridgov.common.timeutil import utcnow
from gridgov.config import Settings
from gridgov.notify.models import Notification
from gridgov.notify.rules import ChannelName

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    key: str
    notification_id: int
    address: str  # phone number or e-mail address (decrypted); "" for in-app
    title: str
    body: str


class Channel(Protocol):
    name: ChannelName

    def send(self, session: Session, message: Message) -> None: ...

    def close(self) -> None: ...


class InAppChannel:
    name = ChannelName.IN_APP

    def send(self, session: Session, message: Message) -> None:
        self.send_many(session, [message])

    def send_many(self, session: Session, messages: Sequence[Message]) -> None:
        """The bell of a whole batch in one statement (each notification reaches the inbox once)."""
        session.execute(
            update(Notification)
            .where(Notification.id.in_([m.notification_id for m in messages]), Notification.inbox_at.is_(None))
            .values(inbox_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    def close(self) -> None:
        return None


class SmsAdapter(Protocol):
    def send_sms(self, phone: str, text: str, key: str) -> None: ...


class FileSmsAdapter:
    """One JSON line per message in a file, at most one per key (a message sent again after a crash, before its
    delivery was marked sent, is recognised and not written twice)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._keys: set[str] | None = None

    def _known(self) -> set[str]:
        if self._keys is None:
            self._keys = set()
            if self.path.exists():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        self._keys.add(json.loads(line)["key"])
        return self._keys

    def send_sms(self, phone: str, text: str, key: str) -> None:
        with self._lock:
            known = self._known()
            if key in known:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            line = json.dumps(
                {"key": key, "phone": phone, "text": text, "at": utcnow().isoformat()}, ensure_ascii=False
            )
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
                f.flush()
            known.add(key)


class LogSmsAdapter:
    def send_sms(self, phone: str, text: str, key: str) -> None:
        log.info("SMS %s to %s: %s", key, mask_phone(phone), text)


def sms_adapter(settings: Settings) -> SmsAdapter | None:
    kind = settings.notify_sms
    if kind in ("", "none"):
        return None
    if kind == "file":
        return FileSmsAdapter(Path(settings.notify_sms_file or settings.var_dir / "sms.jsonl"))
    if kind == "log":
        return LogSmsAdapter()
    module, _, attr = kind.partition(":")
    if not attr:
        raise ValueError(f"GRIDGOV_NOTIFY_SMS={kind!r}: none, file, log or module:factory")
    factory = getattr(importlib.import_module(module), attr)
    adapter: SmsAdapter = factory(settings)
    return adapter


class SmsChannel:
    name = ChannelName.SMS

    def __init__(self, adapter: SmsAdapter, sign: str) -> None:
        self.adapter, self.sign = adapter, sign

    def send(self, session: Session, message: Message) -> None:
        self.adapter.send_sms(message.address, f"【{self.sign}】{message.body}", message.key)

    def close(self) -> None:
        return None


class EmailChannel:
    """SMTP (smtplib), one connection kept for a batch and opened again when it drops."""

    name = ChannelName.EMAIL

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            s = self.settings
            smtp = smtplib.SMTP(s.notify_smtp_host, s.notify_smtp_port, timeout=20)
            if s.notify_smtp_starttls:
                smtp.starttls()
            if s.notify_smtp_user:
                smtp.login(s.notify_smtp_user, s.notify_smtp_password)
            self._smtp = smtp
        return self._smtp

    def send(self, session: Session, message: Message) -> None:
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = self.settings.notify_smtp_from
        mail["To"] = message.address
        digest = hashlib.sha256(message.key.encode()).hexdigest()[:32]
        mail["Message-ID"] = f"<{digest}@gridgov.notify>"
        mail["X-Gridgov-Key"] = message.key
        mail.set_content(message.body)
        try:
            self._connection().send_message(mail)
        except smtplib.SMTPServerDisconnected:
            self._smtp = None
            self._connection().send_message(mail)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except smtplib.SMTPException:
                smtp.close()


def build_channels(settings: Settings) -> dict[ChannelName, Channel]:
    channels: dict[ChannelName, Channel] = {ChannelName.IN_APP: InAppChannel()}
    adapter = sms_adapter(settings)
    if adapter is not None:
        channels[ChannelName.SMS] = SmsChannel(adapter, settings.notify_sms_sign)
    if settings.notify_smtp_host:
        channels[ChannelName.EMAIL] = EmailChannel(settings)
    return channels
