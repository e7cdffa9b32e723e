"""`gridgov blockdata import`: a good file is imported with its counts printed; a bad one writes nothing, exits 1
and leaves the error report by line beside the file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from blockdata_support import buildings, new_id, new_phone
from gridgov.blockdata.models import PersonRecord
from gridgov.cli import app


def _write(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    lines = ["姓名,公民身份号码,联系方式,现住址"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="gb18030")  # a GBK file, as departments send them
    return path


def test_the_cli_imports_a_department_file(session: Session, tmp_path: Path) -> None:
    b = buildings(session)[2]
    mapping = tmp_path / "m.json"
    mapping.write_text('{"公民身份号码": "id_number", "联系方式": "phone", "现住址": "address"}', encoding="utf-8")
    saved = CliRunner().invoke(app, ["blockdata", "mapping", "派出所", "person", str(mapping)])
    assert saved.exit_code == 0, saved.output
    good = _write(tmp_path / "ok.csv", [("何一", new_id(), new_phone(), b.full_name + "3单元1201")])
    done = CliRunner().invoke(app, ["blockdata", "import", str(good), "--department", "派出所", "--kind", "person"])
    assert done.exit_code == 0, done.output
    assert "已导入 1 行" in done.output
    before = session.scalar(select(func.count()).select_from(PersonRecord))
    bad = _write(tmp_path / "bad.csv", [("何二", new_id(), "139", b.full_name), ("何三", "123", new_phone(), "")])
    refused = CliRunner().invoke(app, ["blockdata", "import", str(bad), "--department", "派出所", "--kind", "person"])
    assert refused.exit_code == 1, refused.output
    assert "未写入任何数据" in refused.output
    report = (tmp_path / "bad.csv.errors.csv").read_text(encoding="utf-8-sig")
    assert "2,联系电话,phone" in report and "3,证件号码,id_number" in report and "3,居住地址,address" in report
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(PersonRecord)) == before
