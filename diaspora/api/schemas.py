"""Marshmallow schemas of the public API: what a query may ask (validated, so a bad value is
a 422 problem naming the field) and what an answer holds (the OpenAPI document is written
from them). The descriptions are the document's own words, in English."""

import marshmallow as ma
from marshmallow import validate

from diaspora import catalog
from diaspora.models import Compensation, EngagementMode, InstitutionType, WorkMode
from diaspora.search import SORTS
from diaspora.services.discovery import DEADLINE_CHOICES, MAX_QUERY
from diaspora.validation import MAX_PAGE

MAX_VALUE = 200
MAX_VALUES = 20
MAX_PER_PAGE = 50


class QuerySchema(ma.Schema):
    """Query strings: parameters the API does not know are ignored."""

    class Meta:
        unknown = ma.EXCLUDE


def _text(description: str, limit: int = MAX_VALUE) -> ma.fields.String:
    return ma.fields.String(
        validate=validate.Length(max=limit), metadata={"description": description}
    )


def _repeatable(description: str, inner: ma.fields.Field) -> ma.fields.List:
    return ma.fields.List(
        inner,
        validate=validate.Length(max=MAX_VALUES),
        load_default=list,
        metadata={"description": description + " Repeat the parameter for several values."},
    )


class PageQuerySchema(QuerySchema):
    page = ma.fields.Integer(
        load_default=1,
        validate=validate.Range(1, MAX_PAGE),
        metadata={"description": "The page to show; past the last page, the last page."},
    )
    per_page = ma.fields.Integer(
        load_default=20,
        validate=validate.Range(1, MAX_PER_PAGE),
        metadata={"description": "How many items a page holds."},
    )


class ProjectQuerySchema(PageQuerySchema):
    """The same search as the site's /search page."""

    q = _text("Words to look for, as typed in the site's search box.", MAX_QUERY)
    country = _repeatable(
        "Country of the project (ISO 3166 alpha-2 code).",
        ma.fields.String(validate=validate.Regexp(r"^[A-Za-z]{2}$")),
    )
    sector = _repeatable(
        "Sector key (see the sector of a project).",
        ma.fields.String(validate=validate.OneOf(list(catalog.sectors()))),
    )
    engagement_mode = _repeatable(
        "How the expert takes part.",
        ma.fields.String(validate=validate.OneOf([m.value for m in EngagementMode])),
    )
    work_mode = _repeatable(
        "Remote, on site or hybrid.",
        ma.fields.String(validate=validate.OneOf([m.value for m in WorkMode])),
    )
    compensation = _repeatable(
        "What the project pays or covers.",
        ma.fields.String(validate=validate.OneOf([m.value for m in Compensation])),
    )
    skills = _repeatable(
        "A skill the project needs, by its English name (see /api/v1/skills).",
        ma.fields.String(validate=validate.Length(min=1, max=MAX_VALUE)),
    )
    within = ma.fields.Integer(
        validate=validate.OneOf(DEADLINE_CHOICES),
        metadata={
            "description": "Only projects whose application deadline is within so many days."
        },
    )
    sort = ma.fields.String(
        load_default="relevance",
        validate=validate.OneOf(SORTS),
        metadata={"description": "Order of the results (no words to look for: newest first)."},
    )


class InstitutionQuerySchema(PageQuerySchema):
    country = ma.fields.String(
        validate=validate.Regexp(r"^[A-Za-z]{2}$"),
        metadata={"description": "Only institutions of this country (ISO 3166 alpha-2 code)."},
    )


class SkillQuerySchema(PageQuerySchema):
    q = _text("Only skills whose name or another name starts with this, in any case.", 120)


# --------------------------------------------------------------------------- answers


class LinksSchema(ma.Schema):
    self = ma.fields.Url(required=True, metadata={"description": "This page."})
    next = ma.fields.Url(
        required=True, allow_none=True, metadata={"description": "The next page, if any."}
    )
    prev = ma.fields.Url(
        required=True, allow_none=True, metadata={"description": "The previous page, if any."}
    )


class PageSchema(ma.Schema):
    """What every list answers: a page of items and where the others are."""

    page = ma.fields.Integer(required=True, metadata={"description": "This page's number."})
    per_page = ma.fields.Integer(required=True, metadata={"description": "Items per page."})
    pages = ma.fields.Integer(required=True, metadata={"description": "How many pages there are."})
    total = ma.fields.Integer(required=True, metadata={"description": "How many items in all."})
    links = ma.fields.Nested(LinksSchema, required=True)


class InstitutionRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    url = ma.fields.Url(required=True, metadata={"description": "The institution's page."})


class ProjectItemSchema(ma.Schema):
    """A project as a search result shows it."""

    id = ma.fields.Integer(required=True)
    url = ma.fields.Url(required=True, metadata={"description": "The project's page on the site."})
    title = ma.fields.String(required=True)
    institution = ma.fields.Nested(InstitutionRefSchema, required=True)
    country = ma.fields.String(required=True, metadata={"description": "ISO 3166 alpha-2 code."})
    sector = ma.fields.String(required=True)
    work_mode = ma.fields.String(
        required=True, validate=validate.OneOf([m.value for m in WorkMode])
    )
    deadline = ma.fields.Date(
        required=True, allow_none=True, metadata={"description": "Last day to apply, if any."}
    )
    published_at = ma.fields.DateTime(required=True, allow_none=True)


class ProjectPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(ProjectItemSchema), required=True)


class ContactSchema(ma.Schema):
    name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)


class ProjectSchema(ma.Schema):
    """A published project, as its page on the site shows it to anyone."""

    id = ma.fields.Integer(required=True)
    url = ma.fields.Url(required=True, metadata={"description": "The project's page on the site."})
    title = ma.fields.String(required=True)
    summary = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    institution = ma.fields.Nested(InstitutionRefSchema, required=True)
    country = ma.fields.String(required=True, metadata={"description": "ISO 3166 alpha-2 code."})
    region = ma.fields.String(required=True)
    sector = ma.fields.String(required=True)
    engagement_mode = ma.fields.String(
        required=True, validate=validate.OneOf([m.value for m in EngagementMode])
    )
    work_mode = ma.fields.String(
        required=True, validate=validate.OneOf([m.value for m in WorkMode])
    )
    compensation = ma.fields.String(
        required=True, validate=validate.OneOf([m.value for m in Compensation])
    )
    skills = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "The skills needed, by their English names."},
    )
    languages = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "Languages the work is done in (ISO 639-1 codes)."},
    )
    written_in = ma.fields.String(
        required=True, metadata={"description": "The language of the listing's text."}
    )
    places = ma.fields.Integer(required=True)
    places_left = ma.fields.Integer(required=True)
    start_date = ma.fields.Date(required=True, allow_none=True)
    duration_weeks = ma.fields.Integer(required=True, allow_none=True)
    deadline = ma.fields.Date(required=True, allow_none=True)
    published_at = ma.fields.DateTime(required=True, allow_none=True)
    contact = ma.fields.Nested(
        ContactSchema,
        required=True,
        metadata={"description": "Who to ask, as the project's page names them."},
    )
    info_url = ma.fields.Url(
        required=True, allow_none=True, metadata={"description": "More information elsewhere."}
    )


class AnswerTimeSchema(ma.Schema):
    median_days = ma.fields.Integer(
        required=True, metadata={"description": "Median days to a first answer, rounded up."}
    )
    answered = ma.fields.Integer(required=True)
    received = ma.fields.Integer(required=True)


class RecordSchema(ma.Schema):
    answers = ma.fields.Nested(
        AnswerTimeSchema,
        required=True,
        allow_none=True,
        metadata={
            "description": "How it answered applications over the last 12 months "
            "(none while fewer than 3 were answered)."
        },
    )
    completed = ma.fields.Integer(
        required=True, metadata={"description": "Engagements completed with it."}
    )


class ProjectRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    url = ma.fields.Url(required=True)


class InstitutionItemSchema(ma.Schema):
    """A verified institution."""

    id = ma.fields.Integer(required=True)
    url = ma.fields.Url(required=True, metadata={"description": "Its page on the site."})
    name = ma.fields.String(required=True)
    kind = ma.fields.String(
        required=True, validate=validate.OneOf([k.value for k in InstitutionType])
    )
    country = ma.fields.String(required=True)
    city = ma.fields.String(required=True)
    website = ma.fields.Url(required=True, allow_none=True)


class InstitutionSchema(InstitutionItemSchema):
    """A verified institution, as its page on the site shows it to anyone."""

    description = ma.fields.String(required=True)
    record = ma.fields.Nested(RecordSchema, required=True)
    projects = ma.fields.List(
        ma.fields.Nested(ProjectRefSchema),
        required=True,
        metadata={"description": "Its published projects, newest first."},
    )


class InstitutionPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(InstitutionItemSchema), required=True)


class SkillSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"description": "The English name."})
    sector = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "The sector it belongs to."}
    )
    labels = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "Other names search reads as this skill."},
    )
    names = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        required=True,
        metadata={"description": "The name in each language of the site, by language code."},
    )


class SkillPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(SkillSchema), required=True)


class ImpactTableSchema(ma.Schema):
    title = ma.fields.String(required=True)
    columns = ma.fields.List(ma.fields.String(), required=True)
    rows = ma.fields.List(
        ma.fields.List(ma.fields.Raw(allow_none=True)),
        required=True,
        metadata={
            "description": "One list per row, in the order of ``columns``; a hidden "
            "figure (too few people) is null."
        },
    )


class ImpactSchema(ma.Schema):
    """The figures of the public impact page, as its open data gives them."""

    period = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "YYYY-MM:YYYY-MM."}
    )
    generated_at = ma.fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the figures were computed (null: not yet)."},
    )
    licence = ma.fields.String(required=True)
    licence_url = ma.fields.Url(required=True)
    tables = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Nested(ImpactTableSchema), required=True
    )
