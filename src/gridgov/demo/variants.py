"""Noisy address texts with ground truth, and NCAP-labelled token sequences, from a demo library.

Two consumers share one renderer:

* :func:`make_variants` — what people really type for a known address (a building mostly, else a door
  number or a compound): dropped levels, aliases, typos, building-number formats, full-width digits, stray
  spaces and punctuation, 附近/门口 suffixes, unit/floor/room tails, complaint sentences. Each text comes
  with the code of the address it denotes; the renderer keeps that ground truth unambiguous (a road and
  door number that exist in two districts get their district back).
* :func:`labelled_sequences` — token/BIO-tag sequences in the NCAP (CCKS2021) label scheme, the training
  data of the address parser. There is no ``O`` tag: noise is ``redundant``, as in NCAP.

Tokens are those of :func:`gridgov.address.features.tokenize`, the parser's own.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from gridgov.address.features import tokenize
from gridgov.address.normalize import cn_to_int, int_to_cn
from gridgov.address.records import NCAP_LABELS, AddressRecord, DivisionRecord
from gridgov.demo.address_library import DemoLibrary

__all__ = [
    "VARIANT_KINDS",
    "Variant",
    "bio_tags",
    "int_to_cn",
    "labelled_sequences",
    "make_variants",
]


def bio_tags(segments: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Tokens of labelled segments with B-/I- tags (one entity per segment)."""
    out: list[tuple[str, str]] = []
    for text, label in segments:
        for i, token in enumerate(tokenize(text)):
            out.append((token, ("B-" if i == 0 else "I-") + label))
    return out


@dataclass(frozen=True)
class Variant:
    text: str
    target_code: str
    kind: str


VARIANT_KINDS: tuple[str, ...] = (
    "standard",  # the standard full name (sometimes with 广东省)
    "drop_levels",  # some or all divisions left out, sometimes the road/door part too
    "road_number",  # road + door number (+ building), targets a door or a building on it
    "compound_building",  # only compound + building
    "alias",  # an alias of the compound/road or a short division name
    "typo",  # one wrong, missing or swapped character (often a homophone) in a name
    "number_format",  # 三栋, 3幢, 3座, 3号楼, ３栋, 3#, 三号楼 ...
    "fullwidth",  # full-width digits and letters
    "noise",  # stray spaces and punctuation, repeated divisions
    "assist",  # 附近/旁边/对面/门口/路口/楼下 after the address
    "tail",  # unit/floor/room after the building: 2单元501, 5楼, 1203室, 3-2-501
    "complaint",  # the address inside a complaint sentence
)
_KIND_WEIGHTS: tuple[float, ...] = (0.06, 0.14, 0.08, 0.12, 0.08, 0.10, 0.10, 0.05, 0.07, 0.06, 0.07, 0.07)

PROVINCE = "广东省"
_VILLAGE_HOUSE = re.compile(r"^(.+巷)(\d+号)$")
_BUILDING_NUMBER = re.compile(r"^(\d+)栋$")
_BUILDING_LETTER = re.compile(r"^([A-Z])座$")
_DOOR_NUMBER = re.compile(r"^(\d+)号$")


# Characters people confuse when typing by pinyin (same or similar sound).
_HOMOPHONES: dict[str, str] = {
    "园": "圆元源",
    "苑": "院远",
    "华": "化花",
    "福": "富府",
    "民": "名明",
    "新": "心欣",
    "景": "井京",
    "湾": "弯",
    "岭": "领令",
    "田": "甜填",
    "沙": "砂纱",
    "龙": "隆",
    "隆": "龙",
    "兴": "星",
    "星": "兴",
    "安": "按岸",
    "康": "慷",
    "泰": "太",
    "锦": "金",
    "金": "锦今",
    "嘉": "佳家",
    "瑞": "锐",
    "祥": "翔",
    "丰": "风峰",
    "峰": "丰锋",
    "盛": "胜",
    "昌": "常",
    "林": "临",
    "湖": "胡",
    "河": "和",
    "和": "河合",
    "平": "坪",
    "坪": "平",
    "岗": "港",
    "港": "岗",
    "源": "园元",
    "宝": "保",
    "鸿": "宏红",
    "红": "洪宏",
    "洪": "红",
    "庭": "亭廷",
    "亭": "庭",
    "阁": "格",
    "轩": "宣",
    "城": "成",
    "府": "富",
    "雅": "亚",
    "怡": "宜",
    "美": "梅",
    "梅": "美",
    "松": "嵩",
    "桂": "贵",
    "翠": "脆",
    "碧": "璧",
    "厦": "夏",
    "村": "寸",
    "花": "华",
    "场": "厂",
    "工": "公",
    "业": "叶",
    "路": "露",
    "街": "接",
    "海": "嗨",
    "山": "衫",
    "泉": "全",
    "溪": "西",
    "悦": "月越",
    "荔": "丽",
    "竹": "珠",
    "香": "乡",
    "云": "芸",
    "阳": "洋",
    "水": "木",
    "东": "冬",
    "南": "男",
    "北": "被",
    "西": "溪",
}
_TYPO_POOL = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能"

