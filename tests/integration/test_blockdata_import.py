"""Block data import through the real service and route: all or nothing (a bad row rolls back the whole file,
naming its line and field), provenance on every record, weak addresses to the review queue, and PII that never
reaches the database in the clear."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from blockdata_support import buildings, new_id, new_phone
from gridgov.address import reviews
from gridgov.address.models import Address, AddressReview
from gridgov.blockdata import importing
from gridgov.blockdata.models import BatchStatus, ImportBatch, PersonRecord, PhoneRecord, RoomRecord
from gridgov.common.uow import one_action
from gridgov.config import Settings
from support import People

Login = Callable[[str], dict[str, str]]


def building(session: Session, index: int = 0) -> Address:
    return buildings(session)[index]


def person_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["姓名", "证件号码", "联系电话", "居住地址", "迁入日期"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(PersonRecord)) or 0)


def test_a_file_is_imported_whole_with_provenance(session: Session, people: People) -> None:
    admin = people.user("admin")
    b = building(session)
    number, phone = new_id(), new_phone()
    rows = [
        {"name": "陈一", "id_number": number.lower(), "phone": "+86 " + phone, "address": b.full_name + "2单元501"},
        {"name": "陈二", "id_number": new_id("19900101"), "phone": "", "address": b.full_name},
    ]
    report = one_action(
        importing.import_records, session, admin, department="公安", kind="person", filename="t.csv", rows=rows
    )
    assert report.ok, report.errors
    assert report.counts["people"] == 2 and report.counts["phones"] == 1
    records = list(
        session.scalars(
            select(PersonRecord).where(PersonRecord.batch_id == report.batch_id).order_by(PersonRecord.line)
        )
    )
    assert [(r.department, r.line) for r in records] == [("公安", 2), ("公安", 3)]
    first = records[0]
    assert first.address_id == b.id and first.grid_id == b.grid_id
    assert first.room_code == f"{b.code}-2单元501"
    assert first.id_masked == number[:4] + "**********" + number[-4:]
    assert first.id_enc and number not in first.id_enc and first.id_index and len(first.id_index) == 64
    phone_row = session.scalar(select(PhoneRecord).where(PhoneRecord.person_id == first.id))
    assert phone_row is not None and phone_row.phone_masked == phone[:3] + "****" + phone[-4:]
    assert session.get(ImportBatch, report.batch_id).status == BatchStatus.COMMITTED.value  # type: ignore[union-attr]


def test_a_bad_row_rolls_back_the_whole_file_naming_its_line(session: Session, people: People) -> None:
    admin = people.user("admin")
    b = building(session)
    good = new_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        {"name": "周一", "id_number": good, "address": b.full_name},
        {"name": "周二", "id_number": new_id(), "address": b.full_name},
        {"name": "周三", "id_number": bad, "address": b.full_name, "move_in": "2020-02-30"},
    ]
    before = _count(session)
    report = one_action(
        importing.import_records, session, admin, department="公安", kind="person", filename="t.csv", rows=rows
    )
    assert not report.ok and report.batch_id is None
    assert [(e["line"], e["field"]) for e in report.errors] == [(4, "id_number"), (4, "move_in")]
    assert "校验位错误" in report.errors[0]["message"]
    assert _count(session) == before  # nothing of the file was written


def test_the_route_refuses_a_bad_file_and_serves_its_error_report(
    app_client: TestClient, login: Login, session: Session
) -> None:
    b = building(session)
    good = new_id()
    data = person_csv(
        [
            {
                "姓名": "吴一",
                "证件号码": good,
                "联系电话": new_phone(),
                "居住地址": b.full_name,
                "迁入日期": "2021-03-01",
            },
            {
                "姓名": "吴二",
                "证件号码": good[:-1] + ("0" if good[-1] != "0" else "1"),
                "联系电话": "12",
                "居住地址": "",
                "迁入日期": "",
            },
        ]
    )
    before = _count(session)
    headers = login("admin")
    form = {"department": "公安", "kind": "person"}
    r = app_client.post(
        "/api/blockdata/import", files={"file": ("p.csv", data, "text/csv")}, data=form, headers=headers
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["ok"] is False and body["error"]["message"].startswith("第3行")
    assert {e["field"] for e in body["errors"]} == {"id_number", "phone", "address"}
    assert _count(session) == before
    report = app_client.get(body["error_report"], headers=headers)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    text = report.content.decode("utf-8-sig")
    assert "行号,字段,字段代码,问题" in text and "3,证件号码,id_number" in text
    assert good not in text  # the report names problems, never the numbers
    # the dispatcher of another centre cannot read the admin's batch
    assert app_client.get(body["error_report"], headers=login("dsp_440304000000")).status_code == 404
    fixed = person_csv(
        [{"姓名": "吴一", "证件号码": good, "联系电话": new_phone(), "居住地址": b.full_name, "迁入日期": "2021-03-01"}]
    )
    ok = app_client.post(
        "/api/blockdata/import", files={"file": ("p.csv", fixed, "text/csv")}, data=form, headers=headers
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["counts"]["people"] == 1


def test_a_saved_mapping_reads_a_department_s_own_columns(session: Session, people: People) -> None:
    admin = people.user("admin")
    b = building(session)
    one_action(
        importing.save_mapping, session, admin, "测试局", "person", {"公民身份号码": "id_number", "现住址": "address"}
    )
    rows = [{"姓名": "郑一", "公民身份号码": new_id(), "现住址": b.full_name}]
    report = one_action(
        importing.import_records, session, admin, department="测试局", kind="person", filename="m.csv", rows=rows
    )
    assert report.ok, report.errors


def test_a_weak_address_waits_in_the_review_queue_and_its_resolution_places_the_record(
    session: Session, people: People
) -> None:
    admin = people.user("admin")
    rows = [{"name": "孙一", "id_number": new_id(), "address": "无此路九九九号某某大院"}]
    report = one_action(
        importing.import_records, session, admin, department="公安", kind="person", filename="w.csv", rows=rows
    )
    assert report.ok and report.counts["review"] == 1
    record = session.scalar(select(PersonRecord).where(PersonRecord.batch_id == report.batch_id))
    assert record is not None and record.address_id is None and record.grid_id is None
    review = session.scalar(
        select(AddressReview).where(AddressReview.source == "bd_person", AddressReview.source_id == record.id)
    )
    assert review is not None
    b = building(session, 3)
    one_action(reviews.resolve_review, session, admin, review.id, b.code, learn=False)
    session.refresh(record)
    assert record.address_id == b.id and record.grid_id == b.grid_id


def test_a_rental_row_without_a_tenant_is_a_vacant_room_placed_or_reviewed_as_itself(
    session: Session, people: People
) -> None:
    admin = people.user("admin")
    b = building(session, 7)
    weak = "无此路八八八号某某大院"
    rows = [
        {"address": b.full_name + "1单元302", "use": "商铺", "owner_name": "钱七"},
        {"address": weak + " 101", "use": "住宅", "owner_name": "钱八"},
        {"address": weak + " 102", "owner_name": "钱九", "tenant_name": "钱十", "id_number": new_id(), "use": "出租"},
    ]
    report = one_action(
        importing.import_records, session, admin, department="住建", kind="rental", filename="r.csv", rows=rows
    )
    assert report.ok, report.errors
    assert (report.counts["rooms"], report.counts["people"], report.counts["review"]) == (3, 1, 2)
    rooms = list(
        session.scalars(select(RoomRecord).where(RoomRecord.batch_id == report.batch_id).order_by(RoomRecord.line))
    )
    vacant, waiting, rented = rooms
    assert (vacant.tenant_id, vacant.use, vacant.owner_name, vacant.address_id) == (None, "commercial", "钱七", b.id)
    assert vacant.room_code == f"{b.code}-1单元302" and waiting.tenant_id is None and waiting.address_id is None
    assert rented.tenant_id is not None
    review = session.scalar(
        select(AddressReview).where(AddressReview.source == "bd_room", AddressReview.source_id == waiting.id)
    )
    assert review is not None
    one_action(reviews.resolve_review, session, admin, review.id, b.code, learn=False)
    session.refresh(waiting)
    assert waiting.address_id == b.id and waiting.grid_id == b.grid_id


def test_no_plaintext_id_or_phone_in_the_database_file(session: Session, people: People, settings: Settings) -> None:
    if not settings.db_url.startswith("sqlite"):
        pytest.skip("greps the embedded SQLite database file")
    admin = people.user("admin")
    number, phone = new_id("19770707"), new_phone()
    rows = [{"name": "钱一", "id_number": number, "phone": phone, "address": building(session).full_name}]
    report = one_action(
        importing.import_records, session, admin, department="公安", kind="person", filename="g.csv", rows=rows
    )
    assert report.ok
    path = Path(settings.db_url.split("///", 1)[1])
    blobs = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    assert b"pk_bd_person" in blobs or b"bd_person" in blobs  # the file holds the block data tables
    for secret in (number, phone, number[6:14] + number[14:]):
        assert secret.encode() not in blobs, secret
