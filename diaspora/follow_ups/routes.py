"""The follow-up page a one-click link opens (no sign-in needed: the signed link alone lets
its recipient answer that one follow-up), and a signed-in person's waiting follow-ups."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from diaspora.extensions import limiter
from diaspora.follow_ups import bp
from diaspora.follow_ups.forms import FollowUpForm
from diaspora.main.errors import counts_against_limit
from diaspora.main.unit_of_work import form_refusal, unit_of_work
from diaspora.services import follow_ups


def _limit(name):
    return lambda: current_app.config[name]


def _refused(response) -> bool:
    """The answer page's ``deduct_when``: only refused attempts count against the limit (a
    saved answer redirects), so people who correct their answers, or an office sharing one
    address, are never locked out by their own saves."""
    return counts_against_limit(response) and response.status_code != 302


@bp.after_request
def _not_stored(response):
    """A follow-up page shows one person's answers: no cache keeps a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<token>", methods=["GET", "POST"])
@limiter.limit(_limit("RATE_LIMIT_RESET"), methods=["POST"], deduct_when=_refused)
def answer(token):
    opened = follow_ups.open_link(token)
    answered = opened.follow_up.is_answered
    if request.method == "GET" and answered:
        form = FollowUpForm.of_answers(opened.follow_up)
    else:
        form = FollowUpForm()
    if form.validate_on_submit():
        with form_refusal():
            unit_of_work(
                lambda: follow_ups.answer(
                    token,
                    form.in_contact.data,
                    form.transferred.data,
                    form.follow_on.data,
                    form.what_changed.data or "",
                )
            )
            flash(_("Thank you: your answers are saved."), "success")
            return redirect(url_for("follow_ups.answer", token=token))
    return render_template("follow_ups/answer.html", opened=opened, form=form)


@bp.route("")
@login_required
def mine():
    return render_template("follow_ups/mine.html", pending=follow_ups.pending_for(current_user))
