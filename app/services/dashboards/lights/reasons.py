"""Why a light is what it is, in Chinese: a finding and its figures turned into a sentence."""
from __future__ import annotations

from datetime import date
from typing import Any

from app.models import HoldKind
from app.services.dashboards.lights.rules import FINDINGS, TARGET_FINDINGS, Context, LightVerdict, instant_of
from app.services.timing.workdays import BEIJING


def verdict(ctx: Context, row: Any, prefix: str = "") -> LightVerdict:
    """The light of a finding row (``finding``, ``due``, ``reported``, ``expected``, ``plan_id``) and its reason."""
    finding = row["finding"]
    return LightVerdict(FINDINGS[finding], prefix + reason(ctx, finding, row))


def task_verdict(ctx: Context, closed: bool, worst: Any, hold: HoldKind | None = None) -> LightVerdict:
    """A task's light: 已中止 or 阶段性办结 (``hold``), 已办结, else its worst part's (named in the reason),
    else 正常推进."""
    if hold is HoldKind.SUSPEND:
        return LightVerdict(FINDINGS["suspended"], "已中止")
    if closed or hold is HoldKind.STAGE_CLOSE:
        return LightVerdict(FINDINGS["completed"], hold.state_label if hold else "已办结")
    if worst is None:
        return LightVerdict(FINDINGS["on_track"], "正常推进")
    return verdict(ctx, worst, f"节点「{worst['name']}」" if worst["part"] == "milestone" else f"「{worst['name']}」")


def reason(ctx: Context, finding: str, row: Any) -> str:
    """E.g. "已逾期 2 个工作日（应于 2023年10月9日 完成）"."""
    due = instant_of(row["due"]).astimezone(BEIJING).date() if row["due"] is not None else None
    when = f"（应于 {chinese_date(due)} 完成）" if due else ""
    if finding == "overdue":
        assert due is not None  # the SQL finds it by comparing the due date
        late = ctx.working_days(due, ctx.today)
        return f"已逾期 {late} 个工作日{when}" if late > 0 else f"已逾期{when}"
    if finding == "due_soon":
        assert due is not None  # the SQL finds it by comparing the due date
        left = ctx.working_days(ctx.today, due)
        return f"今日到期{when}" if due == ctx.today else f"还有 {left} 个工作日到期{when}"
    if finding in ("behind", *TARGET_FINDINGS):
        return (f"进度滞后：{_MEASURES[finding]} {percent(row['reported'])}{_BASIS.get(finding, '')}，"
                f"低于序时进度 {percent(row['expected'])} 超过 {ctx.tolerance(row['plan_id'])} 个百分点")
    return {
        "returned": "报送已被退回修改，尚未重新报送",
        "decomposition_returned": "分解方案已被退回修改，尚未重新提交",
        "approved": "已通过审核",
        "completed": "已办结",
        "cancelled": "已撤销",
        "suspended": "任务已中止",
    }.get(finding, f"正常推进{when}")


_MEASURES = {"behind": "报送完成进度", "behind_target": "指标完成率", "behind_target_pending": "指标完成率"}
#: What a target's attainment was judged on (only approved actuals count).
_BASIS = {"behind_target": "（按最近审核通过的实际值）",
          "behind_target_pending": "（按最近审核通过的实际值；最新报送待审核）"}


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def percent(value: float) -> str:
    """65.0 → "65%", 66.67 → "66.7%"."""
    return f"{round(float(value), 1):g}%"
