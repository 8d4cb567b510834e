"""Facts beside the decision, through the pages: the return's reason above the form it asks to change, the
review page with the report under review first, then what changed since the round before, then the history
(collapsed); the reviewer's warnings; a returned contribution prefilled; the report's notes on the task page
and in the 督查台账."""
from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook

from app.exports import ledger_xlsx
from app.models import Unit, User
from tests.web.test_work import as_user, ids, open_item, post


def _in_order(page: str, *markers: str) -> bool:
    positions = [page.index(marker) for marker in markers]
    return positions == sorted(positions)


def test_a_returned_report_its_reason_its_changes_and_a_number_mismatch(app, task7):
    zhuce, dushen, kexin = as_user(app, "zhuce"), as_user(app, "dushen"), as_user(app, "kexin")
    target = task7.targets[0]
    row = {"milestones-0-title": "扩大一业一证行业范围", "milestones-0-deliverable": "行业清单",
           "milestones-0-due_date": "2023-09-30", "milestones-0-past_date_reason": "补录",
           "milestones-0-owner": str(ids(User, username="zhuce")),
           "milestones-0-cooperating_units": [str(ids(Unit, name="科信处"))], "milestones-0-targets": [str(target.id)]}
    assert post(zhuce, open_item(zhuce, "decomposition", task7), {**row, "submit": "1"}).status_code == 302
    post(dushen, open_item(dushen, "decomposition_review", task7), {"decision": "return", "comments": "请明确季度目标"})
    page = zhuce.get(open_item(zhuce, "decomposition", task7)).get_data(as_text=True)
    assert _in_order(page, 'data-testid="step-form"', 'data-testid="return-reason"', "请明确季度目标",
                     'data-testid="milestone-row"')
    post(zhuce, open_item(zhuce, "decomposition", task7), {**row, "note": "按季度推进", "submit": "1"})
    review = dushen.get(open_item(dushen, "decomposition_review", task7)).get_data(as_text=True)
    assert _in_order(review, 'data-testid="under-review"', "待审核的分解方案", 'data-testid="round-changes"',
                     '<ins class="bg-success-subtle text-decoration-none">按季度推进</ins>', 'data-testid="step-form"',
                     'data-testid="history"')
    post(dushen, open_item(dushen, "decomposition_review", task7), {"decision": "approve"})

    actual = {"actuals-0-target_id": str(target.id)}
    post(zhuce, open_item(zhuce, "milestone_report", task7),
         {"progress": "已扩展到18个行业", "percent_done": "60", **actual, "actuals-0-actual": "18", "submit": "1"},
         {"attachments": (io.BytesIO(b"%PDF-1.4 a"), "行业清单.pdf")})
    post(kexin, open_item(kexin, "cooperating_contribution", task7), {"contribution": "系统改造进行中", "submit": "1"})
    first = dushen.get(open_item(dushen, "report_review", task7)).get_data(as_text=True)
    assert "首次报送,没有可比较的上一轮" in first and 'data-testid="report-warnings"' not in first
    assert 'data-testid="return-reason"' not in first
    post(dushen, open_item(dushen, "report_review", task7), {"decision": "return", "comments": "请补充<新增>行业清单"})

    # The liaison sees why, above the form, and revises the last report (prefilled).
    page = zhuce.get(open_item(zhuce, "milestone_report", task7)).get_data(as_text=True)
    assert _in_order(page, 'data-testid="return-reason"', "请补充&lt;新增&gt;行业清单", 'name="progress"',
                     "存在问题(可选)", "下步计划(可选)", "需协调事项(可选)")
    assert "已扩展到18个行业</textarea>" in page
    post(zhuce, open_item(zhuce, "milestone_report", task7),
         {"progress": "已扩展到22个行业<b>", "percent_done": "50", **actual, "actuals-0-actual": "20",
          "problems": "省级平台接口未开放", "next_steps": "11月底前完成对接", "coordination": "请科信处协调",
          "submit": "1"},
         {"attachments": (io.BytesIO(b"%PDF-1.4 b"), "行业清单-修订.pdf")})

    # The cooperating unit sees the reason too and its last part, prefilled.
    page = kexin.get(open_item(kexin, "cooperating_contribution", task7)).get_data(as_text=True)
    assert _in_order(page, 'data-testid="return-reason"', "请补充&lt;新增&gt;行业清单", "系统改造进行中</textarea>")
    post(kexin, open_item(kexin, "cooperating_contribution", task7), {"contribution": "系统改造已完成", "submit": "1"})

    review = dushen.get(open_item(dushen, "report_review", task7)).get_data(as_text=True)
    assert _in_order(review, 'data-testid="under-review"', "已扩展到22个行业&lt;b&gt;", 'data-testid="report-warnings"',
                     'data-testid="round-changes"', "与第 1 次报送相比的变化", 'data-testid="step-form"',
                     'data-testid="history"')
    assert "<b>" not in review  # the unit's text is escaped, in the report and in its diff
    assert ('<del class="bg-danger-subtle">18</del><ins class="bg-success-subtle text-decoration-none">22</ins>'
            '个行业<ins class="bg-success-subtle text-decoration-none">&lt;b&gt;</ins>') in review
    assert "<td><del class=\"bg-danger-subtle\">60%</del></td><td><ins" in review
    assert f"报送内容写的是 22{target.unit},与填报的指标“{target.phrase}”实际完成值 20{target.unit} 不一致" in review
    assert "完成进度由第 1 次报送的 60% 降为 50%。" in review
    assert "新增附件:" in review and "行业清单-修订.pdf" in review and "删除附件:" in review
    assert "系统改造<del class=\"bg-danger-subtle\">进行中</del><ins" in review  # the contribution's diff

    # Returned again: the revision starts from this round, its notes included.
    post(dushen, open_item(dushen, "report_review", task7), {"decision": "return", "comments": "数字不一致"})
    page = zhuce.get(open_item(zhuce, "milestone_report", task7)).get_data(as_text=True)
    assert "数字不一致" in page and "省级平台接口未开放</textarea>" in page and "请科信处协调</textarea>" in page

    task_page = zhuce.get(f"/tasks/{task7.id}").get_data(as_text=True)
    assert "存在问题:省级平台接口未开放" in task_page and "需协调事项:请科信处协调" in task_page
    sheet = load_workbook(io.BytesIO(ledger_xlsx.build(task7.plan, date(2026, 12, 31)))).active
    notes_column = [h for h, _ in ledger_xlsx.COLUMNS].index("存在问题及下步计划")
    milestone_line = next(r for r in sheet.iter_rows(min_row=3, values_only=True) if r[4] == "扩大一业一证行业范围")
    assert milestone_line[notes_column] == ("存在问题:省级平台接口未开放\n下步计划:11月底前完成对接\n"
                                            "需协调事项:请科信处协调")


def test_a_step_never_returned_shows_no_reason_and_keeps_its_history_open(app, task7):
    zhuce = as_user(app, "zhuce")
    page = zhuce.get(open_item(zhuce, "decomposition", task7)).get_data(as_text=True)
    assert 'data-testid="return-reason"' not in page and 'data-testid="under-review"' not in page
    assert 'data-testid="history"' not in page and 'data-testid="decompositions"' in page
