"""An evaluation as text tables for the terminal (pure): the scores, per-class precision/recall and the confusion
table."""

from __future__ import annotations

from rich.table import Table

from gridgov.classify.metrics import Evaluation

MAX_CONFUSION = 40  # wider confusion tables are left out of the terminal (the per-class lines remain)


def per_class_table(ev: Evaluation) -> Table:
    table = Table(title=f"准确率 {ev.accuracy:.4f}  宏 F1 {ev.macro_f1:.4f}  （{ev.n} 条）")
    for col in ("类别", "精确率", "召回率", "F1", "条数"):
        table.add_column(col)
    for s in ev.per_class:
        table.add_row(s.label, f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", str(s.support))
    return table


def confusion_table(ev: Evaluation) -> Table | None:
    if len(ev.labels) > MAX_CONFUSION:
        return None
    table = Table(title="混淆表（行：真实类别，列：预测类别）")
    table.add_column("")
    for i, _ in enumerate(ev.labels):
        table.add_column(str(i + 1), justify="right")
    for i, (lb, row) in enumerate(zip(ev.labels, ev.confusion, strict=True)):
        table.add_row(f"{i + 1} {lb}", *(str(v) if v else "·" for v in row))
    return table
