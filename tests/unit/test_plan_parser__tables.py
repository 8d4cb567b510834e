"""Task tables read from .xlsx, .csv and .docx tables: columns guessed, one task per row, bad input named."""
from __future__ import annotations

import io
import zipfile

import pytest

from app.plan_parser import DocumentError
from app.plan_parser.table_plan import guess_columns, looks_like_header, names_tasks, table_plan
from app.plan_parser.tables import MAX_ROWS, RawTable, docx_task_table, is_table_upload, read_table
from tests.task_tables import HEADER, ROWS, TITLE, csv_text, docx_table_bytes, xlsx_bytes


def parsed(table: RawTable, columns=None):
    return table_plan(table, columns or guess_columns(table.header), 2023, "上传文件")


def summary(plan):
    return [(t.number, t.section, t.responsibility.lead_units, t.responsibility.cooperating_units,
             t.deadline and t.deadline.on(2023).isoformat()) for t in plan.tasks]


EXPECTED = [(1, 1, ["注册处"], ["科信处", "信用处"], "2023-06-30"), (2, 1, ["信用处"], [], "2023-09-30"),
            (3, 1, ["质量发展处"], ["计量处"], "2023-12-31")]


def test_an_xlsx_task_table_reads_title_sections_units_and_deadlines():
    table = read_table(xlsx_bytes(), "分解表.xlsx", looks_like_header)
    assert (table.title, table.header, table.first_row) == (TITLE, HEADER, 3)
    assert guess_columns(table.header) == {"number": 0, "task": 1, "lead": 2, "cooperating": 3, "deadline": 4,
                                           "target": 5}
    plan = parsed(table)
    assert (plan.title, plan.errors, plan.warnings) == (TITLE, [], [])
    assert [(s.number, s.title) for s in plan.sections] == [(1, "优化营商环境")]
    assert summary(plan) == EXPECTED
    first = plan.tasks[0]
    assert first.title == "深化商事制度改革，推进经营主体登记便利化"
    assert first.text.endswith("\n目标：新增经营主体不少于50万户")
    assert [(t.value, t.unit, t.comparator) for t in first.targets] == [(500000, "户", ">=")]
    assert [(t.value, t.unit) for t in plan.tasks[2].targets] == [(20, "项")]


def test_a_csv_and_a_word_table_read_the_same_tasks():
    from_csv = read_table(csv_text().encode("gb18030"), "分解表.csv", looks_like_header)
    from_docx = docx_task_table(docx_table_bytes(), names_tasks)
    assert from_docx is not None and from_docx.source == "表格1"
    for table in (from_csv, from_docx):
        assert [row[:2] for row in summary(parsed(table))] == [(1, None), (2, None), (3, None)]
        assert [row[2:] for row in summary(parsed(table))] == [row[2:] for row in EXPECTED]


def test_a_spreadsheet_date_cell_is_a_date():
    import datetime

    rows = [[1, "推进改革。", "注册处", "", datetime.datetime(2023, 5, 20), ""]]
    plan = parsed(read_table(xlsx_bytes(rows), "a.xlsx", looks_like_header))
    assert summary(plan)[0][4] == "2023-05-20"


def test_a_tab_separated_table_and_headers_in_other_words():
    text = "编号\t重点工作\t责任单位\t完成时间\n1\t推进改革。\t注册处\t2023-06-30\n"
    table = read_table(text.encode(), "a.csv", looks_like_header)
    assert guess_columns(table.header) == {"number": 0, "task": 1, "lead": 2, "cooperating": None, "deadline": 3,
                                           "target": None}
    assert summary(parsed(table)) == [(1, None, ["注册处"], [], "2023-06-30")]


def test_a_word_document_without_a_task_table_is_a_document():
    assert docx_task_table(docx_table_bytes(header=["项目", "金额"], rows=[["甲", "1"]]), names_tasks) is None
    no_task = docx_table_bytes(header=["序号", "牵头单位", "完成时限"], rows=[["1", "注册处", "年底前"]])
    assert docx_task_table(no_task, names_tasks) is None


