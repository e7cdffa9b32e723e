"""The `gridgov` command line: init, demo load, serve, sla sweep, simulate, catalog import, outbox delivery,
audit verify, backup and restore, users, attachments clean, and
the notification worker (notify/cli.py).

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
from gridgov.blockdata.cli import app as blockdata_app
from gridgov.classify.cli import app as classify_app
from gridgov.config import get_settings
from gridgov.hazards.cli import app as hazards_app
from gridgov.mediation.cli import app as mediation_app
from gridgov.notify.cli import app as notify_app

app = typer.Typer(help="gridgov 网格化基层治理平台", no_args_is_help=True)
demo_app = typer.Typer(help="演示数据", no_args_is_help=True)
sla_app = typer.Typer(help="时限与预警", no_args_is_help=True)
catalog_app = typer.Typer(help="事件目录", no_args_is_help=True)
outbox_app = typer.Typer(help="领域事件投递（异步订阅者）", no_args_is_help=True)
users_app = typer.Typer(help="用户与密码", no_args_is_help=True)
app.add_typer(users_app, name="users")
audit_app = typer.Typer(help="审计日志", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
attachments_app = typer.Typer(help="附件", no_args_is_help=True)
app.add_typer(attachments_app, name="attachments")
app.add_typer(demo_app, name="demo")
app.add_typer(outbox_app, name="outbox")
app.add_typer(sla_app, name="sla")
app.add_typer(catalog_app, name="catalog")
app.add_typer(address_app, name="address")
app.add_typer(blockdata_app, name="blockdata")
app.add_typer(classify_app, name="classify")
app.add_typer(notify_app, name="notify")
app.add_typer(hazards_app, name="hazards")
app.add_typer(mediation_app, name="mediation")
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
    settings.var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
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
    from gridgov.dispatch.upload_cleanup import already_cleaned

    if not already_cleaned(settings.attachments_dir):
        attachments_clean()


@attachments_app.command("clean")
def attachments_clean() -> None:
    """Strip EXIF and other metadata from images stored before uploads were cleaned (idempotent; init runs it
    until one pass has completed on this attachments folder)."""
    from gridgov.db import session_scope
    from gridgov.dispatch.upload_cleanup import clean_stored_images, mark_cleaned

    root = get_settings().attachments_dir
    with session_scope() as session:
        report = clean_stored_images(session, root)
    mark_cleaned(root)  # after the commit: a pass that failed runs again at the next init
    if report.cleaned or report.undecodable:
        console.print(
            f"附件：检查 {report.checked} 张图片，清除元数据 {report.cleaned} 张，"
            f"无法解码（改为下载）{report.undecodable} 张，文件缺失 {report.missing} 个"
        )


@demo_app.command("load")
def demo_load(
    districts: Annotated[str, typer.Option(help="只加载这些区（逗号分隔），如 福田区,南山区")] = "",
    grids: Annotated[int, typer.Option(help="网格总数（按面积分配到社区）")] = 4000,
    reset: Annotated[bool, typer.Option(help="先清空 SQLite 数据库")] = False,
    people: Annotated[int, typer.Option(help="块数据演示人口记录数（三个部门文件合计；0 不生成），如 20000")] = 200_000,
) -> None:
    """Load the Shenzhen demo: divisions, grids, departments, users, catalog and calendar, and the block data
    (people, companies, rental rooms) from three generated department files through the real import."""
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
                "classifier": "训练事件分类模型",
                "check": "块数据：逐行校验",
                "address": "块数据：地址翻译",
                "write": "块数据：加密并写入 / 写入聚类",
                "read": "人员关联：读取人口记录",
                "link": "人员关联：关联与聚类",
            }.get(stage, stage)
            bar.update(task, description=label, completed=done, total=total)

        result = load_demo(session, get_settings().var_dir, names, grids, progress=tick, blockdata_people=people)
    table = Table(title="演示账号（密码为本次生成，已写入 " + str(result.credentials_file) + "）")
    for col in ("用户名", "密码", "角色", "范围"):
        table.add_column(col)
    for row in result.logins:
        table.add_row(*row)
    console.print(table)
    console.print(
        f"区划 {result.divisions} 个，标准地址 {result.addresses} 条，部门 {result.departments} 个，"
        f"用户 {result.users} 个，"
        f"事件类别 {result.categories} 个，日历例外 {result.calendar_days} 天，演示矛盾纠纷 {result.disputes} 件"
    )
    if result.blockdata is not None:
        bd = result.blockdata
        refused = sum(bd.refused.values())
        console.print(
            f"块数据：人口记录 {bd.counts.get('people', 0)} 条，法人 {bd.counts.get('entities', 0)} 个，"
            f"租赁房屋 {bd.counts.get('rooms', 0)} 间，电话 {bd.counts.get('phones', 0)} 个，"
            f"地址待确认 {bd.counts.get('review', 0)} 条；校验未通过而剔除 {refused} 行（错误报告在 "
            f"{bd.files[0].parent if bd.files else ''}）"
        )
        if bd.link is not None:
            console.print(
                f"人员关联：{bd.link.records} 条人口记录关联为 {bd.link.clusters} 个人员聚类（标准档案），"
                f"用时 {bd.link_seconds:.1f} 秒"
            )


@demo_app.command("hazards")
def demo_hazards(
    per_street: Annotated[int, typer.Option(min=1, help="每个街道的隐患源数")] = 8,
    minutes: Annotated[int, typer.Option(min=10, help="遥测回放时长（分钟，截至现在）")] = 180,
) -> None:
    """Hazard sources and simulated devices for the demo districts, and a telemetry replay (alarms and cases)."""
    from gridgov.db import session_scope
    from gridgov.demo.hazards import load_sources, replay

    with session_scope() as session:
        loaded = load_sources(session, per_street=per_street)
    with session_scope() as session:
        done = replay(session, minutes=minutes)
    console.print(
        f"隐患源 {loaded.sources} 个，设备 {loaded.devices} 台，巡查任务 {loaded.inspections} 个，"
        f"风险分级 {loaded.graded} 个；"
        f"回放遥测 {done.messages} 条，"
        f"触发告警 {done.raised} 条（解除 {done.cleared} 条），无数据告警 {done.no_data} 条"
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

    # X-Forwarded-For is believed only from GRIDGOV_TRUSTED_PROXIES, by the app itself (not by uvicorn's default)
    uvicorn.run(create_app(sweeper=sweeper), host=host, port=port, log_level="info", proxy_headers=False)


@users_app.command("password")
def user_password(username: str) -> None:
    """Give USERNAME a new generated password, printed once; the account must change it at its next login and
    all of its sign-ins end."""
    from sqlalchemy import select

    from gridgov.common.principal import Principal, Role
    from gridgov.common.uow import UnitOfWork
    from gridgov.db import get_engine, session_factory
    from gridgov.org.auth import set_password
    from gridgov.org.models import User

    operator = Principal(user_id=None, username="cli", role=Role.ADMIN)
    with session_factory(get_engine(), get_settings())() as session, UnitOfWork(session):
        user_id = session.scalar(select(User.id).where(User.username == username))
        if user_id is None:
            console.print(f"[red]用户“{username}”不存在[/red]")
            raise typer.Exit(1)
        password = set_password(session, operator, user_id)
    console.print(f"{username} 的新密码（只显示这一次，首次登录须修改）：{password}")


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


def _anchor(value: str) -> tuple[int, str] | None:
    if not value:
        return None
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise typer.BadParameter("格式为 序号:哈希（gridgov audit verify 打印的链头）", param_hint="--anchor")
    return int(seq), digest


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[str, typer.Option(help="之前在库外记下的链头 序号:哈希，校验它仍在链上")] = "",
) -> None:
    """Walk the audit log's hash chain: any gap, deletion, insertion or edit names the first bad row (exit 1)."""
    from gridgov.common.audit import verify
    from gridgov.db import get_engine

    settings = get_settings()
    with get_engine().connect() as conn:
        verdict = verify(conn, settings.audit_secret, _anchor(anchor))
    if verdict.first_bad is not None:
        bad = verdict.first_bad
        where = f"第 {bad.seq} 条" if bad.seq is not None else "链"
        row = f"（id={bad.id}）" if bad.id is not None else ""
        console.print(f"[red]审计日志校验失败[/red]：{where}{row} {bad.reason}")
        raise typer.Exit(1)
    console.print(f"[green]审计日志完整[/green]：{verdict.walk.rows} 条，链头 {verdict.head[0]}:{verdict.head[1]}")


