"""The inner part of a generated address (:mod:`gridgov.address.synth`): building, unit, floor and room in
Arabic, Chinese and full-width numerals or as "12-3-1001", shops and companies inside (person), recipients and
phone numbers (otherinfo). A base of :class:`~gridgov.address.synth.AddressGenerator`, drawing from its random
generator and its name stems."""

from __future__ import annotations

import random

from gridgov.address import synth_words as W
from gridgov.address.normalize import int_to_cn

__all__ = ["BuildingParts", "Seg"]

Seg = tuple[str, str]  # (text, label)
_FULLWIDTH = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
)


class BuildingParts:
    """Building, unit, floor, room, person and otherinfo segments."""

    rng: random.Random

    def _stem(self) -> str:
        raise NotImplementedError

    def _inside(self) -> list[Seg]:
        """Building, unit, floor and room: spelled out or as "12-3-1001"."""
        r = self.rng
        if r.random() < 0.3:
            parts = [("houseno", r.randint(1, 40)), ("cellno", r.randint(1, 6)), ("roomno", self._room())]
            if r.random() < 0.3:
                parts = [parts[0], parts[2]]
            texts = [self._digits(value) for _, value in parts]
            if r.random() < 0.15:  # C5-765, A-3007: a lettered building
                texts[0] = r.choice("ABCDEFGH") + ("" if r.random() < 0.4 else texts[0])
            if len(parts) == 3 and r.random() < 0.15:  # 179-4-3楼: the last number is the floor
                parts[2] = ("floorno", 0)
                texts[2] = f"{r.randint(1, 30)}" + r.choice(W.FLOOR_UNITS)
            segs: list[Seg] = []
            sep = r.choice(("-", "-", "-", "-", "_", "/", "一"))
            for i, ((label, _), text) in enumerate(zip(parts, texts, strict=True)):
                if i:
                    segs.append((sep, "redundant"))
                segs.append((text, label))
            return segs
        segs = []
        if r.random() < 0.08:  # "124 342室" written without a building unit
            house: list[Seg] = [(self._num(1, 200) + " ", "houseno")]
            if r.random() < 0.3:
                house.append(("-", "redundant"))
            return [*house, (f"{self._room()}{r.choice(W.ROOM_UNITS)}", "roomno")]
        if r.random() < 0.85:
            segs.append((self._building(), "houseno"))
        if r.random() < 0.35:
            segs.append((self._numeral(r.randint(1, 6)) + "单元", "cellno"))
        if r.random() < 0.35:
            floor = r.randint(1, 33)
            text = (
                r.choice(("首层", "负一层", "底层"))
                if r.random() < 0.05
                else self._numeral(floor) + r.choice(W.FLOOR_UNITS)
            )
            segs.append((text, "floorno"))
        if r.random() < 0.6:
            unit = r.choice(W.ROOM_UNITS) if r.random() < 0.6 else ""
            room = self._digits(self._room())
            x = r.random()
            if x < 0.06:  # A507: a lettered room, one roomno
                room = r.choice("ABCDEFGH") + room
            elif x < 0.1:  # 1105-1106室: a range of rooms is one roomno
                room = f"{room}{r.choice('-/、')}{int(room) + r.randint(1, 3)}"
            if not segs or not segs[-1][0][-1:].isdigit() or unit:
                segs.append((room + unit, "roomno"))
        if r.random() < 0.12:
            segs.append((self._person(), "person"))
        return segs

    def _building(self) -> str:
        r = self.rng
        unit = r.choice(W.BUILDING_UNITS)
        if unit == "座" or r.random() < 0.08:
            return r.choice("ABCDEFGH") + r.choice(("座", "栋", "幢"))
        if r.random() < 0.08:  # C14栋, A149, b3: a letter and a number are one houseno
            return r.choice("ABCDEFGHabc") + str(r.randint(1, 200)) + r.choice(("", "", "栋", "幢", "座"))
        if r.random() < 0.05:
            return f"{r.randint(1, 30)}#"
        return self._numeral(r.randint(1, 40)) + unit

    def _room(self) -> int:
        r = self.rng
        return r.randint(1, 33) * 100 + r.randint(1, 20) if r.random() < 0.85 else r.randint(1, 30)

    def _numeral(self, n: int) -> str:
        """Arabic (often), Chinese or full-width."""
        x = self.rng.random()
        if x < 0.25:
            return int_to_cn(n)
        return self._digits(n)

    def _digits(self, n: int) -> str:
        s = str(n)
        return s.translate(_FULLWIDTH) if self.rng.random() < 0.08 else s

    def _num(self, lo: int, hi: int) -> str:
        return self._digits(self.rng.randint(lo, hi))

    def _person(self) -> str:
        r = self.rng
        if r.random() < 0.2:
            return r.choice(W.SURNAMES) + r.choice(W.TITLES)
        return self._stem() + r.choice(W.PERSON_SUFFIXES)

    def _otherinfo(self) -> Seg:
        r = self.rng
        phone = "1" + r.choice("3456789") + "".join(r.choice("0123456789") for _ in range(9))
        name = r.choice(W.SURNAMES) + "".join(r.choice(W.GIVEN) for _ in range(r.choice((1, 2))))
        return (r.choice((phone, name + phone, name + r.choice(W.TITLES) + phone)), "otherinfo")