def test_uploads_are_told_apart_by_name_and_content():
    assert is_table_upload(xlsx_bytes(), "a.xlsx") and is_table_upload(xlsx_bytes(), "upload")
    assert is_table_upload(b"a,b", "a.csv") and not is_table_upload(b"1.task", "plan.txt")
    assert not is_table_upload(docx_table_bytes(), "plan.docx")


# --- bad tables: a clear message each, in errors (blocking) or warnings ------------------------------------------

def test_a_table_without_a_task_column_says_so():
    table = read_table(csv_text(header=["序号", "说明", "牵头单位", "配合单位", "时限", "备注"]).encode(), "a.csv",
                       looks_like_header)
    assert table.header[1] == "说明"
    titled = read_table(xlsx_bytes(header=["序号", "说明", "牵头单位"]), "a.xlsx", looks_like_header)
    assert (titled.title, titled.header[:3]) == (TITLE, ["序号", "说明", "牵头单位"])
    plan = parsed(table)
    assert plan.tasks == [] and len(plan.errors) == 1 and "没有“任务”列" in plan.errors[0]
    remapped = parsed(table, {**guess_columns(table.header), "task": 1})
    assert remapped.errors == [] and len(remapped.tasks) == 3


def test_one_column_for_two_roles_is_refused():
    table = read_table(xlsx_bytes(), "a.xlsx", looks_like_header)
    plan = parsed(table, {**guess_columns(table.header), "lead": 1})
    assert plan.errors == ["同一列被指定为两种内容，请在“列对应”中为每一列只选一种。"]


def test_merged_unit_cells_are_filled_and_named():
    rows = [[1, "推进改革。", "注册处", "", "", ""], [2, "推进登记。", None, "", "", ""]]
    plan = parsed(read_table(xlsx_bytes(rows, merges=["C3:C4"]), "a.xlsx", looks_like_header))
    assert plan.errors == [] and [t.responsibility.lead_units for t in plan.tasks] == [["注册处"], ["注册处"]]
    assert plan.warnings == ["第3–4行的“牵头单位”是合并单元格，已把“注册处”用于每一行，请核对。"]


def test_a_task_merged_over_rows_is_an_error():
    rows = [[1, "推进改革。", "注册处", "", "", ""], [2, None, "信用处", "", "", ""]]
    plan = parsed(read_table(xlsx_bytes(rows, merges=["B3:B4"]), "a.xlsx", looks_like_header))
    assert "第3–4行的“任务”是合并单元格：每项任务应单独占一行，请拆分后重新上传。" in plan.errors


def test_empty_rows_are_skipped_with_a_note_and_a_row_without_a_task_is_an_error():
    rows = [[1, "推进改革。", "注册处"], [], [None, None, None], [2, "推进登记。", "注册处"], [3, "", "信用处"]]
    plan = parsed(read_table(xlsx_bytes(rows, title=None), "a.xlsx", looks_like_header))
    assert "第3、4行为空行，已跳过。" in plan.warnings
    assert plan.errors == ["第6行有内容但“任务”为空，请补全或删去该行后重新上传。"]


def test_duplicate_and_unreadable_numbers_are_errors():
    rows = [[1, "甲。", "注册处"], [1, "乙。", "注册处"], ["第三", "丙。", "注册处"], [None, "丁。", "注册处"]]
    plan = parsed(read_table(xlsx_bytes(rows, title=None), "a.xlsx", looks_like_header))
    assert plan.errors == ["第4行的序号“第三”不是数字，请修改表格后重新上传。", "第5行没有序号，请补全后重新上传。",
                           "序号 1 重复出现（第2、3行），请修改表格后重新上传。"]


def test_a_deadline_that_is_no_date_is_named_and_left_empty():
    rows = [[1, "推进改革。", "注册处", "", "尽快", ""], [2, "推进登记。", "注册处", "", "2023-02-30", ""]]
    plan = parsed(read_table(xlsx_bytes(rows), "a.xlsx", looks_like_header))
    assert plan.errors == [] and [t.deadline for t in plan.tasks] == [None, None]
    assert plan.warnings == [
        "第3行的完成时限“尽快”不是日期，也不是“6月底前”“年底前”这类时限，该任务暂无建议完成时限。",
        "第4行的完成时限“2023-02-30”不是日期，也不是“6月底前”“年底前”这类时限，该任务暂无建议完成时限。"]


