"""Jinja filters: Beijing time and Chinese labels for stored codes; numbers come from app/formatting.py."""
from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app

from app.extensions import db
from app.formatting import chinese_numeral, file_size, percent_text, plain_number
from app.models import Unit
from app.services.dashboards.lights import Light
from app.services.infrastructure import attachments
from app.services.lifecycle import progress_reports, step_notices
from app.services.timing.workdays import BEIJING

_AUDIT_LABELS = {
    "robot_set": "设置群机器人",
    "robot_removed": "取消群机器人",
    "phone_changed": "修改手机号码",
    "webhook_subscription": "外部回调",
    "webhook_delivery": "回调投递",
    "replayed": "重新投递",
    "enabled": "启用",
    "disabled": "停用",
    "unit": "单位",
    "unit_group": "单位组",
    "user": "用户",
    "created": "新建",
    "updated": "修改",
    "password_changed": "修改密码",
    "password_reset": "重置密码",
    "locked": "登录失败过多被锁定",
    "plan": "计划",
    "decomposition": "分解方案",
    "milestone": "节点",
    "milestone_report": "进展报送",
    "cooperating_contribution": "协办意见",
    "work_item": "待办事项",
    "submitted": "提交",
    "review_approve": "审核确认",
    "review_return": "审核退回",
    "report_review_approve": "审核通过",
    "report_review_return": "审核退回",
    "head_signoff_approve": "负责人审签同意",
    "head_signoff_return": "负责人退回",
    "closed": "办结",
    "signed_for": "签收",
    "handed_over": "转办",
    "task_comment": "留言",
    "leader_instruction": "领导批示",
    "plan_task": "任务",
    "acknowledged": "确认收悉",
    "priority_changed": "调整督办等级",
    "imported": "导入",
    "archived": "归档",
    "progress_report": "阶段性进展报送",
    "report_opened": "开启报送",
    "rectification": "整改",
    "opened": "发起整改",
    "plan_submitted": "报送整改方案",
    "result_submitted": "报送整改结果",
    "rectification_plan_review_approve": "整改方案审核通过",
    "rectification_plan_review_return": "整改方案退回",
    "rectification_verify_approve": "核验销号",
    "rectification_verify_return": "整改结果退回",
    "urged": "催办",
    "scoring_policy": "评分规则",
    "policy_saved": "保存评分规则新版本",
    "evaluated": "办结评分",
    "extension_requested": "申请延期",
    "extension_approved": "批准延期",
    "extension_refused": "不予批准延期",
    "hold_requested": "申请中止或阶段性办结",
    "hold_approved": "批准中止或阶段性办结",
    "hold_refused": "不予批准中止或阶段性办结",
    "deadline_policy": "时限规则",
    "calendar_override": "节假日设置",
    "deleted": "删除",
    "revised": "按修订版修改",
    "revision_added": "随计划修订新增",
    "edited": "修改计划任务",
    "added": "新增计划任务",
    "approval_switch": "设置任务变更审批",
    "change_requested": "提交任务变更待审批",
    "change_approved": "局领导批准任务变更",
    "change_refused": "局领导不予批准任务变更",
    "cancelled": "取消计划任务",
    "revision_changed": "随计划修订修改",
    "revision_removed": "随计划修订取消",
}


def localtime(value: datetime | None) -> str:
    """A UTC timestamp as Beijing time, to the minute."""
    if value is None:
        return ""
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def audit_label(code: str) -> str:
    """The Chinese word for an audit entity or action code (the code itself if unknown)."""
    return _AUDIT_LABELS.get(code, code)


def upload_limits(multiple: bool) -> str:
    """What an upload field accepts, stated under it (the same limits the services enforce)."""
    config = current_app.config
    total = file_size(config["MAX_CONTENT_LENGTH"])
    if not multiple:
        return f"文件不超过 {total}。"
    each = file_size(min(config["ATTACHMENT_MAX_BYTES"], config["MAX_CONTENT_LENGTH"]))
    return (f"每次最多 {config['MAX_ATTACHMENTS_PER_SUBMISSION']} 个文件,合计不超过 {total},"
            f"单个文件不超过 {each};可上传 {attachments.ACCEPTED}。")


def unit_name(unit_id: int | None) -> str:
    """The unit's name for display."""
    unit = db.session.get(Unit, unit_id) if unit_id else None
    return unit.name if unit else "—"


def register_filters(app: Flask) -> None:
    """Make the filters available to every template."""
    app.add_template_filter(localtime)
    app.add_template_global(progress_reports.reports_of_task, "progress_reports_of")
    app.add_template_filter(audit_label)
    app.add_template_filter(chinese_numeral)
    app.add_template_filter(plain_number)
    app.add_template_filter(percent_text)
    app.add_template_global(upload_limits)
    app.add_template_global(unit_name)
    app.add_template_global(step_notices.subject_of, "item_subject")  # short lists; long ones pass subjects_of
    app.jinja_env.globals["attachment_extensions"] = ",".join(attachments.ALLOWED)  # the file picker's accept
    app.jinja_env.globals["Light"] = Light  # for the lights legend
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
