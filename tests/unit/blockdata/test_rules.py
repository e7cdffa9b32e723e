"""A department row's checks (each problem named by field, in Chinese), the column mapping and the room split."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.blockdata.idcodes import CodeError
from gridgov.blockdata.placing import split_room
from gridgov.blockdata.rules import check_row, mapped, parse_date, room_code

TODAY = date(2026, 12, 7)


def test_a_good_person_row_is_normalised() -> None:
    row = {
        "name": "张三",
        "id_number": "11010519491231002x",
        "phone": "+86 139 1234 5678",
        "population": "流动",
        "address": "福田区福民路1号3栋501",
        "move_in": "2020/05/01",
        "tags": "独居老人；重点关注",
    }
    checked, problems = check_row("person", row, TODAY)
    assert problems == []
    assert checked.id_number == "11010519491231002X"
    assert (checked.sex, checked.birth_date) == ("F", date(1949, 12, 31))
    assert checked.phone == "13912345678"
    assert checked.population == "floating"
    assert checked.move_in == date(2020, 5, 1)
    assert checked.tags == ["独居老人", "重点关注"]


def test_every_problem_of_a_row_is_named() -> None:
    row = {"name": "李四", "id_number": "110105194912310021", "phone": "12345", "move_in": "2020-13-01", "tags": "富人"}
    _checked, problems = check_row("person", row, TODAY)
    fields = {f for f, _m in problems}
    assert fields == {"address", "id_number", "phone", "move_in", "tags"}
    messages = dict(problems)
    assert messages["address"] == "居住地址不能为空"
    assert "身份证号校验位错误" in messages["id_number"]
    assert messages["id_number"].startswith("证件号码")


def test_move_out_before_move_in_is_refused() -> None:
    row = {
        "name": "王五",
        "id_number": "11010519491231002X",
        "address": "x",
        "move_in": "2021-01-01",
        "move_out": "2020-01-01",
    }
    _c, problems = check_row("person", row, TODAY)
    assert problems == [("move_out", "迁出日期早于迁入日期")]


def test_entity_and_rental_rows() -> None:
    checked, problems = check_row(
        "entity",
        {"name": "某某科技有限公司", "uscc": "91350100M000100Y43", "address": "福民路1号", "licence_status": "吊销"},
        TODAY,
    )
    assert problems == [] and checked.licence_status == "revoked"
    _c, problems = check_row("entity", {"name": "某某", "uscc": "91350100M000100Y44", "address": "x"}, TODAY)
    assert problems == [("uscc", "统一社会信用代码：统一社会信用代码校验位错误")]
    checked, problems = check_row(
        "rental",
        {
            "address": "福民路1号3栋501",
            "tenant_name": "赵六",
            "id_type": "港澳通行证",
            "id_number": "H12345678",
            "use": "出租",
        },
        TODAY,
    )
    assert problems == [] and (checked.id_type, checked.use, checked.population) == (
        "hk_macao_permit",
        "rental",
        "floating",
    )
    assert checked.sex is None  # only the resident card carries sex and birth date


def test_a_rental_row_without_any_tenant_is_a_vacant_room_with_an_owner() -> None:
    checked, problems = check_row("rental", {"address": "福民路1号3栋501", "use": "商铺", "owner_name": "钱七"}, TODAY)
    assert problems == [] and (checked.name, checked.id_number, checked.use) == ("", None, "commercial")
    _c, problems = check_row("rental", {"address": "福民路1号3栋501", "use": "住宅"}, TODAY)
    assert problems == [("owner_name", "房东姓名不能为空")]
    # a tenant named in any field needs his name and document
    _c, problems = check_row(
        "rental", {"address": "福民路1号3栋501", "owner_name": "钱七", "phone": "13912345678"}, TODAY
    )
    assert problems == [("tenant_name", "承租人姓名不能为空"), ("id_number", "证件号码不能为空")]


def test_mapping_renames_department_columns_and_accepts_our_labels() -> None:
    row = {"公民身份号码": "x", "姓名": "张三", "无关列": "1", "居住地址": "y", "phone": "nan"}
    assert mapped(row, {"公民身份号码": "id_number"}, "person") == {
        "id_number": "x",
        "name": "张三",
        "address": "y",
        "phone": "",
    }


def test_rooms_are_split_from_the_building() -> None:
    assert split_room("福田区福民路1号福民新村3栋2单元501") == ("福田区福民路1号福民新村3栋", "2单元501")
    assert split_room("福民新村3栋-501房") == ("福民新村3栋", "501房")
    assert split_room("福民路1号 1203") == ("福民路1号", "1203")
    assert split_room("福民路1号福民新村3栋") == ("福民路1号福民新村3栋", None)
    assert split_room("福民路1号福民新村") == ("福民路1号福民新村", None)
    assert room_code("440304001001B00001", "2单元 501") == "440304001001B00001-2单元501"
    assert room_code("440304001001B00001", None) is None


def test_dates_in_every_accepted_shape_and_impossible_ones_refused() -> None:
    for text in ("2015-03-01", "2015/3/1", "20150301", "2015.03.01", "2015年3月1日", " 2015-03-01 10:00"):
        assert parse_date(text) == date(2015, 3, 1), text
    for bad in ("2015-02-30", "2015-03/01", "2015年13月1日", "abc", "2015-3"):
        with pytest.raises(CodeError):
            parse_date(bad)
