"""申诉: a unit contests a line of its score; 督审处 accepts (the line is adjusted by a line citing the decision) or
rejects it; every refusal changes nothing; a decision after a day does not change that day's score."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import func, select

from app.errors import InvalidTransition, PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import (
    Appeal,
    AppealStatus,
    Attachment,
    AuditEvent,
    Notification,
    PlanTask,
    TaskEvaluation,
    Unit,
    User,
)
from app.services.dashboards.facts import beijing_today
from app.services.lifecycle.reporting import Upload, UploadPolicy
from app.services.scoring import appeals, assessment, evaluation, scoring_policy
from app.services.scoring.evaluation import LineItem
from app.services.timing import deadlines
from app.services.timing.workdays import BEIJING
from tests.services.test_fair_assessment import activity  # noqa: F401  (the seeded demo activity)


def user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def zhuce_id() -> int:
    return db.session.scalar(select(Unit.id).where(Unit.name == "注册处"))


def task(plan, number: int) -> PlanTask:
    return db.session.scalar(select(PlanTask).where(PlanTask.plan_id == plan.id, PlanTask.number == number))


def line(plan, number: int, category: str, as_of: date | None = None) -> LineItem:
    """注册处's first line of ``category`` on task ``number`` (task 7: returns −2, timeliness −8 on the demo)."""
    explanation = assessment.explain_unit(plan.id, zhuce_id(), as_of)
    score = next(t for t in explanation.tasks if t.task_number == number)
    return next(li for li in score.result.line_items if li.category == category and li.appealable)


def task_score(plan, number: int, as_of: date | None = None):
    explanation = assessment.explain_unit(plan.id, zhuce_id(), as_of)
    return next(t for t in explanation.tasks if t.task_number == number).result


def upload_policy(tmp_path) -> UploadPolicy:
    return UploadPolicy(tmp_path, 1024 * 1024)


EVIDENCE = (Upload("情况说明.txt", "报送材料完整,见附件。".encode()),)


def file(plan, tmp_path, number=7, category="returns", username="zhuce", reason="退回系材料格式问题,内容无误",
         uploads=EVIDENCE, seen=None):
    found = line(plan, number, category)
    return appeals.file(task(plan, number), zhuce_id(), found.key, found.points if seen is None else seen, reason,
                        list(uploads), upload_policy(tmp_path), user(username))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_accepted_appeal_adjusts_the_line_by_a_line_citing_the_decision(activity, tmp_path):  # noqa: F811
    before = task_score(activity, 7)
    unit_before = assessment.unit_score(activity.id, zhuce_id())
    appeal = file(activity, tmp_path)
    db.session.commit()
    assert appeal.status is AppealStatus.OPEN and appeal.line_points == Decimal(-2)
    bureau = activity.organisation_id
    assert appeals.waiting(bureau) == [appeal] and appeals.waiting_count(bureau) == 1
    assert [a.original_name for a in appeals.evidence(appeal)] == ["情况说明.txt"]
    assert task_score(activity, 7).score == before.score  # nothing changes while it waits
    filed = db.session.scalar(select(Notification).where(Notification.key == f"appeal:{appeal.id}:filed",
                                                         Notification.user_id == user("dushen").id))
    assert filed is not None and filed.link == f"/appeals/{appeal.id}" and "申诉" in filed.title

    appeals.accept(appeal, "0", "经核实,退回系系统原因", user("dushen"))
    db.session.commit()
    after = task_score(activity, 7)
    assert after.score == before.score + 2
    adjustment = next(li for li in after.line_items if li.event_kind == "appeal")
    assert (adjustment.category, adjustment.points, adjustment.event_id) == ("returns", Decimal(2), appeal.id)
    assert f"申诉 #{appeal.id} 经督审处采纳" in adjustment.explanation
    assert sum(li.points for li in after.line_items) == after.score  # the explanation still adds up
    assert assessment.unit_score(activity.id, zhuce_id()).score > unit_before.score
    ranked = next(s for s in assessment.unit_scores(activity.id) if s.unit_id == zhuce_id())
    assert ranked.score == assessment.explain_unit(activity.id, zhuce_id()).score
    assert appeals.waiting(activity.organisation_id) == [] and appeals.of_unit(activity.id, zhuce_id()) == [appeal]
    decided = {n.user.username for n in db.session.scalars(
        select(Notification).where(Notification.key == f"appeal:{appeal.id}:accepted"))}
    assert {"zhuce", "zhuce_head"} <= decided
    actions = [a.action for a in db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity == "appeal", AuditEvent.entity_id == str(appeal.id)).order_by(AuditEvent.id))]
    assert actions == ["filed", "accepted"]


