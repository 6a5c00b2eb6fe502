"""What an API key's owner may do: an institution's representatives manage its projects
and answer its applications; a coordinator reads the moderation queue. Every endpoint calls
the service functions the site's pages call, with the key's owner as the actor.

What a request sends goes through the site's own form (the project form, the decision
form, the reason form), filled with the JSON as if it had been posted: the same limits,
required fields, allowed values and clean-up of control characters, in one place. A
project, institution or application the owner does not manage is not found (404), as if
it did not exist. A write is one transaction, committed once, like a page's
(:func:`diaspora.main.unit_of_work.unit_of_work`); mail and notifications are queued in it
by the services.
"""

import re
from datetime import date

from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from werkzeug.datastructures import MultiDict

from diaspora.api import KEY_NEEDED, auth
from diaspora.api.manage_schemas import (
    ApplicationPageSchema,
    ApplicationSchema,
    ApplicationsQuerySchema,
    DecisionSchema,
    ManagedInstitutionSchema,
    ManagedProjectSchema,
    ProjectInputSchema,
    ProjectPatchSchema,
    QueueSchema,
    ReasonSchema,
)
from diaspora.applications.forms import DecisionForm
from diaspora.extensions import db
from diaspora.main.unit_of_work import unit_of_work
from diaspora.models import Application, ApplicationStatus, Institution, Project
from diaspora.projects.forms import ProjectForm, ReasonForm
from diaspora.services import (
    application_lists,
    application_profiles,
    applications,
    moderation,
    permissions,
    projects,
)
from diaspora.services.errors import Invalid

bp = Blueprint(
    "api_manage",
    __name__,
    url_prefix="/api/v1",
    description="An institution's projects and applications, and the moderation queue: "
    "with an API key.",
)
auth.protect(bp)


_SURROGATES = re.compile("[\ud800-\udfff]")

# --------------------------------------------------------------------------- helpers


def _text(value) -> str:
    """A value as a form receives it: text, without the lone UTF-16 surrogates JSON may
    carry (``"\\ud800"``) and no browser sends, which no database can store."""
    if isinstance(value, date):
        return value.isoformat()
    return _SURROGATES.sub("", str(value))


def _formdata(values: dict) -> MultiDict:
    """JSON values as a browser would post them to the site's form: lists as repeated
    fields (the skills as ``skills-0``, ``skills-1``...), dates in ISO form, nothing for
    null."""
    data = MultiDict()
    for name, value in values.items():
        if value is None:
            continue
        if name == "skills":
            for index, item in enumerate(value):
                data.add(f"{name}-{index}", _text(item))
        elif isinstance(value, list):
            for item in value:
                data.add(name, _text(item))
        else:
            data.add(name, _text(value))
    return data


def _messages(errors) -> list[str]:
    """A field's messages; a list of fields (the skills) gives those of every entry."""
    found: list[str] = []
    for error in errors:
        found += _messages(error) if isinstance(error, list | dict) else [str(error)]
    return found


def _checked(form_class, values: dict):
    """``form_class`` filled with ``values`` and validated, or a 422 naming each field and
    what is wrong with it, as the form would on the page."""
    form = form_class(formdata=_formdata(values), meta={"csrf": False})
    if not form.validate():
        errors = {
            name: _messages(messages.values() if isinstance(messages, dict) else messages)
            for name, messages in form.errors.items()
        }
        abort(422, message=_("Check the fields named in errors."), errors={"json": errors})
    return form


def _write(work):
    """Run ``work`` as the request's transaction and commit it once; a rule of the service
    that what was sent breaks is a 422 (a 403, 404 or 409 refusal keeps its status)."""
    try:
        return unit_of_work(work)
    except Invalid as exc:
        message = exc.message or _("That could not be saved. Check what was sent.")
        abort(422, message=message, errors={"json": {"_schema": [message]}})


def _institution(institution_id: int) -> Institution:
    """An institution the key's owner represents, or 404."""
    institution = db.session.get(Institution, institution_id)
    if institution is None or not permissions.represents(auth.caller(), institution.id):
        abort(404)
    return institution


def _project(project_id: int) -> Project:
    """A project of an institution the key's owner represents, or 404."""
    project = db.session.get(Project, project_id)
    if project is None or not permissions.represents(auth.caller(), project.institution_id):
        abort(404)
    return project


def _application(application_id: int) -> Application:
    """An application to a project of the key owner's institution, or 404 (an applicant's
    own application is not managed here)."""
    user = auth.caller()
    application = applications.get_application(user, application_id)
    if permissions.side_of(user, application) != permissions.INSTITUTION_SIDE:
        abort(404)
    return application


def _shown(application: Application) -> dict:
    """The application as its page shows the institution's representative: the applicant
    only as far as the member shares their profile with this viewer."""
    viewer = auth.caller()
    applicant = None
    if application.member_id is not None:
        view = application_profiles.preview_for_institution(application, viewer)
        profile = None
        if view is not None and view.visible:
            profile = view.as_dict()
            profile.pop("user_id", None)
        applicant = {
            "name": application_profiles.applicant_name(application, viewer),
            "profile": profile,
        }
    return {
        "id": application.id,
        "project_id": application.project_id,
        "status": application.status.value,
        "created_at": application.created_at,
        "decided_at": application.decided_at,
        "motivation": application.motivation,
        "available_from": application.available_from,
        "available_until": application.available_until,
        "hours_per_month": application.hours_per_month,
        "work_mode": application.work_mode.value if application.work_mode else None,
        "applicant": applicant,
    }


