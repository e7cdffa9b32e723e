"""HTTP shapes of the notifications API (the e-mail address is masked on the way out)."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from gridgov.notify.rules import ChannelName, Kind

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PreferencesIn(BaseModel):
    channels: dict[Kind, list[ChannelName]] = Field(
        default_factory=dict, description="每类通知的接收渠道；未列出的类别用默认渠道"
    )
    quiet_start: str | None = Field(default=None, max_length=5, description="免打扰开始（时:分），如 22:00")
    quiet_end: str | None = Field(default=None, max_length=5, description="免打扰结束（时:分），如 07:00")
    email: str | None = Field(default=None, max_length=254, description="电子邮箱；空字符串为删除，不填为不变")

    @field_validator("email")
    @classmethod
    def _email(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip()
        if v and not EMAIL.match(v):
            raise ValueError("电子邮箱格式不正确")
        return v


class PreferencesOut(BaseModel):
    channels: dict[str, list[str]]  # in force for each kind (his choice or the default)
    chosen: list[str]  # the kinds he has chosen himself
    quiet_start: str | None
    quiet_end: str | None
    email: str | None  # masked
    available: list[str]  # the channels this deployment has configured


class ReadIn(BaseModel):
    ids: list[int] | None = Field(default=None, max_length=500, description="要标记已读的通知；不填为全部")


class NotificationOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    urgent: bool
    title: str
    body: str
    link: str
    case_id: int | None
    created_at: datetime
    read: bool


class InboxOut(BaseModel):
    unread: int
    items: list[NotificationOut]


class TemplateIn(BaseModel):
    title: str = Field(min_length=1, max_length=200, description="标题模板（Jinja2）")
    body: str = Field(min_length=1, max_length=2000, description="正文模板（Jinja2）")


class TemplateOut(BaseModel):
    kind: str
    kind_label: str
    title: str
    body: str
    changed: bool
    default_title: str
    default_body: str
    variables: list[str]


def mask_email(value: str) -> str:
    name, _, domain = value.partition("@")
    return (name[:1] + "***" if name else "***") + "@" + domain
