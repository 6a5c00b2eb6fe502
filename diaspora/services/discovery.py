"""Project and expert search for the app: who may search what, and loading results.

The engine (:mod:`diaspora.search`) ranks ids and makes snippets; this module decides the
searcher's clearance, re-checks every result against the database (a project that closed or
a member who hid since the last indexing is dropped), and keeps saved searches.

Projects of the networks this one follows live in an index of their own (``shared``): the
project search shows them apart, marked with their network and linking there to apply. Only
the search page reads it; saved-search digests, recommendations, the API and the feeds list
this network's own projects, so nothing read from a partner is passed on to another.
"""

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from diaspora import skill_names
from diaspora.extensions import db
from diaspora.models import (
    FollowedNetwork,
    Institution,
    Profile,
    Project,
    RemoteProject,
    SavedSearch,
    SearchChange,
    Skill,
    SkillLabel,
    User,
)
from diaspora.search import (
    APPLIED_INSTITUTIONS,
    PUBLIC,
    SIGNED_IN,
    SORTS,
    Clearance,
    SearchUnavailable,
    SynonymMatch,
    Thesaurus,
)
from diaspora.services import permissions
from diaspora.services import projects as project_service
from diaspora.services.errors import Conflict, Invalid, NotAllowed, NotFound
from diaspora.services.indexing import documents, indexer, languages
from diaspora.services.notifications import Frequency
from diaspora.services.privacy import listed_condition, may_see_member
from diaspora.validation import clean_line, is_http_url, page_number, shown_host

log = logging.getLogger(__name__)

PER_PAGE = 20
# How many partner projects the search page shows after its own results.
PARTNER_PREVIEW = 5
# ``source=partners``: the page lists only the projects of followed networks.
PARTNERS = "partners"
MAX_QUERY = 200
MAX_SAVED = 20
DEADLINE_CHOICES = (7, 30, 90)
PROJECT_FILTER_NAMES = (
    "country",
    "sector",
    "engagement_mode",
    "work_mode",
    "compensation",
    "skills",
)
EXPERT_FILTER_NAMES = (
    "skills",
    "sectors",
    "languages",
    "origin_country",
    "residence_country",
    "engagement_modes",
)


def _arg(value: str | None, limit: int) -> str:
    """A query-string value as one clean line (no control characters), at most ``limit``."""
    return clean_line(value or "")[:limit].strip()


@dataclass
class ProjectSearch:
    """What a visitor asked for, cleaned: the query, filters, sort, deadline and page."""

    query: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    within: int | None = None
    page: int = 1
    # "Search instead for" what was typed: no automatic spelling correction.
    as_typed: bool = False
    # PARTNERS to list the projects of followed networks, else "" (this network's).
    source: str = ""

    @classmethod
    def from_args(cls, args) -> "ProjectSearch":
        """Read a GET query string (a MultiDict); anything unexpected is ignored."""
        filters = {}
        for name in PROJECT_FILTER_NAMES:
            values = [v for v in (_arg(v, 200) for v in args.getlist(name)) if v][:20]
            if values:
                filters[name] = list(dict.fromkeys(values))
        try:
            within = int(args.get("within", ""))
        except ValueError:
            within = None
        sort = args.get("sort", "relevance")
        return cls(
            query=_arg(args.get("q"), MAX_QUERY),
            filters=filters,
            sort=sort if sort in SORTS else "relevance",
            within=within if within in DEADLINE_CHOICES else None,
            page=page_number(args.get("page")),
            as_typed=args.get("as_typed") == "1",
            source=PARTNERS if args.get("source") == PARTNERS else "",
        )

    def params(self, **changes) -> dict:
        """URL parameters for this search, with ``changes`` applied (for links)."""
        values: dict = {
            "q": self.query or None,
            "sort": None,
            "within": self.within,
            "as_typed": "1" if self.as_typed else None,
            "source": self.source or None,
        }
        if self.sort != "relevance":
            values["sort"] = self.sort
        values.update({name: list(v) for name, v in self.filters.items()})
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "", [])}

    def toggled(self, name: str, value: str) -> dict:
        """Parameters with one facet value switched on or off, back on page 1."""
        current = list(self.filters.get(name, []))
        if value in current:
            current.remove(value)
        else:
            current.append(value)
        return self.params(**{name: current})

    def is_empty(self) -> bool:
        return not self.query and not self.filters and self.within is None


