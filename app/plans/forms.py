"""Forms of the plan import: the upload, and the review where unknown names are resolved."""
from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.fields import CheckboxListField, DayField
from app.models import Plan, PlanKind, Priority, Unit, UnitGroup, UnitKind
from app.plan_parser import ParsedPlan
from app.plan_parser.table_plan import ROLES
from app.plan_parser.tables import RawTable
from app.plan_parser.units import is_group
from app.services.plans.items import ItemRequest
from app.services.plans.name_resolution import Decision
from app.services.plans.plan_import import TargetChoice

#: Comparators a target may have, as the preview offers them.
COMPARATORS = [SelectChoice("", "(无)"), SelectChoice(">=", "不低于"), SelectChoice("=", "达到"),
               SelectChoice("<=", "不超过")]
_MAX_TARGET = Decimal(10) ** 14


class ImportForm(FlaskForm):
    """上传或粘贴工作要点."""

    document = FileField("工作要点文件(.txt、.docx,或任务分解表 .xlsx、.csv;文字文件 UTF-8 或 GB18030/GBK 编码均可)")
    pasted = TextAreaField("或直接粘贴正文", validators=[Optional()])
    year = IntegerField(
        "计划年度(留空则取标题中的年份)",
        validators=[Optional(), NumberRange(2000, 2100, "年度应在 2000 到 2100 之间。")],
    )
    revises = SelectField("是否为已有计划的修订版", choices=[], validate_choice=False)
    submit = SubmitField("解析并预览")

    def offer_plans(self, plans: list[Plan]) -> None:
        """The active plans a document may revise; by default one of the same title is revised."""
        self.revises.choices = [SelectChoice("", "自动判断(与已有计划同名即为其修订版)")] + [
            SelectChoice(str(plan.id), f"修订《{plan.title}》({plan.year} 年度)") for plan in plans]


class ItemForm(FlaskForm):
    """督办事项立项: one item from a 领导批示, 会议议定事项, 上级交办, 人大建议 or 政协提案."""

    source = SelectField("来源", choices=[SelectChoice(k.value, k.label) for k in PlanKind.item_sources()],
                         validators=[DataRequired("请选择来源。")])
    document_number = StringField("文号(如 鄂市监批〔2026〕12号)", validators=[Optional(), Length(max=100)])
    document_date = DayField("来源文件日期", validators=[Optional()])
    title = StringField("标题(留空则取内容的第一句)", validators=[Optional(), Length(max=200)])
    text = TextAreaField("督办内容", validators=[DataRequired("请填写督办事项的内容。")])
    lead_units = StringField("牵头单位(多个用顿号分隔)", validators=[DataRequired("请填写牵头单位。")])
    cooperating_units = StringField("配合单位(可留空,多个用顿号分隔)", validators=[Optional()])
    targets = TextAreaField("量化目标(可留空,如“完成检查200家以上”)", validators=[Optional()])
    final_deadline = DayField("办结时限", validators=[DataRequired("请填写办结时限。")])
    priority = SelectField("紧急程度", choices=[SelectChoice(p.value, p.label) for p in Priority],
                           default=Priority.NORMAL.value)
    submit = SubmitField("立项")

    def request(self) -> ItemRequest:
        """The service's request from the validated form (the page and the API share it)."""
        return ItemRequest(
            source=self.source.data, text=self.text.data or "", lead_units=self.lead_units.data or "",
            final_deadline=self.final_deadline.data, document_number=self.document_number.data or "",
            document_date=self.document_date.data, title=self.title.data or "",
            cooperating_units=self.cooperating_units.data or "", targets=self.targets.data or "",
            priority=self.priority.data or "")


class TaskEditForm(FlaskForm):
    """修改计划任务: wording and units, with the reason the units are told."""

    version = HiddenField()
    title = StringField("任务标题", validators=[Length(max=500)])
    text = TextAreaField("任务内容", validators=[DataRequired("请填写任务内容。"), Length(max=5000)],
                         render_kw={"rows": 6})
    lead_units = StringField("牵头单位", validators=[DataRequired("请填写牵头单位。"), Length(max=500)],
                             description="多个单位用顿号分隔;无牵头、分工负责的单位也写在这里。")
    cooperating_units = StringField("配合单位", validators=[Length(max=1000)])
    reason = TextAreaField("修改原因", validators=[DataRequired("请填写修改原因(将通知相关单位并记入历史)。"),
                                               Length(max=500)])
    submit = SubmitField("保存修改")


