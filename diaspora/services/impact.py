"""What the network achieves and how healthy it is: the figures of the coordinators' impact
dashboard, of ``flask report impact`` and (totals only, small cells suppressed) of the public
impact page.

Every figure is a :class:`Table`: the dashboard draws and lists them, each downloads as CSV,
the command prints them as CSV or JSON. :func:`refresh` (``flask report refresh``, every 10
minutes) computes them by grouped ``INSERT ... SELECT`` queries over the whole network (never
one row at a time in Python) into summary rows, ``impact_facts``; :func:`dashboard` and
:func:`public_figures` read those, so the pages stay fast on a network of 100,000 members
and a million applications, and show the figures as of the last refresh.
"""

import csv
import io
import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, ngettext, pgettext
from flask_babel import gettext as _
from sqlalchemy.dialects import postgresql, sqlite

from diaspora import catalog, i18n
from diaspora.extensions import db
from diaspora.geo import country_name, is_country
from diaspora.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    ImpactFact,
    ImpactState,
    Institution,
    InstitutionStatus,
    MemberActivity,
    MessageKind,
    Profile,
    Project,
    ProjectStatus,
    Role,
    User,
    WorkMode,
)
from diaspora.models.application import START_AFTER_ACCEPTANCE, TEAM, WAITING
from diaspora.models.base import utcnow
from diaspora.services import application_stats
from diaspora.services.errors import Conflict, Invalid
from diaspora.services.privacy import listed_condition
from diaspora.services.profiles import complete_condition

# The words of the figures (titles, column labels, notes, measures) stay in English in the
# tables, so their CSV, their JSON and the stored public figures read the same whatever the
# reader's language; a page shows them in its reader's language through :func:`translate`.
# Each is marked where it is written (``N_``, or ``NP_`` with a context, ``NN_`` with a
# count); one that is not its own message (values filled in, a context, a count, sentences
# joined) is remembered with the way to translate it.
_RECIPES: dict[str, Callable[[], str]] = {}


def N_(msgid: str, **values) -> str:  # noqa: N802 - the usual name of a gettext marker
    """``msgid`` in English, marked for the catalogs (with ``values`` filled in, and
    remembered so that :func:`translate` finds its message)."""
    if not values:
        return msgid
    text = msgid % values
    _RECIPES[text] = lambda: _(msgid, **_translated(values))
    return text


def NP_(context: str, msgid: str) -> str:  # noqa: N802 - a gettext marker
    """``msgid`` in English, marked with ``context`` (a word that means something else
    elsewhere, e.g. "Received" counting applications rather than dating one)."""
    _RECIPES[msgid] = lambda: pgettext(context, msgid)
    return msgid


def NN_(singular: str, plural: str, num: int, **values) -> str:  # noqa: N802 - a gettext marker
    """The English text for the count ``num`` (``%(num)d`` in it), marked with its plural,
    so that each language writes the count with the right form of its noun."""
    text = (singular if num == 1 else plural) % dict(values, num=num)
    _RECIPES[text] = lambda: ngettext(singular, plural, num, **_translated(values))
    return text


def _translated(values: dict) -> dict:
    """Values filled into a figure's words: those that are figure words themselves ("Other
    countries") in the page's language too."""
    return {key: translate(value) for key, value in values.items()}


def joined(*texts: str) -> str:
    """Sentences marked one by one (a count's own sentence through :func:`NN_`), read as
    one note."""
    text = " ".join(texts)
    _RECIPES[text] = lambda: " ".join(str(translate(part)) for part in texts)
    return text


def translate(text):
    """A figure's English words (a title, label, note or measure) in the page's language;
    anything else (an institution's name, a number) as it is."""
    if not isinstance(text, str) or not text:
        return text
    recipe = _RECIPES.get(text)
    return recipe() if recipe else _(text)


# No figure about people is shown publicly or exported outside coordinators when it counts
# fewer than this many people.
SMALL_CELL = 5