# --------------------------------------------------------------------------- skill labels

_THESAURUS_KEY = "diaspora.thesaurus"
_THESAURUS_LOCK = threading.Lock()


def thesaurus() -> Thesaurus:
    """The curated skills and their labels, for reading queries (see
    ``diaspora.search.synonyms``). Kept per app with the change-log id it was read at, and read
    again once the log holds a thesaurus change past that id (a label added, edited or
    removed, a skill renamed or made curated or not, by any process on any node). Change ids
    follow commit order, so one mark is enough; when the rows past it may have been pruned, or
    the log restarted, it is read again anyway. Like the search indexes, it sees the changes
    made through the app's sessions, not SQL run by hand (a restart reads it afresh)."""
    # Two subqueries: SQLite reads a lone min() or max() from the key's end, not both at once.
    first, top = db.session.execute(
        sa.select(
            sa.select(sa.func.min(SearchChange.id)).scalar_subquery(),
            sa.select(sa.func.max(SearchChange.id)).scalar_subquery(),
        )
    ).one()
    top = top or 0
    cached = current_app.extensions.get(_THESAURUS_KEY)
    if cached is not None:
        seen, built = cached
        if top == seen:
            return built
        if (
            seen < top
            and first is not None
            and first <= seen + 1
            and not _thesaurus_changed(seen, top)
        ):
            with _THESAURUS_LOCK:
                current_app.extensions[_THESAURUS_KEY] = (top, built)
            return built
    rows = db.session.execute(
        sa.select(Skill.name, SkillLabel.label)
        .join(SkillLabel, SkillLabel.skill_id == Skill.id)
        .where(Skill.curated)
        .order_by(Skill.name, SkillLabel.label)
    )
    labels: dict[str, list[str]] = {}
    for name, label in rows:
        labels.setdefault(name, []).append(label)
    built = Thesaurus(labels.items())
    with _THESAURUS_LOCK:
        current_app.extensions[_THESAURUS_KEY] = (top, built)
    return built


def _thesaurus_changed(after: int, through: int) -> bool:
    """Whether the change log holds a thesaurus change with an id in (after, through]."""
    return bool(
        db.session.scalar(
            sa.select(
                sa.exists().where(
                    SearchChange.index == indexer.THESAURUS,
                    SearchChange.id > after,
                    SearchChange.id <= through,
                )
            )
        )
    )


def matched_skills(synonyms: tuple[SynonymMatch, ...], skills) -> list[tuple[str, str]]:
    """(typed, skill) for each label in the query that stands for one of ``skills`` (names):
    what a result card says to explain a match by another name."""
    names = set(skills)
    found = []
    for match in synonyms:
        for skill in match.skills:
            pair = (match.typed, skill)
            if skill in names and pair not in found:
                found.append(pair)
    return found


@dataclass
class ProjectPage:
    """A page of results: the engine's results and the projects loaded from the database.
    ``matched`` holds, by project id, the skills the query named by another name."""

    search: ProjectSearch
    results: object
    items: list[tuple[Project, Markup, Markup]]
    matched: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


def _run_search(name: str, search: ProjectSearch, per_page: int, page: int, words):
    """``search`` on the project-shaped index ``name`` (SearchUnavailable when broken)."""
    indexer.catch_up(name)
    index = indexer.get_index(name)
    return _within_pages(
        lambda number: index.search(
            search.query,
            search.filters,
            deadline_within_days=search.within,
            sort=search.sort,
            page=number,
            per_page=per_page,
            correct=not search.as_typed,
            thesaurus=words,
            languages=languages.searcher_languages(),
        ),
        page,
    )


def search_projects(search: ProjectSearch, per_page: int = PER_PAGE) -> ProjectPage:
    """Search published, open projects. Raises SearchUnavailable when the index is broken."""
    words = thesaurus() if search.query else None
    results = _run_search(indexer.PROJECTS, search, per_page, search.page, words)
    projects = load_projects(results.ids, cards=True, skills=bool(results.synonyms))
    hits = {hit.id: hit for hit in results.hits}
    items = [
        (p, _engine_html(hits[p.id].title), _engine_html(hits[p.id].snippet)) for p in projects
    ]
    matched = {}
    if results.synonyms:
        for project in projects:
            found = matched_skills(results.synonyms, (s.name for s in project.skills))
            if found:
                matched[project.id] = found
    return ProjectPage(search, results, items, matched)


