"""A small synthetic population for the linkage tests: people with 身份证号, phones and addresses, delivered by
two departments, with the duplicates' usual damage (homophones, swapped characters, a typo, no ID, a new phone,
a moved address). Generated from a fixed seed; names and numbers are made up."""

from __future__ import annotations

import random

import pandas as pd
import pytest

from gridgov.blockdata.linkage.chinese import id_check_char

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚英华玉萍红娥玲斌宇浩凯健俊帆帅旭宁婷雪琳晨辉鹏"
HOMOPHONES = {
    "伟": "玮",
    "芳": "方",
    "静": "靖",
    "丽": "莉",
    "明": "鸣",
    "华": "桦",
    "玲": "琳",
    "红": "虹",
    "张": "章",
}


def make_id(rng: random.Random) -> str:
    year, month, day = rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28)
    body = f"440304{year:04d}{month:02d}{day:02d}{rng.randint(0, 999):03d}"
    return body + id_check_char(body)


def make_people(count: int, seed: int) -> pd.DataFrame:
    """Records with a `person` column (the truth): every person once from 公安, some again from 住建 damaged."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for person in range(count):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        id_number = make_id(rng)
        phone = f"13{rng.randint(0, 999_999_999):09d}"
        code = f"440304{rng.randint(1, 9):03d}{rng.randint(1, 20):03d}B{rng.randint(1, 30):02d}R{rng.randint(1, 9)}"
        base = {
            "record_id": f"GA{person:05d}",
            "source": "公安",
            "name": name,
            "id_number": id_number,
            "birth_date": f"{id_number[6:10]}-{id_number[10:12]}-{id_number[12:14]}",
            "phone": phone,
            "address_code": code,
            "address": f"福田区某路{person}号",
            "updated_at": "2025-01-01",
            "person": person,
        }
        rows.append(base)
        if person % 3:
            continue
        copy = dict(base, record_id=f"ZJ{person:05d}", source="住建", updated_at="2026-06-01")
        damage = person % 5
        if damage == 0:  # homophone
            copy["name"] = "".join(HOMOPHONES.get(c, c) for c in name)
        elif damage == 1 and len(name) == 3:  # swapped given-name characters
            copy["name"] = name[0] + name[2] + name[1]
        elif damage == 2:  # one-digit typo in the ID
            digit = str((int(id_number[15]) + 1) % 10)
            copy["id_number"] = id_number[:15] + digit + id_number[16:]
        if person % 2:
            copy["id_number"] = None
        if person % 4 == 0:
            copy["phone"] = f"15{rng.randint(0, 999_999_999):09d}"
        if person % 7 == 0:
            copy["address_code"] = f"440304{rng.randint(1, 9):03d}{rng.randint(1, 20):03d}B01R1"
        rows.append(copy)
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def people() -> pd.DataFrame:
    return make_people(600, seed=7)
