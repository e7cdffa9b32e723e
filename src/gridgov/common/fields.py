"""Field types shared by every context's input shapes: rules that hold for any field of their kind, written once."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def _not_blank(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("不能为空")
    return value


# A required string: surrounding whitespace stripped, and whitespace alone refused (422 naming the field) as a
# missing value would be; `min_length=1` alone lets "   " through to the service. Its length limits stay on the
# field: `title: NonBlank = Field(min_length=1, max_length=200)`.
NonBlank = Annotated[str, AfterValidator(_not_blank)]
