"""`gridgov address …`: import, translate, stats."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="标准地址库：导入、翻译、统计", no_args_is_help=True)
console = Console()


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
