"""Application views: each validates a form, hands one service call to the unit of work,
flashes and redirects. A refusal goes back to the application's page (or is shown on the
form); someone on neither side of an application gets 404."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from diaspora.applications import bp
from diaspora.applications.forms import (
    ApplyForm,
    DecisionForm,
    DisputeForm,
    FeedbackForm,
    InterviewChoiceForm,
    InterviewOtherTimesForm,
    InterviewProposalForm,
    MessageForm,
)
from diaspora.extensions import db, limiter
from diaspora.forms import EmptyForm
from diaspora.main.helpers import download
from diaspora.main.unit_of_work import form_action, form_refusal, unit_of_work
from diaspora.models import Project
from diaspora.models.application import DISPUTE_PERIOD
from diaspora.services import (
    application_lists,
    application_panels,
    application_profiles,
    application_stats,
    follow_ups,
    interviews,
    permissions,
)
from diaspora.services import applications as service
from diaspora.services.errors import Conflict


def _page(application_id: int) -> str:
    return url_for("applications.show", application_id=application_id)


def _act(application_id: int, form, action, done, invalid: str | None = None):
    """A form posted from the application's page: ``action(user, application)`` runs as the
    unit of work and the person goes back there (:func:`form_action`). Someone on neither
    side gets 404 before anything else. Each attempt loads the application again, so a
    rerun after a lost race decides on fresh data."""
    service.get_application(current_user, application_id)
    return form_action(
        form,
        lambda: action(current_user, service.get_application(current_user, application_id)),
        done=done,
        back=_page(application_id),
        invalid=invalid,
    )


@bp.route("/projects/<int:project_id>/apply", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", methods=["POST"])
def apply(project_id):
    project = db.get_or_404(Project, project_id)
    existing = service.existing_application(current_user, project)
    if existing is not None:
        flash(_("You have already applied to this project."), "info")
        return redirect(_page(existing.id))
    try:
        service.check_can_apply(current_user, project)
    except service.ProfileNeeded as exc:
        return render_template(
            "applications/profile_needed.html", project=project, message=exc.message
        ), 409
    form = ApplyForm()
    if form.validate_on_submit():
        with form_refusal(form.motivation):
            application, created = unit_of_work(
                lambda: service.apply(
                    current_user, project, form.motivation.data, form.engagement()
                )
            )
            if created:
                flash(
                    _("Your application is sent. The institution has not decided yet."), "success"
                )
            else:
                flash(_("You have already applied to this project."), "info")
            return redirect(_page(application.id))
    view = application_profiles.profile_preview(current_user)
    return render_template(
        "applications/apply.html",
        project=project,
        form=form,
        view=view,
        answers=application_stats.answer_time(project.institution),
    )


@bp.route("/applications")
@login_required
def mine():
    if permissions.is_institution_account(current_user):
        return redirect(url_for("applications.inbox"))
    return render_template(
        "applications/mine.html",
        applications=application_lists.applications_of(current_user),
        updates=application_lists.updates_for(current_user),
        completed=application_stats.completed_for_member(current_user.id),
    )


@bp.route("/applications/inbox")
@login_required
def inbox():
    if not permissions.is_institution_account(current_user):
        abort(403)
    return render_template(
        "applications/inbox.html",
        rows=application_lists.inbox_rows(current_user),
        updates=application_lists.updates_for(current_user),
    )


@bp.post("/applications/updates/read")
@login_required
def read_updates():
    """Mark every update of the signed-in person read: the button above their updates."""
    return form_action(
        EmptyForm(),
        lambda: application_lists.mark_updates_read(current_user),
        done=_("All updates are marked read."),
        back=url_for(
            "applications.inbox" if current_user.is_institution_rep else "applications.mine"
        ),
    )


@bp.route("/projects/<int:project_id>/applicants")
@login_required
def applicants(project_id):
    project = db.get_or_404(Project, project_id)
    applications = application_lists.applicants_of(current_user, project)
    return render_template(
        "applications/applicants.html",
        project=project,
        applications=[
            (a, application_profiles.applicant_name(a, current_user)) for a in applications
        ],
        team=application_panels.team(project, current_user),
        record=application_stats.institution_record(project.institution),
    )


def _interview_forms(application, interview_form=None):
    """The interview step's forms for the application page, the times to pick filled in;
    ``interview_form`` is a proposal shown again with what was typed and what is wrong."""
    proposal = interviews.current(application)
    choice = InterviewChoiceForm()
    choice.slot.choices = (
        [(slot.id, slot.local_text) for slot in proposal.slots] if proposal else []
    )
    return {
        "interview": proposal,
        "interview_form": interview_form
        or InterviewProposalForm(formdata=None, timezone=interviews.default_zone(application)),
        "proposal_refused": interview_form is not None,
        "choice_form": choice,
        "other_times_form": InterviewOtherTimesForm(),
    }


@bp.route("/applications/<int:application_id>")
@login_required
def show(application_id):
    return _show(service.get_application(current_user, application_id))


def _show(application, interview_form=None):
    """The application's page; ``interview_form`` as in :func:`_interview_forms`."""
    side = permissions.side_of(current_user, application)
    return render_template(
        "applications/show.html",
        application=application,
        side=side,
        expected_answer=application_stats.answer_time(application.project.institution)
        if side == "member"
        else None,
        view=application_profiles.preview_for_institution(application, current_user),
        shared_labels=application_profiles.shared_labels(application),
        decision_form=DecisionForm(),
        message_form=MessageForm(),
        feedback_form=FeedbackForm(),
        dispute_form=DisputeForm(),
        last_place=application_panels.ends_with_last_place(application)
        if side == "institution"
        else None,
        completion_confirmed=application.completion_confirmed(),
        follow_ups_waiting=follow_ups.pending_for(current_user, application.id),
        feedback_given=any(
            f.from_institution == (side == "institution") for f in application.feedback
        ),
        **_interview_forms(application, interview_form),
    )