def _within_pages(run, page: int):
    """``run(page)``, or ``run`` of the last page when ``page`` is past the end: the same
    rule as every paginated list."""
    results = run(page)
    if results.pages and page > results.pages:
        results = run(results.pages)
    return results


def _engine_html(html: str) -> Markup:
    """The engine escapes the indexed text and adds only <mark> tags: safe to show."""
    return Markup(html)  # noqa: S704 - engine output only, never user input


# What a result card shows of a project (templates/discovery/projects.html).
CARD_COLUMNS = (
    Project.id,
    Project.title,
    Project.country,
    Project.sector,
    Project.work_mode,
    Project.deadline,
    Project.published_at,
)


def load_projects(ids: list[int], *, cards: bool = False, skills: bool = True) -> list[Project]:
    """The listed projects among ``ids``, in that order (closed or withdrawn ones dropped).

    With ``cards``, only what a result card shows is read (loading whole projects is most of
    a search page's database time); anything else raises instead of costing a query per
    project. ``skills``: load each project's skills too.
    """
    if not ids:
        return []
    institution = sa.orm.joinedload(Project.institution)
    options = [institution]
    if cards:
        options = [
            sa.orm.load_only(*CARD_COLUMNS, raiseload=True),
            institution.load_only(Institution.name, raiseload=True),
        ]
    if skills:
        options.append(sa.orm.selectinload(Project.skills))
    elif cards:
        options.append(sa.orm.raiseload(Project.skills))
    query = project_service.listed_query().where(Project.id.in_(ids)).order_by(None)
    found = {project.id: project for project in db.session.scalars(query.options(*options))}
    return [found[pid] for pid in ids if pid in found]


# --------------------------------------------------------------------------- partner networks


@dataclass(frozen=True)
class PartnerCard:
    """A followed network's project as a result card shows it. ``apply_url`` is the row's
    link when it is http(s), else None (no link is better than a hostile one)."""

    project: RemoteProject
    title: Markup
    snippet: Markup
    network: str
    network_host: str
    apply_url: str | None
    apply_host: str


@dataclass
class PartnerPage:
    """A page of partner projects: the shared index's results and their cards."""

    results: object
    items: list[PartnerCard]


def follows_networks() -> bool:
    """True when this network follows at least one other (else there is nothing to search)."""
    return db.session.scalar(sa.select(FollowedNetwork.id).limit(1)) is not None


def search_partner_projects(
    search: ProjectSearch, per_page: int = PER_PAGE, page: int | None = None
) -> PartnerPage:
    """Search the current projects of followed networks with every filter of ``search``.
    Raises SearchUnavailable when the shared index is missing or broken."""
    words = thesaurus() if search.query else None
    results = _run_search(indexer.SHARED, search, per_page, page or search.page, words)
    hits = {hit.id: hit for hit in results.hits}
    items = []
    for remote in load_remote_projects(results.ids):
        network = remote.network
        url = remote.url if is_http_url(remote.url or "") else None
        items.append(
            PartnerCard(
                remote,
                _engine_html(hits[remote.id].title),
                _engine_html(hits[remote.id].snippet),
                network.label,
                network.host,
                url,
                shown_host(url) if url else "",
            )
        )
    return PartnerPage(results, items)


def partner_preview(search: ProjectSearch) -> tuple[PartnerPage | None, bool]:
    """The first partner projects matching ``search`` for the search page, and whether the
    shared index was unavailable. None when no network is followed or the matches are only
    guesses (a corrected spelling, or some of the words): then the page stays as it was."""
    if not follows_networks():
        return None, False
    try:
        found = search_partner_projects(search, per_page=PARTNER_PREVIEW, page=1)
    except SearchUnavailable as exc:
        log.warning("partner projects left out of a search: %s", exc)
        return None, True
    results = found.results
    if not found.items or results.shown_for or results.some_words:
        return None, False
    return found, False


def load_remote_projects(ids: list[int]) -> list[RemoteProject]:
    """The current projects of followed networks among ``ids``, in that order (those removed
    or past their deadline since the last indexing are dropped)."""
    if not ids:
        return []
    query = documents.shared_projects_query().where(RemoteProject.id.in_(ids))
    found = {remote.id: remote for remote in db.session.scalars(query)}
    return [found[rid] for rid in ids if rid in found]


