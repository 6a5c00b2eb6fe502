"""Coordinators' pages: accounts (suspend, reactivate), mail delivery failures, and a notice on
each when a search index is unusable."""

from functools import wraps

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from diaspora.coordination import bp
from diaspora.coordination.forms import SuspendForm, UserFilterForm
from diaspora.extensions import db
from diaspora.forms import EmptyForm
from diaspora.mail import outage_notice, requeue_failed
from diaspora.main.limits import paginate
from diaspora.main.unit_of_work import form_action, unit_of_work
from diaspora.models import OutboxMessage, OutboxStatus, User
from diaspora.services import accounts, permissions

PER_PAGE = 50


@bp.context_processor
def search_health():
    """Coordinators' pages say when a search index is damaged or missing (and how to repair)."""
    from diaspora.services.indexing import indexer

    return {"search_problems": indexer.health()}


def coordinator_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not permissions.is_coordinator(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.route("/users")
@coordinator_required
def users():
    form = UserFilterForm(request.args)
    query = sa.select(User).order_by(User.created_at.desc())
    if form.validate() and form.q.data:
        like = f"%{form.q.data.strip().lower()}%"
        query = query.where(sa.or_(sa.func.lower(User.name).like(like), User.email.like(like)))
    page = paginate(query, per_page=PER_PAGE)
    return render_template(
        "coordination/users.html",
        page=page,
        form=form,
        suspend_form=SuspendForm(),
        mail_notice=outage_notice(),
    )


@bp.post("/users/<int:user_id>/suspend")
@coordinator_required
def suspend(user_id):
    user = db.get_or_404(User, user_id)
    form = SuspendForm()
    return form_action(
        form,
        lambda: accounts.suspend(current_user, user, form.reason.data),
        done=_("%(name)s is suspended and logged out everywhere.", name=user.name),
        back=url_for("coordination.users"),
        invalid=_("Give a reason to suspend an account."),
    )


@bp.post("/users/<int:user_id>/reactivate")
@coordinator_required
def reactivate(user_id):
    user = db.get_or_404(User, user_id)
    return form_action(
        EmptyForm(),
        lambda: accounts.reactivate(current_user, user),
        done=_("%(name)s can log in again.", name=user.name),
        back=url_for("coordination.users"),
    )


@bp.route("/mail")
@coordinator_required
def mail_health():
    counts = dict(
        db.session.execute(
            sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    failed = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.created_at.desc())
        .limit(100)
    ).all()
    return render_template(
        "coordination/mail.html",
        counts=counts,
        failed=failed,
        statuses=list(OutboxStatus),
        mail_notice=outage_notice(),
    )


@bp.post("/mail/<int:message_id>/retry")
@coordinator_required
def retry_mail(message_id):
    message = db.get_or_404(OutboxMessage, message_id)
    if EmptyForm().validate_on_submit() and unit_of_work(lambda: requeue_failed(message)):
        flash(_("The message is queued again."), "success")
    return redirect(url_for("coordination.mail_health"))