def test_a_missing_lead_is_a_warning():
    plan = parsed(read_table(xlsx_bytes([[1, "推进改革。", "", "", "", ""]]), "a.xlsx", looks_like_header))
    assert plan.warnings == ["任务1：未填写牵头单位"] and len(plan.tasks) == 1


def test_a_table_without_rows_is_an_error():
    plan = parsed(read_table(xlsx_bytes([]), "a.xlsx", looks_like_header))
    assert plan.errors == ["表格中没有任何任务行。"]


def test_the_table_survives_the_draft():
    table = read_table(xlsx_bytes(merges=["C4:C5"]), "a.xlsx", looks_like_header)
    assert RawTable.from_json(table.to_json()) == table


# --- hostile files ---------------------------------------------------------------------------------------------

def _bomb() -> bytes:
    """A real .xlsx whose sheet XML is padded to 6 MB of empty rows: a few KB on the wire."""
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    at = sheet.index(b"<sheetData>") + len(b"<sheetData>")
    members["xl/worksheets/sheet1.xml"] = sheet[:at] + b"<!---->" * (6 * 2**20 // 7) + sheet[at:]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "filename", "fragment"), [
    (b"", "a.xlsx", "文件为空"),
    (b"not a zip at all", "a.xlsx", "不是有效的 .xlsx 表格"),
    (b"PK\x03\x04 truncated", "a.xlsx", "压缩包已损坏"),
    (docx_table_bytes(), "a.xlsx", "不是 Excel 表格"),
    (_bomb(), "a.xlsx", "该 .xlsx 表格解压后过大（表格内容不能超过 5 MB）"),
    ("序號,任務,牽頭單位\n1,推進市場主體登記便利化,註冊處\n".encode("big5"), "a.csv", "Big5"),
    (bytes(range(256)) * 8, "a.csv", "二进制"),
    (b'"unterminated\x00quote', "a.csv", "二进制"),
])
def test_a_hostile_or_broken_table_is_refused(data, filename, fragment):
    with pytest.raises(DocumentError) as caught:
        read_table(data, filename, looks_like_header)
    assert fragment in caught.value.message


def test_a_table_of_too_many_rows_is_refused():
    rows = [[n, f"任务{n}。", "注册处"] for n in range(1, MAX_ROWS + 20)]
    for data, name in ((xlsx_bytes(rows), "a.xlsx"), (csv_text(rows).encode(), "a.csv")):
        with pytest.raises(DocumentError, match=f"表格超过 {MAX_ROWS} 行"):
            read_table(data, name, looks_like_header)


def test_a_sheet_stretched_by_formatting_alone_is_read():
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes()))
    book.active.cell(row=5000, column=1).number_format = "0.00"  # formatting, no value
    buffer = io.BytesIO()
    book.save(buffer)
    assert len(read_table(buffer.getvalue(), "a.xlsx", looks_like_header).rows) == len(ROWS)


def test_a_merged_cell_of_a_word_table_is_filled_and_named():
    import docx

    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for row, cells in enumerate([["序号", "任务", "牵头单位"], ["1", "推进改革。", ""], ["2", "推进登记。", ""]]):
        for column, text in enumerate(cells):
            table.cell(row, column).text = text
    table.cell(1, 2).merge(table.cell(2, 2)).text = "注册处"
    buffer = io.BytesIO()
    document.save(buffer)
    found = docx_task_table(buffer.getvalue(), names_tasks)
    assert found is not None
    plan = parsed(found)
    assert [t.responsibility.lead_units for t in plan.tasks] == [["注册处"], ["注册处"]]
    assert plan.warnings == ["第2–3行的“牵头单位”是合并单元格，已把“注册处”用于每一行，请核对。"]
