"""`duban dashboards rebuild`: recompute the roll-ups the dashboards read from the records they summarise."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.services.lifecycle import rollups
from app.transaction import unit_of_work


@click.group("dashboards", help="看板:重建汇总数据。")
def dashboards_group() -> None:
    """The dashboard commands."""


@dashboards_group.command("rebuild", help="按审核记录重新计算各工作节点的审核通过日期与报送日期。")
@click.option("--plan", "plan_ids", type=int, multiple=True, help="只重建这些工作计划(可重复;默认全部)")
@with_appcontext
def rebuild_command(plan_ids: tuple[int, ...]) -> None:
    """Rebuild the milestones' approval and delivery days."""
    with unit_of_work():
        count = rollups.rebuild(plan_ids or None)
    click.echo(f"已重建 {count} 个工作节点的汇总数据。")