@dataclass(frozen=True)
class Period:
    """Whole months, from ``first`` to ``last`` inclusive (both the first day of a month)."""

    first: date
    last: date

    MAX_MONTHS = 120

    @classmethod
    def parse(cls, text: str) -> "Period":
        """``"2026-01:2026-12"``, or one month ``"2026-03"``; raises :class:`Invalid`."""
        match = re.fullmatch(r"\s*(\d{4})-(\d{2})\s*(?::\s*(\d{4})-(\d{2})\s*)?", text or "")
        if not match:
            raise Invalid(_("Give the period as YYYY-MM:YYYY-MM, for example 2026-01:2026-12."))
        year, month, year2, month2 = match.groups()
        try:
            first = date(int(year), int(month), 1)
            last = date(int(year2 or year), int(month2 or month), 1)
        except ValueError:
            raise Invalid(_("Months go from 01 to 12.")) from None
        return cls.of(first, last)

    @classmethod
    def of(cls, first: date, last: date) -> "Period":
        first, last = first.replace(day=1), last.replace(day=1)
        if last < first:
            raise Invalid(_("The period ends before it starts."))
        period = cls(first, last)
        if len(period.months()) > cls.MAX_MONTHS:
            raise Invalid(_("Choose a period of at most %(num)d months.", num=cls.MAX_MONTHS))
        return period

    @classmethod
    def last_twelve_months(cls, today: date) -> "Period":
        """The 12 months ending with the current one: the dashboard's default."""
        last = today.replace(day=1)
        first = date(last.year - 1, last.month, 1)
        return cls(_next_month(first), last)

    def months(self) -> list[date]:
        """The first day of every month of the period, in order."""
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = _next_month(month)
        return months

    @property
    def start(self) -> datetime:
        """The period's first instant (UTC)."""
        return datetime.combine(self.first, time(), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period (UTC, exclusive)."""
        return datetime.combine(_next_month(self.last), time(), tzinfo=UTC)

    def contains(self, column) -> sa.ColumnElement[bool]:
        """A SQL condition: the timestamp ``column`` falls within the period."""
        return sa.and_(column >= self.start, column < self.end)

    def __str__(self) -> str:
        """``"2026-01:2026-12"``: what :meth:`parse` reads back."""
        return f"{self.first:%Y-%m}:{self.last:%Y-%m}"

    @property
    def label(self) -> str:
        """``"January 2026 to December 2026"``, ``"March 2026"``, in the page's language."""
        first = i18n.format_date(self.first, "%B %Y")
        if self.first == self.last:
            return first
        # Translators: a period of whole months, e.g. "January 2026 to December 2026".
        return _("%(first)s to %(last)s", first=first, last=i18n.format_date(self.last, "%B %Y"))


def _next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


@dataclass(frozen=True)
class Filters:
    """What the dashboard is narrowed to. ``country`` is the country served (ISO alpha-2): the
    members' country of origin, the institutions' and the projects' country. ``sector`` is a
    sector code (``diaspora.catalog``), ``institution_id`` one institution (its projects and
    their applications; member figures are then not narrowed)."""

    country: str = ""
    sector: str = ""
    institution_id: int | None = None

    def __bool__(self) -> bool:
        return bool(self.country or self.sector or self.institution_id)


@dataclass(frozen=True)
class Column:
    """``kind`` says how a value is shown: ``text``, ``country`` (an ISO alpha-2 code, or
    :data:`OTHER_COUNTRIES_CODE`, shown by name), ``month`` (a date, shown "Jan 2026"),
    ``count`` (people or things), ``percent`` (0-100, or None when there is nothing to divide
    by), ``days`` (a float, or None), ``hours`` (an int)."""

    key: str
    label: str
    kind: str = "count"

    @property
    def text(self) -> str:
        """The label in the page's language."""
        return translate(self.label)


@dataclass(frozen=True)
class Table:
    """One table of figures. ``people`` names the ``count`` columns that count people
    (members, or an institution's applicants): those are the cells :func:`suppress` hides
    below :data:`SMALL_CELL` outside coordinators."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple, ...]
    note: str = ""
    people: frozenset[str] = frozenset()

    @property
    def title_text(self) -> str:
        """The title in the page's language."""
        return translate(self.title)

    @property
    def note_text(self) -> str:
        """The note in the page's language."""
        return translate(self.note)

    def column(self, key: str) -> list:
        """Every value of one column, in row order."""
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]

    def as_dicts(self) -> list[dict]:
        return [dict(zip((c.key for c in self.columns), row, strict=True)) for row in self.rows]

    def to_csv(self) -> str:
        """The table as CSV: a header of column keys, then one line per row (months as
        ``YYYY-MM``, missing values empty). Cells a spreadsheet would run as a formula are
        quoted with a leading apostrophe."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.key for c in self.columns])
        for row in self.rows:
            writer.writerow([_csv_value(value) for value in row])
        return out.getvalue()


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@dataclass(frozen=True)
class Report:
    """Every table of one dashboard: ``tables`` keyed by :attr:`Table.key`, in the order the
    dashboard shows them."""

    period: Period
    filters: Filters
    generated_at: datetime
    tables: dict[str, Table] = field(default_factory=dict)

    def to_json(self) -> dict:
        """What ``flask report impact --format json`` prints."""
        return {
            "period": str(self.period),
            "filters": {
                "country": self.filters.country or None,
                "sector": self.filters.sector or None,
                "institution_id": self.filters.institution_id,
            },
            "generated_at": self.generated_at.isoformat(),
            "tables": {
                key: {
                    "title": table.title,
                    "columns": [c.key for c in table.columns],
                    "rows": [[_json_value(v) for v in row] for row in table.rows],
                }
                for key, table in self.tables.items()
            },
        }


def _json_value(value):
    return f"{value:%Y-%m}" if isinstance(value, date) else value


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def suppress(table: Table, minimum: int = SMALL_CELL) -> Table:
    """``table`` fit to leave the coordinators: every ``people`` cell counting fewer than
    ``minimum`` becomes None (shown "fewer than 5"), and so does every ``percent`` or ``days``
    cell of a row where any ``people`` cell was hidden, so no small group can be worked out
    from a share or a time. Rows whose every people cell is hidden are dropped."""
    if not table.people:
        return table
    indexes = [i for i, c in enumerate(table.columns) if c.key in table.people]
    derived = [i for i, c in enumerate(table.columns) if c.kind in ("percent", "days")]
    rows = []
    for row in table.rows:
        # Only numbers are counts: a text cell (an answer a question does not offer) is
        # neither small nor hidden.
        small = [i for i in indexes if _number(row[i]) and row[i] < minimum]
        if len(small) == len(indexes):
            continue
        if small:
            row = tuple(
                None if i in small or (i in derived and _number(value)) else value
                for i, value in enumerate(row)
            )
        rows.append(row)
    return replace(table, rows=tuple(rows))


# The dashboard's tables, in order: key -> (title, columns). ``dashboard`` returns exactly
# these (the follow-up and freshness tables are built by their own services); a table with
# no data has no rows, never made-up ones.
DASHBOARD_TABLES = {
    "members": N_("Members"),  # measure (text), count: registered in the period, with a complete
    # profile, listed in the directory, active in the period (signed in, applied or wrote)
    "members_by_month": N_("Members month by month"),  # month, registered, active
    "institutions": N_("Institutions"),  # measure, count: registered, verified, posting
    "projects": N_("Projects"),  # measure, count: submitted, published, flagged, rejected
    "projects_by_month": N_("Projects month by month"),  # month, submitted, published, flagged,
    # rejected
    "funnel": N_("Applications"),  # stage (text), applications (count), share (percent of
    # applied): applied, shortlisted, accepted, declined, withdrawn, unanswered, closed, waiting
    "applications_by_month": N_("Applications month by month"),  # month, applied, shortlisted,
    # accepted, declined, withdrawn, unanswered, closed, waiting
    "answer_times": N_("Answer times by institution"),  # institution (text), received, answered,
    # median_days (days), p90_days (days), within_promise (percent answered within 14 days)
    "engagements": N_("Engagements"),  # measure, count: started, completed, confirmed, remote,
    # on site, hybrid, hours contributed, days on site
    "engagements_by_month": N_("Engagements month by month"),  # month, started, completed,
    # confirmed, hours
    "coverage_countries": N_("Coverage by country"),  # country (text), members, open_projects,
    # gap (text: N_("Members but no projects"), N_("Projects but no members") or "")
    "coverage_sectors": N_("Coverage by sector"),  # sector (text), members, open_projects, gap
    "follow_ups": N_("Follow-ups after engagements"),  # services.follow_ups.impact_table
    "freshness": N_("Network freshness"),  # services.freshness.tables (as of today)
}


MEASURE = Column("measure", N_("Measure"), "text")
COUNT = Column("count", N_("Number"))
MONTH = Column("month", N_("Month"), "month")

# An engagement's hours are estimated from the hours per month the member offered and the
# length of the engagement, in months of this many days.
DAYS_PER_MONTH = 30.4375
# On the public page an institution counts as answering once it answered at least this many
# applications received in the last 12 months.
ANSWERING_MINIMUM = SMALL_CELL
PUBLIC_WINDOW = timedelta(days=365)
OTHER_COUNTRIES = N_("Other countries")
# The public page's notes, remembered here (the page reads them from the stored figures).
PUBLIC_TOTALS_NOTE = joined(
    N_(
        "Since the network began. Engagements: completed and confirmed by both sides (or "
        "not disputed within 14 days). Countries served: the countries of their projects. "
        "Hours are an estimate: the hours per month each member offered times the months "
        "the engagement lasted."
    ),
    NN_(
        "Institutions answering: those that answered at least %(num)d application received "
        "in the last 12 months.",
        "Institutions answering: those that answered at least %(num)d applications received "
        "in the last 12 months.",
        ANSWERING_MINIMUM,
    ),
    NN_(
        "A figure counting fewer than %(num)d person is not shown.",
        "A figure counting fewer than %(num)d people is not shown.",
        SMALL_CELL,
    ),
)
PUBLIC_COUNTRIES_NOTE = NN_(
    'Countries where fewer than %(num)d person took part are counted together under "%(other)s".',
    'Countries where fewer than %(num)d people took part are counted together under "%(other)s".',
    SMALL_CELL,
    other=OTHER_COUNTRIES,
)
# The row of the countries counted together, in the stored public figures and the open data.
OTHER_COUNTRIES_CODE = "other"


def check_filters(filters: Filters) -> None:
    """Raise :class:`Invalid` for a country, sector or institution that does not exist."""
    if filters.country and not is_country(filters.country):
        raise Invalid(_("Choose a country from the list."))
    if filters.sector and filters.sector not in catalog.sectors():
        raise Invalid(_("Choose a sector from the list."))
    if filters.institution_id is not None and (
        db.session.get(Institution, filters.institution_id) is None
    ):
        raise Invalid(_("There is no institution with that number."))


# --------------------------------------------------------------------------- SQL helpers
# The few expressions SQLite and PostgreSQL write differently. Timestamps are stored naive
# in UTC on both, so months and days are UTC months and days.


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


# Grouped queries group by the label of the computed column: PostgreSQL takes an expression
# with bound parameters in GROUP BY for a different one than the same in SELECT. The labels
# (``f_`` and the fact column) are named so that no table column has the name.


def _key(label: str):
    return sa.literal_column(label)


def _month_date(month: str | date) -> date:
    if isinstance(month, date):
        return date(month.year, month.month, 1)
    return date(int(month[:4]), int(month[5:7]), 1)


def _day(column) -> sa.ColumnElement[date]:
    """The (UTC) day of a timestamp column."""
    if _postgresql():
        return sa.cast(column, sa.Date)
    return sa.type_coerce(sa.func.date(column), sa.Date)


def _days_after(column, days: int) -> sa.ColumnElement[date]:
    """The day ``days`` days after a timestamp column's day."""
    if _postgresql():
        return sa.cast(column + sa.func.make_interval(0, 0, 0, days), sa.Date)
    return sa.type_coerce(sa.func.date(column, f"+{days} days"), sa.Date)


