"""Schemas of the endpoints with a key: what comes in states the limits of the site's own
forms (the form is what checks them, :mod:`diaspora.projects.forms` and
:mod:`diaspora.applications.forms`), what goes out is what the site's pages show the key's
owner. Fields a request may not set (status, places filled, dates of review) are not in
the input schemas, and a body that sends one, or a field the schema does not know (a typo),
is refused with a 422 naming it: nothing is changed in silence. The document says so
(``additionalProperties: false``). Query strings ignore parameters they do not know, as the
public API's do."""

import marshmallow as ma
from marshmallow import fields, validate

from diaspora import catalog, geo, i18n
from diaspora.applications.forms import DecisionForm
from diaspora.models import (
    ApplicationStatus,
    Compensation,
    EngagementMode,
    InstitutionStatus,
    InstitutionType,
    ProjectStatus,
    ReportReason,
    WorkMode,
)
from diaspora.services import applications, projects
from diaspora.services.screening import translate
from diaspora.validation import MAX_PAGE

TEXT = projects.TEXT_LIMITS
MAX_PER_PAGE = 100
SKILL_NAME_MAX = 120  # what projects.resolve_skills accepts for one name
DECISIONS = [choice.value for choice in DecisionForm.decision.kwargs["choices"]]
# The statuses a project's list of applicants shows (a withdrawn application is not there).
LISTED_APPLICATION_STATUSES = [
    status.value for status in ApplicationStatus if status != ApplicationStatus.WITHDRAWN
]


# What the forms' input rules (diaspora.forms) accept, as patterns the document states: a
# single-line field holds no line break; a required field holds a visible character once
# control characters are removed and spaces trimmed; a date lies between 1900 and 2199.
_BREAKS = "\\r\\n\\x0b\\x0c\\x1c\\x1d\\x1e\\x85\\u2028\\u2029"
_VISIBLE = "[^\\s\\x00-\\x1f\\x7f-\\x9f]"
SINGLE_LINE = f"^[^{_BREAKS}]*$"
SINGLE_LINE_REQUIRED = f"^[^{_BREAKS}]*{_VISIBLE}[^{_BREAKS}]*$"
MULTI_LINE_REQUIRED = _VISIBLE
ONE_SKILL = f"^[^,{_BREAKS}]*$"
# Spelled with explicit classes (no \\s or \\S, which JSON Schema and Python read apart), and
# checked by the schema itself: a link the document refuses is never accepted.
_SPACE = "[ \\t\\n\\r]"
_NOT_IN_LINK = (
    " \\t\\n\\r\\f\\v\\x00-\\x1f\\x7f-\\xa0"
    "\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
HTTP_LINK = (
    f"^{_SPACE}*(?:[Hh][Tt][Tt][Pp][Ss]?://[^{_NOT_IN_LINK}/?#\\[\\]@]+"
    f"(?:[/?#][^{_NOT_IN_LINK}]*)?)?{_SPACE}*$"
)
IN_RANGE_DATE = "^(19|20|21)[0-9]{2}-"


def _text(limit: int, pattern: str, **kwargs) -> fields.String:
    """A text field of at most ``limit`` characters, matching ``pattern`` (checked by the
    form's own rules; the pattern tells the document)."""
    return fields.String(
        validate=validate.Length(max=limit), metadata={"pattern": pattern}, **kwargs
    )


def _date(**kwargs) -> fields.Date:
    return fields.Date(
        metadata={"pattern": IN_RANGE_DATE, "description": "Between 1900 and 2199."}, **kwargs
    )


def _values(enum) -> list[str]:
    return [member.value for member in enum]


def _enum(getter, enum, **metadata) -> fields.Function:
    """An output field of one of ``enum``'s values, read by ``getter``."""
    return fields.Function(
        getter, required=True, metadata={"type": "string", "enum": _values(enum), **metadata}
    )


class Input(ma.Schema):
    """A JSON body: a field it does not list is a 422 naming it."""

    class Meta:
        unknown = ma.RAISE


class Query(ma.Schema):
    """A query string: parameters it does not list are ignored."""

    class Meta:
        unknown = ma.EXCLUDE


# --------------------------------------------------------------------------- in


class ProjectInputSchema(Input):
    """A project's fields as a representative writes them (the project form's fields)."""

    title = _text(TEXT["title"], SINGLE_LINE_REQUIRED, required=True)
    summary = _text(TEXT["summary"], MULTI_LINE_REQUIRED, required=True)
    description = _text(TEXT["description"], MULTI_LINE_REQUIRED, required=True)
    written_in = fields.String(
        validate=validate.OneOf(list(i18n.LANGUAGES)),
        metadata={"description": "The language of the text; the request's language if left out."},
    )
    country = fields.String(required=True, validate=validate.OneOf(geo.country_codes()))
    region = _text(TEXT["region"], SINGLE_LINE)
    sector = fields.String(required=True, validate=validate.OneOf(list(catalog.sectors())))
    skills = fields.List(
        _text(SKILL_NAME_MAX, ONE_SKILL),
        validate=validate.Length(max=projects.MAX_SKILLS),
        metadata={
            "description": "One skill name per item; a name not in the taxonomy is added as "
            "a free skill."
        },
    )
    engagement_mode = fields.String(required=True, validate=validate.OneOf(_values(EngagementMode)))
    work_mode = fields.String(
        validate=validate.OneOf(_values(WorkMode)),
        metadata={"description": "remote if left out when creating."},
    )
    start_date = _date(allow_none=True)
    duration_weeks = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=520)
    )
    deadline = fields.Date(
        required=True,
        metadata={
            "pattern": IN_RANGE_DATE,
            "description": "The application deadline, between 1900 and 2199; it must come "
            "before the start date (422 otherwise).",
        },
    )
    places = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=500),
        metadata={"description": "1 if left out when creating."},
    )
    compensation = fields.String(required=True, validate=validate.OneOf(_values(Compensation)))
    languages = fields.List(fields.String(validate=validate.OneOf(geo.language_codes())))
    contact_name = _text(TEXT["contact_name"], SINGLE_LINE_REQUIRED, required=True)
    contact_role = _text(TEXT["contact_role"], SINGLE_LINE)
    info_url = fields.String(
        validate=[validate.Length(max=TEXT["info_url"]), validate.Regexp(HTTP_LINK)],
        metadata={"description": "An http:// or https:// link, or empty."},
    )


