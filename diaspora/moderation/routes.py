"""Coordinators' moderation pages: the queue, reviews, reports and the audit log."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from diaspora.coordination.routes import coordinator_required
from diaspora.extensions import db
from diaspora.main.limits import paginate
from diaspora.main.unit_of_work import form_action, form_refusal, unit_of_work
from diaspora.models import Project, ProjectReport
from diaspora.models.audit import action_label
from diaspora.moderation import bp
from diaspora.moderation.forms import (
    AuditFilterForm,
    DecisionForm,
    ResolveReportForm,
    UnpublishForm,
)
from diaspora.services import moderation, permissions, projects
from diaspora.services.moderation import AuditFilter
from diaspora.services.screening import highlight

AUDIT_PER_PAGE = 50


@bp.app_context_processor
def inject_queue_count():
    """``queue_count()`` for the navigation; it queries only when a coordinator asks."""

    def queue_count():
        if permissions.is_coordinator(current_user):
            return moderation.queue_count()
        return 0

    return {"queue_count": queue_count}


@bp.route("/queue")
@coordinator_required
def queue():
    return render_template(
        "moderation/queue.html",
        queue=moderation.queue(current_user),
        can_review_institutions="institutions.review" in current_app.view_functions,
        resolve_form=ResolveReportForm(),
    )


@bp.route("/projects/<int:project_id>/review", methods=["GET", "POST"])
@coordinator_required
def review(project_id):
    project = db.get_or_404(Project, project_id)
    form = DecisionForm()
    if form.validate_on_submit():
        with form_refusal():
            unit_of_work(
                lambda: projects.decide(
                    current_user, project, form.decision.data, form.reason.data or ""
                )
            )
            flash(
                _("Decision recorded: %(status)s.", status=project.status.label.lower()),
                "success",
            )
            return redirect(url_for("moderation.queue"))
    matches = projects.screening_matches(project)
    return render_template(
        "moderation/review.html",
        project=project,
        form=form,
        marked={
            name: highlight(getattr(project, name), matches, name) for name in projects.SCREENED
        },
        matches=matches,
        history=projects.history(project),
        unpublish_form=UnpublishForm(),
    )


@bp.post("/projects/<int:project_id>/unpublish")
@coordinator_required
def unpublish(project_id):
    project = db.get_or_404(Project, project_id)
    form = UnpublishForm()
    return form_action(
        form,
        lambda: projects.unpublish(current_user, project, form.reason.data),
        done=_("The project is unpublished; the institution was told why."),
        back=url_for("moderation.review", project_id=project.id),
        invalid=_("Give a reason to unpublish a project."),
    )


@bp.post("/reports/<int:report_id>/resolve")
@coordinator_required
def resolve_report(report_id):
    report = db.get_or_404(ProjectReport, report_id)
    form = ResolveReportForm()
    return form_action(
        form,
        lambda: moderation.resolve_report(
            current_user, report, form.outcome.data, form.note.data, form.unpublish.data
        ),
        done=_("The report is resolved."),
        back=url_for("moderation.queue"),
        invalid=_("Choose an outcome and write a note."),
    )


@bp.route("/audit")
@coordinator_required
def audit():
    form = AuditFilterForm(request.args)
    form.action.choices = [SelectChoice("", _("Any action"))] + [
        SelectChoice(action, action_label(action)) for action in moderation.audit_actions()
    ]
    filters = AuditFilter()
    if form.validate():
        filters = AuditFilter(
            action=form.action.data or "",
            actor=form.actor.data or "",
            since=form.since.data,
            until=form.until.data,
        )
    page = paginate(moderation.audit_query(current_user, filters), per_page=AUDIT_PER_PAGE)
    # The filters, for the page links; a date comes in boxes: since-day, since-month...
    args = {
        name: value
        for name, value in request.args.items()
        if value and name.partition("-")[0] in form.data
    }
    return render_template("moderation/audit.html", form=form, page=page, args=args)
