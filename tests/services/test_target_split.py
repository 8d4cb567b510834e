"""指标分解: 23万批次 split across the 17 bureaus by hand, evenly, or in proportion to a column."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.models import PlanTarget, User
from app.services.plans import target_split
from tests.conftest import csrf_token, login
from tests.dashboards.test_city_rollup import dispatched_2023  # noqa: F401 (the seeded fixture)

#: Every test starts from the 2023 plan's task 18 dispatched to the 17 bureaus.
pytestmark = pytest.mark.usefixtures("dispatched_2023")


def _count_target(plan_2023) -> PlanTarget:
    task18 = next(task for task in plan_2023.tasks if task.number == 18)
    return next(t for t in task18.targets if t.unit == "批次")


def _rate_target(plan_2023) -> PlanTarget:
    task18 = next(task for task in plan_2023.tasks if task.number == 18)
    return next(t for t in task18.targets if "%" in t.unit)


def _values(target: PlanTarget) -> dict[str, Decimal]:
    return {share.organisation.code: share.target.value for share in target_split.shares(target)}


def _column(shares, weight) -> str:
    return "市州,常住人口\n" + "\n".join(f"{s.organisation.short_name},{weight(s)}" for s in shares)


def test_shares_by_hand_must_add_up_to_the_provincial_figure(plan_2023, people):
    target = _count_target(plan_2023)
    shares = target_split.shares(target)
    assert len(shares) == 17 and set(_values(target).values()) == {Decimal(13530)}
    short = {s.organisation.id: Decimal(10000) for s in shares}
    with pytest.raises(ValidationFailed, match="小于全省目标 230000 批次"):
        target_split.split(target, short, people["dushen"])
    assert set(_values(target).values()) == {Decimal(13530)}
    wuhan = next(s for s in shares if s.organisation.code == "wuhan")
    enough = {**{s.organisation.id: Decimal(12000) for s in shares}, wuhan.organisation.id: Decimal(40000)}
    target_split.split(target, enough, people["dushen"])
    assert _values(target)["wuhan"] == 40000 and _values(target)["yichang"] == 12000


def test_proportional_to_a_column(plan_2023, people):
    target = _count_target(plan_2023)
    shares = target_split.shares(target)
    weights = target_split.parse_column(_column(shares, lambda s: 300 if s.organisation.code == "wuhan" else 100),
                                        [s.organisation for s in shares])
    values = target_split.proportional(target, weights)
    assert sum(values.values()) >= target.value
    target_split.split(target, values, people["dushen"])
    assert _values(target)["wuhan"] == 36316 and _values(target)["yichang"] == 12106  # ⌈230000·3/19⌉, ⌈·1/19⌉


@pytest.mark.parametrize("text, message", [
    ("武汉市,100\n不存在市,3", "不是本局下辖的市州局"),
    ("武汉市,100\n武汉市,3", "重复出现"),
    ("武汉市,100", "缺少以下市州局的数据"),
    ("武汉市,100\n黄石市:abc", "第 2 行应为"),
])
def test_a_bad_column_is_refused(plan_2023, text, message):
    target = _count_target(plan_2023)
    with pytest.raises(ValidationFailed, match=message):
        target_split.parse_column(text, [s.organisation for s in target_split.shares(target)])


def test_who_may_split_and_what(plan_2023, people):
    target = _count_target(plan_2023)
    assert target_split.may_split(target, people["dushen"])
    assert not target_split.may_split(target, people["zhuce"])  # not the task's lead 处室
    yichang_ducha = db.session.scalars(select(User).where(User.username == "yichang_ducha")).one()
    assert not target_split.may_split(target, yichang_ducha)
    with pytest.raises(PermissionDenied):
        target_split.split(target, {}, yichang_ducha)
    rate = _rate_target(plan_2023)
    assert not target_split.may_split(rate, people["dushen"])  # 100%: every city's own threshold
    with pytest.raises(ValidationFailed, match="按原值下达"):
        target_split.split(rate, {}, people["dushen"])


def test_the_page_splits_evenly_and_by_an_uploaded_column(client, plan_2023):
    target = _count_target(plan_2023)
    url = f"/tasks/{target.task_id}/targets/{target.id}/split"
    login(client, "dushen")
    assert 'data-testid="split-link"' in client.get(f"/tasks/{target.task_id}").get_data(as_text=True)
    shares = target_split.shares(target)
    short = {f"share_{s.organisation.id}": "1000" for s in shares}
    refused = client.post(url, data={"csrf_token": csrf_token(client, url), "save": "保存分解", **short})
    assert "小于全省目标" in refused.get_data(as_text=True)
    upload = _column(shares, lambda s: 2 if s.organisation.code == "yichang" else 1).encode("gb18030")
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "by_column": "按数据比例分配",
                                      "upload": (io.BytesIO(upload), "人口.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    assert _values(target)["yichang"] == 25556 and _values(target)["wuhan"] == 12778  # ⌈230000·2/18⌉, ⌈·1/18⌉
    assert client.post(url, data={"csrf_token": csrf_token(client, url), "evenly": "平均分配"}).status_code == 302
    db.session.expire_all()
    assert set(_values(target).values()) == {Decimal(13530)}
