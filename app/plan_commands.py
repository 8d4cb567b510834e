"""`duban plan parse|import`: the plan importer for operators, scripts and bulk set-up."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
from flask import current_app, has_app_context
from flask.cli import with_appcontext

from app.config import Config
from app.plan_parser import DocumentError, ParsedPlan, parse_document
from app.plan_parser.model import ROLE_LABELS
from app.plan_parser.table_plan import guess_columns, table_plan, task_table_of

if TYPE_CHECKING:
    from app.models import Plan


@click.group("plan", help="工作要点:解析与导入。")
def plan_group() -> None:
    """Group of plan commands."""


@plan_group.command("parse", help="解析工作要点文件(.txt、.docx,或 .xlsx/.csv/.docx 任务分解表),"
                                  "输出章节、任务、责任单位、量化指标和完成时限。")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
def parse_command(file: Path, as_json: bool) -> None:
    parsed = _parse_or_exit(file)
    if as_json:
        click.echo(json.dumps(parsed.to_dict(), ensure_ascii=False, indent=2))
        _exit_on_table_problems(parsed)
        return
    click.echo(f"标题:{parsed.title or '(未识别)'}")
    click.echo(f"章节 {len(parsed.sections)} 个,任务 {len(parsed.tasks)} 项")
    for task in parsed.tasks:
        resp = task.responsibility
        click.echo(f"{task.number:>3}. {task.title[:40]}")
        click.echo(f"     牵头:{'、'.join(resp.lead_units) or '—'}  负责:{'、'.join(resp.responsible_units) or '—'}"
                   f"  配合:{'、'.join(resp.cooperating_units) or '—'}  单位组:{'、'.join(resp.unit_groups) or '—'}")
        for name, role in resp.roles().items():
            click.echo(f"     {name}({ROLE_LABELS[role]}):{'；'.join(r.text for r in resp.reasons.get(name, []))}")
        if task.deadline:
            click.echo(f"     时限:{task.deadline.phrase}")
        for target in task.targets:
            label = "指标" if target.is_target else "条件"
            mark = "(待核对)" if target.confidence == "uncertain" else ""
            click.echo(f"     {label}{mark}:{target.phrase} → {target.comparator or ''}{target.value}{target.unit}"
                       f"  依据:{'；'.join(r.text for r in target.reasons)}")
    for warning in parsed.warnings:
        click.echo(f"提示:{warning}")
    _exit_on_table_problems(parsed)


def _exit_on_table_problems(parsed: ParsedPlan) -> None:
    """A task table with problems that would block its import: say which on stderr, exit non-zero."""
    if parsed.errors:
        _fail("表格中有需要修改的问题,导入前须先修改:\n" + "\n".join(f"  {error}" for error in parsed.errors))


def _parse_or_exit(file: Path) -> ParsedPlan:
    try:
        data = file.read_bytes()
    except OSError as error:
        _fail(f"无法读取文件 {file}:{error.strerror}")
    try:
        if len(data) <= _plan_max_bytes() and (table := task_table_of(data, file.name)) is not None:
            # A task table, read as the import page reads it: columns guessed from the header.
            return table_plan(table, guess_columns(table.header), None, file.stem)
        return parse_document(data, file.name, max_bytes=_plan_max_bytes())
    except DocumentError as error:
        _fail(error.message)


def _plan_max_bytes() -> int:
    """The configured limit; parsing needs no application, so without one it is the environment's."""
    return int(current_app.config["PLAN_MAX_BYTES"] if has_app_context() else Config.PLAN_MAX_BYTES)


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(1)


@plan_group.command("import", help="导入工作要点为计划,成功后输出新计划的编号。")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--year", type=int, default=None, help="计划年度(默认取标题中的年份)")
@click.option("--yes", is_flag=True, help="不再确认,直接导入")
@click.option("--create-units", is_flag=True, help="单位目录中找不到的名称自动新建为单位或单位组")
@with_appcontext
def import_command(file: Path, year: int | None, yes: bool, create_units: bool) -> None:
    from app.errors import DubanError
    from app.transaction import unit_of_work

    try:
        with unit_of_work():
            plan = _import(file, year, yes, create_units)
    except DubanError as error:
        _fail(error.message)
    click.echo(plan.id)


def _import(file: Path, year: int | None, yes: bool, create_units: bool) -> Plan:
    from app.services.plans import directory, plan_import

    org = directory.home_organisation(None)
    try:
        data = file.read_bytes()
    except OSError as error:
        _fail(f"无法读取文件 {file}:{error.strerror}")
    draft = plan_import.start_import(
        org, None, year, data=data, filename=file.name, max_bytes=current_app.config["PLAN_MAX_BYTES"]
    )
    result = plan_import.preview(draft)
    if result.parsed.errors:
        _fail("表格中有需要修改的问题,导入已停止:\n" + "\n".join(f"  {error}" for error in result.parsed.errors))
    if result.unresolved and not create_units:
        _fail("以下名称在单位目录中找不到,导入已停止(可先在管理页面添加别名,或加 --create-units 自动新建):\n"
              + "\n".join(f"  {name}" for name in result.unresolved))
    click.echo(f"《{result.parsed.title}》{draft.year}年,{len(result.parsed.tasks)} 项任务,"
               f"新建名称 {len(result.unresolved)} 个", err=True)
    if not yes and not click.confirm("确认导入?", err=True):
        _fail("已取消,未导入任何内容。")
    return plan_import.confirm_import(draft, plan_import.automatic_decisions(result.unresolved), None)
