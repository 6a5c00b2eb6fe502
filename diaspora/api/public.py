"""What anyone may read through the API, without a key: published projects, verified
institutions, the skills taxonomy and the public impact figures.

Each endpoint reads through the services the site's pages use, so the API shows what a
visitor of those pages sees and nothing more."""

import logging

from flask import request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort
from werkzeug.datastructures import MultiDict

from diaspora import i18n, skill_names
from diaspora.api import auth, schemas
from diaspora.api.problems import PROBLEM_JSON, ProblemSchema
from diaspora.main.limits import paginate
from diaspora.main.routes import LICENCE, LICENCE_URL
from diaspora.models import Institution, Project, Skill
from diaspora.search import SearchUnavailable
from diaspora.services import application_stats, discovery, profiles
from diaspora.services import impact as figures
from diaspora.services import institutions as institution_service
from diaspora.services import projects as project_service
from diaspora.validation import is_http_url

log = logging.getLogger(__name__)

bp = Blueprint(
    "api_public",
    __name__,
    url_prefix="/api/v1",
    description="Published projects, verified institutions, skills and impact: no key needed.",
)
auth.protect(bp)

SEARCH_RETRY_AFTER = 60


def _link(value: str | None) -> str | None:
    """A link as the site's pages show one: http(s) only."""
    return value.strip() if value and is_http_url(value) else None


def _institution_ref(institution: Institution) -> dict:
    return {
        "id": institution.id,
        "name": institution.name,
        "url": url_for("institutions.show", institution_id=institution.id, _external=True),
    }


def _project_url(project: Project) -> str:
    return url_for("projects.show", project_id=project.id, _external=True)


def project_item(project: Project) -> dict:
    """A search result: what the site's result card shows (the columns the search loads)."""
    return {
        "id": project.id,
        "url": _project_url(project),
        "title": project.title,
        "institution": _institution_ref(project.institution),
        "country": project.country,
        "sector": project.sector,
        "work_mode": project.work_mode.value,
        "deadline": project.deadline,
        "published_at": project.published_at,
    }


def project_detail(project: Project) -> dict:
    """What the project's page shows every visitor (templates/projects/_facts.html)."""
    return {
        "id": project.id,
        "url": _project_url(project),
        "title": project.title,
        "summary": project.summary,
        "description": project.description,
        "institution": _institution_ref(project.institution),
        "country": project.country,
        "region": project.region,
        "sector": project.sector,
        "engagement_mode": project.engagement_mode.value,
        "work_mode": project.work_mode.value,
        "compensation": project.compensation.value,
        "skills": [skill.name for skill in project.skills],
        "languages": list(project.languages or []),
        "written_in": project.written_in,
        "places": project.places,
        "places_left": project.places_left,
        "start_date": project.start_date,
        "duration_weeks": project.duration_weeks,
        "deadline": project.deadline,
        "published_at": project.published_at,
        "contact": {"name": project.contact_name, "role": project.contact_role},
        "info_url": _link(project.info_url),
    }


def institution_item(institution: Institution) -> dict:
    return {
        **_institution_ref(institution),
        "kind": institution.kind.value,
        "country": institution.country,
        "city": institution.city,
        "website": _link(institution.website),
    }


def institution_detail(institution: Institution) -> dict:
    """What the institution's page shows every visitor (templates/institutions/show.html)."""
    record = application_stats.institution_record(institution)
    answers = record["answers"]
    return {
        **institution_item(institution),
        "description": institution.description,
        "record": {
            "answers": None
            if answers is None
            else {
                "median_days": answers.days,
                "answered": answers.answered,
                "received": answers.received,
            },
            "completed": record["completed"],
        },
        "projects": [
            {"id": p.id, "title": p.title, "url": _project_url(p)}
            for p in institution_service.published_projects(institution)
        ],
    }


def skill_item(skill: Skill) -> dict:
    return {
        "name": skill.name,
        "sector": skill.sector,
        "labels": [label.label for label in skill.labels if label.source != "translation"],
        "names": {code: skill_names.skill_name(skill, code) for code in i18n.LANGUAGES},
    }


def problem(status: int, description: str, headers: dict[str, str] | None = None):
    """Document an error answer of an endpoint: a problem details body, and its headers."""
    return bp.alt_response(
        status,
        schema=ProblemSchema,
        content_type=PROBLEM_JSON,
        description=description,
        headers={
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in (headers or {}).items()
        }
        or None,
    )


RETRY_AFTER = {"Retry-After": "Seconds to wait before trying again."}


def _links(page: int, pages: int, args: dict) -> dict:
    """Absolute links to this page and its neighbours, with the query as it was read."""

    def link(number: int) -> str:
        return url_for(
            request.endpoint, _external=True, **{**request.view_args, **args, "page": number}
        )

    return {
        "self": link(page),
        "next": link(page + 1) if page < pages else None,
        "prev": link(page - 1) if page > 1 else None,
    }


