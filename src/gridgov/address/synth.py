"""Realistic training addresses for the address parser, labelled with all 21 labels of the NCAP annotation guide
(pure: no I/O beyond the packaged division file).

:class:`AddressGenerator` writes addresses the way people write them, nationwide: a real chain of divisions
from :mod:`gridgov.address.cn_gazetteer` (province, city, county, township, with or without their suffixes, any
level missing, 中国 in front now and then, development zones), then the part below it in one of the shapes of
the guide: road + door number (123号, 147-2号, 5组6号, 123号附2号), a sub-road (支路, N弄) with its number,
compounds and buildings with sub-POIs (东门, A区, 西雅园), 栋/幢/座/号楼, 单元, 楼/层, 室 in Arabic, Chinese and
full-width numerals or the bare "12-3-1001" form, shops and companies inside a building (person), 附近/旁边/
对面 (assist), separators, repeated divisions and filler words (redundant), recipients and phone numbers
(otherinfo), and typos.

Road, compound and community names come from :class:`NameLists`: the deployment's own standard library
(:meth:`NameLists.from_records`), any lists a district adds (one name per line, see docs/address-parser.md)
and, for variety, names composed from real place-name stems (the jionlp community names in the division file).

Every text goes through :func:`~gridgov.address.components.clean_text` and
:func:`~gridgov.address.features.tokenize` exactly as the API's input does, so full-width digits reach the
model in the form the API gives it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gridgov.address import synth_words as W
from gridgov.address.cn_gazetteer import City, County, Province, communities, devzones, division_tree, suffixless
from gridgov.address.components import clean_text
from gridgov.address.features import tokenize
from gridgov.address.normalize import int_to_cn
from gridgov.address.records import AddressRecord, DivisionRecord
from gridgov.address.synth_building import BuildingParts, Seg
from gridgov.address.synth_vocab import name_words

__all__ = ["AddressGenerator", "NameLists"]

_STRIP_RE = re.compile(r"(社区居委会|村委会|居委会|社区|村|街道办事处|街道|镇|乡)$")
# Industrial parks (工业区, 工业园区, 园区) are labelled poi in the NCAP data far more often than devZone
# (工业区: 229 poi / 52 devZone in ncap_train); 开发区, 高新区 and 新区 stay devZone.
_PARK_RE = re.compile(r"(工业园区|工业区|工业园|园区|科技园|产业园|工业城)$")


@dataclass
class NameLists:
    """Names the generator draws roads, compounds (poi) and communities from."""

    roads: list[str] = field(default_factory=list)
    pois: list[str] = field(default_factory=list)
    communities: list[str] = field(default_factory=list)

    @classmethod
    def from_records(cls, divisions: Iterable[DivisionRecord], addresses: Iterable[AddressRecord]) -> NameLists:
        """The standard library's roads, compounds and communities (names and aliases)."""
        out = cls()
        for d in divisions:
            if d.level == "community":
                out.communities.extend((d.name, *d.aliases))
        for a in addresses:
            if a.level == "road":
                out.roads.extend((a.name, *a.aliases))
            elif a.level == "compound":
                out.pois.extend((a.name, *a.aliases))
        return out.deduplicated()

    def extend(self, other: NameLists) -> NameLists:
        return NameLists(
            self.roads + other.roads, self.pois + other.pois, self.communities + other.communities
        ).deduplicated()

    def deduplicated(self) -> NameLists:
        def clean(items: list[str]) -> list[str]:
            return sorted({s.strip() for s in items if len(s.strip()) >= 2})

        return NameLists(clean(self.roads), clean(self.pois), clean(self.communities))


