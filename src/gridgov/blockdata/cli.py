"""`gridgov blockdata …`: import a department file (with a progress bar), save a department's column mapping, open
the due re-verification (核查) tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="块数据：部门数据导入、字段映射、到期复核任务", no_args_is_help=True)
console = Console()
STAGES = {"check": "逐行校验", "address": "地址翻译（按楼栋去重）", "write": "加密并写入"}


@app.command("import")
def import_file(
    path: Path,
    department: Annotated[str, typer.Option(help="来源部门，如 公安、市场监管、住建")],
    kind: Annotated[str, typer.Option(help="person 人口 / entity 法人 / rental 房屋租赁")],
    mapping: Annotated[Path | None, typer.Option(help="本次的列名映射 JSON 文件；不给则用该部门保存的映射")] = None,
    errors: Annotated[Path | None, typer.Option(help="错误报告 CSV 的位置（默认：文件名.errors.csv）")] = None,
) -> None:
    """Import a CSV or Excel file of a department: every row is checked and nothing is written unless all are
    good; the problems go to an error report by line."""
    from gridgov.blockdata import importing
    from gridgov.blockdata.fileio import read_table
    from gridgov.blockdata.models import ImportBatch
    from gridgov.blockdata.queries import error_report_csv
    from gridgov.common.errors import AppError
    from gridgov.common.principal import SYSTEM_PRINCIPAL
    from gridgov.db import session_scope

    columns = json.loads(mapping.read_text("utf-8")) if mapping else None
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    )
    try:
        with progress, session_scope() as session:
            task = progress.add_task("读取文件", total=None)
            rows = read_table(path.name, path.read_bytes())

            def tick(stage: str, done: int, total: int) -> None:
                progress.update(task, description=STAGES.get(stage, stage), completed=done, total=total)

            report = importing.import_records(
                session,
                SYSTEM_PRINCIPAL,
                department=department,
                kind=kind,
                filename=path.name,
                rows=rows,
                columns=columns,
                progress=tick,
            )
        if not report.ok:
            with session_scope() as session:
                batch: ImportBatch = importing.record_rejection(
                    session, SYSTEM_PRINCIPAL, department=department, kind=kind, filename=path.name, report=report
                )
                out = errors or path.with_name(path.name + ".errors.csv")
                out.write_text(error_report_csv(batch), encoding="utf-8")
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    if not report.ok:
        table = Table(title=f"{len(report.errors)} 处错误，未写入任何数据（错误报告：{out}）")
        for col in ("行", "字段", "问题"):
            table.add_column(col)
        for err in report.errors[:20]:
            table.add_row(str(err["line"]), err["label"], err["message"])
        console.print(table)
        raise typer.Exit(1)
    counts = "，".join(f"{k} {v}" for k, v in report.counts.items())
    console.print(f"[green]批次 {report.batch_id}：已导入 {report.rows} 行（{counts}）[/green]")


@app.command("mapping")
def save_mapping(
    department: str,
    kind: str,
    path: Annotated[Path, typer.Argument(help='JSON：来源列名 → 字段，如 {"公民身份号码": "id_number"}')],
) -> None:
    """Save a department's column mapping for one kind of file (used by every later import of it)."""
    from gridgov.blockdata.importing import save_mapping as save
    from gridgov.common.errors import AppError
    from gridgov.common.principal import SYSTEM_PRINCIPAL
    from gridgov.db import session_scope

    try:
        with session_scope() as session:
            save(session, SYSTEM_PRINCIPAL, department, kind, json.loads(path.read_text("utf-8")))
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]已保存 {department} 的 {kind} 字段映射[/green]")


@app.command("verify-due")
def verify_due() -> None:
    """Open a 核查 task for every record not verified for the days of its type (GRIDGOV_BLOCKDATA_VERIFY_DAYS);
    the server does this every GRIDGOV_BLOCKDATA_VERIFY_SWEEP_SECONDS too."""
    from gridgov.blockdata.verification import open_due_tasks
    from gridgov.common.principal import SYSTEM_PRINCIPAL
    from gridgov.db import session_scope

    with session_scope() as session:
        opened = open_due_tasks(session, SYSTEM_PRINCIPAL)
    console.print("[green]已生成到期复核任务：" + "，".join(f"{k} {v}" for k, v in opened.items()) + "[/green]")


def _link_command() -> None:
    from gridgov.blockdata.linkage.cli import link

    app.command("link")(link)


_link_command()