def _days_between(later, earlier) -> sa.ColumnElement[int]:
    """Whole days from the day ``earlier`` to the day ``later``."""
    if _postgresql():
        return later - earlier
    return sa.cast(sa.func.julianday(later) - sa.func.julianday(earlier), sa.Integer)


def _hours_between(later, earlier) -> sa.ColumnElement[int]:
    """Whole hours (rounded down) from the timestamp ``earlier`` to ``later``."""
    if _postgresql():
        return sa.cast(sa.func.extract("epoch", later - earlier), sa.Integer) // 3600
    # Julian days are floating point: a hair over the hour keeps 5:00:00 from reading 4.
    hours = (sa.func.julianday(later) - sa.func.julianday(earlier)) * 24 + 0.000001
    return sa.cast(hours, sa.Integer)


def _later(a, b):
    """The later of two dates, either of which may be NULL."""
    return sa.case((a.is_(None), b), (b.is_(None), a), (a > b, a), else_=b)


def engagement_start() -> sa.ColumnElement[date]:
    """:attr:`Application.engagement_starts` of an accepted or completed application, as a
    SQL expression (the query joins ``Project``)."""
    known = _later(Application.available_from, Project.start_date)
    return sa.type_coerce(
        sa.case(
            (known.is_(None), _days_after(Application.decided_at, START_AFTER_ACCEPTANCE.days)),
            else_=_later(known, _day(Application.decided_at)),
        ),
        sa.Date,
    )


def _count_if(condition) -> sa.ColumnElement[int]:
    """How many rows meet ``condition`` (``count(*) FILTER (WHERE ...)``, which SQLite and
    PostgreSQL both know)."""
    return sa.func.count().filter(condition)


def _has_sector(sectors_column, sector) -> sa.ColumnElement[bool]:
    """A member's JSON list of sectors holds ``sector`` (a catalogue key: letters and _; or
    a column of them)."""
    text = sa.cast(sectors_column, sa.Text)
    if isinstance(sector, str):
        return text.like(f'%"{sector}"%')
    return text.like(sa.literal('%"', sa.String).op("||")(sector).op("||")('"%'))


def project_conditions(filters: Filters) -> list:
    """SQL conditions on ``Project`` for the country, sector and institution ``filters``
    name (none when they name nothing)."""
    conditions = []
    if filters.country:
        conditions.append(Project.country == filters.country)
    if filters.sector:
        conditions.append(Project.sector == filters.sector)
    if filters.institution_id is not None:
        conditions.append(Project.institution_id == filters.institution_id)
    return conditions


def _by_month(period: Period, rows) -> dict[date, tuple]:
    """``{month: values}`` for every month of the period (zeros where no row)."""
    found = {_month_date(month): tuple(values) for month, *values in rows if month}
    width = len(next(iter(found.values()))) if found else 0
    return {month: found.get(month, (0,) * width) for month in period.months()} if found else {}


