"""The task page's diagrams as users see them: after a return the step returned to is marked current,
and the served diagram carries no developer notes (file names, signal names)."""
from __future__ import annotations

import json
import re

from sqlalchemy import select

from app import demo_activity
from app.extensions import db
from app.models import PlanTask
from tests.conftest import login
from tests.snapshots import seeded


@seeded
def activity(demo):
    return demo_activity.load_activity(demo)


def diagrams(page: str) -> list[tuple[str, list[str], list[str]]]:
    """(url, current, completed) of each diagram on a task page."""
    found = re.findall(r'data-bpmn-url="([^"]+)"\s+data-current="([^"]*)"\s+data-completed="([^"]*)"', page)
    return [(url, json.loads(current.replace("&#34;", '"')), json.loads(done.replace("&#34;", '"')))
            for url, current, done in found]


def test_the_returned_report_is_the_current_step_and_notes_are_not_shown(client, activity):
    task = db.session.scalar(select(PlanTask).where(PlanTask.plan_id == activity.id, PlanTask.number == 7))
    login(client, "zhuce")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    shown = diagrams(page)
    # Milestone 2's report was returned by 督审处: 报送进展 is current again, not also done.
    returned = [(current, done) for _, current, done in shown if current == ["report"]]
    assert returned and all("report" not in done and "review" in done for _, done in returned)
    assert 'data-testid="diagram-summary">任务分解与办结(注册处)' in page   # which unit's lifecycle
    for url, _, _ in shown:
        xml = client.get(url).get_data(as_text=True)
        assert "<bpmn:userTask" in xml
        for note in ("textAnnotation", "milestone.bpmn 实例", "里程碑"):   # ids may stay: the viewer shows names
            assert note not in xml, (url, note)
