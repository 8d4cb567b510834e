"""The navigation bar, derived from the access rules so it never shows a forbidden link."""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, url_for
from flask_login import current_user

from app.access import may_call
from app.models import User
from app.services.follow_up import extensions
from app.services.infrastructure import notices, visibility
from app.services.lifecycle import discussion, work_items
from app.services.plans import task_edits
from app.services.scoring import appeals, task_holds


@dataclass(frozen=True)
class NavItem:
    """One link in the navigation bar."""

    label: str
    endpoint: str
    url: str
    #: A count shown beside the label (open work items for 待办).
    badge: int | None = None


@dataclass(frozen=True)
class NavGroup:
    """Links under one dropdown, so the bar fits a 1366-px screen on one line; a group the user sees only
    one link of shows that link alone."""

    label: str
    items: tuple[NavItem, ...]

    @property
    def badge(self) -> int | None:
        """What waits under the dropdown, shown on it: the sum of its links' counts."""
        return sum(item.badge or 0 for item in self.items) or None


#: (label, endpoint) in display order; each shows only to users its endpoint's rule admits.
NAVIGATION = (
    ("首页", "main.index"),
    ("待办", "work.inbox"),
    ("已办", "work.done"),
    ("延期审批", "deadlines.pending"),
    ("评分申诉", "assessment.appeals_waiting"),
    ("中止/办结审批", "deadlines.holds"),
    ("任务变更审批", "plans.changes"),
    ("本单位任务", "tasks.mine"),
    ("本单位", "main.my_unit"),
    ("本单位看板", "dashboards.my_unit"),
    ("领导看板", "dashboards.leader"),
    ("督查看板", "dashboards.supervision"),
    ("市州排名", "dashboards.cities"),
    ("工作计划", "plans.index"),
    ("导入计划", "plans.import_start"),
    ("整改", "rectification.index"),
    ("单位目录", "directory.units"),
    ("单位组", "directory.groups"),
    ("处室对应", "directory.mapping"),
    ("用户管理", "admin.users"),
    ("流程管理", "admin.processes_index"),
    ("节假日设置", "deadlines.calendar"),
    ("审计日志", "admin.audit"),
    ("外部回调", "admin.webhooks"),
)


#: Dropdown groups: endpoint -> the group's label (a group's links are adjacent in NAVIGATION). Endpoints
#: named here that a version lacks never show; the approval queues and 流程管理 join their groups when present.
GROUPS = {
    "assessment.appeals_waiting": "审批", "deadlines.holds": "审批", "plans.changes": "审批",
    "dashboards.leader": "看板", "dashboards.supervision": "看板",
    "directory.units": "管理", "directory.groups": "管理", "admin.users": "管理", "admin.processes_index": "管理",
    "deadlines.calendar": "管理", "admin.audit": "管理", "admin.webhooks": "管理",
}


def grouped_navigation() -> list[NavItem | NavGroup]:
    """The visible navigation with adjacent links of one group gathered under their dropdown."""
    bar: list[NavItem | NavGroup] = []
    for item in visible_navigation():
        label = GROUPS.get(item.endpoint)
        last = bar[-1] if bar else None
        if label and isinstance(last, NavGroup) and last.label == label:
            bar[-1] = NavGroup(label, (*last.items, item))
        else:
            bar.append(NavGroup(label, (item,)) if label else item)
    return [entry.items[0] if isinstance(entry, NavGroup) and len(entry.items) == 1 else entry for entry in bar]


def visible_navigation() -> list[NavItem]:
    """The navigation items the signed-in user may follow."""
    if not current_user.is_authenticated:
        return []
    items = []
    for label, endpoint in NAVIGATION:
        if not may_call(current_user, endpoint):
            continue
        if endpoint in ("main.my_unit", "tasks.mine", "dashboards.my_unit") and current_user.unit is None:
            continue
        if endpoint in _BUREAU_LINKS and not _BUREAU_LINKS[endpoint](current_user):
            continue
        badge = _BADGES[endpoint](current_user) if endpoint in _BADGES else None
        items.append(NavItem(label, endpoint, url_for(endpoint), badge))
    return items


def _has_cities(user: User) -> bool:
    """The user's bureau has bureaus below it (市州排名 has rows)."""
    own = visibility.organisation_id_of(user)
    return own is not None and len(visibility.organisation_and_below(own)) > 1


def _has_upper(user: User) -> bool:
    """The user's bureau has one above it (a 处室—科室 mapping to keep)."""
    own = visibility.organisation_id_of(user)
    return own is not None and own != visibility.root_organisation_id()


#: Links that only make sense in a bureau with cities below, or with a bureau above.
_BUREAU_LINKS = {"dashboards.cities": _has_cities, "directory.mapping": _has_upper}


def _waiting(user: User) -> int:
    """Open work items plus leader instructions the user's unit has yet to acknowledge (the 待办 page
    counted its items already: ``g.inbox_total``)."""
    open_items = g.get("inbox_total")
    return (work_items.inbox_count(user) if open_items is None else open_items) + len(
        discussion.pending_instructions(user))


def _bureau(user: User) -> int:
    """The user's bureau, whose queues the badges count (0, matching nothing, before any bureau exists)."""
    return visibility.organisation_id_of(user) or 0


#: Counts beside a link: what waits for the user there.
_BADGES = {"work.inbox": _waiting,
           "deadlines.pending": lambda user: extensions.pending_count(visibility.organisation_id_of(user)),
           "assessment.appeals_waiting": lambda user: appeals.waiting_count(_bureau(user)),
           "deadlines.holds": lambda user: task_holds.pending_count(_bureau(user)),
           "plans.changes": lambda user: task_edits.pending_change_count(_bureau(user))}


def navigation_context() -> dict[str, object]:
    """Template context: the navigation for this request."""
    unread = notices.unread_count(current_user) if current_user.is_authenticated else 0
    return {"navigation": grouped_navigation(), "unread_notices": unread}
