"""`duban plan parse|import` from the command line."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import Plan, Unit
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "plans"
PLAN_2023 = FIXTURES / "hubei-amr-2023-work-points.txt"


def test_parse_json_has_exactly_the_documented_shape(app):
    result = app.test_cli_runner().invoke(args=["plan", "parse", str(PLAN_2023), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["title", "sections", "tasks", "warnings"]
    assert list(data["tasks"][0]) == [
        "number", "section", "title", "text", "lead_units", "responsible_units", "cooperating_units",
        "unit_groups", "targets", "unit_reasons",
    ]
    assert len(data["sections"]) == 8 and len(data["tasks"]) == 39
    assert data["tasks"][15]["lead_units"] == ["质量发展处", "计量处", "认检处"]
    assert list(data["tasks"][9]["targets"][0]) == ["value", "unit", "comparator", "phrase", "span", "kind",
                                                    "confidence", "reasons"]


def test_parse_unreadable_input_exits_non_zero_with_chinese_message(app, tmp_path):
    image = tmp_path / "scan.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    result = app.test_cli_runner().invoke(args=["plan", "parse", str(image), "--json"])
    assert result.exit_code != 0 and result.stdout == ""
    assert "图片" in result.stderr
    missing = app.test_cli_runner().invoke(args=["plan", "parse", str(tmp_path / "none.txt")])
    assert missing.exit_code != 0 and "无法读取文件" in missing.stderr


def test_parse_reads_task_tables_like_the_import_page(app, tmp_path):
    from tests.task_tables import docx_table_bytes, xlsx_bytes

    runner = app.test_cli_runner()
    table = tmp_path / "分解表.xlsx"
    table.write_bytes(xlsx_bytes())
    result = runner.invoke(args=["plan", "parse", str(table), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["title"] == "2023年重点工作任务分解表" and [t["number"] for t in data["tasks"]] == [1, 2, 3]
    first = data["tasks"][0]
    assert first["lead_units"] == ["注册处"] and first["cooperating_units"] == ["科信处", "信用处"]
    text = runner.invoke(args=["plan", "parse", str(table)])
    assert text.exit_code == 0 and "时限:6月底前" in text.stdout and "牵头:注册处" in text.stdout
    word = tmp_path / "分解表.docx"
    word.write_bytes(docx_table_bytes())
    assert len(json.loads(runner.invoke(args=["plan", "parse", str(word), "--json"]).stdout)["tasks"]) == 3
    duplicate = tmp_path / "duplicate.xlsx"
    duplicate.write_bytes(xlsx_bytes([[1, "甲。", "注册处"], [1, "乙。", "信用处"]]))
    refused = runner.invoke(args=["plan", "parse", str(duplicate)])
    assert refused.exit_code != 0 and "序号 1 重复出现（第3、4行）" in refused.stderr


def test_import_prints_the_new_plan_id_and_detects_a_reimport(app, demo):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["plan", "import", str(PLAN_2023), "--yes"])
    assert result.exit_code == 0, result.output
    plan_id = int(result.stdout.strip())
    assert db.session.get(Plan, plan_id).year == 2023
    again = runner.invoke(args=["plan", "import", str(PLAN_2023), "--yes"])
    assert again.exit_code != 0 and "未重复导入" in again.stderr
    assert db.session.scalar(select(func.count(Plan.id))) == 1


def test_a_task_table_imports_from_the_command_line_and_its_errors_stop_it(app, demo, tmp_path):
    from tests.task_tables import xlsx_bytes

    runner = app.test_cli_runner()
    duplicate = tmp_path / "duplicate.xlsx"
    duplicate.write_bytes(xlsx_bytes([[1, "甲。", "注册处"], [1, "乙。", "信用处"]]))
    stopped = runner.invoke(args=["plan", "import", str(duplicate), "--yes"])
    assert stopped.exit_code != 0 and "序号 1 重复出现（第3、4行）" in stopped.stderr
    table = tmp_path / "table.xlsx"
    table.write_bytes(xlsx_bytes())
    result = runner.invoke(args=["plan", "import", str(table), "--yes"])
    assert result.exit_code == 0, result.output
    assert len(db.session.get(Plan, int(result.stdout.strip())).tasks) == 3


def test_import_stops_on_unknown_names_unless_asked_to_create_them(app, demo, tmp_path):
    gbk = tmp_path / "plan.txt"
    gbk.write_bytes((FIXTURES / "gb18030-plan.txt").read_bytes())
    runner = app.test_cli_runner()
    stopped = runner.invoke(args=["plan", "import", str(gbk), "--yes"])
    assert stopped.exit_code != 0 and "行政审批处" in stopped.stderr
    assert db.session.scalar(select(func.count(Plan.id))) == 0
    created = runner.invoke(args=["plan", "import", str(gbk), "--yes", "--create-units"])
    assert created.exit_code == 0, created.output
    assert db.session.scalar(select(Unit).where(Unit.name == "行政审批处")) is not None



HEAVY = ("app.models", "app.extensions", "SpiffWorkflow", "lxml", "docx", "openpyxl")
LOADED_AFTER = """
import sys
from app.cli import main
try:
    main()
except SystemExit:
    pass
print("LOADED", " ".join(sorted(m for m in sys.modules if m.startswith({heavy}))), file=sys.stderr)
"""


def _run_duban(*args: str) -> tuple[str, set[str]]:
    """Run `duban ARGS` in a fresh interpreter: its output and which heavy modules it imported."""
    import subprocess
    import sys

    script = LOADED_AFTER.format(heavy=repr(HEAVY))
    result = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    loaded = result.stderr.rsplit("LOADED", 1)[1].split()
    return result.stdout, set(loaded)


def test_help_and_parse_build_no_app_and_import_nothing_heavy():
    # create_app imports app.extensions first of all: its absence means no app was built.
    help_text, loaded = _run_duban("--help")
    assert "工作要点:解析与导入。" in help_text and "scheduler" in help_text
    assert loaded == set()
    parsed, loaded = _run_duban("plan", "parse", str(PLAN_2023), "--json")
    assert len(json.loads(parsed)["tasks"]) == 39
    assert loaded == set()


def test_the_listed_help_is_each_commands_own():
    from app.cli import COMMANDS, load_command

    for name, (_, help_text) in COMMANDS.items():
        assert load_command(name).help == help_text, name
