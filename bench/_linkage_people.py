"""Synthetic Chinese person records for bench/linkage.py: `people` true people, `records` records in all, the extra
ones duplicates from other departments with the usual damage. Made-up names and numbers, fixed seed.

Damage of a duplicate (independently): a homophone for one given-name character (15 %), the given name's
characters swapped (5 % of three-character names), one character mistyped (3 %), no 身份证号 (30 %) or one digit
of it wrong (4 %), a stated birth date one digit wrong (3 %), no phone (25 %) or another phone (30 %), a moved
address (30 %: another building, often in another street)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from pypinyin import Style, lazy_pinyin

from gridgov.blockdata.linkage.chinese import id_check_char

# The 100 commonest surnames with rough weights (the first few carry about a third of the population).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬斌宇浩凯健俊帆帅旭宁婷雪琳晨辉鹏"
    "欣怡梓涵子轩浩然雨泽嘉豪晓梅丹阳佳文博志鑫建国海波小红春梅云飞亮新宏林峰东坤瑞祥福春晖德荣建华国庆"
    "慧颖倩茜蕾薇莉莹琪璐瑶婧媛睿哲铭诚毅骏翔腾霖烨煜弘昊晟彤妍璇琴洁雯蓉楠菲露怡然思远若曦天佑一鸣"
)
SOURCES = ("公安", "住建", "人社", "卫健", "民政")
DISTRICTS = ("440303", "440304", "440305", "440306", "440307", "440308", "440309", "440310", "440311")


def _homophones() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for char in dict.fromkeys(GIVEN):
        groups[lazy_pinyin(char, style=Style.NORMAL)[0]].append(char)
    return {c: [o for o in group if o != c] for group in groups.values() for c in group if len(group) > 1}


def generate(people: int, records: int, seed: int = 20261207) -> pd.DataFrame:
    """The records (columns of gridgov.blockdata.linkage.records plus `person`, the truth), shuffled."""
    rng = np.random.default_rng(seed)
    surname_weights = 1 / np.arange(1, len(SURNAMES) + 1) ** 0.9
    surnames = rng.choice(list(SURNAMES), size=people, p=surname_weights / surname_weights.sum())
    given_chars = np.array(list(dict.fromkeys(GIVEN)))
    given_weights = 1 / np.arange(1, len(given_chars) + 1) ** 0.6
    first = rng.choice(given_chars, size=people, p=given_weights / given_weights.sum())
    second = rng.choice(given_chars, size=people, p=given_weights / given_weights.sum())
    two_char = rng.random(people) < 0.25
    names = np.where(two_char, np.char.add(surnames, first), np.char.add(np.char.add(surnames, first), second))
    birth = np.datetime64("1940-01-01") + rng.integers(0, 70 * 365, size=people).astype("timedelta64[D]")
    births = pd.to_datetime(birth).strftime("%Y%m%d").to_numpy()
    district = rng.choice(list(DISTRICTS), size=people)
    sequence = rng.integers(0, 1000, size=people)
    bodies = [f"{d}{b}{s:03d}" for d, b, s in zip(district, births, sequence, strict=True)]
    ids = np.array([b + id_check_char(b) for b in bodies])
    phones = np.char.add("1", rng.integers(3_000_000_000, 9_999_999_999, size=people).astype(str))
    addresses = _address_codes(rng, people, district)
    base = pd.DataFrame(
        {
            "person": np.arange(people),
            "name": names,
            "id_number": ids,
            "birth_date": pd.to_datetime(birth).strftime("%Y-%m-%d"),
            "phone": phones,
            "address_code": addresses,
            "source": "公安",
            "updated_at": "2025-06-30",
        }
    )
    extra = records - people
    copies = base.iloc[rng.integers(0, people, size=extra)].reset_index(drop=True)
    copies["source"] = rng.choice(list(SOURCES[1:]), size=extra)
    copies["updated_at"] = (
        pd.Timestamp("2025-07-01") + pd.to_timedelta(rng.integers(0, 500, size=extra), unit="D")
    ).strftime("%Y-%m-%d")
    _damage(rng, copies)
    frame = pd.concat([base, copies], ignore_index=True)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    frame.insert(0, "record_id", [f"R{i:08d}" for i in range(len(frame))])
    frame["address"] = None
    return frame


def _address_codes(rng: np.random.Generator, count: int, district: np.ndarray) -> np.ndarray:
    street = rng.integers(1, 12, size=count)
    community = rng.integers(1, 15, size=count)
    building = rng.integers(1, 200, size=count)
    room = rng.integers(101, 3300, size=count)
    return np.array(
        [
            f"{d}{s:03d}{c:03d}B{b:03d}R{r:04d}"
            for d, s, c, b, r in zip(district, street, community, building, room, strict=True)
        ]
    )


def _damage(rng: np.random.Generator, copies: pd.DataFrame) -> None:
    n = len(copies)
    homophones = _homophones()
    given_chars = list(dict.fromkeys(GIVEN))
    names = copies["name"].tolist()
    roll = rng.random((n, 4))
    picks = rng.integers(0, 1_000_000, size=n)
    for i, name in enumerate(names):
        if roll[i, 0] < 0.15:
            spots = [k for k in range(1, len(name)) if name[k] in homophones]
            if spots:
                k = spots[picks[i] % len(spots)]
                options = homophones[name[k]]
                name = name[:k] + options[picks[i] % len(options)] + name[k + 1 :]
        if roll[i, 1] < 0.05 and len(name) == 3:
            name = name[0] + name[2] + name[1]
        if roll[i, 2] < 0.03:
            k = 1 + picks[i] % (len(name) - 1)
            name = name[:k] + given_chars[picks[i] % len(given_chars)] + name[k + 1 :]
        names[i] = name
    copies["name"] = names
    ids = copies["id_number"].to_numpy(dtype=object)
    typo = rng.random(n) < 0.04
    position = rng.integers(14, 17, size=n)
    for i in np.flatnonzero(typo).tolist():
        value = ids[i]
        ids[i] = value[: position[i]] + str((int(value[position[i]]) + 1) % 10) + value[position[i] + 1 :]
    ids[rng.random(n) < 0.30] = None
    copies["id_number"] = ids
    births = copies["birth_date"].to_numpy(dtype=object)
    for i in np.flatnonzero(rng.random(n) < 0.03).tolist():
        value = births[i]
        births[i] = value[:9] + str((int(value[9]) + 1) % 10)
    copies["birth_date"] = births
    phones = copies["phone"].to_numpy(dtype=object)
    new_phone = rng.random(n) < 0.30
    phones[new_phone] = np.char.add(
        "1", rng.integers(3_000_000_000, 9_999_999_999, size=int(new_phone.sum())).astype(str)
    )
    phones[rng.random(n) < 0.25] = None
    copies["phone"] = phones
    moved = rng.random(n) < 0.30
    codes = copies["address_code"].to_numpy(dtype=object)
    districts = np.array([c[:6] for c in codes[moved]])
    codes[moved] = _address_codes(rng, int(moved.sum()), districts)
    copies["address_code"] = codes
