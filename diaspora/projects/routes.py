"""Project pages: the public list, a project's page, and the institutions' own projects."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from diaspora import catalog
from diaspora.extensions import db
from diaspora.forms import EmptyForm
from diaspora.main.limits import paginate
from diaspora.main.unit_of_work import form_action, form_refusal, unit_of_work
from diaspora.models import Institution, Project
from diaspora.projects import bp
from diaspora.projects.forms import ProjectForm, ReasonForm, ReportForm
from diaspora.security import is_safe_next
from diaspora.services import (
    application_panels,
    moderation,
    permissions,
    projects,
    saved_projects,
)

PER_PAGE = 20
REP_ACTIONS = ("submit", "close", "complete", "archive")

bp.add_app_template_filter(catalog.country_name, "country_name")
bp.add_app_template_filter(catalog.sector_name, "sector_name")
bp.add_app_template_filter(catalog.language_name, "language_name")
bp.add_app_template_filter(projects.reason_text, "reason_text")


@bp.app_template_global()
def institution_url(institution, endpoint: str = "institutions.show") -> str | None:
    """A page of the institutions area about ``institution``, when that area provides it."""
    if endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(endpoint, institution_id=institution.id)
    except BuildError:
        return None


def _visible_project(project_id: int) -> Project:
    """The project, or 404 for anyone who may not see it (no hint that it exists)."""
    project = db.get_or_404(Project, project_id)
    if not permissions.may_view_project(current_user, project):
        abort(404)
    return project


@bp.route("/")
def index():
    page = paginate(projects.listed_query(), per_page=PER_PAGE)
    return render_template("projects/index.html", page=page)


@bp.route("/<int:project_id>")
def show(project_id):
    project = _visible_project(project_id)
    is_rep = permissions.represents(current_user, project.institution_id)
    staff = is_rep or permissions.is_coordinator(current_user)
    return render_template(
        "projects/show.html",
        project=project,
        actions=[a for a in projects.allowed_actions(current_user, project) if a in REP_ACTIONS],
        is_rep=is_rep,
        history=projects.history(project) if staff else [],
        reason_form=ReasonForm(),
        panel=application_panels.project_panel(current_user, project),
        saved=current_user.is_authenticated and saved_projects.is_saved(current_user, project),
    )


@bp.route("/mine")
@login_required
def dashboard():
    institutions = permissions.represented_institutions(current_user)
    return render_template(
        "projects/dashboard.html",
        institutions=institutions,
        grouped=projects.projects_of(institutions),
        needs_confirmation=projects.needs_confirmation,
    )


@bp.route("/new/<int:institution_id>", methods=["GET", "POST"])
@login_required
def new(institution_id):
    institution = db.get_or_404(Institution, institution_id)
    if not permissions.represents(current_user, institution.id):
        abort(403)
    form = ProjectForm()
    if form.validate_on_submit():
        with form_refusal():
            project = unit_of_work(
                lambda: projects.create_project(current_user, institution, form.to_data())
            )
            flash(_("Draft saved. Submit it for review when it is ready."), "success")
            return redirect(url_for("projects.show", project_id=project.id))
    return render_template(
        "projects/form.html",
        form=form,
        institution=institution,
        skill_suggestions=projects.skill_suggestions(),
    )


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id):
    project = _visible_project(project_id)
    if not permissions.represents(current_user, project.institution_id):
        abort(403)
    stored = None if request.method == "POST" else vars(projects.project_data(project))
    form = ProjectForm(data=stored)
    if form.validate_on_submit():
        with form_refusal():
            unit_of_work(lambda: projects.update_project(current_user, project, form.to_data()))
            flash(_("Changes saved."), "success")
            return redirect(url_for("projects.show", project_id=project.id))
    return render_template(
        "projects/form.html",
        form=form,
        institution=project.institution,
        project=project,
        skill_suggestions=projects.skill_suggestions(),
    )


@bp.post("/<int:project_id>/status/<action>")
@login_required
def act(project_id, action):
    if action not in REP_ACTIONS:
        abort(404)
    project = db.get_or_404(Project, project_id)
    back = url_for("projects.show", project_id=project.id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400)
    unit_of_work(
        lambda: projects.transition(current_user, project, action, form.reason.data or ""),
        back=back,
    )
    flash(_("The project is now %(status)s.", status=project.status.label.lower()), "success")
    return redirect(back)


@bp.post("/<int:project_id>/still-current")
@login_required
def still_current(project_id):
    project = db.get_or_404(Project, project_id)
    back = url_for("projects.dashboard")
    if not EmptyForm().validate_on_submit():
        abort(400)
    unit_of_work(lambda: projects.confirm_current(current_user, project), back=back)
    flash(_("Thank you: the project is confirmed as current."), "success")
    return redirect(back)


@bp.route("/<int:project_id>/report", methods=["GET", "POST"])
@login_required
def report(project_id):
    project = _visible_project(project_id)
    form = ReportForm()
    if form.validate_on_submit():
        with form_refusal():
            unit_of_work(
                lambda: moderation.report_project(
                    current_user, project, form.reason.data, form.comment.data
                )
            )
            flash(_("Thank you. Coordinators will look at your report."), "success")
            return redirect(url_for("projects.show", project_id=project.id))
    return render_template(
        "projects/report.html",
        project=project,
        form=form,
        already=moderation.has_reported(current_user, project),
    )


@bp.route("/saved")
@login_required
def saved():
    return render_template("projects/saved.html", projects=saved_projects.saved_by(current_user))


@bp.post("/<int:project_id>/save")
@login_required
def save(project_id):
    project = _visible_project(project_id)
    return form_action(
        EmptyForm(),
        lambda: saved_projects.save(current_user, project),
        done=_("Saved. We will remind you a few days before the deadline."),
        back=url_for("projects.show", project_id=project.id),
    )


@bp.post("/<int:project_id>/unsave")
@login_required
def unsave(project_id):
    project = db.get_or_404(Project, project_id)
    if EmptyForm().validate_on_submit():
        unit_of_work(lambda: saved_projects.unsave(current_user, project))
        flash(_("Removed from your saved projects."), "info")
    back = request.form.get("next")
    return redirect(back if is_safe_next(back) else url_for("projects.saved"))