def test_a_rejected_appeal_leaves_the_line_and_says_why(activity, tmp_path):  # noqa: F811
    before = task_score(activity, 7).score
    appeal = file(activity, tmp_path, category="rectification", username="zhuce_head")
    appeals.reject(appeal, "整改事项属实,不予采纳", user("dushen"))
    db.session.commit()
    assert appeal.status is AppealStatus.REJECTED and appeal.adjusted_points is None
    assert task_score(activity, 7).score == before
    rejected = db.session.scalar(select(Notification).where(Notification.key == f"appeal:{appeal.id}:rejected",
                                                            Notification.user_id == user("zhuce").id))
    assert "整改事项属实" in rejected.body


def test_an_adjustment_stays_within_its_category_cap(activity, tmp_path):  # noqa: F811
    """The line counts what 督审处 decided; the cap of its category still holds afterwards."""
    appeal = file(activity, tmp_path, category="timeliness")
    appeals.accept(appeal, "-30", None, user("dushen"))  # harsher than the 20-point cap of 逾期
    db.session.commit()
    lines = [li for li in task_score(activity, 7).line_items if li.category == "timeliness"]
    assert sum(li.points for li in lines) == Decimal(-20) and "按上限计" in lines[-1].explanation


def test_an_appeal_decided_after_a_day_does_not_change_the_score_as_of_that_day(activity, tmp_path):  # noqa: F811
    today = beijing_today()
    after_two_days = datetime.combine(today + timedelta(days=2), time(10), BEIJING)
    with time_machine.travel(after_two_days, tick=False):
        before = task_score(activity, 7, as_of=today)
    with time_machine.travel(datetime.combine(today + timedelta(days=1), time(10), BEIJING), tick=False):
        appeal = file(activity, tmp_path)
        appeals.accept(appeal, "0", None, user("dushen"))
        db.session.commit()
    with time_machine.travel(after_two_days, tick=False):
        as_of_today = task_score(activity, 7, as_of=today)
        as_of_decision = task_score(activity, 7, as_of=today + timedelta(days=1))
    assert as_of_today == before and not any(li.event_kind == "appeal" for li in as_of_today.line_items)
    assert any(li.event_kind == "appeal" and li.event_id == appeal.id for li in as_of_decision.line_items)


def test_an_appeal_accepted_after_closure_adjusts_the_frozen_score_from_the_decision_on(activity, tmp_path):  # noqa: F811
    """Task 5 was closed and scored: the stored row stays, the score shown carries the later decision."""
    frozen = db.session.scalar(select(TaskEvaluation).where(TaskEvaluation.plan_task_id == task(activity, 5).id,
                                                            TaskEvaluation.unit_id == zhuce_id()))
    stored, unit_before = frozen.score, assessment.unit_score(activity.id, zhuce_id()).score
    appeal = file(activity, tmp_path, number=5, category="quality", reason="节点成果已获省领导肯定,应评为优")
    appeals.accept(appeal, "5", None, user("dushen"))
    db.session.commit()
    result = task_score(activity, 5)
    assert result.final and result.score == stored + Decimal("2.5")
    assert sum(li.points for li in result.line_items) == result.score
    db.session.refresh(frozen)
    assert frozen.score == stored  # the frozen row is not rewritten
    shown = next(u for u in evaluation.evaluation_of(task(activity, 5)).units if u.unit_id == zhuce_id())
    assert shown.score == result.score
    unit_after = assessment.unit_score(activity.id, zhuce_id()).score
    ranked = next(s for s in assessment.unit_scores(activity.id) if s.unit_id == zhuce_id()).score
    assert unit_after == ranked == assessment.explain_unit(activity.id, zhuce_id()).score > unit_before
    yesterday = beijing_today() - timedelta(days=1)
    assert assessment.explain_unit(activity.id, zhuce_id(), yesterday).score is None