_ASSIST_BUILDING = ("楼下", "门口", "旁边", "附近", "对面", "后面")
_ASSIST_DOOR = ("门口", "附近", "旁边", "对面", "路口")
_ASSIST_COMPOUND = ("门口", "附近", "旁边", "对面", "里面", "东门", "北门")

_SUBPOI = (
    "东门",
    "西门",
    "南门",
    "北门",
    "东区",
    "西区",
    "管理处",
    "物业服务中心",
    "美宜佳便利店",
    "天虹超市",
    "菜鸟驿站",
    "幼儿园",
    "篮球场",
    "地下停车场",
    "垃圾收集点",
    "快递柜",
    "社康中心",
    "711便利店",
)
_PERSON_STEMS = ("鸿达", "佳美", "恒信", "华创", "新源", "泰丰", "益民", "康乐", "万顺", "金桥")
_PERSON_SUFFIXES = ("科技有限公司", "贸易有限公司", "餐厅", "理发店", "诊所", "培训中心", "便利店", "设计工作室")

_NOISE = (" ", "  ", ",", "，", "、", "-", "/", "　", ".", "|")
_LEAD = ("地址：", "地址:", "位置：", "在", "（", "【")
_TRAIL = ("。", "）", "】", "!", "？", "...")

_COMPLAINT_PREFIXES = (
    "",
    "",
    "投诉：",
    "投诉",
    "举报：",
    "反映：",
    "市民反映",
    "你好，",
    "您好，",
    "我住在",
    "我家在",
    "位于",
    "紧急！",
    "【投诉】",
    "求助：",
)
# (assist word or "", rest of the sentence)
_COMPLAINT_BODIES: tuple[tuple[str, str], ...] = (
    ("门口", "垃圾堆了三天没人清理"),
    ("楼下", "噪音扰民"),
    ("附近", "有人占道经营"),
    ("", "下水道堵塞，污水横流"),
    ("旁边", "的路灯不亮了"),
    ("", "井盖丢失，很危险"),
    ("", "有违章搭建"),
    ("门口", "电动车乱停放"),
    ("附近", "夜间施工太吵，影响休息"),
    ("对面", "的餐馆油烟扰民"),
    ("", "楼道堆放杂物，存在消防隐患"),
    ("", "漏水严重，请尽快处理"),
    ("附近", "有大量积水"),
    ("", "绿化带树木倒伏"),
    ("楼下", "有人乱扔垃圾"),
    ("", "，晚上施工太吵了"),
    ("", "的化粪池满溢"),
    ("门口", "共享单车堆积堵路"),
)


# --------------------------------------------------------------------------------------------------
# Library index
# --------------------------------------------------------------------------------------------------


