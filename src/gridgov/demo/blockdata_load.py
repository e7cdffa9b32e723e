"""The demo's block data, loaded through the real import: the three department files are written under
var/demo-blockdata/ (so they can be opened and re-imported), each department's column mapping is saved, and each
file is imported. A file with mistyped codes is refused whole, its error report kept as a rejected batch (and
beside the file); the lines it names are then left out, as a data steward would, and the rest is imported. Then
the person records of the three departments are linked into people (clusters with golden records) by the same
service `gridgov blockdata link` calls."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from gridgov.address.records import AddressRecord
from gridgov.blockdata import importing
from gridgov.blockdata.fileio import read_table
from gridgov.blockdata.linkage import store
from gridgov.blockdata.queries import error_report_csv
from gridgov.common.principal import SYSTEM_PRINCIPAL
from gridgov.demo.blockdata_files import DEFAULT_PEOPLE, DemoFile, build_demo_files

ProgressFn = Callable[[str, int, int], None]


@dataclass
class BlockdataResult:
    files: list[Path] = field(default_factory=list)
    imported: dict[str, int] = field(default_factory=dict)  # file → rows imported
    refused: dict[str, int] = field(default_factory=dict)  # file → lines left out after the error report
    counts: dict[str, int] = field(default_factory=dict)
    link: store.LinkSummary | None = None  # the linkage run after the import (None when not linked)
    link_seconds: float = 0.0


def _without_lines(data: bytes, lines: set[int]) -> bytes:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    out = io.StringIO()
    csv.writer(out).writerows(r for i, r in enumerate(rows, start=1) if i not in lines)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def load_blockdata(
    session: Session,
    var_dir: Path,
    addresses: Sequence[AddressRecord],
    division_names: dict[str, str],
    people: int = DEFAULT_PEOPLE,
    progress: ProgressFn | None = None,
    link: bool = True,
) -> BlockdataResult:
    """Generate, write and import the demo's department files, then (if `link`) link the person records; each
    import and the link run is one unit of work (committed here)."""
    result = BlockdataResult()
    folder = var_dir / "demo-blockdata"
    folder.mkdir(parents=True, exist_ok=True)
    files: list[DemoFile] = build_demo_files(addresses, division_names, people=people)
    for f in files:
        path = folder / f.filename
        path.write_bytes(f.data)
        result.files.append(path)
        importing.save_mapping(session, SYSTEM_PRINCIPAL, f.department, f.kind, f.columns)
        session.commit()
        data = f.data

        def run(data: bytes, f: DemoFile = f) -> importing.ImportReport:
            rows = read_table(f.filename, data)
            return importing.import_records(
                session,
                SYSTEM_PRINCIPAL,
                department=f.department,
                kind=f.kind,
                filename=f.filename,
                rows=rows,
                progress=progress,
            )

        report = run(data)
        if not report.ok:
            session.rollback()
            batch = importing.record_rejection(
                session, SYSTEM_PRINCIPAL, department=f.department, kind=f.kind, filename=f.filename, report=report
            )
            (folder / (f.filename + ".errors.csv")).write_text(error_report_csv(batch), encoding="utf-8")
            session.commit()
            bad = {int(e["line"]) for e in report.errors}
            result.refused[f.filename] = len(bad)
            data = _without_lines(data, bad)
            report = run(data)
            if not report.ok:
                raise RuntimeError(f"demo file {f.filename} still has errors: {report.errors[:3]}")
        session.commit()
        result.imported[f.filename] = report.rows
        for key, value in report.counts.items():
            result.counts[key] = result.counts.get(key, 0) + value
    if link and result.counts.get("people", 0) > 0:
        started = time.perf_counter()
        result.link = store.run_link(session, SYSTEM_PRINCIPAL, full=True, progress=progress or store.quiet)
        session.commit()
        result.link_seconds = time.perf_counter() - started
    return result
