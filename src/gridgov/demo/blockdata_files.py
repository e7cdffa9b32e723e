"""Messy department files for the demo's block data, generated from the synthetic address library: the 公安
household register (人口), the 市场监管 company register (法人) and the 住建 rental register (房屋租赁).

Pure builder: no database. Names and company names come from Faker (zh_CN); ID numbers, credit codes and phones
are generated with valid check characters, except a small share of mistyped ones (wrong check character, a
transposed digit) that the import refuses, line by line. The rest is the mess the import accepts and cleans:
full-width digits, a lower-case x, +86 and spaces in phones, address text with or without the city, district and
street, rooms written several ways, the same person registered by two departments with another phone.
Everything is synthetic: no real person, company or phone."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from gridgov.address.records import AddressRecord
from gridgov.blockdata.idcodes import resident_id_check_char, uscc_check_char
from gridgov.blockdata.rules import SPECIAL_TAGS

DEFAULT_PEOPLE = 20_000
TYPO_SHARE = 0.004  # rows whose ID or credit code is mistyped (refused by the import)
# Column names as each department writes them (mapped to our fields by the saved mapping).
POLICE_COLUMNS = {
    "姓名": "name",
    "证件类型": "id_type",
    "公民身份号码": "id_number",
    "人口类别": "population",
    "现住址": "address",
    "联系方式": "phone",
    "迁入时间": "move_in",
    "迁出时间": "move_out",
    "人员标签": "tags",
}
MARKET_COLUMNS = {
    "主体名称": "name",
    "统一社会信用代码": "uscc",
    "法定代表人": "legal_rep",
    "行业门类": "industry",
    "登记状态": "licence_status",
    "联系电话": "phone",
    "住所": "address",
}
HOUSING_COLUMNS = {
    "房屋坐落": "address",
    "房屋用途": "use",
    "出租人": "owner_name",
    "承租人": "tenant_name",
    "承租人证件类型": "id_type",
    "承租人证件号码": "id_number",
    "承租人电话": "phone",
    "租赁起始日期": "move_in",
    "租赁终止日期": "move_out",
}
INDUSTRIES = (
    "批发和零售业",
    "住宿和餐饮业",
    "信息传输、软件和信息技术服务业",
    "租赁和商务服务业",
    "制造业",
    "居民服务业",
)
_REGIONS = (
    "440304",
    "440303",
    "440305",
    "440306",
    "440307",
    "440106",
    "430102",
    "360102",
    "450102",
    "420102",
    "510104",
)
_MOBILE_PREFIXES = ("139", "138", "137", "136", "135", "158", "159", "186", "188", "177", "199", "152", "131")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class DemoFile:
    department: str
    kind: str
    filename: str
    columns: dict[str, str]  # the department's mapping: its column → our field
    data: bytes  # CSV, UTF-8 with BOM, as the department would send it
    rows: int


def _resident_id(rng: random.Random, born: date, male: bool) -> str:
    seq = rng.randrange(0, 100) * 10 + rng.choice((1, 3, 5, 7, 9) if male else (0, 2, 4, 6, 8))
    first17 = f"{rng.choice(_REGIONS)}{born:%Y%m%d}{seq:03d}"
    return first17 + resident_id_check_char(first17)


def _uscc(rng: random.Random) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "".join(rng.choice(alphabet) for _ in range(9))
    first17 = "91" + "440304" + body
    return first17 + uscc_check_char(first17)


def _mistype(rng: random.Random, code: str) -> str:
    """A wrong check character or two transposed digits: both fail the checksum (mostly)."""
    if rng.random() < 0.5:
        last = code[-1]
        return code[:-1] + next(c for c in "0123456789" if c != last)
    i = rng.randrange(6, 16)
    swapped = code[:i] + code[i + 1] + code[i] + code[i + 2 :]
    return swapped if swapped != code else code[:-1] + ("1" if code[-1] != "1" else "2")


def _phone(rng: random.Random) -> str:
    return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(0, 10**8):08d}"


def _messy_phone(rng: random.Random, phone: str) -> str:
    r = rng.random()
    if r < 0.08:
        return "+86 " + phone
    if r < 0.14:
        return f"{phone[:3]} {phone[3:7]} {phone[7:]}"
    if r < 0.18:
        return phone.translate(_FULLWIDTH)
    if r < 0.22:
        return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
    return phone


def _messy_id(rng: random.Random, number: str) -> str:
    if number.endswith("X") and rng.random() < 0.5:
        return number[:-1] + "x"
    if rng.random() < 0.03:
        return number.translate(_FULLWIDTH)
    if rng.random() < 0.02:
        return f" {number} "
    return number


def _address_text(rng: random.Random, b: AddressRecord, community: str, street: str) -> str:
    """The building as a department writes it: in full, without the city, or without district and street."""
    full = b.full_name
    r = rng.random()
    if r < 0.45:
        return full
    if r < 0.75:
        return full.removeprefix("深圳市")
    return full.replace(street, "").replace(community, "") if street and community else full


def _room(rng: random.Random) -> tuple[int, int, int]:
    return rng.randint(1, 3), rng.randint(1, 30), rng.randint(1, 8)


def _room_text(rng: random.Random, unit: int, floor: int, no: int) -> str:
    r = rng.random()
    if r < 0.5:
        return f"{unit}单元{floor}{no:02d}"
    if r < 0.8:
        return f"{floor}{no:02d}房"
    return f"{floor}{no:02d}室"


def _csv(columns: Sequence[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def build_demo_files(
    addresses: Sequence[AddressRecord],
    division_names: dict[str, str],
    *,
    people: int = DEFAULT_PEOPLE,
    seed: int = 20261207,
    typo_share: float = TYPO_SHARE,
    today: date | None = None,
) -> list[DemoFile]:
    """Three department files: `people` person records (about 70 % in the 公安 register, the rest as tenants in
    the 住建 register, a tenth of them people the 公安 register has too), a company for every tenth person, and a
    room in the 住建 register for every building, whatever `people` is. Every building gets a 公安 resident while
    there are people enough (140,000 for the 109,548 buildings of the whole city at 200,000). A building's room is
    a rented one whose row the import accepts and places (no mistyped ID, the address in full), else one added
    for it: its first resident's room, owner-occupied, or a vacant room (use and owner, no tenant) where it has no
    resident; so a mistyped ID only ever refuses an extra row. `division_names`: division code → name, to write
    addresses without street and community."""
    today = today or date.today()
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    buildings = [a for a in addresses if a.level == "building"]
    doors = [a for a in addresses if a.level == "door"] or buildings
    if not buildings:
        return []

    def place(b: AddressRecord) -> str:
        community = division_names.get(b.community_code, "")
        street = division_names.get(b.community_code[:9] + "000", "")
        return _address_text(rng, b, community, street)

    police_n = int(people * 0.7)
    tenants_n = people - police_n
    police_rows: list[list[str]] = []
    registered: list[tuple[str, str, str, date]] = []  # (name, id, phone, born) of the 公安 register, for overlaps
    # every building gets residents first (while there are people enough), then the rest live anywhere
    order = buildings[:]
    rng.shuffle(order)
    residents: dict[str, tuple[int, tuple[int, int, int], date]] = {}  # building → its first resident's room
    for n in range(police_n):
        male = rng.random() < 0.51
        born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 80))
        name = fake.name_male() if male else fake.name_female()
        number = _resident_id(rng, born, male)
        phone = _phone(rng)
        b = order[n] if n < len(order) else rng.choice(buildings)
        unit, floor, no = _room(rng)
        moved_in = min(today, born + timedelta(days=rng.randrange(0, 365 * 40)))
        residents.setdefault(b.code, (n, (unit, floor, no), moved_in))
        moved_out = ""
        if rng.random() < 0.08:
            moved_out = (moved_in + timedelta(days=rng.randrange(30, 3000))).isoformat()
            moved_out = min(moved_out, today.isoformat())
        tags = ""
        if today.year - born.year > 75 and rng.random() < 0.3:
            tags = "独居老人"
        elif rng.random() < 0.02:
            tags = rng.choice(SPECIAL_TAGS[2:])
        id_text = _mistype(rng, number) if rng.random() < typo_share else _messy_id(rng, number)
        police_rows.append(
            [
                name,
                "居民身份证",
                id_text,
                "户籍" if rng.random() < 0.6 else "流动",
                place(b) + _room_text(rng, unit, floor, no),
                _messy_phone(rng, phone) if rng.random() < 0.9 else "",
                moved_in.strftime(rng.choice(("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d"))),
                moved_out,
                tags,
            ]
        )
        registered.append((name, number, phone, born))
    housing_rows: list[list[str]] = []
    # the tenants rent in distinct buildings first; a building has its room once a row of it is one the import
    # accepts and places (no mistyped ID, the address written in full): the mistakes land on extra rows
    rng.shuffle(order)
    roomed: set[str] = set()
    for t in range(tenants_n):
        if registered and rng.random() < 0.1:  # someone the 公安 register has too, with another phone
            name, number, _old, _born = rng.choice(registered)
        else:
            male = rng.random() < 0.55
            born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 45))
            name = fake.name_male() if male else fake.name_female()
            number = _resident_id(rng, born, male)
        b = order[t] if t < len(order) else rng.choice(buildings)
        unit, floor, no = _room(rng)
        start = today - timedelta(days=rng.randrange(0, 1500))
        end = start + timedelta(days=rng.choice((365, 730, 1095)))
        id_type, id_text, mistyped = "身份证", _messy_id(rng, number), False
        if rng.random() < 0.03:
            id_type, id_text = "港澳通行证", rng.choice("HM") + f"{rng.randrange(0, 10**8):08d}"
        elif rng.random() < typo_share:
            id_text, mistyped = _mistype(rng, number), True
        where = place(b)
        if not mistyped and b.full_name.removeprefix("深圳市") in where:
            roomed.add(b.code)
        housing_rows.append(
            [
                where + rng.choice(("", "-", " ")) + _room_text(rng, unit, floor, no),
                rng.choice(("出租", "出租", "出租", "商住", "商铺")),
                fake.name(),
                name,
                id_type,
                id_text,
                _messy_phone(rng, _phone(rng)),
                start.isoformat(),
                end.isoformat(),
            ]
        )
    # every other building: the 住建 register has the room of its first 公安 resident, owner-occupied (or a
    # shop-house), a tenth of the occupants registered under the same ID by 公安 (the linkage joins the two
    # records), the others owners the 公安 register does not have; a building without residents (a small demo
    # has fewer people than buildings) has a vacant room (空置: its use and owner, no tenant)
    for b in buildings:
        if b.code in roomed:
            continue
        where = rng.choice((b.full_name, b.full_name.removeprefix("深圳市"))) + rng.choice(("", "-", " "))
        first = residents.get(b.code)
        if first is None:
            room = _room_text(rng, *_room(rng))
            use = rng.choice(("住宅", "住宅", "商铺", "商住"))
            housing_rows.append([where + room, use, fake.name(), "", "", "", "", "", ""])
            continue
        n, (unit, floor, no), moved_in = first
        name, number, phone, _born = registered[n]
        if rng.random() >= 0.1:
            male = rng.random() < 0.5
            born = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 50))
            name = fake.name_male() if male else fake.name_female()
            number, phone = _resident_id(rng, born, male), _phone(rng)
        housing_rows.append(
            [
                where + _room_text(rng, unit, floor, no),
                rng.choice(("自住", "自住", "住宅", "居住", "商住")),
                name,
                name,
                rng.choice(("身份证", "居民身份证")),
                _messy_id(rng, number),
                _messy_phone(rng, phone) if rng.random() < 0.8 else "",
                moved_in.isoformat(),
                "",
            ]
        )
    market_rows: list[list[str]] = []
    for _ in range(max(1, people // 10)):
        code = _uscc(rng)
        b = rng.choice(doors if rng.random() < 0.5 else buildings)
        market_rows.append(
            [
                fake.company(),
                _mistype(rng, code) if rng.random() < typo_share else code.lower() if rng.random() < 0.02 else code,
                fake.name(),
                rng.choice(INDUSTRIES),
                rng.choice(("存续", "存续", "存续", "在营", "吊销", "注销")),
                _messy_phone(rng, _phone(rng)) if rng.random() < 0.7 else "",
                place(b),
            ]
        )
    return [
        DemoFile(
            "公安", "person", "公安_户籍人口登记.csv", POLICE_COLUMNS, _csv(list(POLICE_COLUMNS), police_rows), police_n
        ),
        DemoFile(
            "市场监管",
            "entity",
            "市场监管_企业登记.csv",
            MARKET_COLUMNS,
            _csv(list(MARKET_COLUMNS), market_rows),
            len(market_rows),
        ),
        DemoFile(
            "住建",
            "rental",
            "住建_房屋租赁登记.csv",
            HOUSING_COLUMNS,
            _csv(list(HOUSING_COLUMNS), housing_rows),
            len(housing_rows),
        ),
    ]
