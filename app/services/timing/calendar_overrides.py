"""The administrator's holiday calendar (节假日设置): override days, re-schedule, warn of unknown years."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.models import CalendarOverride, DueDateChange, User
from app.services.infrastructure import audit
from app.services.timing import deadlines
from app.services.timing.deadline_policy import CALENDAR_REASON, reschedule_all


def overrides() -> list[CalendarOverride]:
    """Every override, newest day first."""
    return list(db.session.scalars(select(CalendarOverride).order_by(CalendarOverride.day.desc())))


def add_override(day: date, is_working_day: bool, note: str | None, actor: User) -> list[DueDateChange]:
    """Declare ``day`` a working day or a day off, and move the due dates it changes; returns the moves.

    :raises ValidationFailed: the day already has an override.
    """
    if db.session.scalar(select(CalendarOverride.id).where(CalendarOverride.day == day)) is not None:
        raise ValidationFailed(f"{day:%Y年%m月%d日}已有设置,如需更改请先删除原设置。")
    override = CalendarOverride(day=day, is_working_day=is_working_day, note=(note or "").strip() or None)
    db.session.add(override)
    db.session.flush()
    moved = reschedule_all(CALENDAR_REASON, actor)
    audit.record(actor, "calendar_override", override.id, "created", after=_snapshot(override, len(moved)))
    db.session.flush()
    return moved


def delete_override(override_id: int, actor: User) -> list[DueDateChange]:
    """Remove an override (the announced calendar applies again) and move the due dates it changes.

    :raises InvalidTransition: it was deleted already (a stale page or a double submit).
    """
    override = db.session.get(CalendarOverride, override_id)
    if override is None:
        raise InvalidTransition("该节假日设置已被删除,请刷新页面。")
    before = _snapshot(override)
    db.session.delete(override)
    db.session.flush()
    moved = reschedule_all(CALENDAR_REASON, actor)
    audit.record(actor, "calendar_override", override_id, "deleted", before=before,
                 after={"moved_due_dates": len(moved)})
    db.session.flush()
    return moved


def _snapshot(override: CalendarOverride, moved: int | None = None) -> dict[str, object]:
    data: dict[str, object] = {"day": override.day.isoformat(), "is_working_day": override.is_working_day,
                               "note": override.note}
    return data if moved is None else {**data, "moved_due_dates": moved}


def coverage_warnings(today: date) -> list[str]:
    """A Chinese warning for this year and next when neither chinese-calendar nor an override covers it."""
    return deadlines.work_calendar().warnings(date(today.year, 1, 1), date(today.year + 1, 12, 31))
