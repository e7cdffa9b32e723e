"""Notification templates: Chinese defaults shipped in data/templates.toml, the admin's changes in the
`notify_template` table, rendered with Jinja2's sandbox (a template is data an admin typed: it may read the
variables it is given and nothing else)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.notify.models import NotifyTemplate
from gridgov.notify.rules import Kind

DEFAULTS_FILE = Path(__file__).parent / "data" / "templates.toml"
# What a template may use, with example values (the admin's check renders a changed template with these).
SAMPLE: dict[str, Any] = {
    "number": "2026120600000001",
    "title": "人行道井盖缺失",
    "category": "井盖缺失",
    "address": "深圳市福田区福华路1号",
    "status": "处置中",
    "deadline": "12月08日 18:00",
    "department": "福田区城市管理和综合执法局",
    "result": "已更换井盖",
    "note": "现场未见处置",
    "link": "/handler",
    "rating_link": "/resident",
    "recipient": "张三",
    "at": "12月06日 10:00",
}


@dataclass(frozen=True)
class Template:
    kind: Kind
    title: str
    body: str
    changed: bool  # the admin's own, not the shipped default


_ENV = ImmutableSandboxedEnvironment(undefined=Undefined, autoescape=False, keep_trailing_newline=False)
_STRICT = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@lru_cache(maxsize=1)
def defaults() -> dict[Kind, tuple[str, str]]:
    data = tomllib.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    return {Kind(k): (str(v["title"]), str(v["body"])) for k, v in data.items()}


def current(session: Session) -> dict[Kind, Template]:
    """Every kind's template in force: the admin's change, else the default."""
    changed = {Kind(t.kind): t for t in session.scalars(select(NotifyTemplate))}
    out: dict[Kind, Template] = {}
    for kind, (title, body) in defaults().items():
        row = changed.get(kind)
        out[kind] = Template(kind, row.title, row.body, True) if row else Template(kind, title, body, False)
    return out


def check(text: str, field: str) -> None:
    """Refuse a template that does not parse or that uses a variable it is not given (ValueError in Chinese)."""
    try:
        _STRICT.from_string(text).render(SAMPLE)
    except TemplateError as exc:
        raise ValueError(f"{field} 模板有误：{exc.message or exc}") from None


@lru_cache(maxsize=256)
def _compiled(text: str) -> Any:
    return _ENV.from_string(text)


def render(template: Template, context: dict[str, Any]) -> tuple[str, str]:
    """(title, body) for this context; a template broken after the fact renders as its default."""
    try:
        return _compiled(template.title).render(context).strip(), _compiled(template.body).render(context).strip()
    except TemplateError:
        title, body = defaults()[template.kind]
        return _compiled(title).render(context).strip(), _compiled(body).render(context).strip()
