"""Demo-side commands mounted by the top-level CLI: `gridgov address train` (the address parser trained on text
generated from the library in the database)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

console = Console()


def train_parser(
    sequences: Annotated[int, typer.Option(min=100, help="生成多少条标注地址用于训练")] = 4000,
) -> None:
    """Train the address parser (CRF) on text generated from the library in the database; saves it under
    var/models. Third-party data is never used."""
    from dataclasses import dataclass

    from gridgov.address import library
    from gridgov.address.records import AddressRecord, DivisionRecord
    from gridgov.config import get_settings
    from gridgov.db import session_scope
    from gridgov.demo.parser_training import train_and_save

    @dataclass
    class Lib:
        divisions: list[DivisionRecord]
        addresses: list[AddressRecord]

    with session_scope() as session:
        lib = Lib(library.division_records(session), library.address_records(session))
    if not lib.addresses:
        console.print("[red]地址库为空：请先导入地址或载入演示数据[/red]")
        raise typer.Exit(1)
    with console.status(f"用 {sequences} 条生成的地址训练解析模型…"):
        path = train_and_save(lib, get_settings().var_dir, sequences)
    console.print(f"[green]已保存[/green] {path}")
