"""`duban assessment`: the plan's unit scores, and scoring tasks closed before scoring existed."""
from __future__ import annotations

import json
from datetime import datetime

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.models import Plan
from app.services.scoring import assessment
from app.transaction import unit_of_work


@click.group("assessment", help="考核评分:单位得分与补评。")
def assessment_group() -> None:
    """The assessment commands."""


@assessment_group.command("scores", help="按名次输出计划各单位的年度得分(JSON,每行一个单位;未到考核节点的单位"
                                          "得分为 null、不排名)。")
@click.argument("plan_id", type=int)
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), help="统计截至日期(默认今天),年-月-日。")
@with_appcontext
def scores_command(plan_id: int, as_of: datetime | None) -> None:
    """Print every unit's score as of the day, one JSON line each."""
    _plan_or_exit(plan_id)
    for score in assessment.unit_scores(plan_id, as_of.date() if as_of else None):
        click.echo(json.dumps({"unit_id": score.unit_id, "unit": score.unit_name, "rank": score.rank,
                               "score": str(score.score) if score.assessed else None,
                               "lead_tasks": score.lead_task_count, "cooperating_tasks": score.cooperating_task_count,
                               "final": score.final}, ensure_ascii=False))


@assessment_group.command("freeze-closed", help="为已办结但尚未评分的任务补评定分(按计划当前评分规则)。")
@click.argument("plan_id", type=int)
@with_appcontext
def freeze_closed_command(plan_id: int) -> None:
    """Freeze the scores of closed tasks that have none."""
    _plan_or_exit(plan_id)
    with unit_of_work():
        numbers = assessment.freeze_closed_tasks(plan_id)
    click.echo(f"已补评 {len(numbers)} 项任务" + (f":第 {'、'.join(map(str, numbers))} 项。" if numbers else "。"))


def _plan_or_exit(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise click.ClickException(f"找不到编号为 {plan_id} 的计划。")
    return plan
