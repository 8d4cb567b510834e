"""The milestones' approval and delivery days: set with 督审处's approval, and rebuilt alike by the command."""
from __future__ import annotations

from sqlalchemy import select, update

from app import demo_activity
from app.extensions import db
from app.models import Milestone, MilestoneStatus
from tests.snapshots import seeded


@seeded
def activity(demo):
    return demo_activity.load_activity(demo)


def _days() -> dict[int, tuple[object, object]]:
    rows = db.session.execute(select(Milestone.id, Milestone.approved_on, Milestone.delivered_on)
                              .order_by(Milestone.id))
    return {milestone_id: (approved, delivered) for milestone_id, approved, delivered in rows}


def test_approvals_through_the_services_set_the_days_the_rebuild_finds_again(app, activity):
    approved = set(db.session.scalars(select(Milestone.id).where(Milestone.status == MilestoneStatus.APPROVED)))
    recorded = _days()
    assert approved and {m for m, (day, _) in recorded.items() if day is not None} == approved
    assert all(delivered is not None and delivered <= day for m, (day, delivered) in recorded.items() if day)

    db.session.execute(update(Milestone).values(approved_on=None, delivered_on=None))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["dashboards", "rebuild", "--plan", str(activity.id)])
    assert result.exit_code == 0 and "已重建" in result.output
    db.session.expire_all()
    assert _days() == recorded
