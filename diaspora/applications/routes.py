"""Application views: each validates a form, calls one service, commits, flashes, redirects.

The service call and its commit run as one unit of work through :func:`retry.transaction`:
an attempt that loses a race with a concurrent writer is rolled back and run again.
"""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from diaspora.applications import bp
from diaspora.applications.forms import ApplyForm, DecisionForm, FeedbackForm, MessageForm
from diaspora.auth.forms import EmptyForm
from diaspora.extensions import db, limiter
from diaspora.models import Project, WorkMode
from diaspora.services import (
    application_lists,
    application_panels,
    application_profiles,
    application_stats,
    permissions,
    retry,
)
from diaspora.services import applications as service
from diaspora.services.accounts import PermissionDenied
from diaspora.services.applications import ApplicationError, Engagement


def _application_or_404(application_id):
    try:
        return service.get_application(current_user, application_id)
    except PermissionDenied:
        abort(404)


def _back(application):
    return redirect(url_for("applications.show", application_id=application.id))


def _project_page(project):
    """The project page when the projects area provides one, else the application list."""
    if "projects.show" in current_app.view_functions:
        return url_for("projects.show", project_id=project.id)
    return url_for("applications.mine")


@bp.route("/projects/<int:project_id>/apply", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", methods=["POST"])
def apply(project_id):
    project = db.get_or_404(Project, project_id)
    existing = service.existing_application(current_user, project)
    if existing is not None:
        flash("You have already applied to this project.", "info")
        return _back(existing)
    try:
        service.check_can_apply(current_user, project)
    except PermissionDenied:
        abort(403)
    except ApplicationError as exc:
        flash(str(exc), "error")
        return redirect(_project_page(project))
    form = ApplyForm()
    if form.validate_on_submit():
        engagement = Engagement(
            available_from=form.available_from.data,
            available_until=form.available_until.data,
            hours_per_month=form.hours_per_month.data,
            work_mode=WorkMode(form.work_mode.data) if form.work_mode.data else None,
        )
        try:
            application, created = retry.transaction(
                lambda: service.apply(current_user, project, form.motivation.data, engagement)
            )
        except ApplicationError as exc:
            form.motivation.errors.append(str(exc))
        else:
            if created:
                flash("Your application is sent. The institution has not decided yet.", "success")
            else:
                flash("You have already applied to this project.", "info")
            return _back(application)
    return render_template(
        "applications/apply.html",
        project=project,
        form=form,
        view=application_profiles.profile_preview(current_user),
    )


@bp.route("/applications")
@login_required
def mine():
    if current_user.is_institution_rep:
        return redirect(url_for("applications.inbox"))
    applications = application_lists.applications_of(current_user)
    updates = application_lists.updates_for(current_user)
    completed = application_stats.completed_for_member(current_user.id)
    application_lists.mark_updates_read(current_user)
    db.session.commit()
    return render_template(
        "applications/mine.html", applications=applications, updates=updates, completed=completed
    )


@bp.route("/applications/inbox")
@login_required
def inbox():
    if not permissions.is_institution_account(current_user):
        abort(403)
    waiting = application_lists.inbox_of(current_user)
    updates = application_lists.updates_for(current_user)
    application_lists.mark_updates_read(current_user)
    db.session.commit()
    return render_template("applications/inbox.html", waiting=waiting, updates=updates)


@bp.route("/projects/<int:project_id>/applicants")
@login_required
def applicants(project_id):
    project = db.get_or_404(Project, project_id)
    try:
        applications = application_lists.applicants_of(current_user, project)
    except PermissionDenied:
        abort(404)
    return render_template(
        "applications/applicants.html",
        project=project,
        applications=[
            (a, application_profiles.applicant_name(a, current_user)) for a in applications
        ],
        team=application_panels.team(project, current_user),
        record=application_stats.institution_record(project.institution),
    )


@bp.route("/applications/<int:application_id>")
@login_required
def show(application_id):
    application = _application_or_404(application_id)
    side = permissions.side_of(current_user, application)
    return render_template(
        "applications/show.html",
        application=application,
        side=side,
        view=application_profiles.preview_for_institution(application, current_user),
        shared_labels=application_profiles.shared_labels(application),
        decision_form=DecisionForm(),
        message_form=MessageForm(),
        feedback_form=FeedbackForm(),
        feedback_given=any(
            f.from_institution == (side == "institution") for f in application.feedback
        ),
    )


@bp.post("/applications/<int:application_id>/withdraw")
@login_required
def withdraw(application_id):
    application = _application_or_404(application_id)
    if EmptyForm().validate_on_submit():
        return _act(application, service.withdraw, "Your application is withdrawn.")
    return _back(application)


@bp.post("/applications/<int:application_id>/decide")
@login_required
def decide(application_id):
    application = _application_or_404(application_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash("Choose an answer (the message is optional).", "error")
        return _back(application)
    return _act(
        application,
        lambda user, app: service.decide(user, app, form.decision.data, form.message.data),
        "Your answer is recorded and the applicant is told.",
    )


@bp.post("/applications/<int:application_id>/messages")
@login_required
@limiter.limit("60 per hour")
def message(application_id):
    application = _application_or_404(application_id)
    form = MessageForm()
    if not form.validate_on_submit():
        flash(" ".join(form.body.errors) or "Write a message.", "error")
        return _back(application)
    return _act(
        application,
        lambda user, app: service.post_message(user, app, form.body.data),
        "Your message is sent.",
    )


@bp.post("/applications/<int:application_id>/complete")
@login_required
def complete(application_id):
    application = _application_or_404(application_id)
    if EmptyForm().validate_on_submit():
        return _act(application, service.complete, "The engagement is marked completed.")
    return _back(application)


@bp.post("/applications/<int:application_id>/feedback")
@login_required
def feedback(application_id):
    application = _application_or_404(application_id)
    form = FeedbackForm()
    if not form.validate_on_submit():
        flash("The feedback could not be saved: check the rating and the length.", "error")
        return _back(application)
    return _act(
        application,
        lambda user, app: service.leave_feedback(user, app, form.rating.data, form.comment.data),
        "Thank you for your feedback.",
    )


def _act(application, action, success):
    """Run one service action on an application and commit, flash, and go back to it.

    Each attempt reloads the application, so a rerun after a lost race decides on fresh
    data; a refusal is rolled back and shown.
    """
    application_id = application.id

    def work():
        action(current_user, _application_or_404(application_id))

    try:
        retry.transaction(work)
    except PermissionDenied:
        abort(403)
    except ApplicationError as exc:
        flash(str(exc), "error")
        return redirect(url_for("applications.show", application_id=application_id))
    flash(success, "success")
    return redirect(url_for("applications.show", application_id=application_id))
