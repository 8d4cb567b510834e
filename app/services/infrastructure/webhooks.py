"""Outbound webhooks: other systems registered by the administrator are told of events, signed, at least once.

Events are derived in the scheduler's channel job, never on a step's path: returns, overdue and
escalation notices and closures from the notices it passes on (``from_notices``), completed steps and
new 督办事项 from their rows since the last scan (``collect``). Each event has a stable key (unique), which
is also the delivery's ``X-Duban-Delivery`` header: the receiver's idempotency key. A delivery is
one (subscription, event) row, retried with a doubling wait and replayable from /admin/webhooks.

Signature: ``X-Duban-Signature: sha256=<hex HMAC-SHA256(secret, "<X-Duban-Timestamp>." + body)>``.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.errors import FieldRefused
from app.extensions import db
from app.models import (
    MailStatus,
    NoticeKind,
    NoticeTopic,
    Notification,
    Plan,
    PlanTask,
    ScanCursor,
    User,
    WebhookDelivery,
    WebhookEvent,
    WebhookEventKind,
    WebhookSubscription,
    WorkflowInstance,
    WorkItem,
    WorkItemState,
)
from app.models.base import utcnow
from app.services.infrastructure import channels, mail, outbox
from app.services.infrastructure.audit import record

#: Rows committed after their timestamp was taken are still seen: each scan looks back this far.
SCAN_OVERLAP = timedelta(minutes=10)
_RETURNED = {NoticeTopic.DECOMPOSITION_RETURNED.value, NoticeTopic.REPORT_RETURNED.value,
             NoticeTopic.SIGNOFF_RETURNED.value}


def subscribe(url: str, secret: str, kinds: Sequence[WebhookEventKind], actor: User) -> WebhookSubscription:
    """Register ``url`` for ``kinds``.

    :raises FieldRefused: not an http(s) address, no secret or no event kind.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FieldRefused("url", "请填写以 http:// 或 https:// 开头的完整地址。")
    if len(secret) < 16:
        raise FieldRefused("secret", "签名密钥至少 16 个字符。")
    if not kinds:
        raise FieldRefused("kinds", "请至少选择一种事件。")
    subscription = WebhookSubscription(url=url.strip(), secret=secret, kinds=[kind.value for kind in kinds])
    db.session.add(subscription)
    db.session.flush()
    record(actor, "webhook_subscription", subscription.id, "created",
           after={"url": subscription.url, "kinds": subscription.kinds})
    return subscription


def set_active(subscription: WebhookSubscription, active: bool, actor: User) -> None:
    subscription.active = active
    record(actor, "webhook_subscription", subscription.id, "enabled" if active else "disabled")
    db.session.flush()


def replay(delivery: WebhookDelivery, actor: User) -> None:
    """Send the delivery again at the next run (same event key, so the receiver can tell a repeat)."""
    delivery.status, delivery.next_attempt_at, delivery.attempts = MailStatus.PENDING, utcnow(), 0
    record(actor, "webhook_delivery", delivery.id, "replayed")
    db.session.flush()


def subscriptions() -> list[WebhookSubscription]:
    return list(db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)))


def recent_deliveries(limit: int = 50) -> list[WebhookDelivery]:
    query = (select(WebhookDelivery)
             .options(joinedload(WebhookDelivery.event), joinedload(WebhookDelivery.subscription))
             .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()))
    return list(db.session.scalars(query.limit(limit)))


def _active() -> list[WebhookSubscription]:
    return list(db.session.scalars(select(WebhookSubscription).where(WebhookSubscription.active.is_(True))))


def from_notices(batch: Sequence[Notification], now: datetime) -> None:
    """The events some notices stand for (one per notice key, however many people were told)."""
    wanted = _active()
    if not wanted:
        return
    public_url = current_app.config["PUBLIC_URL"]
    events = []
    for notice in batch:
        kind = _event_of(notice)
        if kind is not None:
            events.append((f"{kind.value}:{notice.key}", kind, {
                "title": notice.title, "body": notice.body, "url": mail.absolute_url(public_url, notice.link),
                "occurred_at": notice.created_at.isoformat()}))
    _record_events(events, wanted, now)


def _event_of(notice: Notification) -> WebhookEventKind | None:
    if notice.kind is NoticeKind.OVERDUE:
        return WebhookEventKind.OVERDUE
    if notice.kind is NoticeKind.ESCALATION:
        return WebhookEventKind.ESCALATED
    if notice.topic in _RETURNED:
        return WebhookEventKind.RETURNED
    if notice.topic == NoticeTopic.TASK_CLOSED.value:
        return WebhookEventKind.CLOSED
    return None