@bp.post("/applications/<int:application_id>/withdraw")
@login_required
def withdraw(application_id):
    return _act(application_id, EmptyForm(), service.withdraw, _("Your application is withdrawn."))


@bp.post("/applications/<int:application_id>/decide")
@login_required
def decide(application_id):
    form = DecisionForm()

    def done(ended: int | None) -> str:
        if ended is None:
            return _("Your answer is recorded and the applicant is told.")
        return _last_place_taken(ended)

    return _act(
        application_id,
        form,
        lambda user, app: service.decide(user, app, form.decision.data, form.message.data),
        done,
        invalid=_("Choose an answer (the message is optional)."),
    )


def _last_place_taken(others: int) -> str:
    """What the representative is told after accepting the last place."""
    if others:
        return ngettext(
            "Your answer is recorded and the applicant is told. All places are now filled and "
            "the project is closed. The other application still waiting has ended; its "
            "applicant is told.",
            "Your answer is recorded and the applicant is told. All places are now filled and "
            "the project is closed. The %(num)d other applications still waiting have ended; "
            "their applicants are told.",
            others,
        )
    return _(
        "Your answer is recorded and the applicant is told. All places are now filled and the "
        "project is closed."
    )


@bp.post("/applications/<int:application_id>/messages")
@login_required
@limiter.limit("60 per hour")
def message(application_id):
    form = MessageForm()
    return _act(
        application_id,
        form,
        lambda user, app: service.post_message(user, app, form.body.data),
        _("Your message is sent."),
    )


@bp.route("/applications/<int:application_id>/complete", methods=["GET", "POST"])
@login_required
def complete(application_id):
    """Marking the engagement completed asks first: this page says what it does, its button
    does it. A side that may not mark it now is sent back with the reason."""
    application = service.get_application(current_user, application_id)
    form = EmptyForm()
    if form.validate_on_submit():
        return _act(
            application_id,
            form,
            service.complete,
            _("Thank you. The other side is asked to confirm.")
            if application.status.value == "accepted"
            else _("Both sides agree: the engagement is completed."),
        )
    try:
        step = service.check_can_complete(current_user, application)
    except Conflict as refusal:
        flash(refusal.message, "error")
        return redirect(_page(application_id))
    return render_template(
        "applications/complete.html",
        application=application,
        side=permissions.side_of(current_user, application),
        step=step,
        form=form,
        dispute_days=DISPUTE_PERIOD.days,
    )


@bp.post("/applications/<int:application_id>/dispute-completion")
@login_required
def dispute_completion(application_id):
    form = DisputeForm()
    return _act(
        application_id,
        form,
        lambda user, app: service.dispute_completion(user, app, form.dispute_note.data),
        _("The engagement is back to accepted; the other side is told."),
        invalid=_("Say what is not finished (up to %(num)d characters).", num=4000),
    )


@bp.post("/applications/<int:application_id>/feedback")
@login_required
def feedback(application_id):
    form = FeedbackForm()
    return _act(
        application_id,
        form,
        lambda user, app: service.leave_feedback(user, app, form.rating.data, form.comment.data),
        _("Thank you for your feedback."),
        invalid=_("The feedback could not be saved: check the rating and the length."),
    )


@bp.post("/applications/<int:application_id>/interview")
@login_required
@limiter.limit("30 per hour")
def propose_interview(application_id):
    """A refused proposal shows the page again with what was typed and why."""
    application = service.get_application(current_user, application_id)
    form = InterviewProposalForm()
    if form.validate_on_submit():
        with form_refusal():
            unit_of_work(
                lambda: interviews.propose(
                    current_user,
                    service.get_application(current_user, application_id),
                    form.times(),
                    form.timezone.data,
                    form.duration.data,
                    form.place.data,
                    form.note.data,
                )
            )
            flash(_("The interview times are sent to the applicant."), "success")
            return redirect(_page(application_id))
    return _show(application, interview_form=form)


@bp.post("/applications/<int:application_id>/interview/choice")
@login_required
def choose_interview(application_id):
    form = InterviewChoiceForm()
    return _act(
        application_id,
        form,
        lambda user, app: interviews.choose(user, app, form.slot.data),
        _("The interview time is agreed. The calendar file is in your email and on this page."),
        invalid=_("Pick one of the times proposed."),
    )


@bp.post("/applications/<int:application_id>/interview/other-times")
@login_required
def other_interview_times(application_id):
    form = InterviewOtherTimesForm()
    return _act(
        application_id,
        form,
        lambda user, app: interviews.ask_other_times(user, app, form.wishes.data),
        _("The institution is asked for other times."),
    )


@bp.route("/applications/<int:application_id>/interview.ics")
@login_required
def interview_calendar(application_id):
    return download(
        interviews.agreed_calendar(current_user, application_id), "interview.ics", "text/calendar"
    )
