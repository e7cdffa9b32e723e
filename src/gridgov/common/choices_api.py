"""`GET /api/choices`: every published ChoiceSet (value, Chinese label, colour), generated from the registry."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gridgov.common.choices import registry

router = APIRouter(prefix="/api", tags=["catalog"])


@router.get("/choices", summary="枚举值（中文名与颜色）")
def choices() -> dict[str, list[dict[str, Any]]]:
    return registry()