def collect(now: datetime) -> None:
    """Completed steps and new 督办事项 since the last scan (looking back SCAN_OVERLAP)."""
    wanted = _active()
    cursor = db.session.get(ScanCursor, "webhooks")
    since = (cursor.at if cursor else now) - SCAN_OVERLAP
    if wanted:
        public_url = current_app.config["PUBLIC_URL"]
        steps = db.session.execute(
            select(WorkItem.id, WorkItem.step_name, WorkItem.form_key, WorkItem.unit_id, WorkItem.completed_at,
                   WorkflowInstance.plan_task_id)
            .join(WorkflowInstance, WorkflowInstance.id == WorkItem.instance_id)
            .where(WorkItem.state == WorkItemState.COMPLETED, WorkItem.completed_at >= since,
                   WorkItem.completed_at <= now).order_by(WorkItem.id))
        events = [(f"step.completed:{row.id}", WebhookEventKind.STEP_COMPLETED, {
            "work_item": row.id, "step": row.step_name, "form_key": row.form_key, "unit_id": row.unit_id,
            "plan_task": row.plan_task_id, "url": mail.absolute_url(public_url, f"/work/items/{row.id}"),
            "occurred_at": row.completed_at.isoformat() if row.completed_at else None}) for row in steps]
        tasks = db.session.execute(
            select(PlanTask.id, PlanTask.supervision_number, PlanTask.title, Plan.id.label("plan_id"), Plan.title
                   .label("plan_title"), Plan.imported_at).join(Plan, Plan.id == PlanTask.plan_id)
            .where(Plan.imported_at >= since, Plan.imported_at <= now).order_by(PlanTask.id))
        events += [(f"item.created:{row.id}", WebhookEventKind.ITEM_CREATED, {
            "plan_task": row.id, "supervision_number": row.supervision_number, "title": row.title,
            "plan": row.plan_id, "plan_title": row.plan_title, "url": mail.absolute_url(public_url, f"/tasks/{row.id}"),
            "occurred_at": row.imported_at.isoformat()}) for row in tasks]
        _record_events(events, wanted, now)
    if cursor is None:  # a second job starting at the same moment may insert it too
        outbox.insert_new(ScanCursor, [{"name": "webhooks", "at": now}], ("name",))
    else:
        cursor.at = max(cursor.at, now)
    db.session.flush()


def _record_events(events: list[tuple[str, WebhookEventKind, dict[str, Any]]],
                   wanted: list[WebhookSubscription], now: datetime) -> None:
    """Insert the new events and a delivery of each to every subscription taking its kind, due at ``now``."""
    # The scans look back SCAN_OVERLAP every run: skip the events recorded before in one query.
    known = set(db.session.scalars(select(WebhookEvent.key).where(WebhookEvent.key.in_([e[0] for e in events]))))
    rows = [{"key": key, "kind": kind, "payload": payload, "created_at": now} for key, kind, payload in events
            if key not in known]
    new = outbox.insert_new(WebhookEvent, rows, ("key",), returning=(WebhookEvent.id, WebhookEvent.kind))
    deliveries = [{"subscription_id": subscription.id, "event_id": event_id, "status": MailStatus.PENDING,
                   "attempts": 0, "next_attempt_at": now, "created_at": now}
                  for event_id, kind in new for subscription in wanted if WebhookEventKind(kind).value in
                  subscription.kinds]
    outbox.insert_new(WebhookDelivery, deliveries, ("subscription_id", "event_id"))


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Duban-Signature`` header's value."""
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def body_of(event: WebhookEvent) -> bytes:
    return json.dumps({"id": event.key, "event": event.kind.value, "created_at": event.created_at.isoformat(),
                       "data": event.payload}, ensure_ascii=False, sort_keys=True).encode()


def deliver_pending(now: datetime, checkpoint: Callable[[], None] | None = None) -> outbox.Tally:
    """POST the due deliveries (outbox.run); each subscription is one destination."""
    return outbox.run(WebhookDelivery, now, _send, lambda row: row.subscription_id, checkpoint)


def _send(row: WebhookDelivery) -> None:
    body = body_of(row.event)
    timestamp = str(int(time.time()))
    headers = {"X-Duban-Event": row.event.kind.value, "X-Duban-Delivery": row.event.key,
               "X-Duban-Timestamp": timestamp, "X-Duban-Signature": signature(row.subscription.secret, timestamp, body)}
    channels.post_json(row.subscription.url, body, headers, current_app.config["CHANNEL_TIMEOUT_SECONDS"])