def test_an_appeal_accepted_after_closure_keeps_the_score_within_the_ceiling(activity, tmp_path):  # noqa: F811
    """A late decision is adjusted into the stored lines, then the score's ceiling applies again, as a line."""
    ceiling = evaluation.policy_in_force(activity.id)[0].ceiling
    stored = db.session.scalar(select(TaskEvaluation.score).where(
        TaskEvaluation.plan_task_id == task(activity, 5).id, TaskEvaluation.unit_id == zhuce_id()))
    appeal = file(activity, tmp_path, number=5, category="quality", reason="节点成果已获省领导肯定,应评为优")
    appeals.accept(appeal, str(ceiling), None, user("dushen"))  # would put the task far above the ceiling
    db.session.commit()
    result = task_score(activity, 5)
    assert stored < ceiling and result.score == ceiling
    assert sum(li.points for li in result.line_items) == result.score  # the lines still add up
    bounds = [li for li in result.line_items if li.category == "bounds"]
    assert len(bounds) == 1 and f"按上限 {ceiling:g} 分计" in bounds[0].explanation and bounds[0].points < 0
    shown = next(u for u in evaluation.evaluation_of(task(activity, 5)).units if u.unit_id == zhuce_id())
    assert shown.score == ceiling
    unit = assessment.unit_score(activity.id, zhuce_id()).score
    ranked = next(s for s in assessment.unit_scores(activity.id) if s.unit_id == zhuce_id()).score
    assert unit == ranked == assessment.explain_unit(activity.id, zhuce_id()).score


def test_an_appeal_accepted_after_closure_stays_within_its_category_cap(activity, tmp_path):  # noqa: F811
    """A harsher late decision on a capped category is capped again, by a line of its own."""
    cap = evaluation.policy_in_force(activity.id)[0].timeliness_cap
    evaluation.freeze(task(activity, 7), None)  # scored as if closed now: its lines are stored
    db.session.commit()
    appeal = file(activity, tmp_path, category="timeliness")
    appeals.accept(appeal, str(-(cap + 10)), None, user("dushen"))
    db.session.commit()
    result = task_score(activity, 7)
    assert result.final
    timeliness = [li for li in result.line_items if li.category == "timeliness"]
    assert sum(li.points for li in timeliness) == -cap and "按上限计" in timeliness[-1].explanation
    assert sum(li.points for li in result.line_items) == result.score
    assert len([li for li in timeliness if li.event_kind is None]) == 1  # the stored cap line is not kept twice


def _refused(error, message: str, call) -> None:
    appeals_before, attachments_before = count(Appeal), count(Attachment)
    with pytest.raises(error, match=message):
        call()
    db.session.rollback()
    assert (count(Appeal), count(Attachment)) == (appeals_before, attachments_before)


def test_only_the_units_liaison_or_head_may_appeal_its_lines(activity, tmp_path):  # noqa: F811
    _refused(PermissionDenied, "只有本单位的联络员或负责人", lambda: file(activity, tmp_path, username="kexin"))
    _refused(PermissionDenied, "只有本单位的联络员或负责人", lambda: file(activity, tmp_path, username="dushen"))


def test_a_doubled_submission_is_refused(activity, tmp_path):  # noqa: F811
    file(activity, tmp_path)
    db.session.commit()
    _refused(InvalidTransition, "已有待处理的申诉", lambda: file(activity, tmp_path))
    assert count(Appeal) == 1


def test_a_stale_form_is_refused(activity, tmp_path):  # noqa: F811
    _refused(InvalidTransition, "已有变化", lambda: file(activity, tmp_path, seen=Decimal(-1)))
    found = line(activity, 7, "returns")
    gone = ("returns", "review_record", 999999)
    _refused(InvalidTransition, "已不在本单位当前的得分中", lambda: appeals.file(
        task(activity, 7), zhuce_id(), gone, found.points, "理由", [], upload_policy(tmp_path), user("zhuce")))


