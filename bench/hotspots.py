"""Repeat detection and hotspot clustering on the 2020 泰迪杯 messages
(../shared/data/complaints/messages_unlabeled.csv, 附件3: 4,326 messages with time and user id; never copied into the
repository).

    python bench/hotspots.py [--data DIR] [--window-days 30]

The detector is the app's own (`dispatch.repeat_rules`, the rule intake uses) and the grouping is the app's
(`dispatch.hotspot_rules`). The messages have no coordinates, so a message's place stands in for its standard
address: the first named place of its title (else of its body) — a 小区/花园/村/学校/路… name, found by a
regular expression — one id per distinct name. A message's 小类 stands in as its 一级 label
predicted by the shipped engine (`classify.engine.TextClassifier`) fitted on titles_train.tsv's train rows;
its text is its title (留言主题, the report's summary).

Labelled pairs, built from the data without the detector's own features (text likeness, label):
- repeats: two messages of the same user (留言用户) at the same place within the window — a resident reporting
  the same matter again, the 12345 definition of 重复诉求;
- not repeats: two messages of the same user within the window at different places, and as many pairs of
  different users in the same 区/县 and window at different places (seeded sample).
The negatives mostly test the place rule; the recall is the informative figure (how many re-reports the text and
label rules let through). Printed: precision and recall of the detector and of the anchor (exact-title
grouping: the same normalised title is a repeat) on these pairs, the top hotspots with size, spread, growth,
time range, places and representative texts, and the time taken. Missing data skips with a message.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, load_note, log  # noqa: E402
from gridgov.classify.datafile import read_labelled  # noqa: E402
from gridgov.classify.engine import TextClassifier  # noqa: E402
from gridgov.classify.text import with_context  # noqa: E402
from gridgov.dispatch.hotspot_rules import Item, hotspots, repeat_pairs  # noqa: E402
from gridgov.dispatch.repeat_rules import RepeatPolicy, Report  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
_PLACE = re.compile(
    r"([\u4e00-\u9fa5A-Za-z0-9]{2,8}?(?:小区|花园|家园|公寓|广场|大厦|新城|山庄|苑|村|社区|小学|中学|学校|幼儿园|医院|"
    r"市场|公园|大道|路|街|镇|乡))"
)
_AREA = re.compile(r"A\d+[区县]|[A-Z]\d*市")
_NOISE = re.compile(r"^(?:A市|关于|反映|投诉|请问|咨询|建议|举报)+")


def _data_dir(given: str | None) -> Path:
    return Path(given or os.environ.get("GRIDGOV_COMPLAINTS_DIR") or ROOT.parent / "shared" / "data" / "complaints")


def place_of(title: str, body: str) -> tuple[str, str]:
    """(区/县, place name) of a message; the name is "" when none is found."""
    for text in (title, body[:200]):
        area = _AREA.search(text)
        m = _PLACE.search(_AREA.sub(" ", text))
        if m:
            name = _NOISE.sub("", m.group(1))
            if len(name) >= 3:
                return (area.group(0) if area else ""), name
    area = _AREA.search(title + body[:200])
    return (area.group(0) if area else ""), ""


def _when(value: str) -> datetime:
    """Both spellings in the file (2019/2/28 11:25:05 and 2019-08-01 00:00:00), seconds optional."""
    y, mo, d, h, mi, sec = ([int(x) for x in re.findall(r"\d+", value)] + [0, 0, 0])[:6]
    return datetime(y, mo, d, h, mi, sec, tzinfo=UTC)


def load(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def run(data: Path, window_days: int) -> None:
    rows = load(data / "messages_unlabeled.csv")
    log(f"{len(rows)} messages ({load_note()})")
    labels: list[str | None] = [None] * len(rows)
    titles = data / "titles_train.tsv"
    if titles.is_file():
        train = [r for r in read_labelled(titles) if r.split == "train"]
        clf = TextClassifier().fit([with_context(r.text) for r in train], [r.label for r in train])
        labels = list(clf.predict([with_context(r["留言主题"]) for r in rows]))
        log(f"一级 labels predicted by the engine fitted on {len(train)} titles")
    else:
        log("titles_train.tsv not found: messages carry no label (the stricter text threshold applies)")
    label_ids = {lb: i for i, lb in enumerate(sorted({lb for lb in labels if lb}))}
    place_ids: dict[str, int] = {}
    items: list[Item] = []
    meta: list[tuple[str, str, str]] = []  # user, area, place
    for i, r in enumerate(rows):
        area, name = place_of(r["留言主题"], r["留言详情"].strip())
        place = name  # the name alone: many messages do not say their 区/县
        at = _when(r["留言时间"])
        lab = label_ids.get(labels[i] or "")
        report = Report(
            r["留言主题"].strip(), place_ids.setdefault(place, len(place_ids)) if place else None, None, None, lab, lab
        )
        items.append(Item(i, report, at, r["留言用户"], place))
        meta.append((r["留言用户"], area, place))
    log(f"{sum(1 for m in meta if m[2])} messages placed at {len(place_ids)} places")
    policy = RepeatPolicy(radius_m=0.0, window=timedelta(days=window_days))
    positives, negatives = labelled_pairs(items, meta, policy.window)
    log(f"labelled pairs: {len(positives)} repeats, {len(negatives)} not repeats")

    t0 = time.perf_counter()
    found = set(repeat_pairs(items, policy))
    spots = hotspots(items, policy)
    took = time.perf_counter() - t0
    t0 = time.perf_counter()
    by_title: dict[str, list[int]] = defaultdict(list)
    for i, it in enumerate(items):
        by_title[re.sub(r"\W+", "", it.report.text)].append(i)
    naive = {(min(a, b), max(a, b)) for g in by_title.values() for x, a in enumerate(g) for b in g[x + 1 :]}
    naive_groups = sorted((g for g in by_title.values() if len(g) > 1), key=len, reverse=True)
    took_naive = time.perf_counter() - t0

    p, rc = _scores(found, positives, negatives)
    pn, rn = _scores(naive, positives, negatives)
    log(f"detector: {len(found)} pairs, precision {p:.3f} recall {rc:.3f}; {len(spots)} hotspots in {took:.2f} s")
    log(f"anchor (exact title): {len(naive)} pairs, precision {pn:.3f} recall {rn:.3f}; {len(naive_groups)} groups")
    for h in spots[:10]:
        log(
            f"  {h.count:3d} reports, {h.spread} reporters, growth {h.growth}, "
            f"{h.first:%Y-%m-%d}..{h.last:%Y-%m-%d}, {'/'.join(h.places[:2])}: {h.texts[0][:40]}"
        )
    anchor = "exact-title grouping (same run)"
    emit("repeats_precision", p, "precision on labelled pairs", anchor, pn)
    emit("repeats_recall", rc, "recall on labelled pairs", anchor, rn)
    emit("hotspots_found", len(spots), "hotspots (≥ 2 reports)", anchor, len(naive_groups))
    emit(
        "hotspots_top_size",
        spots[0].count if spots else 0,
        "reports in the largest hotspot",
        anchor,
        len(naive_groups[0]) if naive_groups else 0,
    )
    emit("hotspots_seconds", took, "seconds for detection + clustering", anchor, took_naive)


def labelled_pairs(
    items: list[Item], meta: list[tuple[str, str, str]], window: timedelta
) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    by_user: dict[str, list[int]] = defaultdict(list)
    by_area: dict[str, list[int]] = defaultdict(list)
    for i, (user, area, place) in enumerate(meta):
        if place:
            by_user[user].append(i)
            by_area[area].append(i)
    pos: set[tuple[int, int]] = set()
    neg: set[tuple[int, int]] = set()
    for members in by_user.values():
        for x, a in enumerate(members):
            for b in members[x + 1 :]:
                if abs(items[a].at - items[b].at) <= window:
                    (pos if meta[a][2] == meta[b][2] else neg).add((min(a, b), max(a, b)))
    rng = random.Random(14)
    areas = [m for m in by_area.values() if len(m) > 1]
    wanted, tries = len(neg) * 2, 0
    while areas and len(neg) < wanted and tries < 200_000:
        tries += 1
        a, b = rng.sample(rng.choice(areas), 2)
        if meta[a][0] != meta[b][0] and meta[a][2] != meta[b][2] and abs(items[a].at - items[b].at) <= window:
            neg.add((min(a, b), max(a, b)))
    return pos, neg


def _scores(found: set[tuple[int, int]], pos: set[tuple[int, int]], neg: set[tuple[int, int]]) -> tuple[float, float]:
    tp, fp = len(found & pos), len(found & neg)
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / len(pos) if pos else 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data")
    parser.add_argument("--window-days", type=int, default=30)
    args = parser.parse_args()
    data = _data_dir(args.data)
    if not (data / "messages_unlabeled.csv").is_file():
        log(f"hotspots: skipped — messages_unlabeled.csv not found in {data} (set GRIDGOV_COMPLAINTS_DIR)")
        return
    run(data, args.window_days)


if __name__ == "__main__":
    main()
