"""Saving a step form half-filled and resuming it later (one draft per work item and person)."""
from __future__ import annotations

from sqlalchemy import bindparam, delete, select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.models import FormDraft, User, WorkItem

#: Never kept in a draft: the CSRF token and the buttons.
_SKIPPED = frozenset({"csrf_token", "submit", "save_draft", "add_milestone", "remove_milestone"})


def _find(item: WorkItem, user: User) -> FormDraft | None:
    return db.session.scalar(select(FormDraft).where(FormDraft.work_item_id == item.id, FormDraft.user_id == user.id))


def save_draft(item: WorkItem, user: User, formdata: MultiDict[str, str]) -> FormDraft:
    """Keep what the user typed (files are not kept: they are chosen again on submission)."""
    data = {key: formdata.getlist(key) for key in formdata if key not in _SKIPPED}
    draft = _find(item, user) or FormDraft(work_item_id=item.id, user_id=user.id, data={})
    draft.data = data
    db.session.add(draft)
    db.session.flush()
    return draft


def load_draft(item: WorkItem, user: User) -> MultiDict[str, str] | None:
    """The saved fields, ready to feed a form, or None."""
    draft = _find(item, user)
    if draft is None:
        return None
    return MultiDict([(key, value) for key, values in draft.data.items() for value in values])


#: Built once: every step submission runs it.
_DISCARD = delete(FormDraft).where(FormDraft.work_item_id == bindparam("item_id"),
                                   FormDraft.user_id == bindparam("user_id"))


def discard_draft(item: WorkItem, user: User) -> None:
    """Forget the draft once the step is submitted (one statement, whether there was one or not)."""
    db.session.execute(_DISCARD, {"item_id": item.id, "user_id": user.id})
