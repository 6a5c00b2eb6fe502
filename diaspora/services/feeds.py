"""The open-data feeds of published projects (Atom and JSON Feed), built once for both.

What a feed holds is what the project pages show anyone: listed projects only
(:func:`diaspora.services.projects.listed_query`), never anything about members, never the
projects this network reads from others. An item's id is the absolute address of its project
page, so it never changes for a project, whatever is edited.

Choices documented here:
- filters are ``country`` (ISO alpha-2, any case) and ``sector`` (key, any case), each
  repeatable (at most :data:`MAX_VALUES` values, each at most :data:`MAX_VALUE_CHARS`
  characters); a value nothing has matches nothing, an empty value is no filter;
- a page past the end is an empty feed (200, no next link), not a 404: a reader that follows
  an old ``next`` link after projects closed gets a valid, empty answer;
- the feed is in the language the reader's ``Accept-Language`` asks for (its title, its
  description, sector names), never the language of an account or cookie.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from diaspora import catalog, i18n
from diaspora.extensions import db
from diaspora.models import Project, ProjectStatus
from diaspora.services import projects as project_service
from diaspora.validation import clean_line, page_number

PER_PAGE = 100
MAX_VALUES = 20
#: Longer than any country code or sector key, so a cut value still matches nothing.
MAX_VALUE_CHARS = 64
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
#: The version of the ``_diaspora`` extension that networks following this one read.
EXTENSION_VERSION = 1
ATOM = "atom"
JSON = "json"
ENDPOINTS = {ATOM: "feeds.projects_atom", JSON: "feeds.projects_json"}


def _values(raw: list[str], normalize) -> tuple[str, ...]:
    values = [normalize(clean_line(value or "")[:MAX_VALUE_CHARS].strip()) for value in raw]
    return tuple(sorted(dict.fromkeys(value for value in values if value)))[:MAX_VALUES]


@dataclasses.dataclass(frozen=True)
class FeedQuery:
    """What a reader asked for, cleaned: countries, sectors (sorted, so one filter has one
    address) and a page number."""

    countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    page: int = 1

    @classmethod
    def from_args(cls, args) -> FeedQuery:
        """Read a query string (a MultiDict); anything else in it is ignored."""
        return cls(
            countries=_values(args.getlist("country"), str.upper),
            sectors=_values(args.getlist("sector"), str.lower),
            page=page_number(args.get("page")),
        )

    def params(self, page: int | None = None) -> dict:
        """Query parameters of this feed's address; page 1 is the address without a page."""
        values: dict = {"country": list(self.countries), "sector": list(self.sectors)}
        page = self.page if page is None else page
        if page > 1:
            values["page"] = page
        return {name: value for name, value in values.items() if value}


@dataclasses.dataclass(frozen=True)
class FeedItem:
    """One listed project, as both formats publish it."""

    url: str
    title: str
    summary: str
    description: str
    published: datetime
    modified: datetime
    institution: str
    skills: list[str]
    written_in: str
    country: str
    region: str
    sector: str
    sector_name: str
    engagement_mode: str
    work_mode: str
    compensation: str
    languages: list[str]
    deadline: date | None
    places_left: int


@dataclasses.dataclass(frozen=True)
class Feed:
    """One page of the feed: its items and the facts both formats need."""

    query: FeedQuery
    items: list[FeedItem]
    has_next: bool
    #: When what this page shows last changed (for ``updated`` and ``Last-Modified``).
    changed_at: datetime
    site_name: str
    language: str

    @property
    def title(self) -> str:
        return _("%(site)s: projects", site=self.site_name)

    @property
    def description(self) -> str:
        return _(
            "Projects open to applications on %(site)s, newest first. Apply on each "
            "project's page.",
            site=self.site_name,
        )

    def url(self, kind: str, page: int | None = None) -> str:
        """The absolute address of this feed in format ``kind`` (this page by default)."""
        return url_for(ENDPOINTS[kind], _external=True, **self.query.params(page))

    def canonical_url(self, kind: str) -> str:
        """The feed's address with its filters and without a page: the Atom feed's id."""
        return self.url(kind, page=1)

    def next_url(self, kind: str) -> str | None:
        return self.url(kind, page=self.query.page + 1) if self.has_next else None

    @property
    def home_page_url(self) -> str:
        """The search page with the same filters, where people read these projects."""
        return url_for(
            "discovery.projects",
            _external=True,
            country=list(self.query.countries),
            sector=list(self.query.sectors),
        )

    @property
    def site_url(self) -> str:
        return url_for("main.index", _external=True)


def _filtered(statement: sa.Select, query: FeedQuery) -> sa.Select:
    if query.countries:
        statement = statement.where(Project.country.in_(query.countries))
    if query.sectors:
        statement = statement.where(Project.sector.in_(query.sectors))
    return statement


