"""The `gridgov` command line: init, demo load, serve, sla sweep, simulate, catalog import, outbox delivery.

Each command is an entrypoint: it wires the event bus first and runs its action as a unit of work."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gridgov.address.cli import app as address_app
from gridgov.config import get_settings

app = typer.Typer(help="gridgov 网格化基层治理平台", no_args_is_help=True)
demo_app = typer.Typer(help="演示数据", no_args_is_help=True)
sla_app = typer.Typer(help="时限与预警", no_args_is_help=True)
catalog_app = typer.Typer(help="事件目录", no_args_is_help=True)
outbox_app = typer.Typer(help="领域事件投递（异步订阅者）", no_args_is_help=True)
app.add_typer(demo_app, name="demo")
app.add_typer(outbox_app, name="outbox")
app.add_typer(sla_app, name="sla")
app.add_typer(catalog_app, name="catalog")
app.add_typer(address_app, name="address")
console = Console()


@app.callback()
def _start() -> None:
    """gridgov 网格化基层治理平台"""
    from gridgov.wiring import wire

    wire()


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@app.command()
def init(reset: Annotated[bool, typer.Option(help="删除现有 SQLite 数据库后重建")] = False) -> None:
    """Create the database schema (Alembic migrations) and the var/ folder."""
    from gridgov.db import get_engine
    from gridgov.migrate import upgrade

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    if reset:
        if settings.db_url.startswith("sqlite"):
            for suffix in ("", "-wal", "-shm"):
                Path(settings.db_url.split("///", 1)[1] + suffix).unlink(missing_ok=True)
            shutil.rmtree(settings.attachments_dir, ignore_errors=True)
        else:
            raise typer.BadParameter("--reset only drops the embedded SQLite database", param_hint="--reset")
    upgrade(get_engine())
    settings.jwt_key, settings.pii_secret  # noqa: B018 - generate the keys on first run
    console.print(f"[green]数据库就绪[/green] {settings.db_url.split('@')[-1]}")


@demo_app.command("load")
def demo_load(
    districts: Annotated[str, typer.Option(help="只加载这些区（逗号分隔），如 福田区,南山区")] = "",
    grids: Annotated[int, typer.Option(help="网格总数（按面积分配到社区）")] = 4000,
    reset: Annotated[bool, typer.Option(help="先清空 SQLite 数据库")] = False,
) -> None:
    """Load the Shenzhen demo: divisions, grids, departments, users, catalog and calendar."""
    from gridgov.db import session_scope
    from gridgov.demo.loader import load_demo

    init(reset=reset)
    names = [d.strip() for d in districts.split(",") if d.strip()] or None
    with _progress() as bar, session_scope() as session:
        task = bar.add_task("生成区划与网格", total=None)

        def tick(stage: str, done: int, total: int) -> None:
            label = {
                "communities": "划分街道与社区",
                "grids": "划分网格",
                "addresses": "生成并写入标准地址",
                "parser": "训练地址解析模型",
            }.get(stage, stage)
            bar.update(task, description=label, completed=done, total=total)

        result = load_demo(session, get_settings().var_dir, names, grids, progress=tick)
    table = Table(title="演示账号（密码为本次生成，已写入 " + str(result.credentials_file) + "）")
    for col in ("用户名", "密码", "角色", "范围"):
        table.add_column(col)
    for row in result.logins:
        table.add_row(*row)
    console.print(table)
    console.print(
        f"区划 {result.divisions} 个，标准地址 {result.addresses} 条，部门 {result.departments} 个，"
        f"用户 {result.users} 个，"
        f"事件类别 {result.categories} 个，日历例外 {result.calendar_days} 天"
    )


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    sweeper: Annotated[bool, typer.Option(help="在进程内定时扫描时限")] = True,
) -> None:
    """Serve the API (and pages) with uvicorn."""
    import uvicorn

    from gridgov.app import create_app

    uvicorn.run(create_app(sweeper=sweeper), host=host, port=port, log_level="info")


@sla_app.command("sweep")
def sla_sweep() -> None:
    """Apply yellow warnings, red overdue marks and escalations once, now."""
    from gridgov.db import session_scope
    from gridgov.dispatch.sweeper import sweep

    with session_scope() as session:
        result = sweep(session)
    console.print(f"黄灯预警 {result.yellow} 件，红灯超时 {result.red} 件，自动上报上级 {result.escalated} 件")


@app.command()
def simulate(
    days: Annotated[int, typer.Option(min=1, max=366, help="模拟过去多少天")] = 7,
    per_day: Annotated[int, typer.Option(min=1, help="每天约多少件事件")] = 200,
    seed: int = 7,
) -> None:
    """Simulate N days of cases moving through the whole loop (for dashboards and demos)."""
    from gridgov.db import session_scope
    from gridgov.demo.simulate import simulate as run

    with _progress() as bar, session_scope() as session:
        task = bar.add_task("模拟事件流转", total=None)
        stats = run(session, days, per_day, seed, progress=lambda d, t: bar.update(task, completed=d, total=t))
        from gridgov.migrate import analyze

        analyze(session.get_bind().engine)
    console.print(stats)


@catalog_app.command("import")
def catalog_import(path: Path) -> None:
    """Import (create or update) 大类/小类 from a CSV file; all or nothing."""
    from gridgov.catalog.services import import_catalog
    from gridgov.common.errors import AppError
    from gridgov.common.principal import SYSTEM_PRINCIPAL
    from gridgov.db import session_scope

    with session_scope() as session:
        try:
            stats = import_catalog(session, SYSTEM_PRINCIPAL, path.read_text(encoding="utf-8"))
        except AppError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from exc
    console.print(stats)


@outbox_app.command("deliver")
def outbox_deliver(
    follow: Annotated[bool, typer.Option(help="持续投递（每隔 --interval 秒一轮），Ctrl-C 结束")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="持续投递时每轮间隔（秒）")] = 1.0,
) -> None:
    """Feed the outbox to every asynchronous subscriber until each has caught up (once, or --follow)."""
    import time

    from gridgov.common.events import deliver_all
    from gridgov.db import get_engine, session_factory

    factory = session_factory(get_engine(), get_settings())
    while True:
        done = deliver_all(factory)
        if done:
            console.print("，".join(f"{name} {n} 条" for name, n in done.items()))
        if not follow:
            if not done:
                console.print("没有异步订阅者")
            return
        time.sleep(interval)


@outbox_app.command("status")
def outbox_status() -> None:
    """Each asynchronous subscriber's position in the outbox and how far behind it is."""
    from sqlalchemy import select

    from gridgov.common.events import OutboxPosition, last_id
    from gridgov.db import session_scope

    with session_scope() as session:
        head = last_id(session)
        rows = list(session.scalars(select(OutboxPosition).order_by(OutboxPosition.subscriber)))
    table = Table(title=f"领域事件 {head} 条")
    for col in ("订阅者", "位置", "已投递", "落后", "更新时间"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r.subscriber, str(r.position), str(r.delivered), str(head - r.position), f"{r.updated_at:%Y-%m-%d %H:%M:%S}"
        )
    console.print(table)


if __name__ == "__main__":
    app()
