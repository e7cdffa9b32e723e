"""What every channel hands the intake port: one `IntakeCommand` per report (pure data, no I/O).

A channel is an adapter that builds the command — the web and phone report API, the public 随手拍 page, batch
feeds (12345 work orders), and from now on IoT alarms, Open311, disputes and supervision comments — and calls
`intake.submit`. It never reaches into intake's internals."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from gridgov.common.errors import InvalidInput
from gridgov.dispatch.models import Channel

SHA256 = re.compile(r"[0-9a-f]{64}")
CATEGORY_CODE = re.compile(r"\d{5}")
GRID_CODE = re.compile(r"\d{15}")
TITLE_MAX = 200


@dataclass(frozen=True, slots=True)
class IntakeCommand:
    """One report. `title` and `description` are the raw text; the place is a grid code, a position (in the
    given coordinate system) or address text — any of them; `origin` keeps the channel's original payload
    (a 12345 work order, an alarm) as it arrived. `category_code` when the channel knows it; `auto_dispatch`
    files and dispatches at once (a dispatcher's feed, 智能分拨); `self_handle` is a grid worker's 自行处置 with
    its `result_note`. `followup_token_digest`: the public channel's follow-up token (SHA-256). `deadline_at`: a
    deadline the channel sets (an inspection finding's 整改期限, timezone-aware, not in the past) that the case's
    clock ends at instead of its 小类's time limit."""

    title: str
    channel: Channel = Channel.PHOTO
    description: str = ""
    category_code: str | None = None
    grid_code: str | None = None
    lon: float | None = None
    lat: float | None = None
    coord_system: Literal["wgs84", "gcj02", "bd09"] = "wgs84"
    address_text: str = ""
    reporter_phone: str | None = None
    attachments: tuple[str, ...] = ()
    idempotency_key: str | None = None
    origin: dict[str, Any] | None = None
    auto_dispatch: bool = False
    self_handle: bool = False
    result_note: str | None = None
    followup_token_digest: str | None = field(default=None, repr=False)
    deadline_at: datetime | None = None

    def __post_init__(self) -> None:
        # a channel given by its value ("hotline_12345"), photos given as a list: the command holds the types
        if not isinstance(self.channel, Channel):
            try:
                object.__setattr__(self, "channel", Channel(self.channel))
            except ValueError:
                raise InvalidInput(f"渠道“{self.channel}”不存在", field="channel") from None
        if not isinstance(self.attachments, tuple):
            object.__setattr__(self, "attachments", tuple(self.attachments))

    def check(self) -> None:
        """The checks every channel's input gets (the HTTP schemas check the same, with their own messages)."""
        if not self.title.strip():
            raise InvalidInput("请填写事件标题", field="title")
        if len(self.title) > TITLE_MAX:
            raise InvalidInput(f"标题不能超过 {TITLE_MAX} 字", field="title")
        if self.category_code is not None and not CATEGORY_CODE.fullmatch(self.category_code):
            raise InvalidInput("小类代码应为五位数字", field="category_code")
        if self.grid_code is not None and not GRID_CODE.fullmatch(self.grid_code):
            raise InvalidInput("网格代码应为十五位数字", field="grid_code")
        if (self.lon is None) != (self.lat is None):
            raise InvalidInput("经度和纬度须同时提供", field="lon" if self.lon is None else "lat")
        for h in self.attachments:
            if not SHA256.fullmatch(h):
                raise InvalidInput("附件应为上传接口返回的 sha256", field="attachments")
        if self.deadline_at is not None and self.deadline_at.tzinfo is None:
            raise InvalidInput("处置期限须带时区", field="deadline_at")
        if self.auto_dispatch and self.self_handle:
            raise InvalidInput("自行处置的事件不再派遣", field="auto_dispatch")
        if self.self_handle:
            if not self.category_code:
                raise InvalidInput("自行处置需要选择事件小类", field="category_code")
            if not (self.result_note or "").strip():
                raise InvalidInput("请填写处置结果", field="result_note")
