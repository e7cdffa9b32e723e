"""The pure rules of 自主申报 and 核查: outcomes allowed by status, re-verification types and cut-offs, the
declaration as a rental row, and on-site corrections."""

from __future__ import annotations

from datetime import date

from gridgov.blockdata.rules import check_row
from gridgov.blockdata.verify_rules import (
    allowed_outcomes,
    corrected,
    declaration_number,
    rental_row,
    stale_cutoff,
    stale_type,
)


def test_only_an_open_task_may_be_settled() -> None:
    assert allowed_outcomes("open") == ("confirm", "correct", "reject")
    for settled in ("confirmed", "corrected", "rejected"):
        assert allowed_outcomes(settled) == ()


def test_the_re_verification_type_and_its_cutoff() -> None:
    assert stale_type("entity", None) == "entity"
    assert stale_type("person", "floating") == "floating"
    assert stale_type("person", "registered") == stale_type("person", None) == "registered"
    assert stale_cutoff(date(2026, 12, 7), 90) == date(2026, 9, 8)
    assert stale_cutoff(date(2026, 12, 7), 0) is None


def test_a_declaration_is_a_rental_row_the_import_accepts() -> None:
    fields = {"tenant_name": "李租客", "id_type": "", "move_in": "2026-12-01", "move_out": "", "use": "", "room": "x"}
    row = rental_row("福民路1号福民新村3栋", "2单元501", fields, {"id_number": "11010519491231002X", "phone": ""})
    assert row["address"] == "福民路1号福民新村3栋2单元501" and row["use"] == "rental" and "room" not in row
    checked, problems = check_row("rental", row, date(2026, 12, 7))
    assert problems == [] and checked.id_number == "11010519491231002X" and checked.population == "floating"


def test_corrections_touch_only_correctable_non_blank_fields() -> None:
    fields, pii = {"tenant_name": "李租客", "room": "501"}, {"id_number": "A", "phone": "B"}
    new_fields, new_pii = corrected(fields, pii, {"phone": " 139 ", "room": "", "owner_name": "x"})
    assert new_fields == fields and new_pii == {"id_number": "A", "phone": "139"}
    assert fields == {"tenant_name": "李租客", "room": "501"}  # the originals are left alone


def test_declaration_numbers_carry_the_day_and_the_id() -> None:
    assert declaration_number(date(2026, 12, 7), 42) == "SB20261207000042"
