"""`duban process deploy|diff|migrate`: process administration from the command line, printing JSON."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from flask.cli import with_appcontext


@click.group("process", help="流程管理:部署流程图新版本、比较差异、迁移办理中的流程。")
def process_group() -> None:
    """Group of process commands."""


def _echo(payload: dict[str, Any]) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))


def _refuse(payload: dict[str, Any]) -> NoReturn:
    _echo({"ok": False, **payload})
    sys.exit(1)


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as error:
        _refuse({"problems": [f"无法读取文件 {file}:{error.strerror}"]})


@process_group.command("deploy", help="检查并部署流程图(.bpmn)的新版本;未通过检查时不保存任何内容。")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--keep-current", is_flag=True, help="不设为当前版本(新版本只用于绑定的范围)")
@with_appcontext
def deploy_command(file: Path, keep_current: bool) -> None:
    from app.services.lifecycle import processes
    from app.transaction import unit_of_work

    data = _read(file)
    with unit_of_work():
        check = processes.check_upload(data, file.name)
        if not check.ok:
            _refuse({"passed": check.passed, "problems": check.problems})
        stored = processes.deploy_upload(data, file.name, None, make_current=not keep_current)
        versions = [{"process_id": row.process_id, "version": row.version, "sha256": row.sha256, "new": new}
                    for row, new in stored]
    _echo({"ok": True, "passed": check.passed, "versions": versions})


@process_group.command("diff", help="比较流程图文件与各流程的当前版本:新增、删除、改名、调整泳道的步骤,"
                                    "网关条件的变化。")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def diff_command(file: Path) -> None:
    from app.services.lifecycle import processes

    review = processes.review_upload(_read(file), file.name)
    if review.check.parsed is None:
        _refuse(review.to_dict())
    _echo(review.to_dict())


@process_group.command("migrate", help="把某一版本上办理中的流程迁移到同一流程的另一版本;"
                                       "--dry-run 只列出各实例能否迁移及原因。")
@click.option("--from", "source", required=True, help="源版本,写成“流程:版本号”,如 milestone:1")
@click.option("--to", "target", required=True, type=int, help="目标版本号")
@click.option("--scope", default="", help="只迁移该范围的流程,如 priority:critical(特急)、source:leader_instruction")
@click.option("--dry-run", is_flag=True, help="只检查,不迁移")
@with_appcontext
def migrate_command(source: str, target: int, scope: str, dry_run: bool) -> None:
    from app.errors import DubanError, InvalidTransition
    from app.extensions import db
    from app.services.lifecycle import processes
    from app.transaction import unit_of_work

    try:
        origin = processes.parse_from(source)
        destination, verdicts = processes.dry_run(origin, target, processes.parse_scope(scope))
    except DubanError as error:
        _refuse({"problems": [error.message]})
    payload: dict[str, Any] = {"ok": True, "from": f"{origin.process_id}:{origin.version}", "to": destination.version,
                               "dry_run": dry_run, "instances": [v.to_dict() for v in verdicts]}
    db.session.rollback()
    if not dry_run:
        for entry in payload["instances"]:
            if not entry["migratable"]:
                entry["migrated"] = False
                continue
            try:
                with unit_of_work():  # one transaction per instance: a refusal leaves the others moved
                    target_row = processes.version_of(origin.process_id, target)
                    entry["current_steps"] = processes.migrate_one(entry["instance_id"], target_row, None).current_steps
                entry["migrated"] = True
            except InvalidTransition as refused:
                entry.update(migrated=False, migratable=False, reason=refused.message)
    _echo(payload)
