"""`duban item create`: register a 督办事项 (立项) from the command line, as 督审处 does on the page."""
from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import with_appcontext

SOURCES = {
    "领导批示": "leader_instruction", "会议议定": "meeting_decision", "上级交办": "assigned_by_superior",
    "人大建议": "npc_suggestion", "政协提案": "cppcc_proposal", "其他": "other",
}


def _day(value: str | None, label: str) -> date | None:
    from app.fields import parse_day

    if not value:
        return None
    try:
        return parse_day(value)
    except ValueError as error:
        raise click.BadParameter(f"{label}{error}") from None


@click.group("item", help="督办事项:立项登记。")
def item_group() -> None:
    """Group of item commands."""


@item_group.command("create", help="登记一项督办事项(领导批示、会议议定等),成功后输出其督办编号和计划编号。")
@click.option("--source", required=True, type=click.Choice(list(SOURCES)), help="来源")
@click.option("--text", required=True, help="督办内容")
@click.option("--lead", required=True, help="牵头单位,多个用顿号分隔")
@click.option("--deadline", required=True, help="办结时限(年-月-日)")
@click.option("--number", "document_number", default="", help="文号")
@click.option("--date", "document_date", default=None, help="来源文件日期(年-月-日)")
@click.option("--title", default="", help="标题(默认取内容的第一句)")
@click.option("--cooperating", default="", help="配合单位,多个用顿号分隔")
@click.option("--targets", default="", help="量化目标")
@click.option("--priority", type=click.Choice(["normal", "urgent", "critical"]), default="normal",
              show_default=True, help="紧急程度:一般 normal,急办 urgent,特急 critical")
@with_appcontext
def create_command(source: str, text: str, lead: str, deadline: str, document_number: str,
                   document_date: str | None, title: str, cooperating: str, targets: str, priority: str) -> None:
    from app.errors import DubanError
    from app.services.dashboards.facts import beijing_today
    from app.services.plans import directory, items
    from app.transaction import unit_of_work

    request = items.ItemRequest(
        source=SOURCES[source], text=text, lead_units=lead, final_deadline=_day(deadline, "办结时限"),
        document_number=document_number, document_date=_day(document_date, "来源文件日期"), title=title,
        cooperating_units=cooperating, targets=targets, priority=priority)
    try:
        with unit_of_work():
            plan = items.register_item(directory.home_organisation(None), request, None, beijing_today())
            number, plan_id = plan.tasks[0].supervision_number, plan.id
    except DubanError as error:
        click.echo(error.message, err=True)
        sys.exit(1)
    click.echo(f"{number}\t{plan_id}")