class ProjectPatchSchema(ProjectInputSchema):
    """Some of a project's fields: those left out keep their value."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)


class ReasonSchema(Input):
    reason = fields.String(
        validate=validate.Length(max=2000),
        metadata={"description": "Optional; applicants still waiting are told it."},
    )


class DecisionSchema(Input):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    message = fields.String(
        validate=validate.Length(max=applications.DECISION_MESSAGE_MAX),
        metadata={"description": "Optional; sent to the applicant with the answer."},
    )


class ApplicationsQuerySchema(Query):
    status = fields.String(validate=validate.OneOf(LISTED_APPLICATION_STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE))


# --------------------------------------------------------------------------- out


class ManagedInstitutionSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = _enum(lambda i: i.kind.value, InstitutionType)
    country = fields.String(required=True)
    city = fields.String(required=True)
    website = fields.String(required=True)
    status = _enum(
        lambda i: i.status.value,
        InstitutionStatus,
        description="Only a verified institution may submit projects.",
    )


class ManagedProjectSchema(ma.Schema):
    """A project as its institution's representatives see it."""

    id = fields.Integer(required=True)
    institution_id = fields.Integer(required=True)
    status = _enum(lambda p: p.status.value, ProjectStatus)
    coordinators_reason = fields.Method(
        "_reason",
        metadata={
            "type": "string",
            "description": "What coordinators wrote when they sent the project back for "
            "changes or rejected it; empty otherwise.",
        },
    )
    flagged = fields.Boolean(
        required=True,
        metadata={"description": "Automatic screening found wording coordinators will check."},
    )
    title = fields.String(required=True)
    summary = fields.String(required=True)
    description = fields.String(required=True)
    written_in = fields.String(required=True)
    country = fields.String(required=True)
    region = fields.String(required=True)
    sector = fields.String(required=True)
    skills = fields.Function(
        lambda p: [skill.name for skill in p.skills],
        metadata={"type": "array", "items": {"type": "string"}},
    )
    engagement_mode = _enum(lambda p: p.engagement_mode.value, EngagementMode)
    work_mode = _enum(lambda p: p.work_mode.value, WorkMode)
    start_date = fields.Date(allow_none=True)
    duration_weeks = fields.Integer(allow_none=True)
    deadline = fields.Date(allow_none=True)
    places = fields.Integer(required=True)
    places_filled = fields.Integer(required=True)
    compensation = _enum(lambda p: p.compensation.value, Compensation)
    languages = fields.List(fields.String(), required=True)
    contact_name = fields.String(required=True)
    contact_role = fields.String(required=True)
    info_url = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    submitted_at = fields.DateTime(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)

    def _reason(self, project) -> str:
        if project.status in (ProjectStatus.CHANGES_REQUESTED, ProjectStatus.REJECTED):
            return projects.reason_text(project.status_reason or "")
        return ""


