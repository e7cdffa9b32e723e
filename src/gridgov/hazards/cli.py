"""`gridgov hazards ...`: load the registry, sweep for silent devices and due or overdue inspections, run the
MQTT ingest, look at rejected payloads."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="安全隐患与物联感知（隐患源、设备、遥测、告警）", no_args_is_help=True)
console = Console()


@app.command("load")
def load() -> None:
    """Load the hazard classes and built-in alarm rules from the data file (rules already there are kept)."""
    from gridgov.common.principal import SYSTEM_PRINCIPAL
    from gridgov.db import session_scope
    from gridgov.hazards.registry import load_registry

    with session_scope() as session:
        counts = load_registry(session, SYSTEM_PRINCIPAL)
    console.print(f"隐患类别 {counts['classes']} 个，新增告警规则 {counts['rules_added']} 条")


@app.command("sweep")
def sweep_cmd(
    follow: Annotated[bool, typer.Option(help="持续运行（Ctrl-C 结束）")] = False,
    interval: Annotated[float, typer.Option(min=1.0, help="间隔（秒）")] = 60.0,
) -> None:
    """The hazards worker's round: judge the no-data (offline) conditions of every device and mark the silent ones
    offline; schedule the inspections that fell due and escalate the overdue ones."""
    from gridgov.db import session_scope
    from gridgov.hazards import inspections
    from gridgov.hazards.ingest import sweep

    while True:
        with session_scope() as session:
            result = sweep(session)
        with session_scope() as session:
            due = inspections.sweep(session)
        console.print(
            f"无数据告警 {result.changes['create']} 条；新巡查任务 {due.scheduled} 个，逾期上报 {due.escalated} 个"
        )
        if not follow:
            return
        time.sleep(interval)


@app.command("grade")
def grade_cmd() -> None:
    """Grade every legal entity (or address with hazard sources) low / medium / high from its industry, hazard
    sources, inspection findings and cases; the grade shortens its sources' inspection period."""
    from gridgov.common.principal import SYSTEM_PRINCIPAL
    from gridgov.db import session_scope
    from gridgov.hazards.risk_grading import grade_all

    with session_scope() as session:
        done = grade_all(session, SYSTEM_PRINCIPAL)
    n = done.by_grade or {}
    console.print(
        f"分级 {done.graded} 个（高 {n.get('high', 0)}，中 {n.get('medium', 0)}，低 {n.get('low', 0)}），"
        f"等级变化 {done.changed} 个"
    )


@app.command("mqtt")
def mqtt_cmd(
    host: Annotated[str, typer.Option(help="MQTT 服务器")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 1883,
    username: Annotated[str | None, typer.Option(help="用户名")] = None,
    password: Annotated[str | None, typer.Option(help="密码")] = None,
) -> None:
    """Subscribe to gridgov/devices/+/telemetry and ingest what arrives (Ctrl-C ends it)."""
    from gridgov.config import get_settings
    from gridgov.db import get_engine, session_factory
    from gridgov.hazards.mqtt import TOPIC, MqttIngest

    bridge = MqttIngest(session_factory(get_engine(), get_settings()), host, port, username=username, password=password)
    bridge.start()
    console.print(f"已订阅 {TOPIC}（{host}:{port}）")
    try:
        while True:
            time.sleep(10)
            console.print(f"已接收 {bridge.totals['messages']} 条，拒收 {bridge.totals['rejected']} 条")
    except KeyboardInterrupt:
        bridge.stop()


@app.command("rejects")
def rejects(limit: Annotated[int, typer.Option(min=1, max=1000)] = 20) -> None:
    """The latest refused payloads, with their reasons."""
    from sqlalchemy import select

    from gridgov.db import session_scope
    from gridgov.hazards.models import TelemetryReject

    table = Table(title="被拒收的遥测")
    for col in ("时间", "通道", "设备", "字段", "原因", "原文"):
        table.add_column(col)
    with session_scope() as session:
        for r in session.scalars(select(TelemetryReject).order_by(TelemetryReject.id.desc()).limit(limit)):
            table.add_row(
                r.at.isoformat(timespec="seconds"),
                r.transport,
                r.device_code or "",
                r.field or "",
                r.error,
                r.body[:60],
            )
    console.print(table)
