"""`duban search`: maintenance of the search index."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.extensions import db
from app.services.infrastructure import search_index
from app.transaction import unit_of_work


@click.group("search", help="全文检索索引。")
def search_group() -> None:
    """Group of search commands."""


@search_group.command("rebuild", help="按现有数据重建检索索引(任务、节点、进展报告、审核意见、整改、任务留言)。")
@with_appcontext
def rebuild_command() -> None:
    with unit_of_work():
        count = search_index.rebuild(db.session.connection())
    click.echo(f"检索索引已重建:{count} 条。")
