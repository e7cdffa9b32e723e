"""`gridgov classify …`: train (from the case history or a labelled file), eval, versions, live (rollback)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="事件智能分类：训练、评估、模型版本", no_args_is_help=True)
console = Console()


def _print_eval(ev: object) -> None:
    from gridgov.classify.metrics import Evaluation
    from gridgov.classify.report import confusion_table, per_class_table

    assert isinstance(ev, Evaluation)
    console.print(per_class_table(ev))
    confusion = confusion_table(ev)
    if confusion is not None:
        console.print(confusion)


@app.command()
def train(
    data: Annotated[
        Path | None, typer.Option(help="带 text、label（可选 split、channel）列的 TSV/CSV；不给则用案件历史标注")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="模型文件；不给则写到 var/models 下")] = None,
    live: Annotated[bool, typer.Option(help="给 --data 时：登记为新版本并在不差于现网模型时上线")] = False,
    extra: Annotated[
        Path | None,
        typer.Option(help="给 --data 时：另一种文本的标注文件（如为标题模型加留言详情），其训练行以较低权重参与训练"),
    ] = None,
) -> None:
    """Train a classifier. From a file: fit its train rows (and, weighted lower, the train rows of --extra that
    equal none of its dev texts), report its dev rows (and with --live, register it
    as a version, live only if it is not worse than the live one on those rows). Without a file: retrain from
    the dispatchers' labels; it goes live only if it beats the live model on the newest labels held out."""
    from gridgov.classify.datafile import read_labelled
    from gridgov.classify.engine import TextClassifier
    from gridgov.classify.versions import Example, extra_examples, retrain_from_history, score, train_version
    from gridgov.common.errors import AppError
    from gridgov.common.principal import SYSTEM_PRINCIPAL
    from gridgov.common.timeutil import utcnow
    from gridgov.config import get_settings
    from gridgov.db import session_scope

    target = out or get_settings().var_dir / "models" / f"classifier_{utcnow():%Y%m%d%H%M%S}.joblib"
    try:
        if data is not None:
            rows = read_labelled(data)
            fit = [Example(r.text, r.label, r.channel) for r in rows if r.split == "train"]
            dev = [Example(r.text, r.label, r.channel) for r in rows if r.split == "dev"]
            if extra is not None:
                fit += extra_examples(read_labelled(extra), dev)
            if not live:
                clf = TextClassifier().fit([e.doc for e in fit], [e.label for e in fit], [e.weight for e in fit])
                clf.save(target)
                console.print(f"[green]已训练：{len(fit)} 条，模型写入 {target}[/green]")
                ev = score(clf, dev)
                if ev is not None:
                    _print_eval(ev)
                return
            with session_scope() as session:
                done = train_version(session, SYSTEM_PRINCIPAL, fit, dev, source="file", out=target, note=data.name)
        else:
            with session_scope() as session:
                done = retrain_from_history(session, SYSTEM_PRINCIPAL, target)
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]模型版本 {done.version.id} 已上线（{done.version.n_train} 条训练），文件 {target}[/green]")
    if done.score is not None:
        _print_eval(done.score)


@app.command("eval")
def evaluate_file(
    model: Annotated[Path, typer.Option(help="模型文件")],
    data: Annotated[Path, typer.Option(help="带 text、label 列的 TSV/CSV")],
    split: Annotated[str, typer.Option(help="all / train / dev")] = "all",
) -> None:
    """Accuracy, macro-F1, per-class precision/recall and the confusion table of a model on a labelled file."""
    from gridgov.classify.datafile import read_labelled
    from gridgov.classify.engine import TextClassifier
    from gridgov.classify.versions import Example, score
    from gridgov.common.errors import AppError

    if split not in ("all", "train", "dev"):
        raise typer.BadParameter("应为 all、train 或 dev", param_hint="--split")
    try:
        if not model.is_file():
            raise typer.BadParameter(f"模型文件“{model}”不存在", param_hint="--model")
        clf = TextClassifier.load(model)
        rows = [r for r in read_labelled(data) if split == "all" or r.split == split]
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    ev = score(clf, [Example(r.text, r.label, r.channel) for r in rows])
    if ev is None:
        console.print("[red]所选数据为空[/red]")
        raise typer.Exit(1)
    _print_eval(ev)


@app.command()
def versions() -> None:
    """The model versions, their scores on their held-out rows, and which one is live."""
    from gridgov.classify.versions import list_versions
    from gridgov.common.principal import SYSTEM_PRINCIPAL
    from gridgov.db import session_scope

    table = Table(title="分类模型版本")
    for col in ("版本", "来源", "训练时间", "训练条数", "留出条数", "宏 F1", "原现网宏 F1", "现网"):
        table.add_column(col)
    with session_scope() as session:
        for v in list_versions(session, SYSTEM_PRINCIPAL):
            f1 = f"{v.macro_f1:.4f}" if v.macro_f1 is not None else "-"
            old = f"{v.live_macro_f1:.4f}" if v.live_macro_f1 is not None else "-"
            table.add_row(
                str(v.id),
                v.source,
                f"{v.trained_at:%Y-%m-%d %H:%M}",
                str(v.n_train),
                str(v.n_holdout),
                f1,
                old,
                "✓" if v.live else "",
            )
    console.print(table)


@app.command("live")
def make_live_cmd(version_id: int) -> None:
    """Put a version live (rollback to an earlier one)."""
    from gridgov.classify.versions import make_live
    from gridgov.common.errors import AppError
    from gridgov.common.principal import SYSTEM_PRINCIPAL
    from gridgov.db import session_scope

    try:
        with session_scope() as session:
            make_live(session, SYSTEM_PRINCIPAL, version_id)
    except AppError as exc:
        console.print(f"[red]{exc.message}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"[green]模型版本 {version_id} 已上线[/green]")
