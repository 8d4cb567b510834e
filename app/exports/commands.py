"""`duban export ledger|bulletin|assessment [--plan ID | --source S] [--as-of DATE] --out FILE`, or `duban export
rectifications [--status S] --out FILE`: the downloads."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from app.errors import DubanError
from app.exports import KINDS, Document, build_document, rectifications_document
from app.extensions import db
from app.models import Plan, PlanKind
from app.services.dashboards.facts import beijing_today
from app.services.plans import directory, plan_scope
from app.transaction import unit_of_work


@click.command("export", help="导出文件:ledger 督查台账(.xlsx)、bulletin 督查通报(.docx)、assessment 考核评分(.xlsx)、"
                              "rectifications 整改台账(.xlsx)。")
@click.argument("kind", type=click.Choice(sorted([*KINDS, "rectifications"])))
@click.option("--plan", "plan_id", type=int, default=None,
              help="工作计划或督办事项的编号(默认全部执行中的;整改台账不需要)")
@click.option("--source", default=None, type=click.Choice([kind.value for kind in PlanKind]),
              help="只导出一种来源:plan 工作计划,leader_instruction 领导批示 …")
@click.option("--status", help="整改台账只导出此状态(open 为未销号)")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), help="统计日期(年-月-日,默认今天)")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="输出文件")
@with_appcontext
def export_command(kind: str, plan_id: int | None, source: str | None, status: str | None, as_of: datetime | None,
                   out: Path) -> None:
    day: date = as_of.date() if as_of else beijing_today()
    if kind == "rectifications":
        _write(rectifications_document(status, day), out)
        return
    if plan_id is not None and db.session.get(Plan, plan_id) is None:
        raise click.ClickException(f"找不到编号为 {plan_id} 的工作计划。")
    try:
        scope = plan_scope.resolve(directory.home_organisation(None).id, plan_id, source)
        if scope.empty:
            raise click.ClickException("尚无工作计划或督办事项,无法导出。")
        with unit_of_work():  # a bulletin's 期号 is recorded
            document = build_document(kind, scope, day)
    except DubanError as error:
        raise click.ClickException(error.message) from error
    _write(document, out)


def _write(document: Document, out: Path) -> None:
    out.write_bytes(document.data)
    click.echo(f"已导出 {out}({document.filename})")
