"""Who is told what, on which channel, and when (pure: no I/O).

`ROUTES` maps a domain-event name to the notifications it causes: each `Route` names the kind (its template) and
the audience (resolved to people by `recipients.py`). **Adding a new event is one line here** plus a template of
that kind in `data/templates.toml`. A 重特大 alert (dispatch/fasttrack.py) names its one recipient in its payload
(`Audience.NAMED` reads the user ids in ``payload["recipients"]`` and ``payload["recipient_id"]``); it is urgent
(sent in quiet hours too), and each repeat of an alert nobody acknowledged is sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from gridgov.common.choices import ChoiceSet, published


@published("notify_kind")
class Kind(ChoiceSet):
    RECEIPT = ("receipt", "受理回执", "#5b8ff9")
    DISPATCHED = ("dispatched", "已派遣", "#9270ca")
    RESULT = ("result", "办理结果与评价", "#269a99")
    NEW_TASK = ("new_task", "新任务", "#f6bd16")
    RETURNED = ("returned", "复核退回", "#e8684a")
    YELLOW = ("yellow", "黄灯预警", "#fadb14")
    RED = ("red", "红灯超时", "#f5222d")
    MAJOR = ("major", "重特大事件", "#a8071a")


@published("notify_channel")
class ChannelName(ChoiceSet):
    IN_APP = ("in_app", "站内消息", "#5b8ff9")
    SMS = ("sms", "短信", "#5ad8a6")
    EMAIL = ("email", "电子邮件", "#9270ca")


@published("notify_delivery_status")
class DeliveryStatus(ChoiceSet):
    PENDING = ("pending", "待发送", "#bfbfbf")
    SENDING = ("sending", "发送中", "#f6bd16")
    SENT = ("sent", "已发送", "#52c41a")
    FAILED = ("failed", "发送失败", "#f5222d")


class Audience(ChoiceSet):
    REPORTER = ("reporter", "上报人")
    REPEAT_REPORTERS = ("repeat_reporters", "重复诉求的上报人")  # of the reports attached to the case
    HANDLERS = ("handlers", "承办人员")
    LEADERS = ("leaders", "上级领导")
    NAMED = ("named", "事件指定的人员")


@dataclass(frozen=True)
class Route:
    kind: Kind
    audience: Audience
    urgent: bool = False  # urgent ones are sent during quiet hours too


K, A = Kind, Audience
ROUTES: dict[str, tuple[Route, ...]] = {
    "event.report": (Route(K.RECEIPT, A.REPORTER),),
    "event.dispatch": (Route(K.DISPATCHED, A.REPORTER), Route(K.NEW_TASK, A.HANDLERS)),
    "event.escalate": (Route(K.NEW_TASK, A.HANDLERS),),
    "event.verify_fail": (Route(K.RETURNED, A.HANDLERS),),
    "event.verify_pass": (Route(K.RESULT, A.REPORTER), Route(K.RESULT, A.REPEAT_REPORTERS)),
    "event.warn_yellow": (Route(K.YELLOW, A.HANDLERS),),
    "event.warn_red": (Route(K.RED, A.LEADERS, urgent=True),),
    "alert.raised": (Route(K.MAJOR, A.NAMED, urgent=True),),
    "alert.repeated": (Route(K.MAJOR, A.NAMED, urgent=True),),
}

# What a person gets when he has chosen nothing for a kind (a channel he has no address for is skipped).
DEFAULT_CHANNELS: dict[Kind, tuple[ChannelName, ...]] = {
    K.RECEIPT: (ChannelName.IN_APP, ChannelName.SMS),
    K.DISPATCHED: (ChannelName.IN_APP, ChannelName.SMS),
    K.RESULT: (ChannelName.IN_APP, ChannelName.SMS),
    K.NEW_TASK: (ChannelName.IN_APP,),
    K.RETURNED: (ChannelName.IN_APP,),
    K.YELLOW: (ChannelName.IN_APP,),
    K.RED: (ChannelName.IN_APP, ChannelName.SMS, ChannelName.EMAIL),
    K.MAJOR: (ChannelName.IN_APP, ChannelName.SMS, ChannelName.EMAIL),
}


def routes_for(event_name: str) -> tuple[Route, ...]:
    return ROUTES.get(event_name, ())


def watched_events() -> frozenset[str]:
    return frozenset(ROUTES)


def chosen_channels(
    kind: Kind, preferences: dict[str, list[str]] | None, reachable: frozenset[ChannelName]
) -> list[ChannelName]:
    """The channels for `kind`: the person's choice (or the default), limited to those he can be reached on."""
    picked = (preferences or {}).get(kind.value)
    names = [ChannelName(c) for c in picked] if picked is not None else list(DEFAULT_CHANNELS[kind])
    return [c for c in names if c in reachable]


@dataclass(frozen=True)
class QuietHours:
    """A daily window (local time) when nothing but urgent notifications leaves by SMS or e-mail; it may run past
    midnight (22:00–07:00). The bell is silent, so in-app notifications are never held."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def parse_hhmm(value: str, field: str) -> time:
    """'22:00' → time(22, 0); ValueError names the field in Chinese."""
    try:
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{field} 应为“时:分”格式，如 22:00") from None


def release_at(now: datetime, quiet: QuietHours | None, urgent: bool, channel: ChannelName, tz: ZoneInfo) -> datetime:
    """When a delivery may leave: now, or the end of the quiet hours it falls in."""
    if urgent or quiet is None or channel is ChannelName.IN_APP:
        return now
    local = now.astimezone(tz)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return now
    end = datetime.combine(local.date(), quiet.end, tzinfo=tz)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(now.tzinfo)


def delivery_key(source_event_id: int, kind: Kind, recipient: str, channel: ChannelName) -> str:
    """The idempotency key of one (notification, recipient, channel): unique in the database and handed to the
    channel, so neither a re-planned event nor a re-sent delivery reaches anybody twice."""
    return f"{source_event_id}:{kind.value}:{recipient}:{channel.value}"