class _Index:
    def __init__(self, lib: DemoLibrary) -> None:
        self.by_code: dict[str, AddressRecord] = {a.code: a for a in lib.addresses}
        self.divisions: dict[str, DivisionRecord] = {d.code: d for d in lib.divisions}
        self.buildings = [a for a in lib.addresses if a.level == "building"]
        self.doors = [a for a in lib.addresses if a.level == "door"]
        self.compounds = [a for a in lib.addresses if a.level == "compound"]
        if not self.buildings or not self.doors or not self.compounds:
            raise ValueError("the library needs buildings, doors and compounds")
        self.in_compound = [b for b in self.buildings if self._ancestor(b, "compound") is not None]
        self.numbered = [b for b in self.in_compound if not _VILLAGE_HOUSE.match(b.name)]
        self.on_door = [b for b in self.buildings if self._ancestor(b, "door") is not None]
        children: dict[str, list[AddressRecord]] = {}
        for a in lib.addresses:
            if a.parent_code is not None:
                children.setdefault(a.parent_code, []).append(a)
        # Targets whose chain carries an alias: buildings (or doors) under aliased compounds/roads.
        self.aliased: list[AddressRecord] = []
        for a in lib.addresses:
            if a.aliases and a.level in ("compound", "road"):
                below = children.get(a.code, [])
                pool = [c for c in below if c.level in ("building", "door")]
                for c in below:
                    pool.extend(g for g in children.get(c.code, []) if g.level == "building")
                self.aliased.extend(pool[:3] or [a])
        # Road form + door number -> how many doors city-wide / per district carry it.
        self.door_city: Counter[tuple[str, str]] = Counter()
        self.door_district: Counter[tuple[str, str, str]] = Counter()
        for door in self.doors:
            road = self.by_code[door.parent_code or ""]
            district = self.admin(door)[1].code
            for form in (road.name, *road.aliases):
                self.door_city[(form, door.name)] += 1
                self.door_district[(district, form, door.name)] += 1

    def _ancestor(self, record: AddressRecord, level: str) -> AddressRecord | None:
        current: AddressRecord | None = record
        while current is not None:
            if current.level == level:
                return current
            current = self.by_code.get(current.parent_code or "")
        return None

    def chain(self, record: AddressRecord) -> list[AddressRecord]:
        out = [record]
        while out[-1].parent_code is not None:
            out.append(self.by_code[out[-1].parent_code or ""])
        out.reverse()
        return out

    def admin(self, record: AddressRecord) -> tuple[DivisionRecord, DivisionRecord, DivisionRecord, DivisionRecord]:
        """(city, district, street, community) of an address."""
        community = self.divisions[record.community_code]
        street = self.divisions[community.parent_code or ""]
        district = self.divisions[street.parent_code or ""]
        city = self.divisions[district.parent_code or ""]
        return city, district, street, community


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------


@dataclass
class _Seg:
    text: str
    label: str
    role: str  # prov city district street community road door compound building lane house noise tail ...


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() else ch for ch in text)


