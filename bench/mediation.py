"""Mediation figures: routing decisions per second and agreement generation time.

    python bench/mediation.py [--disputes N] [--documents N]

* routing    the routing of a stream of demo disputes (the demo's dispute stories: type and amount, each at a random
             grid of the 福田区 demo geography): the rule table (mediation/data/routing.csv) chosen by type, district
             and amount, the lead tier, the least loaded fitting mediator and one agency per kind of a joint
             mediation found up the place's ancestry (mediation/routing.py, the pure decision the service runs
             after reading the same indexes from the database) — against a plain rule-table lookup of the same
             stream (a dict from type to its agency kinds).
* documents  one 调解协议书 per run as PDF (WeasyPrint, Noto CJK) and as DOCX (docxtpl), against filling the same
             HTML template with Jinja2 alone (PDF) and opening and saving the DOCX template with python-docx
             without rendering (DOCX).

One JSON line per figure on stdout; progress on stderr. Needs no database and no /work/shared data.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, load_note, log
from gridgov.common.levels import Place
from gridgov.demo.geography import build_demo_geography
from gridgov.demo.mediation import AGENCIES, STORIES
from gridgov.mediation import documents, routing
from gridgov.mediation.dispute_types import dispute_types
from gridgov.mediation.rules import AgencyKind


class Tree:
    """The demo geography as the router's in-memory indexes: ancestry and paths by division, agencies by
    (division, kind), mediators with their areas and skills."""

    def __init__(self, rng: random.Random) -> None:
        geo = build_demo_geography(["福田区"], grids_target=200)
        ids = {d.code: i for i, d in enumerate(geo.divisions, 1)}
        self.level = {ids[d.code]: d.level for d in geo.divisions}
        self.parent = {ids[d.code]: ids[d.parent_code] if d.parent_code else None for d in geo.divisions}
        self.code = {ids[d.code]: d.code for d in geo.divisions}
        self.path: dict[int, str] = {}
        for d in geo.divisions:  # parents first
            i = ids[d.code]
            up = self.parent[i]
            self.path[i] = (self.path[up] if up else "/") + f"{i}/"
        self.grids = [i for i, lv in self.level.items() if lv == "grid"]
        self.agencies: dict[tuple[int, AgencyKind], int] = {}
        self.mediators: list[routing.MediatorInfo] = []
        for i, lv in self.level.items():
            for kind, _name, _dept in AGENCIES.get(lv, ()):
                self.agencies.setdefault((i, kind), len(self.agencies) + 1)
            if lv in ("community", "street", "district"):
                for skills in ({"neighbour", "property", "tenancy", "consumer", "family", "general"}, set()):
                    self.mediators.append(
                        routing.MediatorInfo(len(self.mediators) + 1, self.path[i], frozenset(skills), rng.randrange(9))
                    )
        self.by_path: dict[str, list[routing.MediatorInfo]] = {}
        for m in self.mediators:
            self.by_path.setdefault(m.division_path, []).append(m)

    def ancestry(self, i: int) -> list[Place]:
        out: list[Place] = []
        cur: int | None = i
        while cur is not None:
            out.append(Place(cur, self.level[cur]))
            cur = self.parent[cur]
        return out


def bench_routing(n: int) -> None:
    rng = random.Random(7)
    tree = Tree(rng)
    rules = routing.builtin_rules()
    skills = {t.code: t.skill for t in dispute_types().values()}
    stream = []
    for _ in range(n):
        kind, _title, _text, amount, _stage = STORIES[rng.randrange(len(STORIES))]
        stream.append((kind, Decimal(amount) * Decimal(rng.choice([1, 1, 2, 5])), rng.choice(tree.grids)))
    log(f"routing: {n} demo disputes over {len(tree.grids)} grids, {len(tree.agencies)} agencies; {load_note()}")

    def decide_all() -> int:
        joint = 0
        for kind, amount, grid in stream:
            ancestry = tree.ancestry(grid)
            paths = {p.id: tree.path[p.id] for p in ancestry}
            district = next(tree.code[p.id] for p in ancestry if p.level == "district")
            rule = routing.choose_rule(rules, kind, district, amount)
            candidates = [m for p in paths.values() for m in tree.by_path.get(p, ())]
            decision = routing.route(rule, ancestry, paths, tree.agencies, candidates, skills[kind])
            joint += len(decision.agency_ids)
        return joint

    table = {r.dispute_type: r.agencies for r in reversed(rules)}  # the first rule of a type wins

    def lookup_all() -> int:
        joint = 0
        for kind, _amount, _grid in stream:
            joint += len(table.get(kind, table["*"]))
        return joint

    best_decide = best_lookup = float("inf")
    for _ in range(3):  # alternating rounds; the best of each
        t0 = time.perf_counter()
        tasks = decide_all()
        best_decide = min(best_decide, time.perf_counter() - t0)
        t0 = time.perf_counter()
        lookup_all()
        best_lookup = min(best_lookup, time.perf_counter() - t0)
    log(f"routing: {tasks} joint tasks decided for the stream")
    emit(
        "mediation_routing_decisions_per_s",
        n / best_decide,
        "decisions/s",
        "plain rule-table lookup (dict by type)",
        n / best_lookup,
    )


def _context(rng: random.Random) -> dict[str, Any]:
    return {
        "number": "TJ20261207000001",
        "parties": [
            {"role": "申请人", "name": "周美玲", "id_number": "4403**********1234", "phone": "135****0000"},
            {"role": "被申请人", "name": "深圳市鹏安物业管理有限公司", "id_number": "—", "phone": "—"},
        ],
        "dispute_type": "物业纠纷",
        "place": "深圳市福田区南园街道下步庙社区下步庙东路7号",
        "amount": f"{rng.randrange(1000, 90000):,.2f}",
        "description": "公共管道漏水浸泡业主家具，业主要求物业公司维修并赔偿。",
        "terms": "一、物业公司于十五日内维修漏水管道。\n二、物业公司赔偿业主损失人民币捌仟元。\n三、双方再无争议。",
        "copies": 3,
        "mediator": "下步庙社区人民调解员",
        "agency": "下步庙社区人民调解委员会",
        "date": "2026年12月7日",
    }


def bench_documents(n: int) -> None:
    from docx import Document

    rng = random.Random(3)
    log(f"documents: {n} agreements each as PDF and DOCX; {load_note()}")
    documents.render_pdf(_context(rng))  # the first PDF loads WeasyPrint and the fonts: not counted
    raw = resources.files("gridgov.mediation").joinpath("templates/agreement.docx").read_bytes()
    pdf = docx = fill = resave = 0.0
    for _ in range(n):
        ctx = _context(rng)
        t0 = time.perf_counter()
        documents.render_pdf(ctx)
        pdf += time.perf_counter() - t0
        t0 = time.perf_counter()
        documents.fill_html(ctx)  # the Jinja2 fill of the same HTML template, without the PDF
        fill += time.perf_counter() - t0
        t0 = time.perf_counter()
        documents.render_docx(ctx)
        docx += time.perf_counter() - t0
        t0 = time.perf_counter()
        Document(io.BytesIO(raw)).save(io.BytesIO())
        resave += time.perf_counter() - t0
    emit(
        "mediation_agreement_pdf_ms",
        pdf / n * 1000,
        "ms/agreement",
        "Jinja2 fill of the same HTML template",
        fill / n * 1000,
    )
    emit(
        "mediation_agreement_docx_ms",
        docx / n * 1000,
        "ms/agreement",
        "python-docx open+save of the template",
        resave / n * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--disputes", type=int, default=20_000)
    parser.add_argument("--documents", type=int, default=10)
    args = parser.parse_args()
    bench_routing(args.disputes)
    bench_documents(args.documents)


if __name__ == "__main__":
    main()
