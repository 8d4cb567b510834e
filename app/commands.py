"""Commands under `duban` (and `flask --app app`): demo data, the dev server, users."""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from werkzeug.serving import run_simple

from app import demo, demo_activity
from app.api.commands import token_group
from app.assessment.commands import assessment_group
from app.channel_commands import channels_group
from app.dashboards.commands import dashboards_group
from app.errors import DubanError
from app.exports.commands import export_command
from app.extensions import db
from app.item_commands import item_group
from app.models import Organisation, Role, Unit
from app.plan_commands import plan_group
from app.search_commands import search_group
from app.services.infrastructure import accounts
from app.services.plans import directory
from app.transaction import unit_of_work


def register_commands(app: Flask) -> None:
    """Attach Duban's commands to the application's CLI."""
    app.cli.add_command(demo_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(user_group)
    app.cli.add_command(plan_group)
    app.cli.add_command(item_group)
    app.cli.add_command(token_group)
    app.cli.add_command(export_command)
    app.cli.add_command(assessment_group)
    app.cli.add_command(dashboards_group)
    app.cli.add_command(search_group)
    app.cli.add_command(channels_group)


@click.command("demo", help="载入演示数据:单位目录、每个角色一个演示账户、"
                            "年度工作要点及八项任务的办理进展(可重复执行)。")
@with_appcontext
def demo_command() -> None:
    with unit_of_work():
        org = demo.load_demo()
        plan = demo_activity.load_activity(org)
        cities = demo.load_cities(org)
    click.echo(f"演示数据已就绪:{org.name},{len(org.units)} 个单位;下辖 {len(cities)} 个市州局;"
               f"演示账户密码:{demo.DEMO_PASSWORD}")
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
@click.option("--org", "org_code", default=None, help="所属机构代码(市州局,如 wuhan;默认省局)")
@click.option("--email", default=None, help="电子邮箱")
@click.option("--password", prompt="密码", hide_input=True, confirmation_prompt="再次输入密码")
@with_appcontext
def user_create(
    username: str, display_name: str, role_values: tuple[str, ...], unit_name: str | None,
    org_code: str | None, email: str | None, password: str,
) -> None:
    try:
        with unit_of_work():
            org = _organisation_coded(org_code) if org_code else directory.home_organisation(None)
            unit = _unit_named(unit_name, org) if unit_name else None
            user = accounts.create_user(
                username, display_name, password, [Role(v) for v in role_values], unit=unit,
                email=email, must_change_password=False, organisation=org if org_code else None,
            )
    except DubanError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"已新建用户 {user.username}(id={user.id})。")


def _organisation_coded(code: str) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.code == code))
    if org is None:
        raise click.ClickException(f"没有代码为“{code}”的机构。")
    return org


def _unit_named(name: str, org: Organisation | None = None) -> Unit:
    target = directory.resolve_name(org or directory.home_organisation(None), name)
    if not isinstance(target, Unit):
        raise click.ClickException(f"单位目录中没有名为“{name}”的单位。")
    return target
