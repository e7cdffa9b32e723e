"""`gridgov blockdata link`: link the person records into clusters (incremental by default), with a progress bar."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console()
STAGES = {"read": "读取人口记录（内存中解密）", "link": "关联与聚类（Splink）", "write": "写入聚类与标准档案"}


def link(
    full: Annotated[
        bool, typer.Option("--full", help="全量重新关联（重新训练模型；聚类编号与人工决定仍保留）")
    ] = False,
) -> None:
    """Link the person records into people: new records join the stored clusters (their ids never change) unless
    --full; stewards' merges and splits are honoured either way."""
    from gridgov.blockdata.linkage import store
    from gridgov.common.errors import AppError
    from gridgov.common.principal import SYSTEM_PRINCIPAL
    from gridgov.db import session_scope

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )
    try:
        with progress, session_scope() as session:
            task = progress.add_task("准备", total=3)

            def tick(stage: str, done: int, total: int) -> None:
                progress.update(task, description=STAGES.get(stage, stage), completed=done, total=total)

            summary = store.run_link(session, SYSTEM_PRINCIPAL, full=full, progress=tick)
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    mode = "全量" if summary.mode == "full" else "增量"
    console.print(
        f"[green]{mode}关联：{summary.records} 条记录（新 {summary.new_records}），"
        f"{summary.clusters} 个人员聚类（新 {summary.new_clusters}）[/green]"
    )