class LanguageSchema(ma.Schema):
    code = fields.String(required=True)
    proficiency = fields.String(required=True)


class EducationSchema(ma.Schema):
    degree = fields.String(allow_none=True)
    field = fields.String(allow_none=True)
    institution = fields.String(allow_none=True)
    year = fields.Integer(allow_none=True)


class TravelWindowSchema(ma.Schema):
    country = fields.String(required=True)
    start = fields.String(required=True, metadata={"format": "date"})
    end = fields.String(required=True, metadata={"format": "date"})


class ApplicantProfileSchema(ma.Schema):
    """The parts of the applicant's profile the member lets this institution see: a part
    they keep from it is not in the object at all."""

    display_name = fields.String(required=True)
    headline = fields.String(allow_none=True)
    bio = fields.String(allow_none=True)
    origin_country = fields.String(allow_none=True)
    residence_country = fields.String(allow_none=True)
    city = fields.String(allow_none=True)
    languages = fields.List(fields.Nested(LanguageSchema))
    skills = fields.List(fields.String())
    skills_to_develop = fields.List(fields.String())
    sectors = fields.List(fields.String())
    education = fields.List(fields.Nested(EducationSchema))
    years_experience = fields.Integer(allow_none=True)
    engagement_modes = fields.List(fields.String())
    availability_hours = fields.Integer(allow_none=True)
    website = fields.String(allow_none=True)
    orcid = fields.String(allow_none=True)
    professional_url = fields.String(allow_none=True)
    travel_windows = fields.List(fields.Nested(TravelWindowSchema))


class ApplicantSchema(ma.Schema):
    name = fields.String(
        required=True,
        metadata={"description": "The member's name, or a phrase when they do not share it."},
    )
    profile = fields.Nested(
        ApplicantProfileSchema,
        allow_none=True,
        metadata={"description": "null when the member shares no part of their profile."},
    )


class ApplicationSchema(ma.Schema):
    """An application as the institution's application page shows it."""

    id = fields.Integer(required=True)
    project_id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": _values(ApplicationStatus)})
    applied_at = fields.DateTime(attribute="created_at", required=True)
    decided_at = fields.DateTime(allow_none=True)
    motivation = fields.String(required=True)
    available_from = fields.Date(allow_none=True)
    available_until = fields.Date(allow_none=True)
    hours_per_month = fields.Integer(allow_none=True)
    work_mode = fields.String(allow_none=True, metadata={"enum": [*_values(WorkMode), None]})
    applicant = fields.Nested(
        ApplicantSchema,
        allow_none=True,
        metadata={"description": "null once the member has left the network."},
    )


class ApplicationPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ApplicationSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class QueueInstitutionSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    kind = _enum(lambda i: i.kind.value, InstitutionType)
    country = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    status = _enum(lambda i: i.status.value, InstitutionStatus)
    pending_name = fields.String(allow_none=True)
    pending_website = fields.String(allow_none=True)
    pending_since = fields.DateTime(allow_none=True)


class QueueProjectSchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    institution_id = fields.Integer(required=True)
    institution_name = fields.Function(
        lambda p: p.institution.name, required=True, metadata={"type": "string"}
    )
    submitted_at = fields.DateTime(allow_none=True)
    flagged = fields.Boolean(required=True)
    screening = fields.Function(
        lambda p: [translate(group.get("title", "")) for group in (p.screening or [])],
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "What screening found, by kind, in the request's language.",
        },
    )


class QueueReportSchema(ma.Schema):
    id = fields.Integer(required=True)
    project_id = fields.Integer(required=True)
    project_title = fields.Function(
        lambda r: r.project.title, required=True, metadata={"type": "string"}
    )
    project_status = _enum(lambda r: r.project.status.value, ProjectStatus)
    reason = _enum(lambda r: r.reason.value, ReportReason)
    comment = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class QueueSchema(ma.Schema):
    """What awaits coordinators, as the moderation page lists it."""

    institutions = fields.List(fields.Nested(QueueInstitutionSchema), required=True)
    projects = fields.List(fields.Nested(QueueProjectSchema), required=True)
    reports = fields.List(fields.Nested(QueueReportSchema), required=True)
