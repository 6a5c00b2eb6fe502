"""Thin views over diaspora.services.discovery."""

import logging
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote_plus, urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from diaspora import catalog, i18n, skill_names
from diaspora.discovery import bp
from diaspora.discovery.forms import SaveSearchForm
from diaspora.forms import EmptyForm
from diaspora.main.unit_of_work import unit_of_work
from diaspora.models import Compensation, EngagementMode, WorkMode
from diaspora.search import SearchUnavailable
from diaspora.services import discovery, permissions
from diaspora.services.notifications import Frequency, frequency_for

log = logging.getLogger(__name__)

FACET_LABELS = {
    "country": _l("Country"),
    "sector": _l("Sector"),
    "engagement_mode": _l("Engagement"),
    "work_mode": _l("Remote or on site"),
    "compensation": _l("Compensation"),
    "skills": _l("Skills"),
}
SORT_LABELS = {
    "relevance": _l("Relevance"),
    "newest": _l("Newest"),
    "deadline": _l("Deadline soonest"),
}


def facet_label(name: str, value: str) -> str:
    """A readable label for a facet value, in the page's language."""
    return _facet_label(name, value, i18n.current())


@lru_cache(maxsize=4096)
def _facet_label(name: str, value: str, language: str) -> str:
    """:func:`facet_label` once per language (the cache keeps each language's names)."""
    try:
        if name == "country":
            return catalog.country_name(value.upper())
        if name == "sector":
            return catalog.sector_name(value)
        if name == "engagement_mode":
            return EngagementMode(value).label
        if name == "work_mode":
            return WorkMode(value).label
        if name == "compensation":
            return Compensation(value).label
        if name == "skills":
            return skill_names.skill_name(value, language)
    except ValueError:
        return value
    return value


# What Werkzeug leaves unescaped in a query string, so links read as url_for's do.
_QUERY_SAFE = "!$'()*,/:;?@"


class SearchLinks:
    """Links to the project search with given parameters: ``url_for`` once for the path,
    then only the query string per link (a result page has a link per facet value)."""

    def __init__(self, path: str):
        self.path = path

    def __call__(self, params: dict) -> str:
        if not params:
            return self.path
        query = urlencode(params, doseq=True, safe=_QUERY_SAFE, quote_via=quote_plus)
        return f"{self.path}?{query}"


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    checked: bool
    href: str  # this search with the value switched on or off


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    values: list[FacetValue]


def facets_of(search: discovery.ProjectSearch, counts: dict, links: SearchLinks):
    """The facet blocks of a result page, in ``FACET_LABELS`` order, leaving out empty ones."""
    blocks = []
    for name, label in FACET_LABELS.items():
        values = counts.get(name)
        if not values:
            continue
        chosen = search.filters.get(name, ())
        blocks.append(
            Facet(
                name,
                str(label),
                [
                    FacetValue(
                        value,
                        facet_label(name, value),
                        count,
                        value in chosen,
                        links(search.toggled(name, value)),
                    )
                    for value, count in values.items()
                ],
            )
        )
    return blocks


def _unavailable(exc: SearchUnavailable, template: str, **context):
    log.warning("search unavailable: %s", exc)
    reason = str(exc) if permissions.is_coordinator(current_user) else None
    return render_template(template, unavailable=True, reason=reason, **context), 503


FEED_FILTERS = ("country", "sector")


def feed_of(search: discovery.ProjectSearch) -> tuple[dict, str]:
    """The feed that follows this search: its parameters (the search's countries and
    sectors, all the feeds filter by) and how much of the search it covers: "results"
    (exactly these results), "filters" (these countries and sectors, whatever else was
    asked) or "all" (every open project)."""
    params = {name: search.filters[name] for name in FEED_FILTERS if name in search.filters}
    exact = not search.query and search.within is None and set(search.filters) <= set(params)
    return params, "results" if exact else ("filters" if params else "all")


@bp.route("/search")
def projects():
    search = discovery.ProjectSearch.from_args(request.args)
    feed_params, feed_scope = feed_of(search)
    context = {
        "search": search,
        "feed_params": feed_params,
        "feed_scope": feed_scope,
        "sort_labels": SORT_LABELS,
        "deadline_choices": discovery.DEADLINE_CHOICES,
        "save_form": SaveSearchForm(
            frequency=frequency_for(current_user, "saved_search").value
            if current_user.is_authenticated
            else Frequency.WEEKLY.value
        ),
        "partners_view": search.source == discovery.PARTNERS,
    }
    links = SearchLinks(url_for("discovery.projects"))
    if context["partners_view"]:
        try:
            page = discovery.search_partner_projects(search)
        except SearchUnavailable as exc:
            return _unavailable(exc, "discovery/projects.html", **context)
        facets = facets_of(search, page.results.facets, links)
        return render_template(
            "discovery/projects.html", page=page, facets=facets, unavailable=False, **context
        )
    try:
        page = discovery.search_projects(search)
    except SearchUnavailable as exc:
        return _unavailable(exc, "discovery/projects.html", **context)
    partners, partners_unavailable = discovery.partner_preview(search)
    return render_template(
        "discovery/projects.html",
        page=page,
        facets=facets_of(search, page.results.facets, links),
        partners=partners,
        partners_unavailable=partners_unavailable,
        unavailable=False,
        **context,
    )


@bp.route("/search/saved", methods=["GET"])
@login_required
def saved():
    return render_template(
        "discovery/saved.html",
        searches=[
            (s, discovery.describe(s), discovery.search_of(s).params())
            for s in discovery.saved_searches(current_user)
        ],
        frequency=frequency_for(current_user, "saved_search"),
        form=EmptyForm(),
    )


@bp.route("/search/saved", methods=["POST"])
@login_required
def save():
    form = SaveSearchForm()
    search = discovery.ProjectSearch.from_args(request.form)
    back = url_for("discovery.projects", **search.params())
    if not form.validate_on_submit():
        flash(_("The search could not be saved. Please try again."), "error")
        return redirect(back)
    frequency = Frequency(form.frequency.data)
    unit_of_work(lambda: discovery.save_search(current_user, search, frequency), back=back)
    flash(_("Search saved. New matching projects will appear in your digest."), "success")
    return redirect(url_for("discovery.saved"))


@bp.route("/search/saved/<int:saved_id>/delete", methods=["POST"])
@login_required
def delete_saved(saved_id):
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    unit_of_work(lambda: discovery.delete_saved_search(current_user, saved_id))
    flash(_("Saved search deleted."), "success")
    return redirect(url_for("discovery.saved"))


@bp.route("/experts")
@login_required
def experts():
    search = discovery.ExpertSearch.from_args(request.args)
    context = {
        "search": search,
        "countries": catalog.countries(),
        "sectors": catalog.sector_names(),
        "languages": catalog.languages(),
        "modes": [(m.value, m.label) for m in EngagementMode],
    }
    try:
        page = discovery.search_experts(current_user, search)
    except SearchUnavailable as exc:
        return _unavailable(exc, "discovery/experts.html", **context)
    return render_template("discovery/experts.html", page=page, unavailable=False, **context)


@bp.app_template_filter("safe_snippet")
def safe_snippet(value: str) -> Markup:
    """Mark the engine's snippets safe: it escapes the text and adds only <mark> tags."""
    return Markup(value)  # noqa: S704 - engine output: escaped text plus <mark> only


@bp.app_template_global()
def may_search_experts() -> bool:
    return discovery.may_search_experts(current_user)