class AddressGenerator(BuildingParts):
    """Labelled addresses (token, BIO tag) in the NCAP scheme; deterministic for given names and seed."""

    def __init__(self, names: NameLists | None = None, seed: int = 20261206) -> None:
        self.names = (names or NameLists()).deduplicated()
        self.rng = random.Random(seed)
        self._counties: list[tuple[Province, City, County]] = [
            (p, c, d) for p in division_tree() for c in p.cities for d in c.counties
        ]
        self._stems = [s for s in (_STRIP_RE.sub("", n) for n in communities()) if 2 <= len(s) <= 4]
        self._words = list(name_words())
        zones = devzones()
        self._devzones = [z for z in zones if not _PARK_RE.search(z)]
        self._parks = [z for z in zones if _PARK_RE.search(z)]
        self._place: tuple[str, ...] = ()

    # -- public ---------------------------------------------------------------------------------------------

    def sequences(self, n: int) -> list[list[tuple[str, str]]]:
        out: list[list[tuple[str, str]]] = []
        while len(out) < n:
            seq = self.tagged(self.address())
            if seq:
                out.append(seq)
        return out

    def address(self) -> list[Seg]:
        """One address as labelled segments."""
        r = self.rng
        segs = self._head()
        body = r.choices(
            ("road", "road_poi", "poi", "subroad", "group", "none", "poi_road", "poi_first", "crossing"),
            weights=(0.29, 0.14, 0.29, 0.025, 0.05, 0.05, 0.07, 0.055, 0.025),
        )[0]
        if body == "road":
            segs += self._road(number=r.random() < 0.92)
            if r.random() < 0.45:
                segs += self._poi_block()
        elif body == "road_poi":
            segs += self._road(number=r.random() < 0.4) + self._poi_block()
        elif body == "poi":
            segs += self._poi_block()
        elif body == "poi_road":
            segs += self._road(number=r.random() < 0.5)
            segs += [(r.choice(W.ASSIST), "assist")] if r.random() < 0.4 else []
            segs += self._poi_block()
        elif body == "poi_first":  # 高桥工业区万和路6-2
            segs.append((self._poi_name(), "poi"))
            segs += self._road(number=r.random() < 0.7)
            if r.random() < 0.3:
                segs += self._inside()
        elif body == "crossing":  # 12号大街与11号大街交叉口
            segs.append((self._road_name(), "road"))
            segs.append((r.choice(W.INTERSECTION_JOINS), "assist"))
            segs.append((self._road_name(), "subRoad"))
            segs.append((r.choice(W.INTERSECTION_ENDS), "assist"))
            if r.random() < 0.5:
                segs.append((self._poi_name(), "poi"))
        elif body == "subroad":
            segs += self._road(number=r.random() < 0.3) + self._subroad()
            if r.random() < 0.3:
                segs += self._poi_block()
        elif body == "group":
            if not any(lab == "community" for _, lab in segs):
                segs.append((self._community(), "community"))
            # 组 is always its own road span, the door number after it roadno (as the NCAP data labels it)
            segs.append((f"{self._numeral(r.randint(1, 15))}组", "road"))
            if r.random() < 0.7:
                segs.append((f"{self._num(1, 300)}号", "roadno"))
            if r.random() < 0.2:
                segs.append((self._poi_name(), "poi"))
        if r.random() < 0.03 and segs:
            segs.append((r.choice(W.ASSIST), "assist"))
        if r.random() < 0.01:
            segs.append(self._otherinfo())
        if r.random() < 0.06:  # "…电联", "…null": a courier's note after the address
            segs.append((r.choice(W.TRAILING_REDUNDANT), "redundant"))
        return self._noise(segs)

    def tagged_many(self, addresses: Iterable[Sequence[Seg]]) -> list[list[tuple[str, str]]]:
        return [seq for seq in (self.tagged(segs) for segs in addresses) if seq]

    def tagged(self, segs: Sequence[Seg]) -> list[tuple[str, str]]:
        """Tokens with B-/I- tags, cleaned and tokenized as the API does; [] when two segments would merge into
        one token (two digit runs side by side)."""
        out: list[tuple[str, str]] = []
        for text, label in segs:
            for i, tok in enumerate(tokenize(clean_text(text))):
                out.append((tok, ("B-" if i == 0 else "I-") + label))
        whole = tokenize(clean_text("".join(t for t, _ in segs)))
        return out if [t for t, _ in out] == whole else []

    # -- divisions ------------------------------------------------------------------------------------------

    def _head(self) -> list[Seg]:
        r = self.rng
        p, c, d = self._counties[r.randrange(len(self._counties))]
        self._place = tuple(n for n in (suffixless(p.name), c.name and suffixless(c.name), suffixless(d.name)) if n)
        segs: list[Seg] = []
        full = r.random() < 0.7  # a writer tends to keep or drop suffixes throughout
        # Where the writer starts (NCAP: the province 40 %, city 16 %, county 13 %, township 12 %, below 19 %),
        # then each next level usually follows: the chain is cut at the top, seldom in the middle.
        start = r.choices(("prov", "city", "district", "town", "below"), weights=(0.4, 0.17, 0.13, 0.12, 0.18))[0]
        level = ("prov", "city", "district", "town", "below").index(start)
        if level == 0 and r.random() < 0.04:
            segs.append((r.choice(W.COUNTRY), "country"))
        if level == 0:
            if p.municipality:
                segs.append((self._form(p.name, p.short, full), "city"))
            else:
                # the province written short while the city keeps its suffix: 广西柳州市
                segs.append((self._form(p.name, p.short, full and r.random() < 0.8), "prov"))
        if level <= 1 and not p.municipality and c.name and (level == 1 or r.random() < 0.82):
            segs.append((self._form(c.name, c.short, full), "city"))
        if level <= 2 and (level == 2 or r.random() < 0.85):
            segs.append((self._form(d.name, d.short, full or r.random() < 0.5), "district"))
        if level <= 3 and r.random() < 0.05:
            segs.append((self._devzone(d), "devZone"))
        if level <= 3 and d.towns and (level == 3 or r.random() < 0.42):
            town = r.choice(d.towns)
            short = _STRIP_RE.sub("", town)
            segs.append((town if len(short) < 2 or r.random() < (0.8 if full else 0.4) else short, "town"))
            if r.random() < 0.03:
                segs.append((self._devzone(d), "devZone"))
            if r.random() < 0.25:
                segs.append((self._community(), "community"))
        elif level <= 3 and r.random() < 0.04:
            segs.append((self._community(), "community"))
        x = r.random()
        if len(segs) >= 2 and x < 0.05:  # divisions written with separators: 浙江省-湖州市-安吉县
            sep = r.choice(W.DIVISION_SEPARATORS)
            k = r.randint(2, len(segs))
            joined: list[Seg] = []
            for i, seg in enumerate(segs):
                joined.append(seg)
                if i + 1 < k:
                    joined.append((sep, "redundant"))
            segs = joined
        elif segs and x < 0.11:
            # the divisions written twice: one copy is redundant (NCAP: the first one more often)
            k = r.randint(1, len(segs))
            copy = [(text, "redundant") for text, label in segs[:k] if label != "redundant"]
            segs = copy + segs if r.random() < 0.6 else segs[:k] + copy + segs[k:]
        elif segs and x < 0.15:  # a short form right before the full name: "宁波宁波市", "北京北京市"
            i = r.randrange(len(segs))
            text, label = segs[i]
            short = suffixless(text)
            if label in ("city", "district", "prov") and short != text:
                segs.insert(i, (short, "redundant"))
        return segs

    def _form(self, name: str, short: Sequence[str], full: bool) -> str:
        if full or self.rng.random() < 0.15:
            return name
        forms = [s for s in (*short, suffixless(name)) if len(s) >= 2]
        return self.rng.choice(forms) if forms else name

    def _devzone(self, d: County) -> str:
        r = self.rng
        if self._devzones and r.random() < 0.5:
            return r.choice(self._devzones)
        stem = r.choice((suffixless(d.name), self._stem(), ""))
        return stem + r.choice(
            ("经济开发区", "开发区", "开发区", "经济技术开发区", "高新区", "高新技术产业开发区", "新区")
        )

    def _community(self) -> str:
        r = self.rng
        if self.names.communities and r.random() < 0.3:
            return r.choice(self.names.communities)
        stem = self._stem()
        return stem + r.choice(("村", "村", "社区", "村委会", "居委会", "社区居委会", "", "", ""))

    # -- road, poi, building --------------------------------------------------------------------------------

    def _stem(self) -> str:
        r = self.rng
        x = r.random()
        wx = 0.3
        if self._words and x < wx:  # everyday words: 金都, 碧海, 晨光 (and two of them: 宋都晨光)
            word = r.choice(self._words)
            return word + r.choice(self._words) if r.random() < 0.2 else word
        if self._stems and x < wx + 0.6 * (1 - wx):
            return r.choice(self._stems)
        return "".join(r.choice(W.NAME_CHARS) for _ in range(r.choice((2, 2, 2, 3))))

    def _road_name(self) -> str:
        r = self.rng
        if self.names.roads and r.random() < 0.35:
            return r.choice(self.names.roads)
        stem = self._stem()
        if r.random() < 0.1:
            stem += r.choice(W.DIRECTIONS)
        return stem + r.choice(W.ROAD_SUFFIXES)

    def _road(self, number: bool) -> list[Seg]:
        r = self.rng
        segs: list[Seg] = [(self._road_name(), "road")]
        if number:
            door = self._doorno()
            segs.append((door, "roadno"))
            if door.endswith("弄") and r.random() < 0.6:  # 164弄9号: the number after the lane is houseno
                segs.append((f"{self._num(1, 80)}号", "houseno"))
            elif door.isdigit() and r.random() < 0.3:  # 36-38号: the second number is houseno
                segs += [(r.choice("--/"), "redundant"), (f"{self._num(1, 80)}" + r.choice(("号", "")), "houseno")]
        return segs

    def _doorno(self) -> str:
        r = self.rng
        n = self._num(1, 2000)
        shape = r.choices(("hao", "dash", "fu", "nong", "bare", "cn"), weights=(0.7, 0.07, 0.04, 0.08, 0.06, 0.05))[0]
        if shape == "dash":
            return f"{n}-{r.randint(1, 20)}" + ("号" if r.random() < 0.7 else "")
        if shape == "fu":
            return f"{n}号附{r.randint(1, 20)}号"
        if shape == "nong":
            return f"{n}弄"
        if shape == "bare":
            return str(n)
        if shape == "cn":
            return f"{int_to_cn(r.randint(1, 200))}号"
        return f"{n}号"

    def _subroad(self) -> list[Seg]:
        r = self.rng
        name = f"{r.randint(1, 60)}弄" if r.random() < 0.4 else self._stem() + r.choice(W.SUBROAD_SUFFIXES)
        segs: list[Seg] = [(name, "subRoad")]
        if r.random() < 0.75:
            segs.append((f"{r.randint(1, 400)}号", "subRoadNo"))
        return segs

    def _poi_name(self) -> str:
        r = self.rng
        x = r.random()
        if x < 0.05 and self._parks:  # an industrial park: poi, as NCAP labels it
            return r.choice(self._parks)
        if x < 0.1:  # a company: 赛日机电有限公司
            return self._stem() + r.choice(W.INDUSTRIES) + r.choice(W.COMPANY_TAILS)
        if x < 0.2 and self._place:  # named after its place: 义乌国际商贸城, 浙江大学, 台州市中心医院
            place = r.choice(self._place)
            if r.random() < 0.2:
                place += r.choice(("市", "县", "区"))
            return place + (r.choice(W.PLACE_POI_TAILS) if r.random() < 0.5 else self._poi_name())
        if self.names.pois and r.random() < 0.3:
            name = r.choice(self.names.pois)
        elif r.random() < 0.12:
            name = self._stem() + r.choice(W.SHOP_SUFFIXES)
        elif r.random() < 0.12:
            name = self._stem() + (self._stem() if r.random() < 0.4 else r.choice(W.POI_BARE_TAILS))
        else:
            name = self._stem() + r.choice(W.POI_SUFFIXES)
        if r.random() < 0.03:
            name += r.choice(W.POI_TAILS[3:])  # "水木清华A区": the guide keeps a compound's 区 in the poi at times
        return name

    def _poi_block(self) -> list[Seg]:
        r = self.rng
        segs: list[Seg] = [(self._poi_name(), "poi")]
        if r.random() < 0.02:  # the compound written twice: the copy is redundant
            segs.append((segs[0][0], "redundant"))
        if r.random() < 0.22:
            x = r.random()
            if x < 0.15:  # 二期, 3期: a compound's phase is a subpoi (NCAP: 84 subpoi, 8 poi)
                sub = self._numeral(r.randint(1, 6)) + "期"
            elif x < 0.25:  # 东区, 二区, A区 after a compound with its suffix (小区, 市场…) is a subpoi
                sub = r.choice((*W.DIRECTIONS, "一", "二", "三", "A", "B", "C", "D")) + "区"
            elif x < 0.5:
                sub = r.choice(W.SUBPOI)
            elif x < 0.7:
                sub = self._stem() + r.choice(W.SUBPOI_SUFFIXES)
            elif x < 0.8:
                sub = f"{self._num(1, 12)}号门"
            else:  # a shop or company in the compound: 萧山机场蝶来大酒店
                sub = self._stem() + r.choice(W.SHOP_SUFFIXES + W.PERSON_SUFFIXES[:6])
            segs.append((sub, "subpoi"))
        if r.random() < 0.04:
            segs.append((r.choice(W.ASSIST), "assist"))
            return segs
        if r.random() < 0.6:
            segs += self._inside()
        elif r.random() < 0.15:
            segs.append((self._person(), "person"))
        return segs

    # -- noise ----------------------------------------------------------------------------------------------

    def _noise(self, segs: list[Seg]) -> list[Seg]:
        r = self.rng
        out: list[Seg] = []
        if r.random() < 0.04:
            out.append((r.choice(W.LEAD_REDUNDANT), "redundant"))
        for i, (text, label) in enumerate(segs):
            if label not in ("redundant", "assist", "otherinfo") and len(text) >= 3 and r.random() < 0.03:
                text = self._typo(text)
            out.append((text, label))
            if i + 1 < len(segs) and "redundant" not in (label, segs[i + 1][1]) and r.random() < 0.03:
                out.append((r.choice(W.REDUNDANT_SEPARATORS + W.REDUNDANT_WORDS[:4]), "redundant"))
        if r.random() < 0.02:
            out.append((r.choice(W.REDUNDANT_WORDS), "redundant"))
        return out

    def _typo(self, text: str) -> str:
        r = self.rng
        spots = [i for i, ch in enumerate(text[:-1]) if ch in W.HOMOPHONES]
        if not spots:
            return text
        i = r.choice(spots)
        return text[:i] + r.choice(W.HOMOPHONES[text[i]]) + text[i + 1 :]
