"""Demo activity: the real plan imported and eight tasks driven through the services, as of today.

After ``load_demo`` (the directory and the demo users), ``load_activity`` has 督审处 import the
real work plan and then acts as the demo users, step by step, through the same services the pages
call. Milestone dates are counted from today, so the dashboards show every light:

- 任务5 (注册处): both milestones reported, approved (优, 良) and the task closed → 绿 已办结, scored.
- 任务6 (注册处): one milestone approved, the next due in two working days → 蓝.
- 任务7 (注册处, 科信处 cooperating): a milestone with its target actual approved late; the next
  report returned with a rectification opened from the review, whose plan is now with 督审处 → 黄.
- 任务19 (科信处): a report at 30% waiting for 督审处's review → 绿.
- 任务20 (科信处): a milestone due tomorrow, extended on request by 督审处.
- 任务23 (科信处): a milestone overdue and nothing reported; 督审处 sent a 催办 → 红.
- 任务24 (科信处): the decomposition returned for more detail → 黄.
- 任务25 (科信处): one milestone approved, the next reported at 50% and on track → 绿.

Everything is stamped with the real current time (the services stamp it); only due dates are
chosen. The plan is recognised by its content hash, so a second run changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Organisation, Plan, PlanTask, ReviewDecision, ReviewRecord, StepKey, Unit, User, WorkItem
from app.services.follow_up import extensions, rectification, urging
from app.services.follow_up.rectification import RectificationOrder
from app.services.lifecycle import decomposition, reporting, step_notices, work_items
from app.services.lifecycle.decomposition import MilestonePlan
from app.services.lifecycle.reporting import UploadPolicy
from app.services.plans import plan_import
from app.services.scoring import closure
from app.services.timing.deadlines import work_calendar
from app.services.timing.workdays import BEIJING, WorkCalendar

#: The real plan the tests use too (its content hash is what makes a second run a no-op).
PLAN_FILE = Path(__file__).resolve().parents[1] / "tests/fixtures/plans/hubei-amr-2023-work-points.txt"
APPROVE, RETURN = ReviewDecision.APPROVE, ReviewDecision.RETURN


@dataclass(frozen=True)
class Story:
    """Who acts, the tasks by number, and the days counted from today."""

    users: dict[str, User]
    tasks: dict[int, PlanTask]
    today: date
    calendar: WorkCalendar
    uploads: UploadPolicy

    def user(self, username: str) -> User:
        return self.users[username]

    def days(self, n: int) -> date:
        """Calendar days from today (before it when negative), kept within the plan year."""
        return self._in_plan_year(self.today + timedelta(days=n))

    def working_days(self, n: int) -> date:
        """Working days from today (before it when negative), kept within the plan year."""
        return self._in_plan_year(self.calendar.shift(self.today, n))

    def _in_plan_year(self, day: date) -> date:
        """Milestones must fall within the plan year: near its ends the story's dates stop at them."""
        year = plan_year(self.today)
        return min(max(day, date(year, 1, 1)), date(year, 12, 31))


#: The story starts with work under way, so some milestones it enters were due days ago.
PAST_DATE_REASON = "演示数据:补录开展中的工作,该节点的完成时限已过。"


def load_activity(org: Organisation, plan_file: Path = PLAN_FILE) -> Plan | None:
    """Import the plan and play the story; ``None`` when the plan was imported before (nothing changes)."""
    plan = import_plan(org, plan_file)
    if plan is None:
        return None
    story = _story(plan)
    for step in STEPS:
        step(story)
    step_notices.fan_out(db.session.flush)  # what the scheduler's next tick would tell of the story
    return plan


def plan_year(today: date) -> int:
    """This year's plan (its milestones must fall within it, from today on)."""
    return today.year


def import_plan(org: Organisation, plan_file: Path) -> Plan | None:
    """督审处 imports the plan as the import page does (every name resolves automatically)."""
    dushen = _user("dushen")
    try:
        draft = plan_import.start_import(org, dushen, plan_year(_today()), data=plan_file.read_bytes(),
                                         filename=plan_file.name)
    except plan_import.AlreadyImported:
        return None
    return plan_import.confirm_import(draft, {}, dushen)


