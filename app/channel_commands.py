"""`duban channels test`: send one test message through the SMS gateway or a unit's group robot, now."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from app.extensions import db
from app.models import Unit
from app.services.infrastructure import channel_outbox, channels
from app.services.infrastructure.channels import ChannelError, Message


@click.group("channels", help="短信与群机器人提醒。")
def channels_group() -> None:
    """Group of channel commands."""


@channels_group.command("test", help="立即发送一条测试消息:--phone 经短信网关,--unit 经该单位的群机器人。")
@click.option("--phone", help="接收测试短信的手机号码。")
@click.option("--kind", default="overdue", show_default=True, help="短信模板对应的通知类型(SMS_TEMPLATES 中的名称)。")
@click.option("--unit", "unit_name", help="单位简称:向该单位的群机器人发送。")
@with_appcontext
def test_command(phone: str | None, kind: str, unit_name: str | None) -> None:
    config = current_app.config
    message = Message(phone or "", kind, "督办系统测试消息", "这是一条测试消息,收到即表示配置正确。",
                      config["PUBLIC_URL"])
    channel: channels.Channel
    if phone:
        if not channel_outbox.sms_enabled():
            raise click.ClickException("未配置短信网关(SMS_GATEWAY_URL)。")
        channel = channels.SmsChannel(config)
    elif unit_name:
        unit = db.session.scalar(select(Unit).where(Unit.name == unit_name))
        robot = channel_outbox.robot_of(unit) if unit is not None else None
        if robot is None:
            raise click.ClickException(f"单位“{unit_name}”不存在或未设置群机器人。")
        channel = channels.RobotChannel(robot.kind, robot.webhook_url, robot.secret, config["CHANNEL_TIMEOUT_SECONDS"])
    else:
        raise click.UsageError("请给出 --phone 或 --unit。")
    try:
        channel.send(message)
    except ChannelError as error:
        raise click.ClickException(f"发送失败:{error}") from error
    click.echo("测试消息已发送。")
