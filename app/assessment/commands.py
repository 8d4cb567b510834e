"""`duban assessment`: the plan's unit scores, and scoring tasks closed before scoring existed."""
from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.models import Plan
from app.services.scoring import assessment
from app.transaction import unit_of_work


@click.group("assessment", help="考核评分:单位得分与补评。")
def assessment_group() -> None:
    """The assessment commands."""


@assessment_group.command("scores", help="按得分从高到低输出计划各单位的年度得分(JSON,每行一个单位)。")
@click.argument("plan_id", type=int)
@with_appcontext
def scores_command(plan_id: int) -> None:
    """Print every unit's score, one JSON line each."""
    _plan_or_exit(plan_id)
    for score in assessment.unit_scores(plan_id):
        click.echo(json.dumps({"unit_id": score.unit_id, "unit": score.unit_name, "score": str(score.score),
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
