"""Notification list, preferences and unsubscribe views. Reading a notification is a POST
(its button), so showing the list changes nothing."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from diaspora.extensions import csrf, db
from diaspora.forms import EmptyForm
from diaspora.main.limits import paginate
from diaspora.main.unit_of_work import form_action, form_refusal, unit_of_work
from diaspora.models import Frequency, Notification
from diaspora.notifications import bp
from diaspora.notifications.forms import preferences_form
from diaspora.security import is_safe_next
from diaspora.services import follow_ups, notifications, permissions

PER_PAGE = 30


@bp.route("/")
@login_required
def index():
    query = (
        sa.select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    page = paginate(query, per_page=PER_PAGE)
    waiting = len(follow_ups.pending_for(current_user))
    return render_template("notifications/index.html", page=page, follow_ups_waiting=waiting)


@bp.post("/<int:notification_id>/open")
@login_required
def open_one(notification_id):
    note = db.session.get(Notification, notification_id)
    if note is None or not permissions.is_recipient(current_user, note):
        abort(404)
    if EmptyForm().validate_on_submit():
        unit_of_work(lambda: notifications.mark_read(current_user, note.id))
    target = note.link if is_safe_next(note.link) else url_for("notifications.index")
    return redirect(target)


@bp.post("/read")
@login_required
def read_all():
    return form_action(
        EmptyForm(),
        lambda: notifications.mark_read(current_user),
        done=_("All notifications are marked read."),
        back=url_for("notifications.index"),
    )


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    current = notifications.preferences(current_user)
    form = preferences_form(current_user, current)
    if form.validate_on_submit():
        chosen = {kind: Frequency(form[kind].data) for kind in current}
        with form_refusal():
            unit_of_work(lambda: notifications.set_preferences(current_user, chosen))
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form, kinds=current)


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token):
    """One-click unsubscribe (RFC 8058): the signed token is the authority, no login needed.

    GET only shows a confirmation button, so link scanners cannot unsubscribe anyone.
    """
    found = notifications.read_unsubscribe_token(token)
    if found is None:
        abort(404)
    user, key = found
    if request.method == "POST":
        unit_of_work(lambda: notifications.unsubscribe(user, key))
        return render_template(
            "notifications/unsubscribed.html", done=notifications.unsubscribed_text(key)
        )
    return render_template(
        "notifications/unsubscribe.html", question=notifications.unsubscribe_question(key)
    )