# --------------------------------------------------------------------------- experts


def expert_clearance(user) -> Clearance:
    """What ``user`` may see of members in search, or NotAllowed.

    Coordinators search with the clearance they have on ordinary pages (level 2: groups
    shown to institutions the member applied to, and wider). Level 1 ("coordinators") is
    only ever shown through the audited restricted view, never in search results.
    Representatives see level 2 only of members who applied to one of their verified
    institutions.
    """
    if not permissions.is_active(user):
        raise NotAllowed(_("Please log in to search experts."))
    if permissions.is_coordinator(user):
        return Clearance(frozenset({APPLIED_INSTITUTIONS, SIGNED_IN, PUBLIC}))
    if permissions.is_institution_account(user):
        ids = permissions.represented_institution_ids(user, verified=True)
        if ids:
            return Clearance.institution(ids)
    raise NotAllowed(_("Expert search is for verified institutions and coordinators."))


def may_search_experts(user) -> bool:
    try:
        expert_clearance(user)
    except NotAllowed:
        return False
    return True


@dataclass
class ExpertSearch:
    query: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    travel_country: str = ""
    travel_month: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "ExpertSearch":
        filters = {}
        for name in EXPERT_FILTER_NAMES:
            values = [v for v in (_arg(v, 200) for v in args.getlist(name)) if v][:20]
            if name == "skills":  # a skill named in any language is its curated name
                values = [skill_names.curated_name(v) or v for v in values]
            if values:
                filters[name] = values
        return cls(
            query=_arg(args.get("q"), MAX_QUERY),
            filters=filters,
            travel_country=_arg(args.get("travel_country"), 2).upper(),
            travel_month=_arg(args.get("travel_month"), 7),
            page=page_number(args.get("page")),
        )

    def params(self, **changes) -> dict:
        values: dict = {
            "q": self.query,
            "travel_country": self.travel_country,
            "travel_month": self.travel_month,
        }
        values.update({name: list(v) for name, v in self.filters.items()})
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "", [])}


@dataclass
class ExpertPage:
    search: ExpertSearch
    results: object
    items: list[tuple[Profile, object]]
    # By member: the skills the query named by another name, among those the searcher sees.
    matched: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


def search_experts(user, search: ExpertSearch, per_page: int = PER_PAGE) -> ExpertPage:
    """Search listed members with what ``user`` may see (NotAllowed for others).

    A member whose profile page ``user`` may not open is dropped from the page's cards.
    """
    clearance = expert_clearance(user)
    indexer.catch_up(indexer.EXPERTS)
    travel = None
    if search.travel_country and search.travel_month:
        travel = (search.travel_country, search.travel_month)
    index = indexer.get_index(indexer.EXPERTS)
    words = thesaurus() if search.query else None
    results = _within_pages(
        lambda page: index.search(
            clearance,
            search.query,
            search.filters,
            travel=travel,
            page=page,
            per_page=per_page,
            thesaurus=words,
            languages=languages.reader_languages(user),
        ),
        search.page,
    )
    ids = results.ids
    profiles = {}
    if ids:
        query = (
            sa.select(Profile)
            .join(User, User.id == Profile.user_id)
            .where(Profile.user_id.in_(ids), listed_condition(), User.is_active)
        )
        profiles = {p.user_id: p for p in db.session.scalars(query) if may_see_member(p, user)}
    items = [(profiles[hit.user_id], hit) for hit in results.hits if hit.user_id in profiles]
    matched = {}
    if results.synonyms:
        for _, hit in items:
            shown = [*hit.fields.get("skills", ()), *hit.fields.get("skills_wanted", ())]
            found = matched_skills(results.synonyms, shown)
            if found:
                matched[hit.user_id] = found
    return ExpertPage(search, results, items, matched)


# --------------------------------------------------------------------------- saved searches


def saved_searches(user: User) -> list[SavedSearch]:
    return list(
        db.session.scalars(
            sa.select(SavedSearch)
            .where(SavedSearch.user_id == user.id)
            .order_by(SavedSearch.created_at.desc(), SavedSearch.id.desc())
        )
    )