class TaskNewForm(TaskEditForm):
    """新增计划任务: the edit form's fields, and which part of the plan it joins."""

    section = SelectField("所属部分", coerce=int)
    reason = TextAreaField("新增原因", validators=[DataRequired("请填写新增原因(将通知相关单位并记入历史)。"),
                                               Length(max=500)])
    submit = SubmitField("新增任务")


class ChangeDecisionForm(FlaskForm):
    """局领导审批任务变更."""

    note = TextAreaField("审批意见", validators=[Optional(), Length(max=500)])
    approve = SubmitField("批准")
    refuse = SubmitField("不予批准")


class TaskCancelForm(FlaskForm):
    """取消计划任务, with the reason."""

    version = HiddenField()
    cancel_reason = TextAreaField("取消原因", validators=[DataRequired("请填写取消原因。"), Length(max=500)])
    cancel = SubmitField("取消该任务")


class ReviewForm(FlaskForm):
    """确认导入; one choice field per unknown name is added by review_form()."""

    #: Sent by the page that shows the target rows: only then does an unticked (absent) checkbox mean "drop".
    targets_shown = HiddenField()
    submit = SubmitField("确认导入")


def field_name(name: str) -> str:
    """A stable form field name for a plan name (stable even if other names get resolved meanwhile)."""
    return "resolve_" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]


def members_field_name(name: str) -> str:
    """The field holding the member units chosen for a new group named ``name``."""
    return field_name(name).replace("resolve_", "members_")


def target_field(task_number: int, position: int, part: str) -> str:
    """The field of one part ("keep", "value", "unit", "comparator") of a detected target."""
    return f"target_{task_number}_{position}_{part}"


def _a_number(form: object, field: Field) -> None:
    """A target value: a plain decimal number a report can be compared against."""
    try:
        value = Decimal(str(field.data).strip().replace(",", ""))
    except InvalidOperation:
        raise ValidationError("指标值应为数字,如 35 或 0.5。") from None
    if not value.is_finite() or abs(value) >= _MAX_TARGET:
        raise ValidationError("指标值应为数字,如 35 或 0.5。")


def reason_field(change_key: str) -> str:
    """The field holding the reason of one change of a revision."""
    return f"reason_{change_key}"


def review_form(unresolved: list[str], units: list[Unit], groups: list[UnitGroup],
                parsed: ParsedPlan | None = None, change_keys: list[str] | None = None) -> ReviewForm:
    """The review form: a choice for each name the directory does not know, one row per detected target,
    and for a revision one reason per change (or one note for all of them)."""

    class Form(ReviewForm):
        pass

    if change_keys is not None:
        setattr(Form, "revision_note", TextAreaField(  # noqa: B010 (added to the class WTForms reads fields from)
            "修订说明(各项修改未单独填写原因的,以此为原因)", validators=[Optional(), Length(max=500)]))
        for key in change_keys:
            setattr(Form, reason_field(key), StringField("修改原因", validators=[Optional(), Length(max=500)]))

    for task in parsed.tasks if parsed else []:
        for position, target in enumerate(task.targets):
            # A condition (an entitlement, limit or eligibility) is imported only when 督审处 ticks it.
            setattr(Form, target_field(task.number, position, "keep"), BooleanField("采用", default=target.is_target))
            setattr(Form, target_field(task.number, position, "comparator"),
                    SelectField("比较", choices=COMPARATORS, default=target.comparator or ""))
            setattr(Form, target_field(task.number, position, "value"), StringField(
                "指标值", default=str(target.value), validators=[DataRequired("请填写指标值。"), _a_number]))
            setattr(Form, target_field(task.number, position, "unit"), StringField(
                "单位", default=target.unit, validators=[DataRequired("请填写计量单位。"), Length(max=30)]))

    for name in unresolved:
        field = SelectField(
            name, choices=_choices(units, groups), default="new-group" if is_group(name) else "",
            validators=[DataRequired(f"请为“{name}”选择处理方式。")],
        )
        setattr(Form, field_name(name), field)
        members = CheckboxListField(
            f"“{name}”的成员单位(新建单位组时可选;不选则在每项任务中逐项确定)", coerce=int,
            choices=[SelectChoice(u.id, u.name) for u in units],
        )
        setattr(Form, members_field_name(name), members)
    return Form()


