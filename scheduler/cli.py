"""`duban scheduler`: the scheduler process and one tick on demand.

The scheduler drives the application, never the other way round: `app` does not import this package. The
command reaches `duban` through ``app.cli.COMMANDS`` (by name) and `flask --app app` through the
``flask.commands`` entry point.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from app.services.timing.workdays import BEIJING
from app.transaction import unit_of_work


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
    from scheduler import tick

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


