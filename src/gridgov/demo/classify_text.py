"""Generated report texts for the demo catalog, and the shipped classifier trained on them: for each 小类, short
reports a resident or a grid worker might write, built from its name and keywords in the catalog (never from
third-party data). Deterministic for a seed."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gridgov.catalog.models import EventCategory
from gridgov.classify.versions import Example, Trained, train_version
from gridgov.common.principal import SYSTEM_PRINCIPAL

DEFAULT_TEXTS = 24  # per 小类
MODEL_NAME = "classifier_demo.joblib"

PLACES = (
    "小区门口",
    "楼下",
    "路口",
    "公交站旁",
    "菜市场边上",
    "学校附近",
    "公园里",
    "人行道上",
    "停车场",
    "巷子里",
    "天桥下",
    "工业园",
    "城中村",
    "商铺前",
    "河边",
    "地铁口",
)
OPENINGS = ("", "你好，", "反映一下：", "投诉：", "请处理：", "网格巡查发现", "居民反映", "麻烦管一下，")
TIMES = ("", "好几天了", "已经一个星期", "每天晚上", "今天早上", "最近", "一直")
ASKS = ("", "请尽快处理", "希望有关部门管一管", "影响居民生活", "存在安全隐患", "多次反映没人管", "谢谢")


@dataclass(frozen=True, slots=True)
class CatalogItem:
    code: str
    name: str
    keywords: tuple[str, ...]


def generate(items: Sequence[CatalogItem], per_item: int = DEFAULT_TEXTS, seed: int = 7) -> list[Example]:
    rnd = random.Random(seed)
    out: list[Example] = []
    for item in items:
        words = list(item.keywords) or [item.name]
        for i in range(per_item):
            what = item.name if i % 4 == 0 else rnd.choice(words)
            extra = rnd.choice(words) if len(words) > 1 and rnd.random() < 0.4 else ""
            parts = [rnd.choice(OPENINGS), rnd.choice(PLACES), what, extra, rnd.choice(TIMES), rnd.choice(ASKS)]
            text = "".join(p if k < 2 else (p + "，" if p else "") for k, p in enumerate(parts)).rstrip("，")
            out.append(Example(text, item.code, rnd.choice(("photo", "grid_patrol", "hotline_12345", None))))
    return out


def catalog_items(session: Session) -> list[CatalogItem]:
    rows = session.scalars(
        select(EventCategory).where(EventCategory.parent_id.is_not(None), EventCategory.active.is_(True))
    )
    return [CatalogItem(r.code, r.name, tuple(r.keywords or ())) for r in rows]


def train_demo_classifier(session: Session, var_dir: Path, per_item: int = DEFAULT_TEXTS) -> Trained:
    """The shipped model: fitted on generated texts, scored on texts generated with another seed, made live."""
    items = catalog_items(session)
    train = generate(items, per_item, seed=7)
    holdout = generate(items, max(2, per_item // 4), seed=11)
    path = var_dir / "models" / MODEL_NAME
    note = f"generated demo text, {per_item} per 小类"
    return train_version(session, SYSTEM_PRINCIPAL, train, holdout, source="demo", out=path, note=note)
