"""Commands under `duban` (and `flask --app app`): demo data, the dev server, users."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from app.api.commands import token_group
from app.assessment.commands import assessment_group
from app.errors import DubanError
from app.exports.commands import export_command
from app.item_commands import item_group
from app.models import Role, Unit
from app.plan_commands import plan_group
from app.services import accounts, demo, demo_activity, directory
from app.services.workdays import BEIJING
from app.transaction import unit_of_work


def register_commands(app: Flask) -> None:
    """Attach Duban's commands to the application's CLI."""
    app.cli.add_command(demo_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(user_group)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(plan_group)
    app.cli.add_command(item_group)
    app.cli.add_command(token_group)
    app.cli.add_command(export_command)
    app.cli.add_command(assessment_group)


@click.command("demo", help="载入演示数据:单位目录、每个角色一个演示账户、"
                            "年度工作要点及八项任务的办理进展(可重复执行)。")
@with_appcontext
def demo_command() -> None:
    with unit_of_work():
        org = demo.load_demo()
        plan = demo_activity.load_activity(org)
    click.echo(f"演示数据已就绪:{org.name},{len(org.units)} 个单位;演示账户密码:{demo.DEMO_PASSWORD}")
    if plan is not None:
        click.echo(f"已导入《{plan.title}》({len(plan.tasks)} 项任务),并模拟了八项任务的办理进展。")
    else:
        click.echo("工作要点已导入过,办理进展保持不变。")


@click.command("serve", help="启动开发服务器(默认 http://127.0.0.1:5000)。")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=5000, show_default=True, help="监听端口")
@with_appcontext
def serve_command(host: str, port: int) -> None:
    # Flask ignores app.run() inside its own CLI, so start Werkzeug's server directly.
    click.echo(f"督办已启动:http://{host}:{port}/  (按 Ctrl+C 停止)")
    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


@click.group("scheduler", invoke_without_command=True,
             help="调度进程(全系统只运行一个;Web 工作进程不运行调度)。不带子命令时启动常驻进程。")
@click.pass_context
@with_appcontext
def scheduler_command(ctx: click.Context) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from scheduler.process import build_scheduler

    scheduler = build_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]
    click.echo(f"调度进程已启动,计划任务 {len(scheduler.get_jobs())} 个;按 Ctrl+C 停止。")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("调度进程已停止。")


@scheduler_command.command("tick", help="按给定时刻(ISO 8601,默认现在)运行一次期限巡检:"
                                        "开启到期的阶段性进展报送、发送提醒/逾期/升级/停滞通知和每日汇总,"
                                        "每项输出一行 JSON。")
@click.option("--now", "now_text", default=None, help="巡检时刻,如 2023-10-09T09:00:00+08:00")
@with_appcontext
def tick_command(now_text: str | None) -> None:
    from app.extensions import db
    from app.services import tick

    now = _instant(now_text)
    with unit_of_work():
        lines = tick.run(now, checkpoint=db.session.commit)
    for line in lines:
        click.echo(json.dumps(line, ensure_ascii=False))


def _instant(text: str | None) -> datetime:
    """An aware instant from ISO 8601 text (Beijing time when no offset is given), or now."""
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise click.BadParameter(f"无法识别的时刻:{text}(示例:2023-10-09T09:00:00+08:00)") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


@click.group("user", help="用户管理。")
def user_group() -> None:
    """Group of user commands."""


@user_group.command("create", help="新建用户;未给出 --password 时提示输入。")
@click.option("--username", required=True, help="登录用户名")
@click.option("--name", "display_name", required=True, help="姓名")
@click.option(
    "--role", "role_values", multiple=True, required=True,
    type=click.Choice([r.value for r in Role]), help="角色,可重复",
)
@click.option("--unit", "unit_name", default=None, help="所属单位名称或别名")
@click.option("--email", default=None, help="电子邮箱")
@click.option("--password", prompt="密码", hide_input=True, confirmation_prompt="再次输入密码")
@with_appcontext
def user_create(
    username: str, display_name: str, role_values: tuple[str, ...], unit_name: str | None,
    email: str | None, password: str,
) -> None:
    try:
        with unit_of_work():
            unit = _unit_named(unit_name) if unit_name else None
            user = accounts.create_user(
                username, display_name, password, [Role(v) for v in role_values], unit=unit,
                email=email, must_change_password=False,
            )
    except DubanError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"已新建用户 {user.username}(id={user.id})。")


def _unit_named(name: str) -> Unit:
    target = directory.resolve_name(directory.home_organisation(None), name)
    if not isinstance(target, Unit):
        raise click.ClickException(f"单位目录中没有名为“{name}”的单位。")
    return target
