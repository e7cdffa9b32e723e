"""Helpers of the block-data tests: fresh valid ID numbers and phones, and a building of the demo library."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.address.models import Address
from gridgov.blockdata.idcodes import resident_id_check_char


def new_id(born: str = "19850612") -> str:
    """A fresh valid 身份证号 (random sequence digits; its check character computed)."""
    first17 = "440304" + born + f"{uuid.uuid4().int % 1000:03d}"
    return first17 + resident_id_check_char(first17)


def new_phone() -> str:
    return "139" + f"{uuid.uuid4().int % 10**8:08d}"


def buildings(session: Session) -> list[Address]:
    stmt = select(Address).where(Address.level == "building", Address.grid_id.is_not(None)).order_by(Address.code)
    return list(session.scalars(stmt))