class _Renderer:
    def __init__(self, index: _Index, rng: random.Random) -> None:
        self.ix = index
        self.rng = rng

    # building blocks ---------------------------------------------------------------------------------

    def _chain_segments(self, record: AddressRecord, start: str = "top") -> list[_Seg]:
        """Segments of the address chain; ``start`` = "top" (road or compound on the community),
        "compound" (drop road and door above the compound) or "door" (drop the compound)."""
        chain = self.ix.chain(record)
        if start == "compound":
            levels = [a.level for a in chain]
            if "compound" in levels:
                chain = chain[levels.index("compound") :]
        elif start == "door":
            chain = [a for a in chain if a.level != "compound"]
        segs: list[_Seg] = []
        for a in chain:
            if a.level == "road":
                segs.append(_Seg(a.name, "road", "road"))
            elif a.level == "door":
                segs.append(_Seg(a.name, "roadno", "door"))
            elif a.level == "compound":
                segs.append(_Seg(a.name, "poi", "compound"))
            elif a.level == "building":
                village = _VILLAGE_HOUSE.match(a.name)
                if village:
                    segs.append(_Seg(village.group(1), "road", "lane"))
                    segs.append(_Seg(village.group(2), "roadno", "house"))
                else:
                    segs.append(_Seg(a.name, "houseno", "building"))
        return segs

    def _admin_segments(self, record: AddressRecord, levels: Sequence[str], short: bool = False) -> list[_Seg]:
        city, district, street, community = self.ix.admin(record)
        segs: list[_Seg] = []
        for level in levels:
            if level == "prov":
                segs.append(_Seg(PROVINCE, "prov", "prov"))
                continue
            division, label = {
                "city": (city, "city"),
                "district": (district, "district"),
                "street": (street, "town"),
                "community": (community, "community"),
            }[level]
            name = division.name
            if short and division.aliases and self.rng.random() < 0.5:
                name = division.aliases[0]
            segs.append(_Seg(name, label, level))
        return segs

    def _random_admin_levels(self) -> list[str]:
        options: tuple[tuple[tuple[str, ...], float], ...] = (
            ((), 0.30),
            (("district",), 0.18),
            (("city", "district"), 0.12),
            (("street",), 0.07),
            (("district", "street"), 0.08),
            (("community",), 0.06),
            (("street", "community"), 0.06),
            (("district", "street", "community"), 0.05),
            (("city", "district", "street", "community"), 0.05),
            (("city",), 0.03),
        )
        levels = self.rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]
        return list(levels)

    def _disambiguate(self, record: AddressRecord, segs: list[_Seg]) -> list[_Seg]:
        """Put the district back when a road + door number without district or street is not unique."""
        roles = {s.role for s in segs}
        if "door" not in roles or "compound" in roles or roles & {"district", "street"}:
            return segs
        road = next(s.text for s in segs if s.role == "road")
        door = next(s.text for s in segs if s.role == "door")
        if self.ix.door_city[(road, door)] <= 1:
            return segs
        district = self._admin_segments(record, ["district"])[0]
        at = next(i for i, s in enumerate(segs) if s.role not in ("prov", "city"))
        return [*segs[:at], district, *segs[at:]]

    def _typo(self, text: str) -> str:
        rng = self.rng
        for _ in range(10):
            chars = list(text)
            i = rng.randrange(len(chars))
            op = rng.random()
            if chars[i] in _HOMOPHONES and op < 0.55:
                chars[i] = rng.choice(_HOMOPHONES[chars[i]])
            elif op < 0.7 and len(chars) >= 3:
                del chars[i]
            elif op < 0.85 and len(chars) >= 2:
                j = i + 1 if i + 1 < len(chars) else i - 1
                chars[i], chars[j] = chars[j], chars[i]
            else:
                chars[i] = rng.choice(_TYPO_POOL)
            out = "".join(chars)
            if out != text and out:
                return out
        return text

    def _number_format(self, text: str) -> str:
        rng = self.rng
        number = _BUILDING_NUMBER.match(text)
        if number:
            n = int(number.group(1))
            forms = [
                int_to_cn(n) + "栋",
                f"{n}幢",
                f"{n}座",
                f"{n}号楼",
                _fullwidth(str(n)) + "栋",
                f"{n}#",
                int_to_cn(n) + "号楼",
                f"{n}#楼",
                f"第{n}栋",
                int_to_cn(n) + "幢",
                f"{n}栋",
            ]
            return rng.choice([f for f in forms if f != text])
        letter = _BUILDING_LETTER.match(text)
        if letter:
            x = letter.group(1)
            return rng.choice([f"{x}栋", f"{x.lower()}座", _fullwidth(x) + "座", f"{x}幢", f"{x}塔"])
        door = _DOOR_NUMBER.match(text)
        if door:
            n = int(door.group(1))
            return rng.choice([int_to_cn(n) + "号", _fullwidth(str(n)) + "号", f"{n}號"])
        return text

    def _tail(self, segs: list[_Seg]) -> list[_Seg]:
        rng = self.rng
        floor = rng.choice((1, 2, 3, 3, 4, 5, 6, 7, 8, 9, 11, 12, 15, 18, 21, 26, 31))
        room = floor * 100 + rng.randint(1, 8)
        unit = rng.randint(1, 4)
        last = segs[-1]
        number = _BUILDING_NUMBER.match(last.text)
        roll = rng.random()
        if number and roll < 0.15:
            return [
                *segs[:-1],
                _Seg(number.group(1), "houseno", "building"),
                _Seg("-", "redundant", "noise"),
                _Seg(str(unit), "cellno", "unit"),
                _Seg("-", "redundant", "noise"),
                _Seg(str(room), "roomno", "room"),
            ]
        if roll < 0.4:
            unit_text = rng.choice((f"{unit}单元", f"{int_to_cn(unit)}单元"))
            room_text = rng.choice((str(room), f"{room}室", f"{room}房"))
            return [*segs, _Seg(unit_text, "cellno", "unit"), _Seg(room_text, "roomno", "room")]
        if roll < 0.65:
            floor_text = rng.choice((f"{floor}楼", f"{floor}层", f"{int_to_cn(floor)}楼", f"{int_to_cn(floor)}层"))
            return [*segs, _Seg(floor_text, "floorno", "floor")]
        if roll < 0.8:
            return [*segs, _Seg(rng.choice((f"{room}室", f"{room}房", f"{room}号房")), "roomno", "room")]
        return [*segs, _Seg(f"{floor}楼", "floorno", "floor"), _Seg(str(room), "roomno", "room")]

    def _noise(self, segs: list[_Seg]) -> list[_Seg]:
        rng = self.rng
        out: list[_Seg] = []
        if rng.random() < 0.3:
            out.append(_Seg(rng.choice(_LEAD), "redundant", "noise"))
        for i, seg in enumerate(segs):
            out.append(seg)
            if i + 1 < len(segs) and rng.random() < 0.45:
                # A village house (东一巷 + 3号) is one name in the library: only spaces go between.
                noise = rng.choice(_NOISE if seg.role != "lane" else (" ", "　"))
                out.append(_Seg(noise, "redundant", "noise"))
            if seg.role in ("district", "street", "city") and rng.random() < 0.2:
                out.append(_Seg(seg.text, "redundant", "noise"))  # repeated division, as NCAP does
        if rng.random() < 0.3:
            out.append(_Seg(rng.choice(_TRAIL), "redundant", "noise"))
        if len(out) == len(segs):  # always some noise
            out.insert(len(out) // 2 or 1, _Seg(rng.choice(_NOISE), "redundant", "noise"))
        return out

    def _assist(self, record: AddressRecord) -> _Seg:
        pool = {"building": _ASSIST_BUILDING, "door": _ASSIST_DOOR}.get(record.level, _ASSIST_COMPOUND)
        word = self.rng.choice(pool)
        label = "subpoi" if word in ("东门", "北门") else "assist"
        return _Seg(word, label, "assist")

    # targets and kinds -------------------------------------------------------------------------------

    def _any_target(self) -> AddressRecord:
        roll = self.rng.random()
        if roll < 0.75:
            return self.rng.choice(self.ix.buildings)
        if roll < 0.9:
            return self.rng.choice(self.ix.doors)
        return self.rng.choice(self.ix.compounds)

    def render(self, kind: str) -> tuple[list[_Seg], AddressRecord]:
        rng = self.rng
        ix = self.ix
        if kind == "standard":
            target = self._any_target()
            levels = ["city", "district", "street", "community"]
            if rng.random() < 0.15:
                levels.insert(0, "prov")
            return self._admin_segments(target, levels) + self._chain_segments(target), target
        if kind == "road_number":
            target = rng.choice(ix.doors) if rng.random() < 0.5 or not ix.on_door else rng.choice(ix.on_door)
            segs = self._chain_segments(target, start="door")
            segs = self._admin_segments(target, rng.choice(((), (), ("district",), ("city",)))) + segs
            return self._disambiguate(target, segs), target
        if kind == "compound_building":
            target = rng.choice(ix.in_compound)
            return self._chain_segments(target, start="compound"), target
        if kind in ("number_format", "tail"):
            target = rng.choice(ix.numbered) if rng.random() < 0.85 else rng.choice(ix.buildings)
        elif kind == "fullwidth":  # something with digits or letters to widen
            target = rng.choice(ix.buildings) if rng.random() < 0.8 else rng.choice(ix.doors)
        elif kind == "alias" and ix.aliased and rng.random() < 0.8:
            target = rng.choice(ix.aliased)
        else:
            target = self._any_target()
        segs = self._base(target)
        if kind == "drop_levels":
            pass
        elif kind == "alias":
            segs = self._apply_alias(target, segs)
        elif kind == "typo":
            names = [s for s in segs if s.role in ("road", "compound")] or [
                s for s in segs if s.role in ("district", "street", "community", "lane")
            ]
            if names:
                victim = rng.choice(names)
                victim.text = self._typo(victim.text)
        elif kind == "number_format":
            numbers = [s for s in segs if s.role in ("building", "house")] or [s for s in segs if s.role == "door"]
            if numbers:
                victim = numbers[-1]
                if victim.role == "house" and rng.random() < 0.5:
                    lane = next(s for s in segs if s.role == "lane")
                    lane.text = re.sub(r"[一二三四五六七八九十]+", lambda m: str(cn_to_int(m.group(0))), lane.text)
                else:
                    victim.text = self._number_format(victim.text)
        elif kind == "fullwidth":
            for s in segs:
                s.text = _fullwidth(s.text)
        elif kind == "noise":
            segs = self._noise(segs)
        elif kind == "assist":
            segs = [*segs, self._assist(target)]
        elif kind == "tail":
            segs = self._tail(segs)
        elif kind == "complaint":
            segs = self._complaint(target, segs)
        else:  # pragma: no cover - guarded by VARIANT_KINDS
            raise ValueError(f"unknown variant kind {kind!r}")
        return segs, target

    def _base(self, target: AddressRecord) -> list[_Seg]:
        """Divisions mostly dropped; sometimes the road/door above a compound too."""
        start = "top"
        if self.ix._ancestor(target, "compound") is not None and target.level == "building":
            start = self.rng.choice(("top", "top", "compound"))
        segs = self._admin_segments(target, self._random_admin_levels(), short=True)
        segs += self._chain_segments(target, start=start)
        return self._disambiguate(target, segs)

    def _apply_alias(self, target: AddressRecord, segs: list[_Seg]) -> list[_Seg]:
        rng = self.rng
        by_name = {a.name: a for a in self.ix.chain(target) if a.aliases}
        swapped = False
        for seg in segs:
            record = by_name.get(seg.text)
            if record is not None and seg.role in ("road", "compound"):
                seg.text = rng.choice(record.aliases)
                swapped = True
        if not swapped:
            # No aliased road or compound: use short division names, and add one if none is there.
            if not any(s.role in ("district", "street", "community") for s in segs):
                segs = self._admin_segments(target, ["district"]) + segs
            for seg in segs:
                if seg.role in ("city", "district", "street", "community"):
                    division = self._division_for(target, seg.role)
                    if division.aliases:
                        seg.text = division.aliases[0]
        return self._disambiguate(target, segs)

    def _division_for(self, target: AddressRecord, role: str) -> DivisionRecord:
        city, district, street, community = self.ix.admin(target)
        return {"city": city, "district": district, "street": street, "community": community}[role]

    def _complaint(self, target: AddressRecord, segs: list[_Seg]) -> list[_Seg]:
        rng = self.rng
        prefix = rng.choice(_COMPLAINT_PREFIXES)
        assist, rest = rng.choice(_COMPLAINT_BODIES)
        out: list[_Seg] = []
        if prefix:
            out.append(_Seg(prefix, "redundant", "noise"))
        out.extend(segs)
        if assist:
            out.append(_Seg(assist, "assist", "assist"))
        out.append(_Seg(rest, "redundant", "noise"))
        return out


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------


def make_variants(lib: DemoLibrary, n: int, seed: int) -> list[Variant]:
    """``n`` noisy texts with the code of the address each denotes; every kind of VARIANT_KINDS occurs
    (for ``n >= len(VARIANT_KINDS)``). Deterministic for a given library and seed."""
    if n <= 0:
        return []
    rng = random.Random(seed)
    renderer = _Renderer(_Index(lib), rng)
    kinds = list(VARIANT_KINDS[: min(n, len(VARIANT_KINDS))])
    kinds += rng.choices(VARIANT_KINDS, weights=_KIND_WEIGHTS, k=n - len(kinds))
    rng.shuffle(kinds)
    out: list[Variant] = []
    for kind in kinds:
        segs, target = renderer.render(kind)
        text = "".join(s.text for s in segs)
        out.append(Variant(text=text, target_code=target.code, kind=kind))
    return out


def labelled_sequences(lib: DemoLibrary, n: int, seed: int) -> list[list[tuple[str, str]]]:
    """``n`` token/tag sequences (NCAP labels, B-/I- tags, tokens as :func:`tokenize` makes them).

    The texts mix the variant kinds, plus what only the parser needs to see: a sub-POI after the compound
    (东门, a shop), a company after the building or floor (``person``), a leading 广东省.
    """
    if n <= 0:
        return []
    rng = random.Random(seed)
    renderer = _Renderer(_Index(lib), rng)
    out: list[list[tuple[str, str]]] = []
    while len(out) < n:
        kind = rng.choices(VARIANT_KINDS, weights=_KIND_WEIGHTS)[0]
        segs, _ = renderer.render(kind)
        segs = _decorate(segs, rng)
        tagged = bio_tags([(s.text, s.label) for s in segs])
        # Adjacent segments must not merge into one token (e.g. two digit runs); drop such rare samples.
        if not tagged or [t for t, _ in tagged] != tokenize("".join(s.text for s in segs)):
            continue
        out.append(tagged)
    return out


def _decorate(segs: list[_Seg], rng: random.Random) -> list[_Seg]:
    roles = [s.role for s in segs]
    out = list(segs)
    if "compound" in roles and rng.random() < 0.12:
        at = roles.index("compound") + 1
        out.insert(at, _Seg(rng.choice(_SUBPOI), "subpoi", "subpoi"))
    elif rng.random() < 0.06:
        inside = ("building", "house", "unit", "floor", "room")
        last = max((i for i, r in enumerate(roles) if r in inside), default=-1)
        if last >= 0:
            person = rng.choice(_PERSON_STEMS) + rng.choice(_PERSON_SUFFIXES)
            out.insert(last + 1, _Seg(person, "person", "person"))
    if roles and roles[0] == "city" and rng.random() < 0.3:
        out.insert(0, _Seg(PROVINCE, "prov", "prov"))
    for seg in out:
        if seg.label not in NCAP_LABELS:  # pragma: no cover - internal consistency
            raise AssertionError(seg.label)
    return out
