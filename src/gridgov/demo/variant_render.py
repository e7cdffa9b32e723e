"""The renderer of noisy address texts: segments of an address's chain (divisions, road, door, compound,
building) with NCAP labels, rewritten by variant kind — dropped levels, aliases, typos, number formats,
full-width characters, noise, assist words, unit/floor/room tails, complaint sentences."""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from gridgov.address.normalize import cn_to_int, int_to_cn
from gridgov.address.records import AddressRecord, DivisionRecord
from gridgov.demo.address_library import DemoLibrary
from gridgov.demo.variant_words import (
    ASSIST_BUILDING,
    ASSIST_COMPOUND,
    ASSIST_DOOR,
    COMPLAINT_BODIES,
    COMPLAINT_PREFIXES,
    HOMOPHONES,
    LEAD,
    NOISE,
    PROVINCE,
    TRAIL,
    TYPO_POOL,
)

__all__ = ["LibraryIndex", "Renderer", "Segment"]

_VILLAGE_HOUSE = re.compile(r"^(.+巷)(\d+号)$")
_BUILDING_NUMBER = re.compile(r"^(\d+)栋$")
_BUILDING_LETTER = re.compile(r"^([A-Z])座$")
_DOOR_NUMBER = re.compile(r"^(\d+)号$")


class LibraryIndex:
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
class Segment:
    text: str
    label: str
    role: str  # prov city district street community road door compound building lane house noise tail ...


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if ch.isascii() and ch.isalnum() else ch for ch in text)


