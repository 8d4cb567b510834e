"""Assessment pages: the ranking, a unit's explanation down to events, the task's evaluation, the policy editor."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, ScoringPolicyVersion, Unit, User
from app.services.scoring import closure, scoring_policy
from tests.conftest import csrf_token, login
from tests.services.test_evaluation import item, run_task7
from tests.services.test_fair_assessment import activity  # noqa: F401  (the seeded demo activity)


@pytest.fixture
def closed_task7(plan_2023, people, tmp_path):
    task7 = next(task for task in plan_2023.tasks if task.number == 7)
    run_task7(task7, people, tmp_path)
    closure.close_part(item(people["dushen"], "task_closure", task7), "按期完成", people["dushen"])
    db.session.commit()
    return task7


def unit_id(name: str) -> int:
    return db.session.scalar(select(Unit.id).where(Unit.name == name))


def text(response) -> str:
    body = response.get_data(as_text=True)
    response.close()
    return body


def test_overview_ranks_units_and_links_to_each_explanation(closed_task7, signed_in):
    client = signed_in("leader")
    page = text(client.get(f"/plans/{closed_task7.plan_id}/assessment"))
    assert "年度目标责任制考核评分" in page
    assert f"/plans/{closed_task7.plan_id}/assessment/units/{unit_id('注册处')}" in page
    scores = [float(s) for s in re.findall(r'<td class="text-end fw-bold">([\d.]+)</td>', page)]
    assert scores == [100, 98, 90.5]   # only the units of task 7 had anything due
    assert re.findall(r'<td data-testid="rank">(\S+)</td>', page)[:4] == ["1", "2", "3", "—"]
    assert page.count("未到考核节点") > 3
    assert "评分规则</a>" not in page   # leaders read, they do not edit the policy


def test_the_scope_page_ranks_as_of_a_day_and_keeps_the_day_across_the_selector(closed_task7, signed_in):
    client = signed_in("leader")
    page = text(client.get(f"/assessment?plan={closed_task7.plan_id}"))
    assert re.findall(r'<td data-testid="rank">(\S+)</td>', page)[:4] == ["1", "2", "3", "—"]
    assert page.count("未到考核节点") > 3
    before = text(client.get(f"/assessment?plan={closed_task7.plan_id}&as_of=2023-01-02"))
    assert "统计截至 2023-01-02" in before and f'name="plan" value="{closed_task7.plan_id}"' in before
    assert set(re.findall(r'<td data-testid="rank">(\S+)</td>', before)) == {"—"}
    assert "as_of=2023-01-02" in before   # the selector's links and the units' links keep the day


def test_unit_page_traces_every_point_to_its_event(closed_task7, signed_in):
    client = signed_in("dushen")
    page = text(client.get(f"/plans/{closed_task7.plan_id}/assessment/units/{unit_id('注册处')}"))
    assert '<span data-testid="unit-score">90.5</span>' in page
    assert "= 135.75 ÷ 1.5 = <strong>90.5</strong>" in page
    assert "未到考核节点,不计入得分" in page   # tasks 5 and 6: nothing due yet
    assert "cooperating_shares_targets = true" in page
    assert "逾期 3 个工作日 × 1 分" in page
    assert re.search(rf'href="/tasks/{closed_task7.id}#review-\d+">审核记录 #\d+</a>', page)
    assert re.search(r'href="/rectifications/\d+">整改 #\d+</a>', page)
    assert "暂评" in page and "已定分(第 1 版规则)" in page


def test_task_page_shows_the_frozen_evaluation_and_unit_staff_only_their_own(closed_task7, signed_in, app):
    page = text(signed_in("dushen").get(f"/tasks/{closed_task7.id}"))
    assert 'data-testid="evaluation-state">已定分' in page
    assert "注册处" in page and '<span class="fw-bold" data-testid="unit-task-score">90.5</span>' in page
    assert re.search(r'id="review-\d+"', page)
    kexin = app.test_client()
    login(kexin, "kexin")
    own = text(kexin.get(f"/tasks/{closed_task7.id}"))
    evaluation = own[own.index('data-testid="task-evaluation"'):own.index('id="task-text"')]
    assert "科信处" in evaluation and "注册处" not in evaluation


def test_the_closure_page_shows_the_provisional_score(plan_2023, people, signed_in, tmp_path):
    task7 = next(task for task in plan_2023.tasks if task.number == 7)
    run_task7(task7, people, tmp_path)
    closing = item(people["dushen"], "task_closure", task7)
    page = text(signed_in("dushen").get(f"/work/items/{closing.id}"))
    assert 'data-testid="evaluation-state">暂评' in page


def post_policy(client, plan_id: int, policy_text: str, based_on: str = "0", note: str = "调整"):
    path = f"/plans/{plan_id}/scoring-policy"
    return client.post(path, data={"csrf_token": csrf_token(client, path), "text": policy_text, "note": note,
                                   "based_on": based_on})


@pytest.mark.parametrize(("change", "message"), [
    (lambda t: t.replace("[score]", "[score"), "评分规则不是有效的 TOML 格式"),
    (lambda t: t.replace("per_urge = 1", ""), "[urge] 缺少 per_urge(每次催办扣分)"),
    (lambda t: t.replace("per_urge = 1", 'per_urge = "一分"'), "[urge] per_urge(每次催办扣分)必须是数字"),
    (lambda t: t.replace("per_urge = 1", "per_urge = -1"), "[urge] per_urge(每次催办扣分)不能为负数"),
    (lambda t: t.replace("at_least = 0.9", "at_least = 1.2"), "档位须按 at_least 从高到低排列"),
    (lambda t: t.replace("at_least = 0.0", "at_least = 0.3"), "最后一个档位的 at_least 必须为 0"),
    (lambda t: t.replace("cooperating = 0.5", "cooperating = 0"), "cooperating 必须是大于 0 的数字"),
    (lambda t: t.replace("floor = 0", "floor = 101"), "得分下限 ≤ 基础分 ≤ 得分上限"),
    (lambda t: t + "\n[bonus]\nx = 1\n", "未知的设置节 [bonus]"),
    (lambda t: t.replace("per_urge = 1", "per_urge = 0.125"), "[urge] per_urge 最多保留两位小数"),
])
def test_an_invalid_policy_is_refused_with_a_chinese_reason_and_nothing_saved(plan_2023, signed_in, change, message):
    page = text(post_policy(signed_in("dushen"), plan_2023.id, change(scoring_policy.default_text())))
    assert message in page.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"').replace("&#39;", "'")
    assert db.session.scalar(select(func.count()).select_from(ScoringPolicyVersion)) == 0


def test_saving_a_policy_adds_an_audited_version_and_a_stale_save_is_refused(plan_2023, signed_in):
    client = signed_in("admin")
    harsher = scoring_policy.default_text().replace("per_urge = 1", "per_urge = 2")
    response = post_policy(client, plan_2023.id, harsher)
    assert response.status_code == 302
    response.close()
    assert [v.version for v in scoring_policy.versions(plan_2023.id)] == [1]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "policy_saved")).after["version"] == 1
    stale = post_policy(client, plan_2023.id, harsher, based_on="0")
    assert stale.status_code == 409
    assert "评分规则已被他人修改" in text(stale)
    assert [v.version for v in scoring_policy.versions(plan_2023.id)] == [1]
    assert "第 1 版" in text(client.get(f"/plans/{plan_2023.id}/scoring-policy"))


def test_leaders_cannot_change_the_policy(plan_2023, signed_in):
    client = signed_in("leader")
    token = csrf_token(client, f"/tasks/{plan_2023.tasks[0].id}")
    response = client.post(f"/plans/{plan_2023.id}/scoring-policy", data={"csrf_token": token, "text": "x"})
    assert response.status_code == 403
    response.close()


def test_an_unknown_unit_or_plan_is_not_found(plan_2023, signed_in):
    client = signed_in("dushen")
    for path in (f"/plans/{plan_2023.id}/assessment/units/999999", "/plans/999999/assessment"):
        response = client.get(path)
        assert response.status_code == 404
        response.close()


def test_a_cooperating_units_page_says_whether_it_shares_the_leads_target_points(activity, signed_in):  # noqa: F811
    """科信处 cooperates on task 7 (target 25个行业以上): its page says so under each setting of the switch."""
    client = signed_in("dushen")
    path = f"/plans/{activity.id}/assessment/units/{unit_id('科信处')}"
    page = text(client.get(path))
    assert "本单位在" in page and "项任务中为配合单位,与牵头单位同样按计划目标完成情况加减分" in page
    assert "cooperating_shares_targets = true" in page and "配合(分担目标完成加减分)" in page
    policy = scoring_policy.default_text().replace("cooperating_shares_targets = true",
                                                   "cooperating_shares_targets = false")
    based_on = scoring_policy.current_version(activity.id).version
    scoring_policy.save_policy(activity, policy, "配合单位不分担目标", based_on, db.session.scalar(
        select(User).where(User.username == "dushen")))
    db.session.commit()
    page = text(client.get(path))
    assert "项任务中为配合单位,不分担牵头单位的计划目标完成情况加减分" in page
    assert "cooperating_shares_targets = false" in page and "配合(不分担目标完成加减分)" in page
    assert "配合单位不分担计划目标完成情况的加减分" in page   # the line on task 7 that replaces its target points