def _page(items: list, page: int, per_page: int, pages: int, total: int, args: dict) -> dict:
    query = {k: v for k, v in args.items() if k not in ("page",) and v not in (None, "", [])}
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "pages": pages,
        "total": total,
        "links": _links(page, pages, query),
    }


@bp.route("/projects")
@bp.arguments(schemas.ProjectQuerySchema, location="query", as_kwargs=True)
@bp.response(200, schemas.ProjectPageSchema)
@problem(422, "A parameter is not valid.")
@problem(
    503, "Search is unavailable for a moment; try again after Retry-After seconds.", RETRY_AFTER
)
def projects(per_page, **args):
    """Search published projects

    The same search as the site's /search page: words, filters (values of one filter are
    alternatives; different filters must all match), the deadline and the order. Lists only
    projects open to applications.
    """
    search = discovery.ProjectSearch.from_args(MultiDict(_search_args(args)))
    try:
        found = discovery.search_projects(search, per_page=per_page)
    except SearchUnavailable as exc:
        log.warning("search unavailable: %s", exc)
        abort(
            503,
            message=_("Search is temporarily unavailable. Please try again in a few minutes."),
            headers={"Retry-After": str(SEARCH_RETRY_AFTER)},
        )
    results = found.results
    items = [project_item(project) for project, _title, _snippet in found.items]
    query = {**args, "per_page": per_page}
    return _page(items, results.page, per_page, max(results.pages, 1), results.total, query)


def _search_args(args: dict) -> list[tuple[str, str]]:
    """The validated parameters as the query string the site's search reads."""
    pairs = []
    for name, value in args.items():
        for each in value if isinstance(value, list) else [value]:
            if each is not None:
                pairs.append((name, str(each)))
    return pairs


@bp.route("/projects/<int:project_id>")
@bp.response(200, schemas.ProjectSchema)
@problem(404, "No project open to applications has this id.")
def project(project_id):
    """One published project

    A project open to applications, with what its page on the site shows anyone. Any other
    id (a draft, a closed project, none at all) is answered the same 404.
    """
    found = project_service.listed_project(project_id)
    if found is None:
        abort(404)
    return project_detail(found)


@bp.route("/institutions")
@bp.arguments(schemas.InstitutionQuerySchema, location="query", as_kwargs=True)
@bp.response(200, schemas.InstitutionPageSchema)
@problem(422, "A parameter is not valid.")
def institutions(page, per_page, country=None):
    """List verified institutions

    Institutions a coordinator verified, by name; only those may post projects.
    """
    found = paginate(institution_service.verified_query(country), per_page=per_page)
    return _page(
        [institution_item(i) for i in found.items],
        found.page,
        per_page,
        max(found.pages, 1),
        found.total,
        {"country": country, "per_page": per_page},
    )


@bp.route("/institutions/<int:institution_id>")
@bp.response(200, schemas.InstitutionSchema)
@problem(404, "No verified institution has this id.")
def institution(institution_id):
    """One verified institution

    What its page on the site shows anyone: who it is, how it answers applicants, and its
    published projects.
    """
    found = institution_service.verified_institution(institution_id)
    if found is None:
        abort(404)
    return institution_detail(found)


@bp.route("/skills")
@bp.arguments(schemas.SkillQuerySchema, location="query", as_kwargs=True)
@bp.response(200, schemas.SkillPageSchema)
@problem(422, "A parameter is not valid.")
def skills(page, per_page, q=""):
    """List the skills taxonomy

    The curated skills projects and members are described with, by English name, with
    their other names and their name in each language of the site.
    """
    found = paginate(profiles.curated_skills_query(q), per_page=per_page)
    return _page(
        [skill_item(skill) for skill in found.items],
        found.page,
        per_page,
        max(found.pages, 1),
        found.total,
        {"q": q, "per_page": per_page},
    )


@bp.route("/impact")
@bp.response(200, schemas.ImpactSchema)
def impact():
    """The network's impact

    The figures of the site's public impact page, as its open data gives them (countries
    by English name with their codes). No figure counts fewer than five people. Before
    the figures are first computed, ``generated_at`` and ``period`` are null and there are
    no tables, as the page then says.
    """
    licence = {"licence": LICENCE, "licence_url": LICENCE_URL}
    try:
        report = figures.open_data(figures.public_figures())
    except figures.NotComputed:
        return {"period": None, "generated_at": None, "tables": {}, **licence}
    data = report.to_json()
    data.pop("filters", None)
    data["generated_at"] = report.generated_at
    return {**data, **licence}