@app.command("backup")
def backup_command(
    out: Annotated[Path | None, typer.Option(help="备份文件；默认 var/backups/gridgov-<时间>.db 或 .dump")] = None,
) -> None:
    """Back up the database while the server runs (SQLite online backup API; pg_dump on PostgreSQL), with a
    manifest of row counts beside it (FILE.json)."""
    from gridgov.common.backup import BackupError, backup
    from gridgov.common.timeutil import utcnow
    from gridgov.db import get_engine

    settings, engine = get_settings(), get_engine()
    if out is None:
        suffix = "db" if engine.dialect.name == "sqlite" else "dump"
        folder = settings.var_dir / "backups"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        out = folder / f"gridgov-{utcnow():%Y%m%dT%H%M%SZ}.{suffix}"
    try:
        manifest = backup(engine, out)
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(
        f"[green]备份完成[/green] {out}：{len(manifest.tables)} 张表、{sum(manifest.tables.values())} 行，"
        f"审计链头 {manifest.audit_head[0]}"
    )


@app.command("restore")
def restore_command(source: Path) -> None:
    """Restore a backup into the configured database (stop the server first), then check each table's row count
    against the backup's manifest and walk the audit chain; exit 1 when they disagree."""
    from gridgov.common.backup import BackupError, restore
    from gridgov.db import get_engine

    try:
        result = restore(get_engine(), source, get_settings().audit_secret)
    except BackupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    for name, (expected, found) in result.mismatched.items():
        console.print(f"[red]{name}[/red]：备份 {expected} 行，恢复后 {found} 行")
    if not result.head_ok:
        console.print("[red]审计链头与备份清单不符[/red]")
    if result.audit.first_bad is not None:
        console.print(f"[red]审计日志校验失败[/red]：{result.audit.first_bad.reason}")
    if not result.ok:
        raise typer.Exit(1)
    console.print(f"[green]恢复并校验通过[/green]：{len(result.tables)} 张表、{sum(result.tables.values())} 行")


if __name__ == "__main__":
    app()
