"""Name pools of the synthetic address library: the characters road, compound and industrial-park names are
made of, the suffixes they take with their weights, and the small helpers that draw from them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "COMP_A",
    "COMP_B",
    "FORBIDDEN",
    "INDUSTRIAL_SUFFIXES",
    "INDUSTRY_B",
    "OFFICE_SUFFIXES",
    "RESIDENTIAL_SUFFIXES",
    "ROAD_A",
    "ROAD_B",
    "ROAD_SUFFIXES",
    "clean_stem",
    "draw_stem",
    "letters",
    "pick",
    "weighted",
]

# Characters that never appear inside a generated stem: level words, numerals (they would be read as
# numbers next to 号/栋) and characters that make a stem look like a suffix.
FORBIDDEN = set("省市区县镇乡村社路街道巷弄号栋幢座层楼室单元户期一二三四五六七八九十百千万两零〇")

# Road stems: first and second characters (auspicious / topographic, as in Shenzhen road names).
ROAD_A = (
    "福华新金宝龙兴安康泰景莲荔梅松桂竹海沙岭田洪红翠碧彩益振建和平文明光创科鹏"
    "凤鸿锦嘉瑞祥丰盛昌隆永长美怡乐春银玉望香桃石岩布横葵观大民前东西南北中上下"
)
ROAD_B = "田民华园林岭湖海湾沙山河溪塘坑围岗坪景苑荔竹梅松桂安康兴隆盛昌丰宁和平新源泉洲港城门阁亭峰"
# Compound stems (residential / commercial naming style).
COMP_A = "碧翠锦绣嘉瑞祥怡康泰御金银玉鸿华富丽雅清星月阳海山水云天蓝绿紫桂兰梅荷枫柏椰榕君名豪东西南北中万"
COMP_B = "海湾苑庭轩阁居城府景峰湖岸林庄都廷源泉溪山花悦雅华馨逸韵阳晖"
INDUSTRY_B = "丰发达兴盛昌隆联宝富源通科创业利华泰安"

ROAD_SUFFIXES: tuple[tuple[str, float], ...] = (
    ("路", 0.40),
    ("街", 0.11),
    ("大道", 0.06),
    ("巷", 0.05),
    ("道", 0.03),
    ("一路", 0.08),
    ("二路", 0.07),
    ("三路", 0.03),
    ("东路", 0.03),
    ("西路", 0.03),
    ("南路", 0.03),
    ("北路", 0.03),
    ("中路", 0.02),
    ("横街", 0.01),
    ("新街", 0.02),
)
RESIDENTIAL_SUFFIXES: tuple[tuple[str, float], ...] = (
    ("花园", 0.26),
    ("新村", 0.14),
    ("小区", 0.12),
    ("家园", 0.08),
    ("公寓", 0.06),
    ("雅苑", 0.07),
    ("华庭", 0.06),
    ("名苑", 0.05),
    ("山庄", 0.04),
    ("豪庭", 0.04),
    ("苑", 0.04),
    ("城", 0.04),
)
OFFICE_SUFFIXES: tuple[tuple[str, float], ...] = (
    ("大厦", 0.55),
    ("广场", 0.22),
    ("中心", 0.10),
    ("商务中心", 0.06),
    ("科技大厦", 0.07),
)
INDUSTRIAL_SUFFIXES: tuple[tuple[str, float], ...] = (
    ("工业区", 0.50),
    ("工业园", 0.30),
    ("科技园", 0.12),
    ("产业园", 0.08),
)


def weighted(rng: np.random.Generator, options: Sequence[tuple[str, float]]) -> str:
    weights = np.array([w for _, w in options], dtype=np.float64)
    index = int(rng.choice(len(options), p=weights / weights.sum()))
    return options[index][0]


def pick(rng: np.random.Generator, pool: str) -> str:
    return pool[int(rng.integers(len(pool)))]


def draw_stem(rng: np.random.Generator, first: str, second: str) -> str:
    while True:
        a, b = pick(rng, first), pick(rng, second)
        if a != b:
            return a + b


def clean_stem(text: str) -> str | None:
    """A usable 2-3 character stem, or None."""
    if 2 <= len(text) <= 3 and not any(ch in FORBIDDEN for ch in text):
        return text
    return None


def letters(count: int) -> list[str]:
    return [chr(ord("A") + i) for i in range(count)]
