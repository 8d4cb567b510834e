"""Recording state changes in the audit trail."""
from __future__ import annotations

from typing import Any

from app.extensions import db
from app.models import AuditEvent, User


def record(
    actor: User | None,
    entity: str,
    entity_id: object,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit row to the current transaction (it commits with the change)."""
    event = AuditEvent(
        actor=actor,
        entity=entity,
        entity_id=str(entity_id),
        action=action,
        before=before,
        after=after,
    )
    db.session.add(event)
    return event
