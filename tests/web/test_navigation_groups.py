"""The navbar's dropdowns: adjacent links of a group under one toggle, a lone member shown as a plain link,
and the toggle carrying what waits under it."""
from __future__ import annotations

import re

from app.navigation import NavGroup, NavItem
from tests.conftest import login


def toggles(page: str) -> list[str]:
    return re.findall(r'data-bs-toggle="dropdown" aria-expanded="false">([^<]+)<', page)


def page_of(app, username: str, url: str) -> str:
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client.get(url).get_data(as_text=True)


def test_dushen_sees_three_dropdowns_and_the_leader_a_plain_link(app, demo):
    page = page_of(app, "dushen", "/")
    nav = page[page.index('data-testid="main-nav"'):page.index('data-testid="search-box"')]
    assert toggles(nav) == ["审批", "看板", "管理"]      # 评分申诉 and 中止/办结审批 share 审批
    menu = nav[nav.index(">管理<"):]
    for label in ("单位组", "审计日志"):
        assert re.search(rf'class="dropdown-item [^"]*" href="[^"]+">{label}<', menu)
    assert re.search(r'class="dropdown-item [^"]*" href="/directory/units"', nav)

    leader = page_of(app, "leader", "/work/inbox")
    nav = leader[leader.index('data-testid="main-nav"'):leader.index('data-testid="search-box"')]
    assert toggles(nav) == ["看板"]                       # 管理 would hold 单位目录 alone: a plain link instead
    assert re.search(r'class="nav-link [^"]*" href="/directory/units"', nav)


def test_a_dropdown_shows_the_sum_of_what_waits_under_it():
    items = (NavItem("延期审批", "a", "/a", 2), NavItem("评分申诉", "b", "/b", None), NavItem("变更", "c", "/c", 3))
    assert NavGroup("审批", items).badge == 5
    assert NavGroup("管理", (NavItem("单位目录", "d", "/d"),)).badge is None