def test_outside_the_window_an_appeal_is_refused(activity, tmp_path):  # noqa: F811
    found = line(activity, 7, "timeliness")
    window = scoring_policy.parse_policy(scoring_policy.default_text()).appeal_window
    closes = deadlines.work_calendar().shift(found.event_date, window)
    with time_machine.travel(datetime.combine(closes + timedelta(days=1), time(10), BEIJING), tick=False):
        _refused(ValidationFailed, "已过申诉期限", lambda: file(activity, tmp_path, category="timeliness",
                                                             seen=line(activity, 7, "timeliness").points))


def test_no_reason_and_a_refused_attachment_change_nothing(activity, tmp_path):  # noqa: F811
    _refused(ValidationFailed, "请填写申诉理由", lambda: file(activity, tmp_path, reason="  "))
    script = Upload("说明.txt", b"<script>alert(1)</script>")
    _refused(ValidationFailed, "格式不受支持", lambda: file(activity, tmp_path, uploads=(script,)))


def test_a_decided_appeal_cannot_be_decided_again(activity, tmp_path):  # noqa: F811
    appeal = file(activity, tmp_path)
    appeals.accept(appeal, "0", None, user("dushen"))
    db.session.commit()
    with pytest.raises(InvalidTransition, match=re.escape("已处理(已采纳)")):
        appeals.reject(appeal, "重复处理", user("dushen"))
    db.session.rollback()
    with pytest.raises(InvalidTransition, match="已处理"):
        appeals.accept(appeal, "-1", None, user("dushen"))
    db.session.rollback()
    db.session.refresh(appeal)
    assert appeal.status is AppealStatus.ACCEPTED and appeal.adjusted_points == 0


def test_decisions_need_the_supervisor_a_reason_to_reject_and_a_changed_valid_number_to_accept(activity, tmp_path):  # noqa: F811
    appeal = file(activity, tmp_path)
    db.session.commit()
    for call, error, message in [
        (lambda: appeals.accept(appeal, "0", None, user("zhuce")), PermissionDenied, "督审处可以处理申诉"),
        (lambda: appeals.reject(appeal, " ", user("dushen")), ValidationFailed, "不予采纳时请填写理由"),
        (lambda: appeals.accept(appeal, "-2", None, user("dushen")), ValidationFailed, "与原分值相同"),
        (lambda: appeals.accept(appeal, "多少", None, user("dushen")), ValidationFailed, "请填写采纳后"),
        (lambda: appeals.accept(appeal, "0.125", None, user("dushen")), ValidationFailed, "两位小数"),
        (lambda: appeals.accept(appeal, "500", None, user("dushen")), ValidationFailed, "之间"),
    ]:
        with pytest.raises(error, match=message):
            call()
        db.session.rollback()
        db.session.refresh(appeal)
        assert appeal.status is AppealStatus.OPEN and appeal.decided_at is None


@pytest.mark.parametrize(("value", "message"), [
    ("0", "1 到 60 之间的整数"), ("1.5", "1 到 60 之间的整数"), ('"十"', "1 到 60 之间的整数"),
    ("true", "1 到 60 之间的整数"),
])
def test_the_policy_editor_validates_the_appeal_window(activity, value, message):  # noqa: F811
    text = scoring_policy.default_text().replace("window_working_days = 10", f"window_working_days = {value}")
    with pytest.raises(ValidationFailed, match=message):
        scoring_policy.parse_policy(text)


def test_the_appeal_window_is_documented_and_optional_for_versions_saved_before_it(activity):  # noqa: F811
    text = scoring_policy.default_text()
    assert "申诉期限" in text and "Appeal window" in text
    assert scoring_policy.parse_policy(text.replace("window_working_days = 10", "window_working_days = 15")) \
        .appeal_window == 15
    section = text.index("[appeal]")
    older = text[:section] + text[text.index("[assessment]\n"):]
    assert scoring_policy.parse_policy(older).appeal_window == 10
    with pytest.raises(ValidationFailed, match=r"\[appeal\] 中未知的设置项 days"):
        scoring_policy.parse_policy(text.replace("window_working_days = 10", "window_working_days = 10\ndays = 3"))
