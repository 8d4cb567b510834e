"""待办, 已办 and 催办 pages: filters and sort kept in the URL, and 批量催办 reported item by item."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import Unit, Urge
from tests.conftest import csrf_token
from tests.services.test_search import activity  # noqa: F401  (the seeded demo activity)
from tests.web.test_work import as_user


def test_the_lists_offer_filters_and_keep_them(app, task7):
    dushen, zhuce = as_user(app, "dushen"), as_user(app, "zhuce")
    kexin = db.session.scalar(select(Unit.id).where(Unit.name == "科信处"))
    page = dushen.get(f"/urging?unit={kexin}&sort=task").get_data(as_text=True)
    assert 'data-testid="item-filter"' in page and f'<option value="{kexin}" selected>科信处</option>' in page
    assert '<option value="task" selected>' in page
    units = set(re.findall(r"<td>[^<]*</td><td>([^<]+)</td>", page))
    assert units == {"科信处"}
    for path in ("/work/inbox?due=overdue&plan=abc", "/work/done?sort=newest&step=x", "/urging?page=99999&unit=-1"):
        assert zhuce.get(path).status_code in (200, 403) and dushen.get(path).status_code == 200


def test_bulk_urge_reports_each_refusal_and_sends_the_rest(app, task7):
    dushen = as_user(app, "dushen")
    page = dushen.get("/urging").get_data(as_text=True)
    ids = re.findall(r'name="item_ids" value="(\d+)"', page)[:3]
    token = csrf_token(dushen, "/urging")
    first = dushen.post("/urging/bulk", data={"csrf_token": token, "item_ids": ids[:1], "message": "请本周内办理",
                                              "next": "/urging?sort=task"})
    assert first.status_code == 302 and first.headers["Location"].endswith("/urging?sort=task")
    again = dushen.post("/urging/bulk", data={"csrf_token": token, "item_ids": ids, "message": "请本周内办理"},
                        follow_redirects=True).get_data(as_text=True)
    assert "已催办 2 项" in again and again.count("未催办「") == 1 and "分钟内不再重复发送" in again
    assert db.session.scalar(select(func.count(Urge.id))) == 3
    empty = dushen.post("/urging/bulk", data={"csrf_token": token, "message": "请本周内办理"},
                        follow_redirects=True).get_data(as_text=True)
    assert "请勾选要催办的事项" in empty
    zhuce = as_user(app, "zhuce")
    assert zhuce.post("/urging/bulk", data={"csrf_token": csrf_token(zhuce, "/work/inbox"), "item_ids": ids,
                                            "message": "x"}).status_code == 403
    assert db.session.scalar(select(func.count(Urge.id))) == 3


def test_the_plan_page_filters_by_unit_and_light_and_sorts_the_worst_first(app, plan_2023):
    dushen = as_user(app, "dushen")
    zhuce = db.session.scalar(select(Unit.id).where(Unit.name == "注册处"))
    everything = dushen.get(f"/plans/{plan_2023.id}").get_data(as_text=True)
    page = dushen.get(f"/plans/{plan_2023.id}?unit={zhuce}").get_data(as_text=True)
    assert 0 < page.count('data-testid="plan-task"') < everything.count('data-testid="plan-task"')
    assert all("注册处" in card for card in page.split('data-testid="plan-task"')[1:])
    green = dushen.get(f"/plans/{plan_2023.id}?light=green&sort=light").get_data(as_text=True)
    assert green.count('data-testid="plan-task"') > 0
    assert dushen.get(f"/plans/{plan_2023.id}?light=red").get_data(as_text=True).count('data-testid="plan-task"') == 0
    assert dushen.get(f"/plans/{plan_2023.id}?light=<b>&unit=x&sort=1").status_code == 200


def test_the_urging_list_filters_by_light(app, activity):  # noqa: F811
    dushen = as_user(app, "dushen")

    def total(path: str) -> int:
        return int(re.search(r"(\d+) 项</small>", dushen.get(path).get_data(as_text=True))[1])

    red, green, everything = total("/urging?light=red"), total("/urging?light=green"), total("/urging")
    assert red >= 1 and green >= 1 and red + green <= everything
    assert '<option value="red" selected>' in dushen.get("/urging?light=red&page=2").get_data(as_text=True)
