"""Notices of a task's events: who is told of what, each naming task, milestone and step, once; mail by choice."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import NoticeTopic, Notification, OutboxMail, User
from app.services.follow_up import extensions
from app.services.infrastructure import notices
from app.services.lifecycle import decomposition, discussion, reporting
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import UploadPolicy
from app.services.scoring import closure
from app.services.timing.workdays import BEIJING
from tests.conftest import fan_out
from tests.services.test_lifecycle import APPROVE, RETURN, item_for, unit

MILESTONE = "扩大“一业一证”改革行业范围"


def titles(user: User) -> list[str]:
    return list(db.session.scalars(select(Notification.title).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def with_topic(user: User, topic: NoticeTopic) -> list[Notification]:
    return [n for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))
            if n.title.startswith(topic.label + ":")]


def decomposed(task7, people) -> None:
    zhuce, dushen = people["zhuce"], people["dushen"]
    plan = MilestonePlan(MILESTONE, "改革行业清单", date(2023, 9, 30), zhuce.id, (unit("科信处").id,),
                         past_date_reason="补录")
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7), [plan], None, zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7), RETURN, "请细化节点", dushen)
    decomposition.submit_decomposition(item_for(zhuce, "decomposition", task7), [plan], "已细化", zhuce)
    decomposition.review_decomposition(item_for(dushen, "decomposition_review", task7), APPROVE, None, dushen)


def test_each_unit_is_told_of_what_concerns_it_naming_task_milestone_and_step(task7, people, tmp_path):
    zhuce, head, kexin, dushen = people["zhuce"], people["zhuce_head"], people["kexin"], people["dushen"]
    unit("注册处").requires_head_signoff = True
    decomposed(task7, people)
    policy = UploadPolicy(tmp_path, 1024)
    reporting.submit_report(item_for(zhuce, "milestone_report", task7), "初稿", 50, {}, [], policy, zhuce)
    reporting.contribute(item_for(kexin, "cooperating_contribution", task7), "系统已支持", [], policy, kexin)
    reporting.sign_off(item_for(head, "head_signoff", task7), RETURN, "数据有误", head)
    reporting.submit_report(item_for(zhuce, "milestone_report", task7), "修改稿", 80, {}, [], policy, zhuce)
    reporting.contribute(item_for(kexin, "cooperating_contribution", task7), "系统已上线", [], policy, kexin)
    reporting.sign_off(item_for(head, "head_signoff", task7), APPROVE, None, head)
    reporting.review_report(item_for(dushen, "report_review", task7), RETURN, "请补充行业清单", None, dushen)
    reporting.submit_report(item_for(zhuce, "milestone_report", task7), "终稿", 100, {}, [], policy, zhuce)
    reporting.contribute(item_for(kexin, "cooperating_contribution", task7), "完成", [], policy, kexin)
    reporting.sign_off(item_for(head, "head_signoff", task7), APPROVE, None, head)
    reporting.review_report(item_for(dushen, "report_review", task7), APPROVE, None, "good", dushen)
    closure.close_part(item_for(dushen, "task_closure", task7), "按期完成", dushen)
    db.session.commit()
    assert titles(zhuce) == []                                   # the steps leave it to the tick's fan-out
    assert fan_out() == 16                                       # every step, the closure too
    assert fan_out() == 0                                        # told once

    told = [title.split(":")[0] for title in titles(zhuce)]
    assert told == ["分解方案被退回", "分解方案审核通过", "单位负责人审签退回", "进展报告被退回", "进展报告审核通过",
                    "任务办结"]
    assert [t.split(":")[0] for t in titles(head)] == ["待单位负责人审签"] * 3 + ["任务办结"]
    assert [t.split(":")[0] for t in titles(kexin)] == ["请求协办"] * 3
    (returned,) = with_topic(zhuce, NoticeTopic.REPORT_RETURNED)
    assert task7.supervision_number in returned.title and f"节点1「{MILESTONE}」" in returned.title
    assert "「报送进展」" in returned.title and "请补充行业清单" in returned.body
    assert returned.link.startswith("/work/items/")
    assert titles(dushen) == []                                  # 督审处's own steps reach it through 待办


def test_mail_follows_each_persons_choice(task7, people, app, monkeypatch):
    zhuce = people["zhuce"]
    zhuce.email = "zhuce@example.gov.cn"
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    choices = notices.mail_choices(zhuce)
    assert choices[NoticeTopic.DECOMPOSITION_RETURNED] and not choices[NoticeTopic.DECOMPOSITION_APPROVED]
    notices.choose_mail(zhuce, {NoticeTopic.DECOMPOSITION_APPROVED})
    decomposed(task7, people)
    db.session.commit()
    fan_out(commit=True)
    mailed = db.session.scalars(select(OutboxMail.subject).where(OutboxMail.to_address == zhuce.email)).all()
    assert len(mailed) == 1 and "分解方案审核通过" in mailed[0]
    assert len(titles(zhuce)) == 2                               # both still shown in-app


def test_instructions_reach_the_units_and_acknowledgements_the_leader_once(task7, people):
    leader, zhuce, kexin = people["leader"], people["zhuce"], people["kexin"]
    instruction = discussion.add_instruction(task7, "要加快进度", leader)
    assert [t.split(":")[0] for t in titles(zhuce)] == ["领导批示待签收"]
    assert [t.split(":")[0] for t in titles(kexin)] == ["领导批示待签收"]
    discussion.acknowledge(instruction, kexin)
    discussion.acknowledge(instruction, kexin)                  # a second confirmation: nothing new
    db.session.commit()
    (told,) = with_topic(leader, NoticeTopic.INSTRUCTION_ACKNOWLEDGED)
    assert "科信处已确认收悉" in told.body


def test_an_extension_request_reaches_the_supervisors(task7, people):
    zhuce, dushen = people["zhuce"], people["dushen"]
    item = item_for(zhuce, "decomposition", task7)
    later = item.due_at.astimezone(BEIJING).date() + timedelta(days=10)
    request = extensions.request_extension(item, later, "需征求意见", zhuce)
    (asked,) = with_topic(dushen, NoticeTopic.EXTENSION_REQUESTED)
    assert task7.supervision_number in asked.title and "需征求意见" in asked.body
    assert asked.link == f"/extensions/{request.id}"
    extensions.approve(request, None, "同意", dushen, beyond_plan_year=True)
    assert with_topic(zhuce, NoticeTopic.EXTENSION_DECIDED) == [] and titles(zhuce)[-1].startswith("延期申请已批准")
