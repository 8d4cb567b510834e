"""Forms of the plan import: the upload, and the review where unknown names are resolved."""
from __future__ import annotations

import hashlib

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectChoice, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.fields import CheckboxListField, DayField
from app.models import PlanKind, Priority, Unit, UnitGroup, UnitKind
from app.plan_parser.units import is_group
from app.services.items import ItemRequest
from app.services.name_resolution import Decision


class ImportForm(FlaskForm):
    """上传或粘贴工作要点."""

    document = FileField("工作要点文件(.txt 或 .docx,UTF-8 或 GB18030/GBK 编码均可)")
    pasted = TextAreaField("或直接粘贴正文", validators=[Optional()])
    year = IntegerField(
        "计划年度(留空则取标题中的年份)",
        validators=[Optional(), NumberRange(2000, 2100, "年度应在 2000 到 2100 之间。")],
    )
    submit = SubmitField("解析并预览")


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


class ReviewForm(FlaskForm):
    """确认导入; one choice field per unknown name is added by review_form()."""

    submit = SubmitField("确认导入")


def field_name(name: str) -> str:
    """A stable form field name for a plan name (stable even if other names get resolved meanwhile)."""
    return "resolve_" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:12]


def members_field_name(name: str) -> str:
    """The field holding the member units chosen for a new group named ``name``."""
    return field_name(name).replace("resolve_", "members_")


def review_form(unresolved: list[str], units: list[Unit], groups: list[UnitGroup]) -> ReviewForm:
    """The review form with a choice for each name the directory does not know."""

    class Form(ReviewForm):
        pass

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
