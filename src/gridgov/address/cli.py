"""`gridgov address …`: import, translate, stats."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="标准地址库：导入、翻译、统计", no_args_is_help=True)
console = Console()
PARSE_CHUNK = 1000  # `address parse`: stdin lines tagged together


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


@app.command("import")
def import_file(
    path: Path,
    crs: Annotated[str, typer.Option(help="坐标系 wgs84 / gcj02 / bd09")] = "wgs84",
) -> None:
    """Import addresses from CSV, Excel (.xlsx) or GeoJSON; every line is checked and nothing is written
    unless all of them are good."""
    from gridgov.address.fileio import read_rows
    from gridgov.address.loading import import_rows
    from gridgov.common.errors import AppError
    from gridgov.common.principal import SYSTEM_PRINCIPAL
    from gridgov.db import session_scope

    if crs not in ("wgs84", "gcj02", "bd09"):
        raise typer.BadParameter("应为 wgs84、gcj02 或 bd09", param_hint="--crs")
    with session_scope() as session:
        try:
            report = import_rows(session, SYSTEM_PRINCIPAL, read_rows(path.name, path.read_bytes()), crs=crs)  # type: ignore[arg-type]
        except AppError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from exc
    if not report.ok:
        table = Table(title=f"{len(report.errors)} 处错误，未写入任何数据")
        for col in ("行", "字段", "问题"):
            table.add_column(col)
        for err in report.errors[:200]:
            table.add_row(str(err["line"]), err["field"], err["message"])
        console.print(table)
        raise typer.Exit(1)
    console.print(f"[green]已导入 {report.created} 条标准地址[/green]")


@app.command()
def translate(
    texts: Annotated[list[str] | None, typer.Argument(help="地址文本；不给则逐行读标准输入")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="每行输出一个 JSON")] = False,
) -> None:
    """Translate messy address text into standard addresses."""
    from gridgov.address.lookup import translate_batch
    from gridgov.db import session_scope

    items = texts or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    with session_scope() as session:
        results = translate_batch(session, items)
    for r in results:
        if as_json:
            best = {"code": r.best.code, "full_name": r.best.full_name, "level": r.best.level} if r.best else None
            print(
                json.dumps(
                    {
                        "text": r.text,
                        "best": best,
                        "confidence": round(r.confidence, 3),
                        "needs_review": r.needs_review,
                        "remainder": r.remainder,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            mark = "[yellow]待确认[/yellow]" if r.needs_review else "[green]✓[/green]"
            name = r.best.full_name if r.best else "（未匹配）"
            console.print(f"{mark} {r.text} → {name}  置信度 {r.confidence:.2f}  {'；'.join(r.explanation[:4])}")


@app.command()
def stats() -> None:
    """Counts of the library by level and status, aliases and the review queue."""
    from sqlalchemy import func, select

    from gridgov.address.models import Address, AddressAlias, AddressReview
    from gridgov.db import session_scope

    with session_scope() as session:
        by_level = session.execute(
            select(Address.level, Address.status, func.count()).group_by(Address.level, Address.status)
        ).all()
        aliases = session.scalar(select(func.count()).select_from(AddressAlias))
        reviews = session.execute(select(AddressReview.status, func.count()).group_by(AddressReview.status)).all()
        with_point = session.scalar(select(func.count()).select_from(Address).where(Address.lon.is_not(None)))
    table = Table(title="标准地址库")
    for col in ("层级", "状态", "数量"):
        table.add_column(col)
    for level, status, n in sorted(by_level):
        table.add_row(level, status, f"{n:,}")
    console.print(table)
    queue = "，".join(f"{status} {n}" for status, n in reviews) or "空"
    console.print(f"有坐标 {with_point:,} 条；别名 {aliases:,} 个；待确认队列：{queue}")
    console.print(f"地址匹配器：{matcher_build()}")


def matcher_build() -> str:
    """Which matcher is loaded: compiled with mypyc, compiled but older than its source, or plain Python."""
    from gridgov.address.native import compiled, stale_sources

    if not compiled():
        return "纯 Python（未编译；make native 可编译）"
    stale = stale_sources()
    return f"已编译（mypyc），但早于源文件 {'、'.join(stale)}：请运行 make native" if stale else "已编译（mypyc）"


@app.command("parse")
def parse_lines(
    texts: Annotated[list[str] | None, typer.Argument(help="地址文本；不给则逐行读标准输入")] = None,
) -> None:
    """Parse addresses (arguments, or one per line on stdin) with the same model and path as
    /api/addresses/parse; prints one JSON line each: {"text", "spans": [{label, start, end, text}]}."""
    from gridgov.address.shipped import load_tagger
    from gridgov.config import get_settings

    tagger = load_tagger(get_settings().var_dir)
    if tagger is None:
        console.print("[red]地址解析模型不存在：请运行 gridgov address train[/red]")
        raise typer.Exit(1)
    items = texts if texts else (line.rstrip("\n") for line in sys.stdin)
    for chunk in _chunks(items, PARSE_CHUNK):  # tagged together: the batch path of parse_batch
        for parsed in tagger.parse_batch(chunk):
            spans = [{"label": c.label, "start": c.start, "end": c.end, "text": c.text} for c in parsed.components]
            print(json.dumps({"text": parsed.text, "spans": spans}, ensure_ascii=False), flush=False)
    sys.stdout.flush()


def _name_file(path: Path | None) -> list[str]:
    if path is None:
        return []
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@app.command("train")
def train(
    sequences: Annotated[int, typer.Option(min=100, help="生成多少条标注地址用于训练")] = 10_000,
    labelled: Annotated[
        Path | None, typer.Option(help="管理员标注的地址：NCAP 格式（每行“字 标签”）或 JSON 行")
    ] = None,
    check: Annotated[
        Path | None, typer.Option(help="校验集（同上格式）；不给则从 --labelled 中每 5 条留出 1 条")
    ] = None,
    roads: Annotated[Path | None, typer.Option(help="本区补充的道路名，每行一个")] = None,
    pois: Annotated[Path | None, typer.Option(help="本区补充的小区、大厦、单位名，每行一个")] = None,
    communities: Annotated[Path | None, typer.Option(help="本区补充的社区、村名，每行一个")] = None,
    force: Annotated[bool, typer.Option(help="即使新模型在校验集上更差也替换")] = False,
) -> None:
    """Train the address parser on addresses generated from the national divisions and this library (plus the
    labelled addresses given), print a per-label report and replace the current model in var/models unless
    the new one scores worse on the labelled check set. Third-party data is never used."""
    from gridgov.address import library
    from gridgov.address.features import tokenize_with_spans
    from gridgov.address.scoring import format_scores, read_labelled, to_sequence
    from gridgov.address.shipped import forget, load_tagger, model_path
    from gridgov.address.synth import AddressGenerator, NameLists
    from gridgov.address.tags import read_bio_file
    from gridgov.address.training import compare, generated_check, train_parser
    from gridgov.config import get_settings
    from gridgov.db import session_scope

    try:
        given = read_labelled(labelled, read_bio_file) if labelled else []
        held = read_labelled(check, read_bio_file) if check else [x for i, x in enumerate(given) if i % 5 == 4]
    except (OSError, ValueError) as exc:
        console.print(f"[red]标注文件有误：{exc}[/red]")
        raise typer.Exit(1) from exc
    train_items = given if check else [x for i, x in enumerate(given) if i % 5 != 4]
    with session_scope() as session:
        names = NameLists.from_records(library.division_records(session), library.address_records(session))
    names = names.extend(NameLists(_name_file(roads), _name_file(pois), _name_file(communities)))
    var_dir = get_settings().var_dir
    with console.status(f"用 {sequences} 条生成的地址和 {len(train_items)} 条标注地址训练解析模型…"):
        labelled_seqs = [to_sequence(x, tokenize_with_spans) for x in train_items]
        candidate = train_parser(names, sequences, labelled=labelled_seqs)
    current = load_tagger(var_dir)
    if held:
        result = compare(candidate, current, held)
        console.print(f"新模型，校验集 {len(held)} 条（经 API 同一路径）：")
        console.print("\n".join(format_scores(result.candidate)), markup=False)
        if result.current is not None:
            console.print("当前模型：")
            console.print("\n".join(format_scores(result.current)), markup=False)
        if not result.accepted and not force:
            assert result.current is not None
            console.print(
                f"[red]新模型在校验集上 F1 {result.candidate['f1']:.4f} 低于当前模型 {result.current['f1']:.4f}，"
                "未替换（--force 可强制替换）[/red]"
            )
            raise typer.Exit(1)
    else:
        report = generated_check(candidate, AddressGenerator(names, seed=7).sequences(500))
        console.print("新模型，在 500 条另行生成的地址上（无标注校验集）：")
        console.print("\n".join(format_scores(report)), markup=False)
    path = model_path(var_dir)
    candidate.save(path)
    forget()
    console.print(f"[green]已保存[/green] {path}")
