"""外部回调 (/admin/webhooks): subscriptions, their recent deliveries, replay."""
from __future__ import annotations

from functools import partial

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.access import roles
from app.admin import bp
from app.admin.forms import WebhookForm
from app.errors import on_refusal
from app.extensions import db
from app.models import Role, WebhookDelivery, WebhookEventKind, WebhookSubscription
from app.services.infrastructure import webhooks as outbound


@bp.route("/webhooks", methods=["GET", "POST"])
@roles(Role.ADMIN)
def webhooks() -> str | Response:
    """The registered addresses, a form to add one, and the latest deliveries with their state."""
    form = WebhookForm()
    page = partial(render_template, "admin/webhooks.html", form=form, subscriptions=outbound.subscriptions(),
                   deliveries=outbound.recent_deliveries(), kind_label=lambda v: WebhookEventKind(v).label)
    if form.validate_on_submit():
        on_refusal(field=form.url, render=page, form=form)
        outbound.subscribe(form.url.data, form.secret.data,
                           [WebhookEventKind(value) for value in form.kinds.data or []], current_user)
        flash("回调地址已登记。", "success")
        return redirect(url_for("admin.webhooks"))
    return page()


@bp.route("/webhooks/<int:subscription_id>/active", methods=["POST"])
@roles(Role.ADMIN)
def webhook_toggle(subscription_id: int) -> Response:
    """Stop or resume sending to one address."""
    subscription = db.get_or_404(WebhookSubscription, subscription_id)
    on_refusal(url_for("admin.webhooks"))
    outbound.set_active(subscription, not subscription.active, current_user)
    flash("已启用该回调地址。" if subscription.active else "已停用该回调地址。", "success")
    return redirect(url_for("admin.webhooks"))


@bp.route("/webhooks/deliveries/<int:delivery_id>/replay", methods=["POST"])
@roles(Role.ADMIN)
def webhook_replay(delivery_id: int) -> Response:
    """Send one delivery again at the next run (the receiver sees the same X-Duban-Delivery)."""
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    on_refusal(url_for("admin.webhooks"))
    outbound.replay(delivery, current_user)
    flash("已安排重新投递,将在一分钟内发出。", "success")
    return redirect(url_for("admin.webhooks"))
