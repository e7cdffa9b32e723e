"""Pure rules of a department record: the fields of each kind, how a source row is checked and normalised, and
what each problem is called in Chinese. No I/O: the import service applies them to a file's rows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from gridgov.blockdata.idcodes import CodeError, id_type_of, normalize_document, parse_phone, parse_uscc

# Our field → its Chinese label (the error report names fields by these), per kind; * required.
FIELDS: dict[str, dict[str, str]] = {
    "person": {
        "name": "姓名",
        "id_type": "证件类型",
        "id_number": "证件号码",
        "phone": "联系电话",
        "population": "人口类型",
        "address": "居住地址",
        "move_in": "迁入日期",
        "move_out": "迁出日期",
        "tags": "关爱标签",
    },
    "entity": {
        "name": "企业名称",
        "uscc": "统一社会信用代码",
        "legal_rep": "法定代表人",
        "industry": "行业",
        "licence_status": "登记状态",
        "phone": "联系电话",
        "address": "经营地址",
    },
    "rental": {
        "address": "房屋地址",
        "use": "房屋用途",
        "owner_name": "房东姓名",
        "tenant_name": "承租人姓名",
        "id_type": "证件类型",
        "id_number": "证件号码",
        "phone": "承租人电话",
        "move_in": "租赁起始日期",
        "move_out": "租赁终止日期",
    },
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "person": ("name", "id_number", "address"),
    "entity": ("name", "uscc", "address"),
    "rental": ("address", "tenant_name", "id_number"),
}
SPECIAL_TAGS = ("独居老人", "空巢老人", "残疾", "重点关注", "低保", "特困", "留守儿童", "退役军人")
POPULATION_LABELS = {"户籍": "registered", "户籍人口": "registered", "常住": "registered", "registered": "registered"}
POPULATION_LABELS |= {"流动": "floating", "流动人口": "floating", "暂住": "floating", "floating": "floating"}
USE_LABELS = {"自住": "residential", "居住": "residential", "住宅": "residential", "出租": "rental", "租赁": "rental"}
USE_LABELS |= {"商用": "commercial", "商铺": "commercial", "经营": "commercial", "混合": "mixed", "商住": "mixed"}
USE_LABELS |= {v: v for v in ("residential", "rental", "commercial", "mixed")}
LICENCE_LABELS = {"存续": "active", "在营": "active", "开业": "active", "吊销": "revoked", "注销": "cancelled"}
LICENCE_LABELS |= {v: v for v in ("active", "revoked", "cancelled")}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")
# The same shapes as patterns (one separator throughout, as each format has); anything else falls to strptime.
_DATE_SHAPES = (
    re.compile(r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
    re.compile(r"(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日"),
)
_TAG_SPLIT = re.compile(r"[;；,，、]")
_NAME = re.compile(r"[\u3400-\u9fff·•A-Za-z ]{2,30}")


@dataclass
class Checked:
    """A source row after its checks: normalised values (PII still in the clear, in memory only)."""

    kind: str
    name: str = ""
    id_type: str = "resident"
    id_number: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    population: str = "registered"
    address: str = ""
    move_in: date | None = None
    move_out: date | None = None
    tags: list[str] = field(default_factory=list)
    uscc: str = ""
    legal_rep: str = ""
    industry: str = ""
    licence_status: str = "active"
    use: str = "residential"
    owner_name: str = ""


Problem = tuple[str, str]  # (field, Chinese message)


@lru_cache(maxsize=65_536)  # a file's dates repeat (move-in days); the cached answer is the same pure function's
def parse_date(value: str) -> date:
    text = value.strip().split(" ")[0].split("T")[0]
    for shape in _DATE_SHAPES:  # read directly: strptime costs ~50 µs a call on the import's hot path
        found = shape.fullmatch(text)
        if found:
            try:
                return date(int(found["y"]), int(found["m"]), int(found["d"]))
            except ValueError as exc:
                raise CodeError("日期格式应为 YYYY-MM-DD") from exc
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CodeError("日期格式应为 YYYY-MM-DD")


def _choice(value: str, labels: dict[str, str], what: str) -> str:
    if value in labels:
        return labels[value]
    raise CodeError(f"{what}应为 {'、'.join(k for k in labels if not k.isascii())} 之一")


_TENANT_FIELDS = ("tenant_name", "id_type", "id_number", "phone", "move_in", "move_out")


def is_vacant_room(row: Mapping[str, str]) -> bool:
    """A rental register's row that names no tenant at all (no name, document, phone or dates): a vacant room."""
    return not any(row.get(name, "").strip() for name in _TENANT_FIELDS)