def _story(plan: Plan) -> Story:
    users = {user.username: user for user in db.session.scalars(select(User))}
    config = current_app.config
    return Story(users, {task.number: task for task in plan.tasks}, _today(), work_calendar(),
                 UploadPolicy(Path(config["ATTACHMENT_DIR"]), config["ATTACHMENT_MAX_BYTES"]))


def _today() -> date:
    return datetime.now(BEIJING).date()


def _user(username: str) -> User:
    return db.session.scalars(select(User).where(User.username == username)).one()


def _unit(name: str) -> Unit:
    return db.session.scalars(select(Unit).where(Unit.name == name)).one()


def _item(story: Story, username: str, form_key: str, number: int) -> WorkItem:
    """The user's open work item of that kind on task ``number`` (the inbox lists the earliest due first)."""
    task_id = story.tasks[number].id
    return next(item for item in work_items.inbox(story.user(username))
                if item.form_key == form_key and item.context.get("plan_task_id") == task_id)


def _decompose(story: Story, username: str, number: int, milestones: list[tuple[str, str, date]],
               cooperating: tuple[int, ...] = (), with_targets: bool = False) -> None:
    """The unit's liaison submits milestones (titles, deliverables, due dates) and 督审处 confirms them."""
    owner = story.user(username)
    targets = tuple(t.id for t in story.tasks[number].targets) if with_targets else ()
    plans = [MilestonePlan(title, deliverable, due, owner.id, cooperating, targets,
                           PAST_DATE_REASON if due < story.today else None)
             for title, deliverable, due in milestones]
    decomposition.submit_decomposition(_item(story, username, StepKey.DECOMPOSITION, number), plans, None, owner)
    decomposition.review_decomposition(_item(story, "dushen", StepKey.DECOMPOSITION_REVIEW, number), APPROVE, None,
                                       story.user("dushen"))


def _report(story: Story, username: str, number: int, progress: str, percent: int,
            actual: Decimal | None = None) -> None:
    """The liaison reports on the task's earliest open milestone (with the target's actual, if given)."""
    item = _item(story, username, StepKey.MILESTONE_REPORT, number)
    milestone = reporting.milestone_of(item)
    actuals = {target.id: actual for target in milestone.targets} if actual is not None else {}
    reporting.submit_report(item, progress, percent, actuals, [], story.uploads, story.user(username))


def _review(story: Story, number: int, decision: ReviewDecision, comments: str | None = None,
            quality: str | None = None) -> ReviewRecord:
    """督审处 decides on the task's earliest report waiting for review."""
    item = _item(story, "dushen", StepKey.REPORT_REVIEW, number)
    return reporting.review_report(item, decision, comments, quality, story.user("dushen"))


def closed_task(story: Story) -> None:
    """任务5: 注册处 finished both milestones ahead of time; 督审处 rated them and closed the task (scored)."""
    _decompose(story, "zhuce", 5, [
        ("制定专业市场党建提升方案", "提升行动方案", story.days(10)),
        ("完成专业市场党建覆盖", "党建覆盖情况报告", story.days(30)),
    ])
    _report(story, "zhuce", 5, "提升行动方案已印发", 100)
    _review(story, 5, APPROVE, quality="excellent")
    _report(story, "zhuce", 5, "全省重点专业市场党组织实现全覆盖", 100)
    _review(story, 5, APPROVE, quality="good")
    closure.close_part(_item(story, "dushen", StepKey.TASK_CLOSURE, 5), "两个节点均提前完成。", story.user("dushen"))


def due_soon(story: Story) -> None:
    """任务6: the first milestone approved; the second falls due in two working days (蓝)."""
    _decompose(story, "zhuce", 6, [
        ("梳理支持市场主体发展的任务清单", "任务清单", story.today),
        ("报送市场主体发展情况分析", "分析报告", story.working_days(2)),
    ])
    _report(story, "zhuce", 6, "任务清单已梳理完毕并印发", 100)
    _review(story, 6, APPROVE, quality="good")