def _choices(units: list[Unit], groups: list[UnitGroup]) -> list[SelectChoice]:
    new = "新建"
    choices = [SelectChoice("", "请选择…")]
    choices += [SelectChoice(f"new-unit:{kind.value}", f"新建单位({kind.label})", optgroup=new) for kind in UnitKind]
    choices.append(SelectChoice("new-group", "新建单位组(成员逐项确定)", optgroup=new))
    choices += [SelectChoice(f"unit:{u.id}", f"是“{u.name}”的别名", optgroup="已有单位") for u in units]
    choices += [SelectChoice(f"group:{g.id}", f"是单位组“{g.name}”的别名", optgroup="已有单位组") for g in groups]
    return choices


def decisions(form: ReviewForm, unresolved: list[str]) -> dict[str, Decision]:
    """What the reviewer chose for each unknown name (with the members ticked for a new group)."""
    return {
        name: Decision.parse(form[field_name(name)].data, tuple(form[members_field_name(name)].data or ()))
        for name in unresolved
    }


def change_reasons(form: ReviewForm, change_keys: list[str]) -> dict[str, str]:
    """Each change's reason: its own, else the revision note."""
    note = (form["revision_note"].data or "").strip()
    return {key: (form[reason_field(key)].data or "").strip() or note for key in change_keys}


def target_choices(form: ReviewForm, parsed: ParsedPlan) -> dict[tuple[int, int], TargetChoice]:
    """What 督审处 made of each detected quantity: dropped when unticked, corrected when a part was changed,
    and a condition taken as a target when ticked."""
    choices: dict[tuple[int, int], TargetChoice] = {}
    if form.targets_shown.data != "1":
        return choices
    for task in parsed.tasks:
        for position, target in enumerate(task.targets):
            def part(name: str, number: int = task.number, at: int = position) -> Field:
                return form[target_field(number, at, name)]

            if not part("keep").data:
                if target.is_target:  # an unticked condition is simply not taken: nothing was dropped
                    choices[task.number, position] = TargetChoice(keep=False)
                continue
            value = Decimal(part("value").data.strip().replace(",", ""))
            unit, comparator = part("unit").data.strip(), part("comparator").data or None
            if (value, unit, comparator) != (Decimal(str(target.value)), target.unit, target.comparator):
                choices[task.number, position] = TargetChoice(True, value, unit, comparator)
            elif not target.is_target:
                choices[task.number, position] = TargetChoice(keep=True)
    return choices


class ColumnsForm(FlaskForm):
    """列对应: which column of a task table is 序号, 任务, 牵头单位 …; the selects are added by columns_form()."""

    apply = SubmitField("按此列对应重新预览")


def columns_form(table: RawTable, columns: dict[str, int | None]) -> ColumnsForm:
    """The column mapping of a task table, preset to the guess (or the clerk's last choice)."""

    class Form(ColumnsForm):
        pass

    choices = [SelectChoice("", "(无此列)")] + [SelectChoice(str(index), f"第{index + 1}列:{heading or '(无表头)'}")
                                                for index, heading in enumerate(table.header)]
    for role, label in ROLES.items():
        setattr(Form, f"column_{role}", SelectField(
            label, choices=choices, default="" if columns.get(role) is None else str(columns[role])))
    return Form()


def chosen_columns(form: ColumnsForm) -> dict[str, int | None]:
    """The mapping the clerk submitted."""
    return {role: int(value) if (value := form[f"column_{role}"].data) else None for role in ROLES}


class DispatchForm(FlaskForm):
    """下发: the tasks of a plan the city bureaus carry out."""

    tasks = CheckboxListField("下发的任务(已勾选标为“市州落实”的任务和文中写有全省、各地、各市州的任务)", coerce=int)
    submit = SubmitField("下发各市州")