class Renderer:
    def __init__(self, index: LibraryIndex, rng: random.Random) -> None:
        self.ix = index
        self.rng = rng

    # building blocks ---------------------------------------------------------------------------------

    def _chain_segments(self, record: AddressRecord, start: str = "top") -> list[Segment]:
        """Segments of the address chain; ``start`` = "top" (road or compound on the community),
        "compound" (drop road and door above the compound) or "door" (drop the compound)."""
        chain = self.ix.chain(record)
        if start == "compound":
            levels = [a.level for a in chain]
            if "compound" in levels:
                chain = chain[levels.index("compound") :]
        elif start == "door":
            chain = [a for a in chain if a.level != "compound"]
        segs: list[Segment] = []
        for a in chain:
            if a.level == "road":
                segs.append(Segment(a.name, "road", "road"))
            elif a.level == "door":
                segs.append(Segment(a.name, "roadno", "door"))
            elif a.level == "compound":
                segs.append(Segment(a.name, "poi", "compound"))
            elif a.level == "building":
                village = _VILLAGE_HOUSE.match(a.name)
                if village:
                    segs.append(Segment(village.group(1), "road", "lane"))
                    segs.append(Segment(village.group(2), "roadno", "house"))
                else:
                    segs.append(Segment(a.name, "houseno", "building"))
        return segs

    def _admin_segments(self, record: AddressRecord, levels: Sequence[str], short: bool = False) -> list[Segment]:
        city, district, street, community = self.ix.admin(record)
        segs: list[Segment] = []
        for level in levels:
            if level == "prov":
                segs.append(Segment(PROVINCE, "prov", "prov"))
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
            segs.append(Segment(name, label, level))
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

    def _disambiguate(self, record: AddressRecord, segs: list[Segment]) -> list[Segment]:
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
            if chars[i] in HOMOPHONES and op < 0.55:
                chars[i] = rng.choice(HOMOPHONES[chars[i]])
            elif op < 0.7 and len(chars) >= 3:
                del chars[i]
            elif op < 0.85 and len(chars) >= 2:
                j = i + 1 if i + 1 < len(chars) else i - 1
                chars[i], chars[j] = chars[j], chars[i]
            else:
                chars[i] = rng.choice(TYPO_POOL)
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

    def _tail(self, segs: list[Segment]) -> list[Segment]:
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
                Segment(number.group(1), "houseno", "building"),
                Segment("-", "redundant", "noise"),
                Segment(str(unit), "cellno", "unit"),
                Segment("-", "redundant", "noise"),
                Segment(str(room), "roomno", "room"),
            ]
        if roll < 0.4:
            unit_text = rng.choice((f"{unit}单元", f"{int_to_cn(unit)}单元"))
            room_text = rng.choice((str(room), f"{room}室", f"{room}房"))
            return [*segs, Segment(unit_text, "cellno", "unit"), Segment(room_text, "roomno", "room")]
        if roll < 0.65:
            floor_text = rng.choice((f"{floor}楼", f"{floor}层", f"{int_to_cn(floor)}楼", f"{int_to_cn(floor)}层"))
            return [*segs, Segment(floor_text, "floorno", "floor")]
        if roll < 0.8:
            return [*segs, Segment(rng.choice((f"{room}室", f"{room}房", f"{room}号房")), "roomno", "room")]
        return [*segs, Segment(f"{floor}楼", "floorno", "floor"), Segment(str(room), "roomno", "room")]

    def _noise(self, segs: list[Segment]) -> list[Segment]:
        rng = self.rng
        out: list[Segment] = []
        if rng.random() < 0.3:
            out.append(Segment(rng.choice(LEAD), "redundant", "noise"))
        for i, seg in enumerate(segs):
            out.append(seg)
            if i + 1 < len(segs) and rng.random() < 0.45:
                # A village house (东一巷 + 3号) is one name in the library: only spaces go between.
                noise = rng.choice(NOISE if seg.role != "lane" else (" ", "　"))
                out.append(Segment(noise, "redundant", "noise"))
            if seg.role in ("district", "street", "city") and rng.random() < 0.2:
                out.append(Segment(seg.text, "redundant", "noise"))  # repeated division, as NCAP does
        if rng.random() < 0.3:
            out.append(Segment(rng.choice(TRAIL), "redundant", "noise"))
        if len(out) == len(segs):  # always some noise
            out.insert(len(out) // 2 or 1, Segment(rng.choice(NOISE), "redundant", "noise"))
        return out

    def _assist(self, record: AddressRecord) -> Segment:
        pool = {"building": ASSIST_BUILDING, "door": ASSIST_DOOR}.get(record.level, ASSIST_COMPOUND)
        word = self.rng.choice(pool)
        label = "subpoi" if word in ("东门", "北门") else "assist"
        return Segment(word, label, "assist")

    # targets and kinds -------------------------------------------------------------------------------

    def _any_target(self) -> AddressRecord:
        roll = self.rng.random()
        if roll < 0.75:
            return self.rng.choice(self.ix.buildings)
        if roll < 0.9:
            return self.rng.choice(self.ix.doors)
        return self.rng.choice(self.ix.compounds)

    def render(self, kind: str) -> tuple[list[Segment], AddressRecord]:
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

    def _base(self, target: AddressRecord) -> list[Segment]:
        """Divisions mostly dropped; sometimes the road/door above a compound too."""
        start = "top"
        if self.ix._ancestor(target, "compound") is not None and target.level == "building":
            start = self.rng.choice(("top", "top", "compound"))
        segs = self._admin_segments(target, self._random_admin_levels(), short=True)
        segs += self._chain_segments(target, start=start)
        return self._disambiguate(target, segs)

    def _apply_alias(self, target: AddressRecord, segs: list[Segment]) -> list[Segment]:
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

    def _complaint(self, target: AddressRecord, segs: list[Segment]) -> list[Segment]:
        rng = self.rng
        prefix = rng.choice(COMPLAINT_PREFIXES)
        assist, rest = rng.choice(COMPLAINT_BODIES)
        out: list[Segment] = []
        if prefix:
            out.append(Segment(prefix, "redundant", "noise"))
        out.extend(segs)
        if assist:
            out.append(Segment(assist, "assist", "assist"))
        out.append(Segment(rest, "redundant", "noise"))
        return out