def _project_form_values(project: Project | None, sent: dict) -> dict:
    """What the project form receives: the project's current values (when editing) with
    what was sent over them, so a field left out keeps its value."""
    values = vars(projects.project_data(project)) if project is not None else {}
    return {**values, **sent}


# --------------------------------------------------------------------------- institutions


@bp.route("/manage/institutions")
@bp.doc(security=KEY_NEEDED)
@auth.key_required
@bp.response(200, ManagedInstitutionSchema(many=True))
def institutions():
    """The institutions you represent."""
    return permissions.represented_institutions(auth.caller())


@bp.route("/manage/institutions/<int:institution_id>/projects")
class InstitutionProjects(MethodView):
    @bp.doc(security=KEY_NEEDED)
    @auth.key_required
    @bp.response(200, ManagedProjectSchema(many=True))
    def get(self, institution_id):
        """Every project of an institution you represent, whatever its status, in the order
        of the lifecycle, the most recently changed first."""
        grouped = projects.projects_of([_institution(institution_id)])
        return [project for group in grouped.values() for project in group]

    @bp.doc(security=KEY_NEEDED)
    @auth.key_required
    @bp.arguments(ProjectInputSchema)
    @bp.response(201, ManagedProjectSchema)
    def post(self, sent, institution_id):
        """Write a new draft. Submit it for review when it is ready."""
        _institution(institution_id)
        form = _checked(ProjectForm, _project_form_values(None, sent))
        return _write(
            lambda: projects.create_project(
                auth.caller(), _institution(institution_id), form.to_data()
            )
        )


# --------------------------------------------------------------------------- projects


@bp.route("/manage/projects/<int:project_id>")
class ManagedProject(MethodView):
    @bp.doc(security=KEY_NEEDED)
    @auth.key_required
    @bp.response(200, ManagedProjectSchema)
    def get(self, project_id):
        """A project of an institution you represent."""
        return _project(project_id)

    @bp.doc(security=KEY_NEEDED)
    @auth.key_required
    @bp.arguments(ProjectPatchSchema)
    @bp.response(200, ManagedProjectSchema)
    def patch(self, sent, project_id):
        """Edit a draft or a project sent back for changes; a field left out keeps its
        value."""
        form = _checked(ProjectForm, _project_form_values(_project(project_id), sent))
        return _write(
            lambda: projects.update_project(auth.caller(), _project(project_id), form.to_data())
        )


@bp.route("/manage/projects/<int:project_id>/submit", methods=["POST"])
@bp.doc(security=KEY_NEEDED)
@auth.key_required
@bp.response(200, ManagedProjectSchema)
def submit_project(project_id):
    """Submit a draft (or a project sent back for changes) for review by the coordinators.
    The institution must be verified."""
    _project(project_id)
    return _write(lambda: projects.submit(auth.caller(), _project(project_id)))


@bp.route("/manage/projects/<int:project_id>/close", methods=["POST"])
@bp.doc(security=KEY_NEEDED)
@auth.key_required
@bp.arguments(ReasonSchema, required=False)
@bp.response(200, ManagedProjectSchema)
def close_project(sent, project_id):
    """Close a published project to applications; applications still waiting end, and
    their applicants are told."""
    _project(project_id)
    form = _checked(ReasonForm, sent)
    reason = form.reason.data or ""
    return _write(lambda: projects.close(auth.caller(), _project(project_id), reason))


# --------------------------------------------------------------------------- applications


@bp.route("/manage/projects/<int:project_id>/applications")
@bp.doc(security=KEY_NEEDED)
@auth.key_required
@bp.arguments(ApplicationsQuerySchema, location="query")
@bp.response(200, ApplicationPageSchema)
def project_applications(query, project_id):
    """The applications to a project of an institution you represent, the oldest first
    (a withdrawn application is not listed)."""
    project = _project(project_id)
    status = ApplicationStatus(query["status"]) if query.get("status") else None
    page = db.paginate(
        application_lists.applicants_query(auth.caller(), project, status),
        page=query["page"],
        per_page=query["per_page"],
        error_out=False,
    )
    return {
        "items": [_shown(application) for application in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
    }


@bp.route("/manage/applications/<int:application_id>")
@bp.doc(security=KEY_NEEDED)
@auth.key_required
@bp.response(200, ApplicationSchema)
def application(application_id):
    """An application to a project of an institution you represent."""
    return _shown(_application(application_id))


@bp.route("/manage/applications/<int:application_id>/decision", methods=["POST"])
@bp.doc(security=KEY_NEEDED)
@auth.key_required
@bp.arguments(DecisionSchema)
@bp.response(200, ApplicationSchema)
def decide(sent, application_id):
    """Shortlist, accept or decline an application; the applicant is told. Accepting the
    last place closes the project."""
    _application(application_id)
    form = _checked(DecisionForm, sent)
    _write(
        lambda: applications.decide(
            auth.caller(), _application(application_id), form.decision.data, form.message.data
        )
    )
    return _shown(_application(application_id))


# --------------------------------------------------------------------------- moderation


@bp.route("/moderation/queue")
@bp.doc(security=KEY_NEEDED)
@auth.key_required
@bp.response(200, QueueSchema)
def moderation_queue():
    """What awaits coordinators, as the moderation page lists it: institutions to verify
    (or whose new name or website waits), projects to review (flagged ones first) and open
    reports. Coordinators only."""
    return moderation.queue(auth.caller())