def check_row(kind: str, row: dict[str, str], today: date) -> tuple[Checked, list[Problem]]:
    """Every problem of one row (field, message); the row is usable only when there are none. Written without
    per-row closures: it runs once for every line of a department file."""
    out = Checked(kind)
    problems: list[Problem] = []
    labels = FIELDS[kind]
    get = row.get
    required = REQUIRED[kind]
    if kind == "rental" and is_vacant_room(row):
        required = ("address", "owner_name")  # a room registered without a tenant (空置): its use and owner
    for name in required:
        if not get(name, "").strip():
            problems.append((name, f"{labels[name]}不能为空"))

    def fail(name: str, exc: CodeError) -> None:
        problems.append((name, f"{labels[name]}：{exc}"))

    name_field = "tenant_name" if kind == "rental" else "name"
    out.name = get(name_field, "").strip()
    if out.name and kind != "entity" and not _NAME.fullmatch(out.name):
        problems.append((name_field, f"{labels[name_field]}含有不允许的字符"))
    out.address = get("address", "").strip()
    if kind in ("person", "rental"):
        id_type_ok = True
        try:
            out.id_type = id_type_of(get("id_type", ""))
        except CodeError as exc:
            fail("id_type", exc)
            id_type_ok = False
        value = get("id_number", "").strip()
        if id_type_ok and value:
            try:
                number = out.id_number = normalize_document(out.id_type, value)
                if out.id_type == "resident":
                    out.sex = "M" if int(number[16]) % 2 else "F"
                    out.birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            except CodeError as exc:
                fail("id_number", exc)
        for name in ("move_in", "move_out"):
            value = get(name, "").strip()
            if value:
                try:
                    setattr(out, name, parse_date(value))
                except CodeError as exc:
                    fail(name, exc)
        if out.move_in and out.move_out and out.move_out < out.move_in:
            problems.append(("move_out", f"{labels['move_out']}早于{labels['move_in']}"))
        if out.move_in and out.move_in > today:
            problems.append(("move_in", f"{labels['move_in']}晚于今天"))
    value = get("phone", "").strip()
    if value:
        try:
            out.phone = parse_phone(value)
        except CodeError as exc:
            fail("phone", exc)
    if kind == "person":
        value = get("population", "").strip()
        if value:
            try:
                out.population = _choice(value, POPULATION_LABELS, "人口类型")
            except CodeError as exc:
                fail("population", exc)
        text = get("tags", "")
        tags = [t.strip() for t in _TAG_SPLIT.split(text) if t.strip()] if text else []
        unknown = [t for t in tags if t not in SPECIAL_TAGS]
        if unknown:
            problems.append(("tags", f"关爱标签“{unknown[0]}”未定义（可用：{'、'.join(SPECIAL_TAGS)}）"))
        out.tags = [t for t in tags if t in SPECIAL_TAGS]
    elif kind == "entity":
        value = get("uscc", "").strip()
        if value:
            try:
                out.uscc = parse_uscc(value)
            except CodeError as exc:
                fail("uscc", exc)
        out.legal_rep = get("legal_rep", "").strip()[:64]
        out.industry = get("industry", "").strip()[:64]
        value = get("licence_status", "").strip()
        if value:
            try:
                out.licence_status = _choice(value, LICENCE_LABELS, "登记状态")
            except CodeError as exc:
                fail("licence_status", exc)
    else:
        out.population = "floating"
        out.owner_name = get("owner_name", "").strip()[:64]
        value = get("use", "").strip()
        if value:
            try:
                out.use = _choice(value, USE_LABELS, "房屋用途")
            except CodeError as exc:
                fail("use", exc)
    if len(out.address) > 300:
        problems.append(("address", f"{labels['address']}超过 300 字"))
    return out, problems


def room_code(address_code: str, remainder: str | None) -> str | None:
    """The room's code: the standard address code and the unit/floor/room text below the library's deepest level."""
    if not remainder:
        return None
    key = re.sub(r"\s+", "", remainder)[:40]
    return f"{address_code}-{key}"


def column_targets(keys: Iterable[str], columns: dict[str, str], kind: str) -> dict[str, str]:
    """Each source column's field by the department's mapping (source column → field); a column that is already
    one of our fields or its Chinese label maps by itself; columns of no field are left out. Worked out once per
    file, not per row."""
    by_label = {label: name for name, label in FIELDS[kind].items()}
    out: dict[str, str] = {}
    for col in keys:
        key = str(col).strip()
        target = columns.get(key) or (key if key in FIELDS[kind] else by_label.get(key))
        if target and target in FIELDS[kind]:
            out[col] = target
    return out


def apply_targets(row: Mapping[str, object], targets: dict[str, str]) -> dict[str, str]:
    """A source row renamed to our fields (`column_targets`), values stripped, pandas' NaN spellings blank."""
    out: dict[str, str] = {}
    for col, target in targets.items():
        if col in row:
            value = row[col]
            text = "" if value is None else str(value).strip()
            out[target] = "" if text.lower() in ("nan", "none", "nat") else text
    return out


def mapped(row: Mapping[str, object], columns: dict[str, str], kind: str) -> dict[str, str]:
    """A source row renamed to our fields by the department's mapping (see `column_targets`)."""
    return apply_targets(row, column_targets(row.keys(), columns, kind))
