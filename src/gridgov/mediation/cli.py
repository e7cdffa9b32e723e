"""`gridgov mediation ...`: the joint-mediation task sweep (warnings, overdue tasks raised one tier up)."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(help="矛盾纠纷调解", no_args_is_help=True)
console = Console()


@app.command("sweep")
def sweep() -> None:
    """Warn the joint-mediation tasks past their warning point and raise the overdue ones one tier up (one
    transaction); run it from cron beside `gridgov sla sweep`."""
    from gridgov.db import session_scope
    from gridgov.mediation.assignment import sweep_tasks

    with session_scope() as session:
        counts = sweep_tasks(session)
    console.print(f"联调任务：黄灯 {counts['yellow']} 个，超时 {counts['red']} 个，上报上一级 {counts['escalated']} 个")