def percent(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``, to one decimal, or None when ``whole`` is 0."""
    return round(100 * part / whole, 1) if whole else None


# --------------------------------------------------------------------------- the facts
# :func:`refresh` recomputes every fact from the live tables; the tables below read them.
# Each rule (who is active, what a funnel stage is, an answer time, an engagement's start,
# completion and hours) is written once, here, as the grouped query that fills its facts.

_DIMENSIONS = ("month", "previous_month", "institution_id", "country", "sector", "key", "bucket")
_NULL_DIMENSIONS = frozenset({"month", "previous_month", "institution_id", "bucket"})


class NotComputed(Conflict):
    """The figures were never computed (no refresh yet)."""


def _month_of(column) -> sa.ColumnElement[date]:
    """The first day of the month of a timestamp or date column, as a date."""
    if _postgresql():
        return sa.cast(sa.func.date_trunc(sa.literal_column("'month'"), column), sa.Date)
    return sa.type_coerce(sa.func.substr(column, 1, 7).op("||")("-01"), sa.Date)


def _sum(column) -> sa.ColumnElement[int]:
    """A sum that is 0 over no rows and an int on both databases."""
    return sa.cast(sa.func.coalesce(sa.func.sum(column), 0), sa.BigInteger)


def _insert_facts(figure: str, query, count=None, total=None, **dimensions) -> None:
    """``INSERT INTO impact_facts ... SELECT`` ``query`` grouped by ``dimensions`` (SQL
    expressions keyed by fact column; the others are empty): one fact per group with the
    number of rows (or ``count``, and then only groups where it is not 0) and ``total``."""
    columns = [sa.literal(figure, sa.String).label("f_figure")]
    group = []
    for name in _DIMENSIONS:
        expression = dimensions.pop(name, None)
        if expression is None:
            empty = sa.null() if name in _NULL_DIMENSIONS else sa.literal("", sa.String)
            columns.append(empty.label(f"f_{name}"))
        else:
            columns.append(expression.label(f"f_{name}"))
            group.append(_key(f"f_{name}"))
    if dimensions:
        raise TypeError(f"not a fact dimension: {', '.join(dimensions)}")
    columns.append((sa.func.count() if count is None else count).label("f_count"))
    columns.append((sa.literal(0) if total is None else total).label("f_total"))
    select = query.add_columns(*columns)
    if group:
        select = select.group_by(*group)
    if count is not None:
        select = select.having(count > 0)
    names = ["figure", *_DIMENSIONS, "count", "total"]
    db.session.execute(sa.insert(ImpactFact).from_select(names, select))


def _sector_keys():
    """Every sector key of the catalogue, as a one-column subquery (``sector_key``)."""
    keys = list(catalog.sectors())
    return sa.union_all(
        *(sa.select(sa.literal(key, sa.String).label("sector_key")) for key in keys)
    ).subquery("sector_keys")


def _member_rows(with_profile: bool = False):
    """Every member, with their profile (only those with one when ``with_profile``)."""
    query = sa.select().select_from(User)
    if with_profile:
        query = query.join(Profile, Profile.user_id == User.id)
    else:
        query = query.outerjoin(Profile, Profile.user_id == User.id)
    return query.where(User.role == Role.MEMBER)


def _insert_member_facts(figure: str, query, **dimensions) -> None:
    """Facts about members, by country of origin: once with an empty sector (each member
    once), once more per sector the member works in."""
    country = sa.func.coalesce(Profile.origin_country, "")
    _insert_facts(figure, query, country=country, **dimensions)
    keys = _sector_keys()
    _insert_facts(
        figure,
        query.join(keys, _has_sector(Profile.sectors, keys.c.sector_key)),
        country=country,
        sector=keys.c.sector_key,
        **dimensions,
    )


def _project_dimensions() -> dict:
    return {
        "institution_id": Project.institution_id,
        "country": Project.country,
        "sector": Project.sector,
    }


def _member_facts(now: datetime) -> None:
    members = _member_rows()
    _insert_member_facts("members_registered", members, month=_month_of(User.created_at))
    _insert_member_facts("members_total", members)
    profiles = _member_rows(with_profile=True)
    _insert_member_facts("members_complete", profiles, count=_count_if(complete_condition()))
    _insert_member_facts(
        "members_listed",
        profiles,
        count=_count_if(sa.and_(listed_condition(), User.is_active)),
    )
    # Signing in, applying and writing each record the month in ``member_activity``
    # (migration 0018 backfilled the months of earlier applications and messages). Each
    # active month keeps the member's previous active month: the members active in a
    # period are then the active months of the period whose previous one is before it.
    activity = sa.select(
        MemberActivity.user_id,
        MemberActivity.month,
        sa.func.lag(MemberActivity.month)
        .over(partition_by=MemberActivity.user_id, order_by=MemberActivity.month)
        .label("previous"),
    ).subquery("activity")
    _insert_member_facts(
        "members_active",
        members.join(activity, activity.c.user_id == User.id),
        month=activity.c.month,
        previous_month=activity.c.previous,
    )


def _project_facts(now: datetime) -> None:
    projects = sa.select().select_from(Project)
    submitted = projects.where(Project.submitted_at.is_not(None))
    month = _month_of(Project.submitted_at)
    _insert_facts("projects_submitted", submitted, month=month, **_project_dimensions())
    _insert_facts(
        "projects_flagged",
        submitted,
        count=_count_if(Project.flagged.is_(True)),
        month=month,
        **_project_dimensions(),
    )
    _insert_facts(
        "projects_rejected",
        submitted,
        count=_count_if(Project.status == ProjectStatus.REJECTED),
        month=month,
        **_project_dimensions(),
    )
    _insert_facts(
        "projects_published",
        projects.where(Project.published_at.is_not(None)),
        month=_month_of(Project.published_at),
        **_project_dimensions(),
    )


def _applications():
    return sa.select().select_from(Application).join(Project, Project.id == Application.project_id)


def _funnel_facts(now: datetime) -> None:
    shortlisted = (
        sa.select(ApplicationMessage.application_id)
        .where(ApplicationMessage.kind == MessageKind.SHORTLISTED)
        .distinct()
        .subquery()
    )
    status = Application.status
    unanswered = application_stats.answered_at().is_(None)
    late = sa.and_(
        status.in_(WAITING), Application.created_at <= now - application_stats.ANSWER_GRACE
    )
    stages = {
        "applied": None,
        "shortlisted": sa.or_(
            status == ApplicationStatus.SHORTLISTED,
            shortlisted.c.application_id.is_not(None),
        ),
        "accepted": status.in_(TEAM),
        "declined": status == ApplicationStatus.DECLINED,
        "withdrawn": status == ApplicationStatus.WITHDRAWN,
        "unanswered": sa.and_(unanswered, sa.or_(status == ApplicationStatus.CLOSED, late)),
        "closed": sa.and_(status == ApplicationStatus.CLOSED, sa.not_(unanswered)),
        "waiting": sa.and_(status.in_(WAITING), sa.not_(sa.and_(unanswered, late))),
    }
    month = _month_of(Application.created_at)
    for stage, condition in stages.items():
        query = _applications()
        if stage == "shortlisted":
            query = query.outerjoin(shortlisted, shortlisted.c.application_id == Application.id)
        _insert_facts(
            "applications",
            query,
            count=None if condition is None else _count_if(condition),
            month=month,
            key=sa.literal(stage, sa.String),
            **_project_dimensions(),
        )


def _answer_time_facts(now: datetime) -> None:
    hours = _wait_bucket(_hours_between(application_stats.answered_at(), Application.created_at))
    _insert_facts(
        "answer_waits",
        _applications().where(application_stats.counts_for_answer_time(now)),
        month=_month_of(Application.created_at),
        bucket=hours,
        **_project_dimensions(),
    )


def _engagement_facts(now: datetime) -> None:
    mode = sa.func.coalesce(Application.work_mode, Project.work_mode)
    _insert_facts(
        "engagements_started",
        _applications().where(Application.status.in_(TEAM)),
        month=_month_of(engagement_start()),
        key=mode,
        **_project_dimensions(),
    )
    completed = _applications().where(
        Application.status == ApplicationStatus.COMPLETED, Application.completed_at.is_not(None)
    )
    month = _month_of(Application.completed_at)
    confirmed = Application.completion_confirmed_condition(now)
    days = _engagement_days()
    # Days on site are counted for on-site engagements only: a hybrid one's days in the
    # country are not recorded.
    on_site = sa.and_(confirmed, mode == WorkMode.ONSITE)
    _insert_facts("engagements_completed", completed, month=month, **_project_dimensions())
    _insert_facts(
        "engagements_confirmed",
        completed,
        count=_count_if(confirmed),
        total=_sum(sa.case((confirmed, _engagement_hours()))),
        month=month,
        **_project_dimensions(),
    )
    _insert_facts(
        "engagements_site_days",
        completed,
        count=_count_if(on_site),
        total=_sum(sa.case((on_site, days))),
        month=month,
        **_project_dimensions(),
    )


def _coverage_facts(now: datetime) -> None:
    _insert_facts(
        "projects_open",
        sa.select().select_from(Project).where(Project.is_open(now.date())),
        **_project_dimensions(),
    )


FACTS = (
    _member_facts,
    _project_facts,
    _funnel_facts,
    _answer_time_facts,
    _engagement_facts,
    _coverage_facts,
)


def _locked_state() -> ImpactState:
    """The one state row, created if missing, locked until the transaction ends."""
    insert = (postgresql.insert if _postgresql() else sqlite.insert)(ImpactState)
    db.session.execute(insert.values(id=1, public="").on_conflict_do_nothing(index_elements=["id"]))
    return db.session.execute(
        sa.select(ImpactState)
        .where(ImpactState.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def refresh(now: datetime | None = None) -> datetime:
    """Recompute every fact, and the public figures, from the live tables as of ``now``
    (in the caller's transaction, which commits). A second refresh waits for the first
    one's transaction to end. Returns ``now``."""
    now = now or utcnow()
    state = _locked_state()
    db.session.execute(sa.delete(ImpactFact))
    for compute in FACTS:
        compute(now)
    # Stored once for every reader: its words in English and its countries as codes,
    # translated and named where the page shows them (whoever pressed the button).
    with force_locale(i18n.DEFAULT):
        state.public = json.dumps(_dump(_public_report(now)))
    state.computed_at = now
    db.session.flush()
    return now


def computed_at() -> datetime | None:
    """When the figures were last computed (None: never)."""
    return db.session.scalar(sa.select(ImpactState.computed_at).where(ImpactState.id == 1))


def _computed_state() -> ImpactState:
    state = db.session.get(ImpactState, 1)
    if state is None or state.computed_at is None:
        raise NotComputed(
            _(
                "The figures have not been computed yet: run flask report refresh, or ask a "
                "coordinator to compute them."
            )
        )
    return state


def _facts(figures, filters: Filters, *columns, members: bool = False):
    """``select(*columns)`` over the facts of ``figures`` that ``filters`` keep. Member facts
    are read with an empty sector unless a sector is chosen (each member counted once), and
    are not narrowed by an institution."""
    query = sa.select(*columns).where(ImpactFact.figure.in_(figures))
    if filters.country:
        query = query.where(ImpactFact.country == filters.country)
    if members:
        query = query.where(ImpactFact.sector == filters.sector)
    else:
        if filters.sector:
            query = query.where(ImpactFact.sector == filters.sector)
        if filters.institution_id is not None:
            query = query.where(ImpactFact.institution_id == filters.institution_id)
    return query


def _in_period(period: Period) -> sa.ColumnElement[bool]:
    return sa.and_(ImpactFact.month >= period.first, ImpactFact.month <= period.last)


def _monthly(figures, period: Period, filters: Filters, members: bool = False) -> dict:
    """``{figure: {month: (count, total)}}`` over the period."""
    found: dict[str, dict] = {figure: {} for figure in figures}
    rows = db.session.execute(
        _facts(
            figures,
            filters,
            ImpactFact.figure,
            ImpactFact.month,
            _sum(ImpactFact.count),
            _sum(ImpactFact.total),
            members=members,
        )
        .where(_in_period(period))
        .group_by(ImpactFact.figure, ImpactFact.month)
    )
    for figure, month, count, total in rows:
        found[figure][_month_date(month)] = (count, total)
    return found


def _totals(figures, filters: Filters, members: bool = False) -> dict[str, int]:
    rows = db.session.execute(
        _facts(
            figures, filters, ImpactFact.figure, _sum(ImpactFact.count), members=members
        ).group_by(ImpactFact.figure)
    )
    found = dict.fromkeys(figures, 0)
    found.update(dict(rows.all()))
    return found


# --------------------------------------------------------------------------- the tables


def _members_tables(period: Period, filters: Filters) -> list[Table]:
    monthly = _monthly(("members_registered", "members_active"), period, filters, members=True)
    registered = _by_month(period, ((m, v[0]) for m, v in monthly["members_registered"].items()))
    active_by_month = _by_month(period, ((m, v[0]) for m, v in monthly["members_active"].items()))
    today = _totals(("members_total", "members_complete", "members_listed"), filters, True)
    active = db.session.scalar(
        _facts(("members_active",), filters, _sum(ImpactFact.count), members=True).where(
            _in_period(period),
            sa.or_(ImpactFact.previous_month.is_(None), ImpactFact.previous_month < period.first),
        )
    )
    complete, listed, total = (
        today["members_complete"],
        today["members_listed"],
        today["members_total"],
    )
    months = sorted(set(registered) | set(active_by_month))
    return [
        Table(
            "members",
            DASHBOARD_TABLES["members"],
            (MEASURE, COUNT),
            (
                (N_("Members registered in the period"), sum(v[0] for v in registered.values())),
                (N_("Members with a complete profile"), complete),
                (N_("Members listed in the directory"), listed),
                (N_("Members active in the period"), active),
                (N_("Members in all"), total),
            ),
            note=N_(
                "Registered and active count the period; complete profile, listed and in all "
                "count today. Complete: every item the profile page asks for is filled in. "
                "Active: signed in, applied or wrote in an application's thread in the "
                "period. An institution filter does not narrow member figures."
            ),
            people=frozenset({"count"}),
        ),
        Table(
            "members_by_month",
            DASHBOARD_TABLES["members_by_month"],
            (MONTH, Column("registered", N_("Registered")), Column("active", N_("Active"))),
            tuple(
                (
                    m,
                    registered.get(m, (0,))[0],
                    active_by_month.get(m, (0,))[0],
                )
                for m in months
            ),
            note=N_("Active: signed in, applied or wrote in an application's thread that month."),
            people=frozenset({"registered", "active"}),
        ),
    ]


def _institutions_table(period: Period, filters: Filters) -> Table:
    conditions = []
    if filters.country:
        conditions.append(Institution.country == filters.country)
    if filters.sector:
        sector_project = sa.orm.aliased(Project)
        conditions.append(
            sa.exists().where(
                sector_project.institution_id == Institution.id,
                sector_project.sector == filters.sector,
            )
        )
    if filters.institution_id is not None:
        conditions.append(Institution.id == filters.institution_id)
    verified = Institution.status == InstitutionStatus.VERIFIED
    registered, verified_in_period, verified_total = db.session.execute(
        sa.select(
            _count_if(period.contains(Institution.created_at)),
            _count_if(sa.and_(verified, period.contains(Institution.decided_at))),
            _count_if(verified),
        )
        .select_from(Institution)
        .where(*conditions)
    ).one()
    posting = db.session.scalar(
        sa.select(sa.func.count(Project.institution_id.distinct()))
        .join(Institution, Institution.id == Project.institution_id)
        .where(period.contains(Project.submitted_at), *conditions, *project_conditions(filters))
    )
    return Table(
        "institutions",
        DASHBOARD_TABLES["institutions"],
        (MEASURE, COUNT),
        (
            (N_("Institutions registered in the period"), registered),
            (N_("Institutions verified in the period"), verified_in_period),
            (N_("Institutions posting in the period"), posting),
            (N_("Verified institutions in all"), verified_total),
        ),
        note=N_(
            "Posting: submitted at least one project in the period. A country filter is the "
            "institution's country; a sector filter keeps institutions with a project in it."
        ),
    )


def _projects_tables(period: Period, filters: Filters) -> list[Table]:
    figures = ("projects_submitted", "projects_flagged", "projects_rejected")
    monthly = _monthly((*figures, "projects_published"), period, filters)
    submitted = _by_month(
        period,
        (
            (m, *(monthly[f].get(m, (0, 0))[0] for f in figures))
            for m in monthly["projects_submitted"]
        ),
    )
    published = _by_month(period, ((m, v[0]) for m, v in monthly["projects_published"].items()))
    months = sorted(set(submitted) | set(published))
    rows = tuple(
        (
            m,
            submitted.get(m, (0, 0, 0))[0],
            published.get(m, (0,))[0],
            *submitted.get(m, (0, 0, 0))[1:],
        )
        for m in months
    )
    columns = (
        MONTH,
        Column("submitted", N_("Submitted")),
        Column("published", N_("Published")),
        Column("flagged", N_("Flagged by screening")),
        Column("rejected", N_("Rejected")),
    )
    totals = [sum(row[i] for row in rows) for i in range(1, 5)]
    note = N_(
        "Submitted and published: sent for review, and published, in the period. Flagged and "
        "rejected: of the projects submitted in the period, those screening holds as flagged "
        "and those coordinators rejected."
    )
    return [
        Table(
            "projects",
            DASHBOARD_TABLES["projects"],
            (MEASURE, COUNT),
            (
                (N_("Projects submitted"), totals[0]),
                (N_("Projects published"), totals[1]),
                (N_("Projects flagged by screening"), totals[2]),
                (N_("Projects rejected"), totals[3]),
            ),
            note=note,
        ),
        Table("projects_by_month", DASHBOARD_TABLES["projects_by_month"], columns, rows, note),
    ]


FUNNEL_STAGES = (
    ("applied", N_("Applied")),
    ("shortlisted", N_("Shortlisted")),
    ("accepted", N_("Accepted")),
    ("declined", N_("Declined")),
    ("withdrawn", N_("Withdrawn")),
    ("unanswered", N_("Unanswered")),
    ("closed", N_("Closed after an answer")),
    ("waiting", N_("Still waiting")),
)


def _funnel_tables(period: Period, filters: Filters) -> list[Table]:
    stages = [key for key, _ in FUNNEL_STAGES]
    found: dict[date, list[int]] = {}
    for month, stage, count in db.session.execute(
        _facts(("applications",), filters, ImpactFact.month, ImpactFact.key, _sum(ImpactFact.count))
        .where(_in_period(period))
        .group_by(ImpactFact.month, ImpactFact.key)
    ):
        found.setdefault(_month_date(month), [0] * len(stages))[stages.index(stage)] = count
    by_month = _by_month(period, ((m, *values) for m, values in found.items()))
    rows = tuple((m, *values) for m, values in sorted(by_month.items()))
    totals = [sum(row[i] for row in rows) for i in range(1, len(FUNNEL_STAGES) + 1)]
    applied = totals[0]
    grace = application_stats.ANSWER_GRACE.days
    note = joined(
        N_(
            "The applications made in the period and what became of them. Shortlisted: ever "
            "shortlisted, even if decided since. Accepted: accepted or completed."
        ),
        NN_(
            "Unanswered: never answered, and closed or still waiting after %(num)d day.",
            "Unanswered: never answered, and closed or still waiting after %(num)d days.",
            grace,
        ),
        N_("Closed after an answer: the project closed after a representative wrote."),
        NN_(
            "Still waiting: not decided yet, and either answered or made less than %(num)d "
            "day ago.",
            "Still waiting: not decided yet, and either answered or made less than %(num)d "
            "days ago.",
            grace,
        ),
        N_(
            "Accepted, declined, withdrawn, unanswered, closed and still waiting add up to the "
            "applications made. Share: of the applications made."
        ),
    )
    return [
        Table(
            "funnel",
            DASHBOARD_TABLES["funnel"],
            (
                Column("stage", N_("Stage"), "text"),
                Column("applications", N_("Applications")),
                Column("share", N_("Share of applied"), "percent"),
            ),
            tuple(
                (label, count, percent(count, applied))
                for (_, label), count in zip(FUNNEL_STAGES, totals, strict=True)
            ),
            note=note,
            people=frozenset({"applications"}),
        ),
        Table(
            "applications_by_month",
            DASHBOARD_TABLES["applications_by_month"],
            (MONTH, *(Column(key, label) for key, label in FUNNEL_STAGES)),
            rows,
            note=N_("By the month the application was made; what became of it since."),
            people=frozenset(key for key, _ in FUNNEL_STAGES),
        ),
    ]


# Answer times are grouped by whole hours for the first two days, by whole days after.
HOURLY_UNTIL = 48
PROMISED_HOURS = 14 * 24


def _wait_bucket(hours):
    return sa.case((hours < HOURLY_UNTIL, hours), else_=(hours // 24) * 24)


def _percentile(histogram: list[tuple[int, int]], share: float) -> float | None:
    """The wait (in days) at ``share`` of the sorted waits, nearest rank, from a histogram of
    ``(hours, count)`` rows sorted by hours."""
    total = sum(count for _, count in histogram)
    if not total:
        return None
    rank, seen = max(1, math.ceil(share * total)), 0
    for hours, count in histogram:
        seen += count
        if seen >= rank:
            return round(hours / 24, 1)
    return None


ANSWER_TIMES_NOTE = joined(
    N_("Applications received in the period. Answered: a representative wrote or decided."),
    NN_(
        "Left out, as on institutions' pages: applications withdrawn before an answer "
        "and those waiting less than %(num)d day.",
        "Left out, as on institutions' pages: applications withdrawn before an answer "
        "and those waiting less than %(num)d days.",
        application_stats.ANSWER_GRACE.days,
    ),
    NN_(
        "Waits are counted to the hour for the first %(num)d day, to the day after.",
        "Waits are counted to the hour for the first %(num)d days, to the day after.",
        HOURLY_UNTIL // 24,
    ),
    N_(
        "Within 14 days: the share of the applications received that were answered in "
        "less than 14 days."
    ),
)


def _answer_times_table(period: Period, filters: Filters) -> Table:
    # Read through the connection: tens of thousands of (institution, wait) rows, which the
    # ORM's row handling would take longer over than the database.
    rows = (
        db.session.connection()
        .execute(
            _facts(
                ("answer_waits",),
                filters,
                ImpactFact.institution_id,
                ImpactFact.bucket,
                _sum(ImpactFact.count),
            )
            .where(_in_period(period))
            .group_by(ImpactFact.institution_id, ImpactFact.bucket)
        )
        .all()
    )
    names = dict(db.session.execute(sa.select(Institution.id, Institution.name)).all())
    institutions: dict[int, dict] = {}
    network = {
        "name": N_("All these institutions") if filters else N_("All institutions"),
        "received": 0,
        "waits": {},
    }
    for institution_id, wait, count in rows:
        entry = institutions.get(institution_id)
        if entry is None:
            if institution_id not in names:
                continue  # removed since the last refresh
            name = names[institution_id]
            entry = institutions[institution_id] = {"name": name, "received": 0, "waits": {}}
        for figures in (entry, network):
            figures["received"] += count
            if wait is not None:
                figures["waits"][wait] = figures["waits"].get(wait, 0) + count

    def row(figures):
        histogram = sorted(figures["waits"].items())
        answered = sum(count for _, count in histogram)
        within = sum(count for wait, count in histogram if wait < PROMISED_HOURS)
        return (
            figures["name"],
            figures["received"],
            answered,
            _percentile(histogram, 0.5),
            _percentile(histogram, 0.9),
            percent(within, figures["received"]),
        )

    ordered = sorted(institutions.values(), key=lambda f: (f["name"].casefold(), f["name"]))
    return Table(
        "answer_times",
        DASHBOARD_TABLES["answer_times"],
        (
            Column("institution", N_("Institution"), "text"),
            # Translators: a column counting the applications an institution received.
            Column("received", NP_("applications counted", "Received")),
            Column("answered", N_("Answered")),
            Column("median_days", N_("Median wait"), "days"),
            Column("p90_days", N_("90th percentile wait"), "days"),
            Column("within_promise", N_("Answered within 14 days"), "percent"),
        ),
        (row(network), *(row(f) for f in ordered)) if institutions else (),
        note=ANSWER_TIMES_NOTE,
        people=frozenset({"received", "answered"}),
    )


WORK_MODES = (
    (WorkMode.REMOTE, N_("Engagements started remote")),
    (WorkMode.ONSITE, N_("Engagements started on site")),
    (WorkMode.HYBRID, N_("Engagements started hybrid")),
)


def _engagement_days():
    """Days from an engagement's start to its completion, both counted, at least one."""
    days = _days_between(_day(Application.completed_at), engagement_start()) + 1
    return sa.case((days < 1, 1), else_=days)


def _engagement_hours():
    """An engagement's hours, estimated: the hours per month the member offered times the
    months from its start to its completion, rounded to whole hours per engagement, so that
    the hours of every row of a table add up to its total."""
    hours = sa.func.coalesce(Application.hours_per_month, 0) * _engagement_days() / DAYS_PER_MONTH
    return sa.cast(sa.func.round(hours), sa.Integer)


def _engagement_tables(period: Period, filters: Filters) -> list[Table]:
    started_rows = db.session.execute(
        _facts(
            ("engagements_started",),
            filters,
            ImpactFact.month,
            ImpactFact.key,
            _sum(ImpactFact.count),
        )
        .where(_in_period(period))
        .group_by(ImpactFact.month, ImpactFact.key)
    ).all()
    figures = ("engagements_completed", "engagements_confirmed", "engagements_site_days")
    monthly = _monthly(figures, period, filters)
    completed = _by_month(
        period,
        (
            (
                m,
                count,
                monthly["engagements_confirmed"].get(m, (0, 0))[0],
                monthly["engagements_confirmed"].get(m, (0, 0))[1],
                monthly["engagements_site_days"].get(m, (0, 0))[1],
            )
            for m, (count, _) in monthly["engagements_completed"].items()
        ),
    )
    started: dict[date, int] = {}
    by_mode = {m: 0 for m, _ in WORK_MODES}
    for month, work_mode, count in started_rows:
        started[_month_date(month)] = started.get(_month_date(month), 0) + count
        by_mode[WorkMode(work_mode)] = by_mode.get(WorkMode(work_mode), 0) + count
    months = sorted(set(started) | set(completed))
    rows = tuple(
        (
            m,
            started.get(m, 0),
            completed.get(m, (0, 0, 0, 0))[0],
            completed.get(m, (0, 0, 0, 0))[1],
            completed.get(m, (0, 0, 0, 0))[2],
        )
        for m in months
    )
    hours = sum(v[2] for v in completed.values())
    site_days = sum(v[3] for v in completed.values())
    note = N_(
        "Started: accepted or completed engagements whose start day falls in the period. "
        "Completed: marked completed in the period; confirmed: of those, confirmed by both "
        "sides or not disputed within 14 days. Remote, on site and hybrid: of those started. "
        "Hours contributed is an estimate: for each confirmed engagement, the hours per month "
        "the member offered times the months from start to completion, rounded per engagement. "
        "Days on site: the days from start to completion of confirmed on-site engagements "
        "(a hybrid engagement's days in the country are not recorded)."
    )
    return [
        Table(
            "engagements",
            DASHBOARD_TABLES["engagements"],
            (MEASURE, COUNT),
            (
                (N_("Engagements started"), sum(started.values())),
                (N_("Engagements completed"), sum(v[0] for v in completed.values())),
                (N_("Engagements confirmed"), sum(v[1] for v in completed.values())),
                *((label, by_mode[m]) for m, label in WORK_MODES),
                (N_("Hours contributed (estimate)"), hours),
                (N_("Days on site"), site_days),
            ),
            note=note,
        ),
        Table(
            "engagements_by_month",
            DASHBOARD_TABLES["engagements_by_month"],
            (
                MONTH,
                Column("started", N_("Started")),
                Column("completed", N_("Completed")),
                Column("confirmed", N_("Confirmed")),
                Column("hours", N_("Hours (estimate)"), "hours"),
            ),
            rows,
            note=N_("Started by start month; completed, confirmed and hours by completion month."),
        ),
    ]


def _gap(members: int, projects: int) -> str:
    if members and not projects:
        return N_("Members but no projects")
    if projects and not members:
        return N_("Projects but no members")
    return ""


def _listed_members(filters: Filters, *columns):
    return (
        sa.select(*columns)
        .select_from(Profile)
        .join(User, User.id == Profile.user_id)
        .where(User.role == Role.MEMBER, User.is_active, listed_condition())
    )


def _coverage_tables(filters: Filters) -> list[Table]:
    project_counts = db.session.execute(
        _facts(
            ("projects_open",),
            filters,
            ImpactFact.country,
            ImpactFact.sector,
            _sum(ImpactFact.count),
        ).group_by(ImpactFact.country, ImpactFact.sector)
    ).all()
    country_members = dict(
        db.session.execute(
            _facts(
                ("members_listed",),
                filters,
                ImpactFact.country,
                _sum(ImpactFact.count),
                members=True,
            )
            .where(ImpactFact.country != "")
            .group_by(ImpactFact.country)
        ).all()
    )
    country_projects: dict[str, int] = {}
    sector_projects: dict[str, int] = {}
    for country, sector, count in project_counts:
        country_projects[country] = country_projects.get(country, 0) + count
        sector_projects[sector] = sector_projects.get(sector, 0) + count

    sectors = catalog.sectors()
    keys = [filters.sector] if filters.sector else list(sectors)
    sector_members = dict.fromkeys(keys, 0)
    sector_members.update(
        db.session.execute(
            _facts(
                ("members_listed",),
                replace(filters, sector=""),
                ImpactFact.sector,
                _sum(ImpactFact.count),
            )
            .where(ImpactFact.sector.in_(keys))
            .group_by(ImpactFact.sector)
        ).all()
    )

    countries = sorted(
        set(country_members) | set(country_projects), key=lambda c: (country_name(c), c)
    )
    if filters.country:
        countries = [c for c in countries if c == filters.country]
    country_rows = tuple(
        (
            country_name(c),
            country_members.get(c, 0),
            country_projects.get(c, 0),
            _gap(country_members.get(c, 0), country_projects.get(c, 0)),
        )
        for c in countries
    )
    sector_rows = tuple(
        (
            sectors.get(key, key),
            sector_members.get(key, 0),
            sector_projects.get(key, 0),
            _gap(sector_members.get(key, 0), sector_projects.get(key, 0)),
        )
        for key in sorted(set(keys) | set(sector_projects), key=lambda k: sectors.get(k, k))
        if sector_members.get(key, 0) or sector_projects.get(key, 0)
    )
    members_column = Column("members", N_("Listed members"))
    projects_column = Column("open_projects", N_("Open projects"))
    gap_column = Column("gap", N_("Gap"), "text")
    note = N_(
        "Today, whatever the period: members listed in the directory (by country of origin, "
        "and each sector they work in) and projects open to applications."
    )
    return [
        Table(
            "coverage_countries",
            DASHBOARD_TABLES["coverage_countries"],
            (Column("country", N_("Country"), "text"), members_column, projects_column, gap_column),
            country_rows,
            note=note,
            people=frozenset({"members"}),
        ),
        Table(
            "coverage_sectors",
            DASHBOARD_TABLES["coverage_sectors"],
            (Column("sector", N_("Sector"), "text"), members_column, projects_column, gap_column),
            sector_rows,
            note=note,
            people=frozenset({"members"}),
        ),
    ]


def dashboard(period: Period, filters: Filters = Filters()) -> Report:
    """Every figure of the coordinators' dashboard for ``period`` and ``filters``, as of the
    last :func:`refresh` (:class:`NotComputed` before the first; :func:`check_filters`
    first: an unknown country, sector or institution is :class:`Invalid`). The follow-up
    and freshness tables are read live (tens of milliseconds at full size, see
    ``bench/impact.py``); freshness counts as of now."""
    from diaspora.services import follow_ups, freshness

    check_filters(filters)
    state = _computed_state()
    tables = [
        *_members_tables(period, filters),
        _institutions_table(period, filters),
        *_projects_tables(period, filters),
        *_funnel_tables(period, filters),
        _answer_times_table(period, filters),
        *_engagement_tables(period, filters),
        *_coverage_tables(filters),
        follow_ups.impact_table(period, filters),
        *freshness.tables(utcnow()),
    ]
    by_key = {table.key: table for table in tables}
    return Report(
        period, filters, state.computed_at, {key: by_key[key] for key in DASHBOARD_TABLES}
    )


def countries() -> set[str]:
    """The countries the network has someone or something in (members' origin,
    institutions, projects), as of the last refresh for members and projects."""
    return set(
        db.session.scalars(
            sa.union(
                sa.select(ImpactFact.country).where(
                    ImpactFact.figure.in_(("members_total", "projects_submitted", "projects_open"))
                ),
                sa.select(Institution.country),
            )
        )
    ) - {""}


def _dump(report: Report) -> dict:
    return {
        "period": str(report.period),
        "tables": [
            {
                "key": table.key,
                "title": table.title,
                "columns": [[c.key, c.label, c.kind] for c in table.columns],
                "rows": [list(row) for row in table.rows],
                "note": table.note,
                "people": sorted(table.people),
            }
            for table in report.tables.values()
        ],
    }


def _load(data: dict, computed: datetime) -> Report:
    tables = {
        table["key"]: Table(
            table["key"],
            table["title"],
            tuple(Column(*column) for column in table["columns"]),
            tuple(tuple(row) for row in table["rows"]),
            note=table["note"],
            people=frozenset(table["people"]),
        )
        for table in data["tables"]
    }
    return Report(Period.parse(data["period"]), Filters(), computed, tables)


def country_label(code: str) -> str:
    """A ``country`` cell in the page's language: the country's name, or "Other
    countries"."""
    return translate(OTHER_COUNTRIES) if code == OTHER_COUNTRIES_CODE else country_name(code)


def in_reader_order(report: Report) -> Report:
    """``report`` with each table listed by country in the order of the countries' names
    in the page's language ("Other countries" last)."""
    tables = {}
    for key, table in report.tables.items():
        if table.columns and table.columns[0].kind == "country":

            def order(row):
                name = unicodedata.normalize("NFKD", country_label(row[0]))
                plain = "".join(ch for ch in name if not unicodedata.combining(ch)).casefold()
                return (row[0] == OTHER_COUNTRIES_CODE, plain)

            table = replace(table, rows=tuple(sorted(table.rows, key=order)))
        tables[key] = table
    return replace(report, tables=tables)


def open_data(report: Report) -> Report:
    """``report`` as the open data gives it, the same in every language: each ``country``
    column holds the country's English name (or "Other countries"), and a ``<key>_code``
    column added at the end of the table holds its code (ISO 3166 alpha-2, or
    ``other``)."""
    tables = {}
    with force_locale(i18n.DEFAULT):
        for key, table in report.tables.items():
            named = [i for i, c in enumerate(table.columns) if c.kind == "country"]
            if not named:
                tables[key] = table
                continue
            columns = tuple(
                replace(c, kind="text") if i in named else c for i, c in enumerate(table.columns)
            ) + tuple(Column(f"{table.columns[i].key}_code", "Code", "text") for i in named)
            rows = tuple(
                tuple(country_label(v) if i in named else v for i, v in enumerate(row))
                + tuple(row[i] for i in named)
                for row in table.rows
            )
            tables[key] = replace(table, columns=columns, rows=rows)
    return replace(report, tables=tables)


def public_figures() -> Report:
    """The public impact page and its open-data download, as of the last :func:`refresh`
    (:class:`NotComputed` before the first): see :func:`_public_report`."""
    state = _computed_state()
    return _load(json.loads(state.public), state.computed_at)


def _public_period(now: datetime) -> Period:
    """From the first institution's registration (at most :attr:`Period.MAX_MONTHS` back)
    to now."""
    first = db.session.scalar(sa.select(sa.func.min(Institution.created_at)))
    last = now.date().replace(day=1)
    earliest = last
    for _month in range(Period.MAX_MONTHS - 1):
        earliest = date(earliest.year - (earliest.month == 1), (earliest.month - 2) % 12 + 1, 1)
    if first is None:
        return Period.of(last, last)
    return Period.of(min(max(first.date(), earliest), last), last)


def _confirmed_members(now: datetime, countries=None) -> int:
    query = sa.select(sa.func.count(Application.member_id.distinct())).where(
        Application.completion_confirmed_condition(now)
    )
    if countries is not None:
        query = query.join(Project, Project.id == Application.project_id).where(
            Project.country.in_(countries)
        )
    return db.session.scalar(query)


def _public_report(now: datetime) -> Report:
    """The public impact page and its open-data download (computed by :func:`refresh`,
    read by :func:`public_figures`): network totals since the start
    (confirmed engagements, countries served, hours contributed, institutions answering,
    members listed) and engagements by country served, fit to publish.

    No figure counts fewer than :data:`SMALL_CELL` people: the engagement totals are hidden
    while fewer people than that took part, members listed while fewer are listed, and a
    country with fewer is merged into "Other countries". When that group would itself be
    small, the smallest shown countries join it until it is not (or every country is in it
    and the totals are hidden too), so no hidden figure can be worked out as a total minus
    the shown rows. Institutions are not people: their count is shown as it is."""
    confirmed = Application.completion_confirmed_condition(now)
    by_country = db.session.execute(
        sa.select(
            Project.country,
            sa.func.count(),
            sa.func.count(Application.member_id.distinct()),
            sa.func.coalesce(sa.func.sum(_engagement_hours()), 0),
        )
        .join(Project, Project.id == Application.project_id)
        .where(confirmed)
        .group_by(Project.country)
    ).all()
    engagements = sum(row[1] for row in by_country)
    hours = sum(row[3] for row in by_country)
    people = _confirmed_members(now)
    answered = application_stats.answered_at()
    answering = db.session.scalar(
        sa.select(sa.func.count()).select_from(
            sa.select(Project.institution_id)
            .join(Application, Application.project_id == Project.id)
            .where(Application.created_at >= now - PUBLIC_WINDOW, answered.is_not(None))
            .group_by(Project.institution_id)
            .having(sa.func.count() >= ANSWERING_MINIMUM)
            .subquery()
        )
    )
    listed = db.session.scalar(_listed_members(Filters(), sa.func.count()))

    def shown(value, basis):
        return value if basis >= SMALL_CELL else None

    totals = Table(
        "public_totals",
        N_("The network's impact"),
        (MEASURE, COUNT),
        (
            (N_("Engagements completed"), shown(engagements, people)),
            (N_("Countries served"), shown(len(by_country), people)),
            (N_("Hours contributed (estimate)"), shown(hours, people)),
            (N_("Institutions answering applicants"), answering),
            (N_("Members listed in the directory"), shown(listed, listed)),
        ),
        note=PUBLIC_TOTALS_NOTE,
    )

    ordered = sorted(by_country, key=lambda row: (-row[2], -row[1], row[0]))
    kept = [row for row in ordered if row[2] >= SMALL_CELL]
    merged = [row for row in ordered if row[2] < SMALL_CELL]
    while merged and kept and _confirmed_members(now, [row[0] for row in merged]) < SMALL_CELL:
        merged.append(kept.pop())
    # Stored by code, named at display in the reader's language (in English in the open
    # data); in the order of their English names, as the open data lists them.
    rows = [(country, count, hour) for country, count, _people, hour in kept]
    rows.sort(key=lambda row: (country_name(row[0]), row[0]))
    if merged and _confirmed_members(now, [row[0] for row in merged]) >= SMALL_CELL:
        rows.append(
            (OTHER_COUNTRIES_CODE, sum(row[1] for row in merged), sum(row[3] for row in merged))
        )
    countries = suppress(
        Table(
            "public_countries",
            N_("Engagements by country served"),
            (
                Column("country", N_("Country served"), "country"),
                Column("engagements", N_("Engagements")),
                Column("hours", N_("Hours contributed (estimate)"), "hours"),
            ),
            tuple(rows),
            note=PUBLIC_COUNTRIES_NOTE,
            people=frozenset({"engagements"}),
        )
    )
    return Report(
        _public_period(now),
        Filters(),
        now,
        {"public_totals": totals, "public_countries": countries},
    )
