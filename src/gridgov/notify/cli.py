"""`gridgov notify ...`: the notification worker and a look at what is waiting."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="通知（站内消息、短信、电子邮件）", no_args_is_help=True)
console = Console()


@app.command("run")
def run(
    once: Annotated[bool, typer.Option(help="只跑一轮（规划到追上 outbox，发送到没有到期的）后退出")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="每轮间隔（秒）")] = 2.0,
) -> None:
    """Plan notifications from the outbox and send what is due, round after round (Ctrl-C ends it)."""
    from gridgov.config import get_settings
    from gridgov.db import get_engine, session_factory
    from gridgov.notify.worker import NotifyWorker

    settings = get_settings()
    worker = NotifyWorker(session_factory(get_engine(), settings), settings, interval)
    console.print("通知渠道：" + "、".join(c.label for c in worker.channels))
    while True:
        done = worker.run_once()
        if done.events or done.sent or once:
            console.print(f"规划 {done.events} 个领域事件，发送 {done.sent} 条")
        if once:
            return
        time.sleep(interval)


@app.command("status")
def status() -> None:
    """Deliveries by channel and status, and how far the planner is behind the outbox."""
    from sqlalchemy import func, select

    from gridgov.common.events import OutboxPosition, last_id
    from gridgov.db import session_scope
    from gridgov.notify.models import NotificationDelivery as D
    from gridgov.notify.planner import SUBSCRIBER
    from gridgov.notify.rules import ChannelName, DeliveryStatus

    with session_scope() as session:
        rows = session.execute(select(D.channel, D.status, func.count()).group_by(D.channel, D.status)).all()
        position = session.scalar(select(OutboxPosition.position).where(OutboxPosition.subscriber == SUBSCRIBER))
        head = last_id(session)
    table = Table("渠道", "状态", "条数")
    for channel, state, n in rows:
        table.add_row(ChannelName(channel).label, DeliveryStatus(state).label, str(n))
    console.print(table)
    behind = "尚未开始" if position is None else f"落后 {head - position} 个领域事件"
    console.print(f"通知规划：{behind}")
