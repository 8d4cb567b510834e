"""Views of the notifications blueprint."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.access import signed_in
from app.extensions import db
from app.models import NoticeTopic, Notification
from app.notifications import bp
from app.notifications.forms import MailChoiceForm
from app.services.infrastructure import channel_outbox, notices


@bp.route("")
@signed_in
def index() -> str:
    """通知: the user's notices, newest first, unread marked."""
    return render_template("notifications/index.html", notices=notices.recent(current_user))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@signed_in
def mark_read(notification_id: int) -> Response:
    """Mark one notice read."""
    notices.mark_read(db.get_or_404(Notification, notification_id), current_user)
    return redirect(url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@signed_in
def mark_all_read() -> Response:
    """Mark all of the user's notices read."""
    count = notices.mark_all_read(current_user)
    flash(f"已将 {count} 条通知标为已读。" if count else "没有未读通知。", "success" if count else "info")
    return redirect(url_for("notifications.index"))


@bp.route("/settings", methods=["GET", "POST"])
@signed_in
def settings() -> str | Response:
    """The user chooses which notices also come by mail and by SMS (all of them always appear under 通知)."""
    form = MailChoiceForm()
    allowed_sms = channel_outbox.sms_categories()
    form.sms.choices = [SelectChoice(value, label) for value, label in allowed_sms.items()]
    if form.validate_on_submit():
        notices.choose_mail(current_user, {NoticeTopic(value) for value in form.topics.data or []})
        if allowed_sms:
            channel_outbox.choose_sms(current_user, set(form.sms.data or []))
        flash("提醒设置已保存。", "success")
        return redirect(url_for("notifications.settings"))
    if not form.is_submitted():
        form.topics.data = [topic.value for topic, by_mail in notices.mail_choices(current_user).items() if by_mail]
        form.sms.data = sorted(channel_outbox.sms_choices(current_user))
    return render_template("notifications/settings.html", form=form, has_email=bool(current_user.email),
                           has_phone=bool(current_user.phone), sms_offered=bool(allowed_sms))