def save_search(user: User, search: ProjectSearch, frequency: Frequency) -> SavedSearch:
    """Keep ``search`` (query and filters) for ``user``; ``frequency`` becomes their
    saved-search notification preference (daily or weekly, shared by all saved searches)."""
    from diaspora.services import notifications

    if not permissions.is_active(user):
        raise NotAllowed(_("Please log in to save a search."))
    if search.is_empty():
        raise Invalid(_("Type some words or choose a filter before saving a search."))
    if frequency not in (Frequency.DAILY, Frequency.WEEKLY):
        raise Invalid(_("Choose daily or weekly."))
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(SavedSearch).where(SavedSearch.user_id == user.id)
    )
    if count >= MAX_SAVED:
        raise Conflict(
            ngettext(
                "You can keep up to %(num)d saved search.",
                "You can keep up to %(num)d saved searches.",
                MAX_SAVED,
            )
        )
    filters = dict(search.filters)
    if search.within is not None:
        filters["within"] = [str(search.within)]
    saved = SavedSearch(user_id=user.id, query=search.query, filters=filters)
    db.session.add(saved)
    notifications.set_preference(user, "saved_search", frequency)
    return saved


def delete_saved_search(user: User, saved_id: int) -> None:
    """Delete one of ``user``'s saved searches (someone else's looks like a missing one)."""
    saved = db.session.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != getattr(user, "id", None):
        raise NotFound(_("No such saved search."))
    db.session.delete(saved)


def search_of(saved: SavedSearch) -> ProjectSearch:
    """The ProjectSearch a saved search stands for."""
    filters = {
        k: [str(v) for v in values][:20]
        for k, values in (saved.filters or {}).items()
        if k in PROJECT_FILTER_NAMES and isinstance(values, list)
    }
    within = None
    try:
        within = int((saved.filters or {}).get("within", [None])[0])
    except (TypeError, ValueError, IndexError):
        within = None
    return ProjectSearch(
        query=saved.query,
        filters=filters,
        within=within if within in DEADLINE_CHOICES else None,
    )


def describe(saved: SavedSearch | ProjectSearch) -> str:
    """A saved search in a few words, in the current language (a page, or a digest in its
    recipient's language)."""
    search = saved if isinstance(saved, ProjectSearch) else search_of(saved)
    parts = [_("“%(words)s”", words=search.query)] if search.query else []
    for values in search.filters.values():
        parts.extend(values)
    if search.within:
        parts.append(
            ngettext(
                "deadline within %(num)d day",
                "deadline within %(num)d days",
                search.within,
            )
        )
    # Translators: joins the parts of a saved search's description ("“water”, KE, health").
    return _(", ").join(parts) or _("all projects")


def new_matches(
    saved: SavedSearch, since: datetime, limit: int = 100, words: Thesaurus | None = None
) -> list[Project]:
    """Projects published since ``since`` that match a saved search, newest first.
    ``words``: the skill thesaurus, when the caller already has it."""
    search = search_of(saved)
    search.sort = "newest"
    results = indexer.get_index(indexer.PROJECTS).search(
        search.query,
        search.filters,
        deadline_within_days=search.within,
        sort="newest",
        per_page=limit,
        thesaurus=(words if words is not None else thesaurus()) if search.query else None,
    )
    return [
        p
        for p in load_projects(results.ids)
        if p.published_at is not None and p.published_at >= since
    ]


def digest_lines(user: User, frequency: Frequency, since: datetime) -> list[tuple[str, str, str]]:
    """Digest source: one line per new project matching one of the person's saved searches."""
    lines = []
    seen: set[int] = set()
    searches = saved_searches(user)
    if not searches:
        return lines
    try:
        indexer.catch_up(indexer.PROJECTS)
        words = thesaurus()
        for saved in searches:
            for project in new_matches(saved, since, words=words):
                if project.id in seen:
                    continue
                seen.add(project.id)
                lines.append(
                    (
                        "saved_search",
                        _(
                            "New project matching %(search)s: %(title)s",
                            search=describe(saved),
                            title=project.title,
                        ),
                        url_for("projects.show", project_id=project.id, _external=False),
                    )
                )
    except SearchUnavailable:
        log.warning("saved searches left out of a digest: search unavailable", exc_info=True)
        return []
    return lines


def facet_options(values: Mapping[str, int], selected) -> list[tuple[str, int, bool]]:
    """Facet values to show: (value, count, selected), selected ones always included."""
    return [(value, count, value in selected) for value, count in values.items()]