def _left_listing_at(query: FeedQuery, today: date) -> datetime | None:
    """The last time a project of these filters left the listing: closed (its last place
    taken, or closed by hand) or past its deadline. A page whose newest item is older must
    still count as changed for a reader who saw the one that left."""
    closed, expired = db.session.execute(
        _filtered(
            sa.select(
                sa.func.max(Project.closed_at),
                sa.func.max(
                    sa.case(
                        (
                            sa.and_(
                                Project.status == ProjectStatus.PUBLISHED,
                                Project.deadline < today,
                            ),
                            Project.deadline,
                        )
                    )
                ),
            ),
            query,
        )
    ).one()
    moments = [closed] if closed is not None else []
    if expired is not None:
        moments.append(datetime.combine(expired + timedelta(days=1), time(), tzinfo=UTC))
    return max(moments) if moments else None


def _item(project: Project) -> FeedItem:
    url = url_for("projects.show", project_id=project.id, _external=True)
    published = project.published_at or project.created_at
    return FeedItem(
        url=url,
        title=project.title,
        summary=project.summary,
        description=project.description,
        published=published,
        modified=max(project.updated_at, published),
        institution=project.institution.name,
        skills=[skill.name for skill in project.skills],
        written_in=project.written_in,
        country=project.country,
        region=project.region,
        sector=project.sector,
        sector_name=catalog.sector_name(project.sector),
        engagement_mode=project.engagement_mode.value,
        work_mode=project.work_mode.value,
        compensation=project.compensation.value,
        languages=list(project.languages or []),
        deadline=project.deadline,
        places_left=project.places_left,
    )


#: When nothing was ever listed under these filters: a fixed moment, so the empty feed's
#: ``updated`` (and so its validators) stay the same from one request to the next.
NEVER = datetime(2000, 1, 1, tzinfo=UTC)


def project_feed(query: FeedQuery, on: date | None = None) -> Feed:
    """One page of listed projects for ``query``, newest publication first (then id)."""
    today = on or project_service.today()
    statement = (
        _filtered(project_service.listed_query(today), query)
        .options(joinedload(Project.institution), selectinload(Project.skills))
        .offset((query.page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    )
    projects = list(db.session.scalars(statement).unique())
    shown = projects[:PER_PAGE]
    items = [_item(project) for project in shown]
    moments = [item.modified for item in items]
    moments += [project.institution.updated_at for project in shown]
    left = _left_listing_at(query, today)
    if left is not None:
        moments.append(left)
    return Feed(
        query=query,
        items=items,
        has_next=len(projects) > PER_PAGE,
        changed_at=max(moments, default=NEVER),
        site_name=current_app.config.get("SITE_NAME") or "Diaspora",
        language=i18n.current(),
    )


def rfc3339(moment: datetime) -> str:
    """A moment as RFC 3339 in UTC, to the second: ``2026-12-07T11:56:59Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def json_feed(feed: Feed) -> dict:
    """The page as a JSON Feed 1.1 document, with the ``_diaspora`` extension."""
    document = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.home_page_url,
        "feed_url": feed.url(JSON),
        "description": feed.description,
        "language": feed.language,
    }
    next_url = feed.next_url(JSON)
    if next_url:
        document["next_url"] = next_url
    document["_diaspora"] = {
        "version": EXTENSION_VERSION,
        "network": feed.site_name,
        "home_page_url": feed.site_url,
    }
    document["items"] = [_json_item(item) for item in feed.items]
    return document


def _json_item(item: FeedItem) -> dict:
    return {
        "id": item.url,
        "url": item.url,
        "title": item.title,
        "summary": item.summary,
        "content_text": item.description,
        "date_published": rfc3339(item.published),
        "date_modified": rfc3339(item.modified),
        "authors": [{"name": item.institution}],
        "tags": list(item.skills),
        "language": item.written_in,
        "_diaspora": {
            "country": item.country,
            "region": item.region,
            "sector": item.sector,
            "engagement_mode": item.engagement_mode,
            "work_mode": item.work_mode,
            "compensation": item.compensation,
            "skills": list(item.skills),
            "languages": list(item.languages),
            "deadline": item.deadline.isoformat() if item.deadline else None,
            "places_left": item.places_left,
            "institution": item.institution,
        },
    }


def json_body(feed: Feed) -> str:
    return json.dumps(json_feed(feed), ensure_ascii=False, indent=1)


def validator(body: str | bytes) -> str:
    """The entity tag of a feed's body: equal bodies, equal tags (sent weak, as the same
    feed compressed or not is the same feed)."""
    data = body.encode() if isinstance(body, str) else body
    return hashlib.sha256(data).hexdigest()[:32]


#: Characters XML 1.0 cannot carry, even escaped (controls other than tab and line breaks,
#: the non-characters U+FFFE and U+FFFF).
_NOT_XML = str.maketrans(
    dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF])
)


def xml_text(value) -> str:
    """``value`` as text an XML document may hold (the Atom feed's filter)."""
    return str(value if value is not None else "").translate(_NOT_XML)
