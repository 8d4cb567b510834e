"""`duban token …`: issue and revoke API tokens from the command line."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.errors import DubanError
from app.extensions import db
from app.models import ApiToken
from app.services.infrastructure import accounts, api_tokens
from app.transaction import unit_of_work


@click.group("token", help="API 令牌管理。")
def token_group() -> None:
    """Group of API token commands."""


@token_group.command("create", help="为用户签发 API 令牌;令牌只显示这一次,请妥善保存。")
@click.option("--username", required=True, help="令牌代表的用户")
@click.option("--name", required=True, help="令牌用途,例如“省政务服务平台对接”")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(list(api_tokens.SCOPE_LABELS)),
              help="权限范围,可重复:read 只读、act 办理、admin 管理;省略时为 read 与 act")
@with_appcontext
def token_create(username: str, name: str, scopes: tuple[str, ...]) -> None:
    user = accounts.find_user(username)
    if user is None:
        raise click.ClickException(f"没有用户名为“{username}”的用户。")
    try:
        with unit_of_work():
            issued = api_tokens.issue_token(user, name, None, scopes or None)
    except DubanError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"已为 {user.username} 签发令牌(id={issued.token.id},权限范围 {issued.token.scopes}),只显示这一次:")
    click.echo(issued.secret)


@token_group.command("revoke", help="吊销一个 API 令牌。")
@click.option("--id", "token_id", required=True, type=int, help="令牌编号")
@with_appcontext
def token_revoke(token_id: int) -> None:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"没有编号为 {token_id} 的令牌。")
    try:
        with unit_of_work():
            api_tokens.revoke_token(token, None)
    except DubanError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"令牌 {token_id} 已吊销。")
