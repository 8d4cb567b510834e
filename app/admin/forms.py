"""Administration forms; choices are filled by the views from the directory."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.fields import CheckboxListField
from app.models import GroupMembership, RobotKind, Role, UnitKind, WebhookEventKind
from app.services.infrastructure.channel_outbox import PHONE_PATTERN


class UnitForm(FlaskForm):
    """新建或编辑单位."""

    name = StringField("单位简称", validators=[DataRequired("请填写单位简称。"), Length(max=100)])
    full_name = StringField("单位全称", validators=[Optional(), Length(max=200)])
    code = StringField(
        "单位代码",
        validators=[
            DataRequired("请填写单位代码。"),
            Regexp(r"^[A-Za-z0-9_-]{1,30}$", message="单位代码只能包含字母、数字、下划线和连字符,最长30位。"),
        ],
    )
    kind = SelectField("单位类型", choices=[SelectChoice(k.value, k.label) for k in UnitKind])
    aliases = TextAreaField("别名(每行一个,或用顿号分隔)", validators=[Optional(), Length(max=2000)])
    active = BooleanField("启用", default=True)
    requires_head_signoff = BooleanField("进展报送须经单位负责人审签")
    robot_kind = SelectField("群机器人", default="", choices=[SelectChoice("", "(不推送)"),
                                                *[SelectChoice(k.value, k.label) for k in RobotKind]])
    robot_url = StringField("机器人 Webhook 地址", validators=[Optional(), Length(max=500)])
    robot_secret = PasswordField("钉钉加签密钥", validators=[Optional(), Length(max=200)])
    #: Filled by the view: every kind of notice.
    robot_categories = CheckboxListField("群机器人推送的事项", choices=[])
    submit = SubmitField("保存")


class GroupForm(FlaskForm):
    """新建或编辑单位组."""

    name = StringField("单位组名称", validators=[DataRequired("请填写单位组名称。"), Length(max=200)])
    membership = SelectField("成员确定方式", choices=[SelectChoice(m.value, m.label) for m in GroupMembership])
    member_kind = SelectField("单位类型", choices=[SelectChoice("", "(不限)"),
                                                  *[SelectChoice(k.value, k.label) for k in UnitKind]])
    members = CheckboxListField("成员单位", coerce=int, choices=[])
    aliases = TextAreaField("别名(每行一个,或用顿号分隔)", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("保存")


class UserForm(FlaskForm):
    """编辑用户."""

    display_name = StringField("姓名", validators=[DataRequired("请填写姓名。"), Length(max=64)])
    email = EmailField("电子邮箱", validators=[Optional(), Length(max=200)])
    phone = StringField("手机号码", validators=[Optional(), Regexp(PHONE_PATTERN, message="请填写11位手机号码。")])
    unit = SelectField("所属单位", coerce=int, choices=[])
    roles = CheckboxListField("角色", choices=[SelectChoice(r.value, r.label) for r in Role])
    active = BooleanField("启用", default=True)
    submit = SubmitField("保存")


class NewUserForm(UserForm):
    """新建用户."""

    username = StringField(
        "用户名",
        validators=[
            DataRequired("请填写用户名。"),
            Regexp(r"^[A-Za-z0-9_.-]{2,64}$", message="用户名只能包含字母、数字、下划线、点和连字符。"),
        ],
    )
    password = PasswordField("初始密码", validators=[DataRequired("请设置初始密码。"), Length(max=128)])


class ResetPasswordForm(FlaskForm):
    """重置用户密码."""

    password = PasswordField("新的临时密码", validators=[DataRequired("请填写新的临时密码。"), Length(max=128)])
    submit = SubmitField("重置密码")


class UnitsInChargeForm(FlaskForm):
    """局领导的分管单位."""

    units = CheckboxListField("分管单位", coerce=int, choices=[])
    submit = SubmitField("保存")


class DiagramUploadForm(FlaskForm):
    """上传流程图新版本: checked first, deployed only after the administrator saw the result."""

    diagram = FileField("流程图文件(.bpmn,不超过 1 MB)", validators=[FileRequired("请选择要上传的流程图文件。")])
    submit = SubmitField("检查")


class DiagramDeployForm(FlaskForm):
    """确认部署: the checked file travels back base64-encoded, so what was shown is what is stored."""

    content = HiddenField(validators=[DataRequired("缺少流程图内容,请重新上传。")])
    filename = HiddenField(validators=[DataRequired(), Length(max=255)])
    make_current = BooleanField("部署后设为当前版本(其他流程都使用此版本;不勾选则只用于绑定的范围)", default=True)
    submit = SubmitField("确认部署")


class DiagramEditForm(FlaskForm):
    """在线编辑: the modeler's XML, checked exactly like an uploaded file (nothing is stored by this form)."""

    xml = HiddenField(validators=[DataRequired("流程图内容为空,请重新编辑。")])
    filename = HiddenField(validators=[DataRequired(), Length(max=255)])
    submit = SubmitField("保存并检查")


class InstanceActionForm(FlaskForm):
    """暂停或恢复一个流程实例 (the button is the whole form)."""

    submit = SubmitField("确定")


class InstanceEndForm(FlaskForm):
    """终止流程: the reason is required and kept in the audit trail."""

    reason = TextAreaField("终止原因", validators=[DataRequired("请填写终止原因。"), Length(max=500)])
    submit = SubmitField("终止流程")


class InstanceRetryForm(FlaskForm):
    """重试出错的步骤, optionally with the data that was missing."""

    data = TextAreaField("补充流程数据(可不填;每行一项,写成“名称 = 值”,如 head_signoff_required = false)",
                         validators=[Optional(), Length(max=2000)])
    submit = SubmitField("重试")


class InstanceMoveBackForm(FlaskForm):
    """退回到之前的步骤: an earlier step the instance completed, and why (kept in the audit trail, told to the unit)."""

    step = SelectField("退回到", validators=[DataRequired("请选择要退回到的步骤。")], validate_choice=False)
    reason = TextAreaField("退回原因", validators=[DataRequired("请填写退回原因。"), Length(max=500)])
    submit = SubmitField("退回")


class BindingForm(FlaskForm):
    """绑定流程版本: new instances in a scope start on a chosen version; choices are filled by the view."""

    version = SelectField("流程版本", choices=[], validators=[DataRequired("请选择流程版本。")])
    scope = SelectField("适用范围", choices=[], validators=[DataRequired("请选择适用范围。")])
    submit = SubmitField("绑定")


class MigrationForm(FlaskForm):
    """迁移: the source and target chosen on the dry-run page travel back unchanged."""

    source = HiddenField(validators=[DataRequired()])
    target = HiddenField(validators=[DataRequired(), Regexp(r"^\d+$")])
    scope = HiddenField()
    submit = SubmitField("迁移可迁移的流程")


class WebhookForm(FlaskForm):
    """登记外部系统回调地址."""

    url = StringField("回调地址", validators=[DataRequired("请填写回调地址。"), Length(max=500)])
    secret = PasswordField("签名密钥", validators=[DataRequired("请填写签名密钥。"), Length(max=200)])
    kinds = CheckboxListField("推送的事件", choices=[SelectChoice(k.value, k.label) for k in WebhookEventKind])
    submit = SubmitField("登记")