def returned_with_rectification(story: Story) -> None:
    """任务7: 15 industries approved (reported late); the 18-industry report returned and rectified (黄)."""
    kexin = _unit("科信处")
    _decompose(story, "zhuce", 7, [
        ("“一业一证”改革扩展到15个行业", "改革行业清单", story.working_days(-8)),
        ("“一业一证”改革扩展到25个行业", "改革行业清单及实施方案", story.days(21)),
    ], cooperating=(kexin.id,), with_targets=True)
    _report(story, "zhuce", 7, "已扩展到15个行业", 100, Decimal(15))
    reporting.contribute(_item(story, "kexin", StepKey.COOPERATING_CONTRIBUTION, 7), "系统已支持15个行业的一证准营",
                         [], story.uploads, story.user("kexin"))
    _review(story, 7, APPROVE, quality="fair")
    _report(story, "zhuce", 7, "已扩展到18个行业", 60, Decimal(18))
    reporting.contribute(_item(story, "kexin", StepKey.COOPERATING_CONTRIBUTION, 7), "系统改造进行中",
                         [], story.uploads, story.user("kexin"))
    review = _review(story, 7, RETURN, comments="进度明显滞后,请补充新增行业清单和后续推进计划。")
    rectification.open_from_review(review, RectificationOrder(
        None, "report_review", ["新增行业清单缺失", "后续推进计划不明确"],
        "补充行业清单,明确年底前扩展到25个行业的计划。",
        story.days(14)), story.user("dushen"))
    item = _item(story, "zhuce", StepKey.RECTIFICATION_PLAN, 7)
    rectification.submit_plan(item, "按月扩展行业,12月底前覆盖25个行业。", [], story.uploads, story.user("zhuce"))


def waiting_for_review(story: Story) -> None:
    """任务19: 科信处 reported 30% on a milestone due in a month; the report waits for 督审处 (绿)."""
    _decompose(story, "kexin", 19, [("建成特种设备企业主体责任信息化平台", "平台上线报告", story.days(30))])
    _report(story, "kexin", 19, "平台需求分析完成,进入开发", 30)


def extended(story: Story) -> None:
    """任务20: due tomorrow, 科信处 asked for two more weeks and 督审处 granted them: the milestone moves (绿)."""
    _decompose(story, "kexin", 20, [("上线重点工业产品质量追溯系统", "系统上线报告", story.working_days(1))])
    item = _item(story, "kexin", StepKey.MILESTONE_REPORT, 20)
    request = extensions.request_extension(item, story.days(14), "追溯系统等待省级平台接口联调。",
                                           story.user("kexin"))
    extensions.approve(request, None, "同意延期两周。", story.user("dushen"))


def overdue_and_urged(story: Story) -> None:
    """任务23: a milestone five working days overdue with nothing reported; 督审处 urged 科信处 (红)."""
    _decompose(story, "kexin", 23, [
        ("完成“三网一中心”数据中心建设", "建设验收报告", story.working_days(-5)),
        ("“三网一中心”全面运行", "运行情况报告", story.days(35)),
    ])
    urging.urge(_item(story, "kexin", StepKey.MILESTONE_REPORT, 23), "该节点已逾期,请尽快报送进展。",
                story.user("dushen"))


def decomposition_returned(story: Story) -> None:
    """任务24: 督审处 returned 科信处's one-line decomposition for more detail (黄)."""
    kexin = story.user("kexin")
    decomposition.submit_decomposition(_item(story, "kexin", StepKey.DECOMPOSITION, 24), [
        MilestonePlan("完成综合试点", "试点总结", story.days(40), kexin.id)], None, kexin)
    decomposition.review_decomposition(_item(story, "dushen", StepKey.DECOMPOSITION_REVIEW, 24), RETURN,
                                       "请按阶段细化节点并明确成果。", story.user("dushen"))


def on_track(story: Story) -> None:
    """任务25: one milestone approved, the next reported at 50% a month before it is due (绿)."""
    _decompose(story, "kexin", 25, [
        ("制定重点实验室建设方案", "建设方案", story.days(5)),
        ("完成重点实验室年度评估", "评估报告", story.days(40)),
    ])
    _report(story, "kexin", 25, "建设方案已印发", 100)
    _review(story, 25, APPROVE, quality="excellent")
    _report(story, "kexin", 25, "年度评估已完成一半", 50)


STEPS = (closed_task, due_soon, returned_with_rectification, waiting_for_review, extended, overdue_and_urged,
         decomposition_returned, on_track)
