"""Demo data: the directory file of 湖北省市场监督管理局 and one user per role, and the 17 city bureaus below it
with a small directory each and two city users. Idempotent."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import GroupMembership, Organisation, Role, Unit, UnitGroup, UnitKind
from app.services.infrastructure import accounts
from app.services.plans import directory, dispatch

DIRECTORY_FILE = Path(__file__).resolve().parent / "data" / "unit_directory.toml"
CITY_DIRECTORY_FILE = Path(__file__).resolve().parent / "data" / "city_directory.toml"
DEMO_PASSWORD = "duban@2023"


@dataclass(frozen=True)
class DemoUser:
    """One seeded account (listed in the README)."""

    username: str
    display_name: str
    role: Role
    unit: str | None
    #: The city bureau's code for a city user; None: the province.
    city: str | None = None


DEMO_USERS = (
    DemoUser("admin", "系统管理员", Role.ADMIN, None),
    DemoUser("dushen", "督审处 王审核", Role.SUPERVISOR, "督审处"),
    DemoUser("zhuce", "注册处 李联络", Role.LIAISON, "注册处"),
    DemoUser("zhuce_head", "注册处 赵处长", Role.UNIT_HEAD, "注册处"),
    DemoUser("kexin", "科信处 陈联络(协办)", Role.LIAISON, "科信处"),
    DemoUser("leader", "局领导 刘局长", Role.LEADER, None),
)

#: One user each for two of the city bureaus (``load_cities``): a liaison of 武汉 and a 督查 clerk of 宜昌.
CITY_DEMO_USERS = (
    DemoUser("wuhan", "武汉市局食品抽检科 周联络", Role.LIAISON, "食品抽检科", "wuhan"),
    DemoUser("yichang_ducha", "宜昌市局办公室 孙督查", Role.SUPERVISOR, "办公室", "yichang"),
)


def load_demo(path: Path = DIRECTORY_FILE) -> Organisation:
    """Load the directory file and the demo users; running it again changes nothing."""
    org = load_directory(path)
    seed_demo_users(org)
    return org


def load_directory(path: Path = DIRECTORY_FILE) -> Organisation:
    """Create or update the organisation, its units and groups from a directory file."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    org = _upsert_organisation(data["organisation"])
    for entry in data.get("unit", []):
        _upsert_unit(org, entry)
    for entry in data.get("group", []):
        _upsert_group(org, entry)
    return org


def load_cities(province: Organisation, path: Path = CITY_DIRECTORY_FILE) -> list[Organisation]:
    """The city bureaus under ``province``, each with the file's small directory, and the city demo users."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    cities = []
    for entry in data["city"]:
        city = _upsert_organisation(entry, province)
        for unit in data["unit"]:
            aliases = [f"{city.short_name}局{alias}" for alias in (unit["name"], *unit.get("aliases", ()))]
            _upsert_unit(city, {**unit, "aliases": [*unit.get("aliases", ()), *aliases]})
        _upsert_group(city, {"name": "各科室", "members_kind": "处室", "aliases": ["各相关科室"]})
        dispatch.remember_mapping(city, {_unit_id(province, upper): _unit_id(city, unit["name"])
                                         for unit in data["unit"] for upper in unit.get("upper", ())}, None)
        cities.append(city)
    by_code = {city.code: city for city in cities}
    for demo in CITY_DEMO_USERS:
        if demo.city is not None:
            _seed_user(demo, by_code[demo.city])
    return cities


def _upsert_organisation(entry: dict[str, Any], parent: Organisation | None = None) -> Organisation:
    org = db.session.scalar(select(Organisation).where(Organisation.code == entry["code"]))
    if org is None:
        org = Organisation(code=entry["code"], name=entry["name"], short_name=entry["short_name"],
                           parent_id=parent.id if parent is not None else None)
        db.session.add(org)
        db.session.flush()
    return org


def _upsert_unit(org: Organisation, entry: dict[str, Any]) -> None:
    data = directory.UnitData(
        name=entry["name"],
        full_name=entry.get("full_name", entry["name"]),
        code=entry["code"],
        kind=UnitKind.from_label(entry["kind"]),
        aliases=tuple(entry.get("aliases", ())),
    )
    unit = db.session.scalar(select(Unit).where(Unit.organisation_id == org.id, Unit.code == data.code))
    if unit is None:
        directory.create_unit(org, data, actor=None)
    else:
        directory.update_unit(unit, data, actor=None)


def _upsert_group(org: Organisation, entry: dict[str, Any]) -> None:
    data = _group_data(org, entry)
    group = db.session.scalar(
        select(UnitGroup).where(UnitGroup.organisation_id == org.id, UnitGroup.name == data.name)
    )
    if group is None:
        directory.create_group(org, data, actor=None)
    else:
        directory.update_group(group, data, actor=None)


def _group_data(org: Organisation, entry: dict[str, Any]) -> directory.GroupData:
    kind = UnitKind.from_label(entry["members_kind"]) if "members_kind" in entry else None
    if entry.get("per_task"):
        membership = GroupMembership.PER_TASK
    elif "members" in entry:
        membership = GroupMembership.EXPLICIT
    else:
        membership = GroupMembership.BY_KIND
    member_ids = tuple(_unit_id(org, name) for name in entry.get("members", ()))
    return directory.GroupData(
        name=entry["name"],
        membership=membership,
        member_kind=kind,
        member_ids=member_ids,
        aliases=tuple(entry.get("aliases", ())),
    )


def _unit_id(org: Organisation, name: str) -> int:
    target = directory.resolve_name(org, name)
    if not isinstance(target, Unit):
        raise ValueError(f"单位目录文件中的单位组成员“{name}”不是已知单位。")
    return target.id


def seed_demo_users(org: Organisation) -> None:
    """Create the demo accounts that do not exist yet; existing ones are left alone."""
    for demo in DEMO_USERS:
        _seed_user(demo, org)


def _seed_user(demo: DemoUser, org: Organisation) -> None:
    if accounts.find_user(demo.username) is not None:
        return
    unit = directory.resolve_name(org, demo.unit) if demo.unit else None
    accounts.create_user(
        demo.username,
        demo.display_name,
        DEMO_PASSWORD,
        roles=[demo.role],
        unit=unit if isinstance(unit, Unit) else None,
        must_change_password=True,
        organisation=org if demo.city else None,
    )
