"""The `duban` console script: Flask's CLI bound to Duban's application factory.

The commands are listed here by name and imported only when run, so `duban --help` builds no
application and imports neither the models nor SpiffWorkflow, lxml or python-docx; a command that
needs the application builds it itself (``with_appcontext``), and `duban plan parse` never does.
"""
from __future__ import annotations

import importlib
from typing import Any

import click
from flask.cli import FlaskGroup

#: name -> (module:attribute, the command's help as its decorator states it; tests keep the two equal)
COMMANDS: dict[str, tuple[str, str]] = {
    "db": ("flask_migrate.cli:db", "Perform database migrations."),
    "demo": ("app.commands:demo_command",
             "载入演示数据:单位目录、每个角色一个演示账户、年度工作要点及八项任务的办理进展(可重复执行)。"),
    "serve": ("app.commands:serve_command", "启动开发服务器(默认 http://127.0.0.1:5000)。"),
    "user": ("app.commands:user_group", "用户管理。"),
    "scheduler": ("scheduler.cli:scheduler_command",
                  "调度进程(全系统只运行一个;Web 工作进程不运行调度)。不带子命令时启动常驻进程。"),
    "plan": ("app.plan_commands:plan_group", "工作要点:解析与导入。"),
    "item": ("app.item_commands:item_group", "督办事项:立项登记。"),
    "token": ("app.api.commands:token_group", "API 令牌管理。"),
    "export": ("app.exports.commands:export_command",
               "导出文件:ledger 督查台账(.xlsx)、bulletin 督查通报(.docx)、assessment 考核评分(.xlsx)、"
               "rectifications 整改台账(.xlsx)。"),
    "assessment": ("app.assessment.commands:assessment_group", "考核评分:单位得分与补评。"),
    "process": ("app.process_commands:process_group", "流程管理:部署流程图新版本、比较差异、迁移办理中的流程。"),
}


def _create_app() -> Any:
    """The application for a command: no request's statement timeout on its (long) jobs."""
    from app import create_app
    from app.config import Config

    return create_app({"DATABASE_STATEMENT_TIMEOUT_MS": Config.COMMAND_STATEMENT_TIMEOUT_MS})


def load_command(name: str) -> click.Command:
    """Import one of ``COMMANDS``."""
    module, attribute = COMMANDS[name][0].split(":")
    command: click.Command = getattr(importlib.import_module(module), attribute)
    return command


class DubanGroup(FlaskGroup):
    """Flask's group with Duban's commands loaded on use and listed without loading anything."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(create_app=_create_app, **kwargs)
        # `db` (Flask-Migrate's plugin) is in COMMANDS: no scan of every installed entry point.
        self._loaded_plugin_commands = True

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.commands) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            self.add_command(load_command(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        rows = [(name, COMMANDS[name][1] if name in COMMANDS
                 else self.commands[name].get_short_help_str(limit)) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def main() -> None:
    """Run the `duban` command group (the same commands as `flask --app app`)."""
    DubanGroup(help="督办 Duban 命令行工具。").main(prog_name="duban")
