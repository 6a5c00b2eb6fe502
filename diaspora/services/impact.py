"""What the network achieves and how healthy it is: the figures of the coordinators' impact
dashboard, of ``flask report impact`` and (totals only, small cells suppressed) of the public
impact page.

Every figure is a :class:`Table`: the dashboard draws and lists them, each downloads as CSV,
the command prints them as CSV or JSON. The figures are computed by a few grouped queries
over the whole network (never one row at a time in Python), so the dashboard stays fast on a
network of 100,000 members and a million applications.
"""

import calendar
import csv
import io
import math
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from diaspora import catalog
from diaspora.extensions import db
from diaspora.geo import country_name, is_country
from diaspora.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
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
from diaspora.services.errors import Invalid
from diaspora.services.privacy import listed_condition
from diaspora.services.profiles import complete_condition

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
            raise Invalid("Give the period as YYYY-MM:YYYY-MM, for example 2026-01:2026-12.")
        year, month, year2, month2 = match.groups()
        try:
            first = date(int(year), int(month), 1)
            last = date(int(year2 or year), int(month2 or month), 1)
        except ValueError:
            raise Invalid("Months go from 01 to 12.") from None
        return cls.of(first, last)

    @classmethod
    def of(cls, first: date, last: date) -> "Period":
        first, last = first.replace(day=1), last.replace(day=1)
        if last < first:
            raise Invalid("The period ends before it starts.")
        period = cls(first, last)
        if len(period.months()) > cls.MAX_MONTHS:
            raise Invalid(f"Choose a period of at most {cls.MAX_MONTHS} months.")
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

    def __str__(self) -> str:
        """``"2026-01:2026-12"``: what :meth:`parse` reads back."""
        return f"{self.first:%Y-%m}:{self.last:%Y-%m}"

    @property
    def label(self) -> str:
        """``"January 2026 to December 2026"``, ``"March 2026"``."""
        first = f"{calendar.month_name[self.first.month]} {self.first.year}"
        if self.first == self.last:
            return first
        return f"{first} to {calendar.month_name[self.last.month]} {self.last.year}"


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
    """``kind`` says how a value is shown: ``text``, ``month`` (a date, shown "Jan 2026"),
    ``count`` (people or things), ``percent`` (0-100, or None when there is nothing to divide
    by), ``days`` (a float, or None), ``hours`` (an int)."""

    key: str
    label: str
    kind: str = "count"


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
        small = [i for i in indexes if row[i] is not None and row[i] < minimum]
        if len(small) == len(indexes):
            continue
        if small:
            row = tuple(
                None if i in small or i in derived else value for i, value in enumerate(row)
            )
        rows.append(row)
    return replace(table, rows=tuple(rows))


# The dashboard's tables, in order: key -> (title, columns). ``dashboard`` returns exactly
# these (the follow-up and freshness tables are built by their own services); a table with
# no data has no rows, never made-up ones.
DASHBOARD_TABLES = {
    "members": "Members",  # measure (text), count: registered in the period, with a complete
    # profile, listed in the directory, active in the period (signed in, applied or wrote)
    "members_by_month": "Members month by month",  # month, registered, active
    "institutions": "Institutions",  # measure, count: registered, verified, posting
    "projects": "Projects",  # measure, count: submitted, published, flagged, rejected
    "projects_by_month": "Projects month by month",  # month, submitted, published, flagged,
    # rejected
    "funnel": "Applications",  # stage (text), applications (count), share (percent of
    # applied): applied, shortlisted, accepted, declined, withdrawn, unanswered
    "applications_by_month": "Applications month by month",  # month, applied, shortlisted,
    # accepted, declined, withdrawn, unanswered
    "answer_times": "Answer times by institution",  # institution (text), received, answered,
    # median_days (days), p90_days (days), within_promise (percent answered within 14 days)
    "engagements": "Engagements",  # measure, count: started, completed, confirmed, remote,
    # on site, hybrid, hours contributed, days on site
    "engagements_by_month": "Engagements month by month",  # month, started, completed,
    # confirmed, hours
    "coverage_countries": "Coverage by country",  # country (text), members, open_projects,
    # gap (text: "Members but no projects", "Projects but no members" or "")
    "coverage_sectors": "Coverage by sector",  # sector (text), members, open_projects, gap
    "follow_ups": "Follow-ups after engagements",  # services.follow_ups.impact_table
    "freshness": "Network freshness",  # services.freshness.tables (as of today)
}


MEASURE = Column("measure", "Measure", "text")
COUNT = Column("count", "Number")
MONTH = Column("month", "Month", "month")

# An engagement's hours are estimated from the hours per month the member offered and the
# length of the engagement, in months of this many days.
DAYS_PER_MONTH = 30.4375
# On the public page an institution counts as answering once it answered at least this many
# applications received in the last 12 months.
ANSWERING_MINIMUM = SMALL_CELL
PUBLIC_WINDOW = timedelta(days=365)
OTHER_COUNTRIES = "Other countries"


def check_filters(filters: Filters) -> None:
    """Raise :class:`Invalid` for a country, sector or institution that does not exist."""
    if filters.country and not is_country(filters.country):
        raise Invalid("Choose a country from the list.")
    if filters.sector and filters.sector not in catalog.sectors():
        raise Invalid("Choose a sector from the list.")
    if filters.institution_id is not None and (
        db.session.get(Institution, filters.institution_id) is None
    ):
        raise Invalid("There is no institution with that number.")


# --------------------------------------------------------------------------- SQL helpers
# The few expressions SQLite and PostgreSQL write differently. Timestamps are stored naive
# in UTC on both, so months and days are UTC months and days.


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _month(column) -> sa.ColumnElement:
    """The month of a timestamp or date column (its first instant on PostgreSQL, ``"YYYY-MM"``
    on SQLite: :func:`_month_date` reads either). SQLite stores both as ISO text
    (``2026-03-05 10:00:00.000000``, ``2026-03-05``): the first seven characters are the
    month, read without parsing the date on every row."""
    if _postgresql():
        return sa.func.date_trunc(sa.literal_column("'month'"), column)
    return sa.func.substr(column, 1, 7)


# Grouped queries group by the label of the computed column: PostgreSQL takes an expression
# with bound parameters in GROUP BY for a different one than the same in SELECT. The labels
# are named so that no table column has the name.
MONTH_KEY, WAIT_KEY, MODE_KEY = "month_key", "wait_hours", "mode_key"


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


def _has_sector(sectors_column, sector: str) -> sa.ColumnElement[bool]:
    """A member's JSON list of sectors holds ``sector`` (a catalogue key: letters and _)."""
    return sa.cast(sectors_column, sa.Text).like(f'%"{sector}"%')


def _within(column, period: Period) -> sa.ColumnElement[bool]:
    return sa.and_(column >= period.start, column < period.end)


def _project_conditions(filters: Filters) -> list:
    conditions = []
    if filters.country:
        conditions.append(Project.country == filters.country)
    if filters.sector:
        conditions.append(Project.sector == filters.sector)
    if filters.institution_id is not None:
        conditions.append(Project.institution_id == filters.institution_id)
    return conditions


def _member_conditions(filters: Filters) -> list:
    """Conditions on ``Profile`` (the query joins it): institution filters leave members
    alone."""
    conditions = []
    if filters.country:
        conditions.append(Profile.origin_country == filters.country)
    if filters.sector:
        conditions.append(_has_sector(Profile.sectors, filters.sector))
    return conditions


def _members(filters: Filters, *columns):
    """``select(*columns)`` over members (with their profile when a filter needs it)."""
    query = sa.select(*columns).select_from(User).where(User.role == Role.MEMBER)
    conditions = _member_conditions(filters)
    if conditions:
        query = query.join(Profile, Profile.user_id == User.id).where(*conditions)
    return query


def _by_month(period: Period, rows) -> dict[date, tuple]:
    """``{month: values}`` for every month of the period (zeros where no row)."""
    found = {_month_date(month): tuple(values) for month, *values in rows if month}
    width = len(next(iter(found.values()))) if found else 0
    return {month: found.get(month, (0,) * width) for month in period.months()} if found else {}


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# --------------------------------------------------------------------------- the tables


def _members_tables(period: Period, filters: Filters) -> list[Table]:
    registered = _by_month(
        period,
        db.session.execute(
            _members(filters, _month(User.created_at).label(MONTH_KEY), sa.func.count())
            .where(_within(User.created_at, period))
            .group_by(_key(MONTH_KEY))
        ),
    )
    profile_query = (
        sa.select(
            sa.func.count(),
            _count_if(complete_condition()),
            _count_if(sa.and_(listed_condition(), User.is_active)),
        )
        .select_from(User)
        .join(Profile, Profile.user_id == User.id)
        .where(User.role == Role.MEMBER, *_member_conditions(filters))
    )
    _, complete, listed = db.session.execute(profile_query).one()
    total = db.session.scalar(_members(filters, sa.func.count()))

    # Signing in, applying and writing each record the month in ``member_activity``
    # (migration 0018 backfilled the months of earlier applications and messages).
    user_id, month = MemberActivity.user_id, _month(MemberActivity.month).label(MONTH_KEY)
    active_query = (
        _members(filters)
        .join(MemberActivity, user_id == User.id)
        .where(MemberActivity.month >= period.first, MemberActivity.month <= period.last)
    )
    active_by_month = _by_month(
        period,
        db.session.execute(
            active_query.add_columns(month, sa.func.count(user_id.distinct())).group_by(
                _key(MONTH_KEY)
            )
        ),
    )
    active = db.session.scalar(active_query.add_columns(sa.func.count(user_id.distinct())))

    months = sorted(set(registered) | set(active_by_month))
    return [
        Table(
            "members",
            DASHBOARD_TABLES["members"],
            (MEASURE, COUNT),
            (
                ("Members registered in the period", sum(v[0] for v in registered.values())),
                ("Members with a complete profile", complete),
                ("Members listed in the directory", listed),
                ("Members active in the period", active),
                ("Members in all", total),
            ),
            note=(
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
            (MONTH, Column("registered", "Registered"), Column("active", "Active")),
            tuple(
                (
                    m,
                    registered.get(m, (0,))[0],
                    active_by_month.get(m, (0,))[0],
                )
                for m in months
            ),
            note="Active: signed in, applied or wrote in an application's thread that month.",
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
            _count_if(_within(Institution.created_at, period)),
            _count_if(sa.and_(verified, _within(Institution.decided_at, period))),
            _count_if(verified),
        )
        .select_from(Institution)
        .where(*conditions)
    ).one()
    posting = db.session.scalar(
        sa.select(sa.func.count(Project.institution_id.distinct()))
        .join(Institution, Institution.id == Project.institution_id)
        .where(_within(Project.submitted_at, period), *conditions, *_project_conditions(filters))
    )
    return Table(
        "institutions",
        DASHBOARD_TABLES["institutions"],
        (MEASURE, COUNT),
        (
            ("Institutions registered in the period", registered),
            ("Institutions verified in the period", verified_in_period),
            ("Institutions posting in the period", posting),
            ("Verified institutions in all", verified_total),
        ),
        note=(
            "Posting: submitted at least one project in the period. A country filter is the "
            "institution's country; a sector filter keeps institutions with a project in it."
        ),
    )


def _projects_tables(period: Period, filters: Filters) -> list[Table]:
    conditions = _project_conditions(filters)
    submitted = _by_month(
        period,
        db.session.execute(
            sa.select(
                _month(Project.submitted_at).label(MONTH_KEY),
                sa.func.count(),
                _count_if(Project.flagged.is_(True)),
                _count_if(Project.status == ProjectStatus.REJECTED),
            )
            .where(_within(Project.submitted_at, period), *conditions)
            .group_by(_key(MONTH_KEY))
        ),
    )
    published = _by_month(
        period,
        db.session.execute(
            sa.select(_month(Project.published_at).label(MONTH_KEY), sa.func.count())
            .where(_within(Project.published_at, period), *conditions)
            .group_by(_key(MONTH_KEY))
        ),
    )
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
        Column("submitted", "Submitted"),
        Column("published", "Published"),
        Column("flagged", "Flagged by screening"),
        Column("rejected", "Rejected"),
    )
    totals = [sum(row[i] for row in rows) for i in range(1, 5)]
    note = (
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
                ("Projects submitted", totals[0]),
                ("Projects published", totals[1]),
                ("Projects flagged by screening", totals[2]),
                ("Projects rejected", totals[3]),
            ),
            note=note,
        ),
        Table("projects_by_month", DASHBOARD_TABLES["projects_by_month"], columns, rows, note),
    ]


FUNNEL_STAGES = (
    ("applied", "Applied"),
    ("shortlisted", "Shortlisted"),
    ("accepted", "Accepted"),
    ("declined", "Declined"),
    ("withdrawn", "Withdrawn"),
    ("unanswered", "Unanswered"),
)


def _funnel_tables(period: Period, filters: Filters, now: datetime) -> list[Table]:
    # Joined rather than an IN (subquery), which would keep PostgreSQL from scanning in
    # parallel.
    shortlisted = (
        sa.select(ApplicationMessage.application_id)
        .where(ApplicationMessage.kind == MessageKind.SHORTLISTED)
        .distinct()
        .subquery()
    )
    status = Application.status
    query = (
        sa.select(
            _month(Application.created_at).label(MONTH_KEY),
            sa.func.count(),
            _count_if(
                sa.or_(
                    status == ApplicationStatus.SHORTLISTED,
                    shortlisted.c.application_id.is_not(None),
                )
            ),
            _count_if(status.in_(TEAM)),
            _count_if(status == ApplicationStatus.DECLINED),
            _count_if(status == ApplicationStatus.WITHDRAWN),
            _count_if(
                sa.and_(
                    application_stats.answered_at().is_(None),
                    sa.or_(
                        status == ApplicationStatus.CLOSED,
                        sa.and_(
                            status.in_(WAITING),
                            Application.created_at <= now - application_stats.ANSWER_GRACE,
                        ),
                    ),
                )
            ),
        )
        .select_from(
            sa.outerjoin(Application, shortlisted, shortlisted.c.application_id == Application.id)
        )
        .where(_within(Application.created_at, period))
    )
    conditions = _project_conditions(filters)
    if conditions:
        query = query.join(Project, Project.id == Application.project_id).where(*conditions)
    by_month = _by_month(period, db.session.execute(query.group_by(_key(MONTH_KEY))))
    rows = tuple((m, *values) for m, values in sorted(by_month.items()))
    totals = [sum(row[i] for row in rows) for i in range(1, len(FUNNEL_STAGES) + 1)]
    applied = totals[0]
    note = (
        "The applications made in the period and what became of them. Shortlisted: ever "
        "shortlisted, even if decided since. Accepted: accepted or completed. Unanswered: "
        "never answered, and closed or still waiting after "
        f"{application_stats.ANSWER_GRACE.days} days. Share: of the applications made."
    )
    return [
        Table(
            "funnel",
            DASHBOARD_TABLES["funnel"],
            (
                Column("stage", "Stage", "text"),
                Column("applications", "Applications"),
                Column("share", "Share of applied", "percent"),
            ),
            tuple(
                (label, count, _percent(count, applied))
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
            note="By the month the application was made; what became of it since.",
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


def _answer_times_table(period: Period, filters: Filters, now: datetime) -> Table:
    hours = _wait_bucket(_hours_between(application_stats.answered_at(), Application.created_at))
    rows = db.session.execute(
        sa.select(Institution.id, Institution.name, hours.label(WAIT_KEY), sa.func.count())
        .select_from(Application)
        .join(Project, Project.id == Application.project_id)
        .join(Institution, Institution.id == Project.institution_id)
        .where(
            _within(Application.created_at, period),
            application_stats.counts_for_answer_time(now),
            *_project_conditions(filters),
        )
        .group_by(Institution.id, Institution.name, _key(WAIT_KEY))
    ).all()
    institutions: dict[int, dict] = {}
    network = {"name": "All institutions", "received": 0, "waits": {}}
    for institution_id, name, wait, count in rows:
        entry = institutions.setdefault(institution_id, {"name": name, "received": 0, "waits": {}})
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
            _percent(within, figures["received"]),
        )

    ordered = sorted(institutions.values(), key=lambda f: (f["name"].casefold(), f["name"]))
    return Table(
        "answer_times",
        DASHBOARD_TABLES["answer_times"],
        (
            Column("institution", "Institution", "text"),
            Column("received", "Received"),
            Column("answered", "Answered"),
            Column("median_days", "Median wait", "days"),
            Column("p90_days", "90th percentile wait", "days"),
            Column("within_promise", "Answered within 14 days", "percent"),
        ),
        (row(network), *(row(f) for f in ordered)) if institutions else (),
        note=(
            "Applications received in the period. Answered: a representative wrote or decided. "
            "Left out, as on institutions' pages: applications withdrawn before an answer and "
            f"those waiting less than {application_stats.ANSWER_GRACE.days} days. Waits are "
            f"counted to the hour for the first {HOURLY_UNTIL // 24} days, to the day after. "
            "Within 14 days: the share of the applications received that were answered in "
            "less than 14 days."
        ),
        people=frozenset({"received", "answered"}),
    )


WORK_MODES = (
    (WorkMode.REMOTE, "Engagements started remote"),
    (WorkMode.ONSITE, "Engagements started on site"),
    (WorkMode.HYBRID, "Engagements started hybrid"),
)


def _engagement_days():
    """Days from an engagement's start to its completion, both counted, at least one."""
    days = _days_between(_day(Application.completed_at), engagement_start()) + 1
    return sa.case((days < 1, 1), else_=days)


def _engagement_tables(period: Period, filters: Filters, now: datetime) -> list[Table]:
    conditions = _project_conditions(filters)
    start = engagement_start()
    mode = sa.func.coalesce(Application.work_mode, Project.work_mode)
    started_rows = db.session.execute(
        sa.select(_month(start).label(MONTH_KEY), mode.label(MODE_KEY), sa.func.count())
        .join(Project, Project.id == Application.project_id)
        .where(
            Application.status.in_(TEAM),
            start >= period.first,
            start < _next_month(period.last),
            *conditions,
        )
        .group_by(_key(MONTH_KEY), _key(MODE_KEY))
    ).all()
    confirmed = Application.completion_confirmed_condition(now)
    days = _engagement_days()
    on_site = mode.in_((WorkMode.ONSITE, WorkMode.HYBRID))
    completed = _by_month(
        period,
        db.session.execute(
            sa.select(
                _month(Application.completed_at).label(MONTH_KEY),
                sa.func.count(),
                _count_if(confirmed),
                sa.func.coalesce(
                    sa.func.sum(
                        sa.case(
                            (confirmed, sa.func.coalesce(Application.hours_per_month, 0) * days)
                        )
                    ),
                    0,
                ),
                sa.func.coalesce(sa.func.sum(sa.case((sa.and_(confirmed, on_site), days))), 0),
            )
            .join(Project, Project.id == Application.project_id)
            .where(
                Application.status == ApplicationStatus.COMPLETED,
                _within(Application.completed_at, period),
                *conditions,
            )
            .group_by(_key(MONTH_KEY))
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
            round(completed.get(m, (0, 0, 0, 0))[2] / DAYS_PER_MONTH),
        )
        for m in months
    )
    hour_days = sum(v[2] for v in completed.values())
    site_days = sum(v[3] for v in completed.values())
    note = (
        "Started: accepted or completed engagements whose start day falls in the period. "
        "Completed: marked completed in the period; confirmed: of those, confirmed by both "
        "sides or not disputed within 14 days. Remote, on site and hybrid: of those started. "
        "Hours contributed is an estimate: for each confirmed engagement, the hours per month "
        "the member offered times the months from start to completion. Days on site: the days "
        "from start to completion of confirmed on-site and hybrid engagements."
    )
    return [
        Table(
            "engagements",
            DASHBOARD_TABLES["engagements"],
            (MEASURE, COUNT),
            (
                ("Engagements started", sum(started.values())),
                ("Engagements completed", sum(v[0] for v in completed.values())),
                ("Engagements confirmed", sum(v[1] for v in completed.values())),
                *((label, by_mode[m]) for m, label in WORK_MODES),
                ("Hours contributed (estimate)", round(hour_days / DAYS_PER_MONTH)),
                ("Days on site", site_days),
            ),
            note=note,
        ),
        Table(
            "engagements_by_month",
            DASHBOARD_TABLES["engagements_by_month"],
            (
                MONTH,
                Column("started", "Started"),
                Column("completed", "Completed"),
                Column("confirmed", "Confirmed"),
                Column("hours", "Hours (estimate)", "hours"),
            ),
            rows,
            note="Started by start month; completed, confirmed and hours by completion month.",
        ),
    ]


def _gap(members: int, projects: int) -> str:
    if members and not projects:
        return "Members but no projects"
    if projects and not members:
        return "Projects but no members"
    return ""


def _listed_members(filters: Filters, *columns):
    return (
        sa.select(*columns)
        .select_from(Profile)
        .join(User, User.id == Profile.user_id)
        .where(User.role == Role.MEMBER, User.is_active, listed_condition())
    )


def _coverage_tables(filters: Filters, now: datetime) -> list[Table]:
    today = now.date()
    open_projects = sa.select(Project.country, Project.sector, sa.func.count()).where(
        Project.is_open(today), *_project_conditions(filters)
    )
    project_counts = db.session.execute(
        open_projects.group_by(Project.country, Project.sector)
    ).all()

    country_members = dict(
        db.session.execute(
            _listed_members(filters, Profile.origin_country, sa.func.count())
            .where(Profile.origin_country != "", *_member_conditions(filters))
            .group_by(Profile.origin_country)
        ).all()
    )
    country_projects: dict[str, int] = {}
    sector_projects: dict[str, int] = {}
    for country, sector, count in project_counts:
        country_projects[country] = country_projects.get(country, 0) + count
        sector_projects[sector] = sector_projects.get(sector, 0) + count

    sectors = catalog.sectors()
    keys = [filters.sector] if filters.sector else list(sectors)
    member_filters = replace(filters, sector="")
    sector_counts = db.session.execute(
        _listed_members(
            filters, *(_count_if(_has_sector(Profile.sectors, key)).label(key) for key in keys)
        ).where(*_member_conditions(member_filters))
    ).one()
    sector_members = dict(zip(keys, sector_counts, strict=True))

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
    members_column = Column("members", "Listed members")
    projects_column = Column("open_projects", "Open projects")
    gap_column = Column("gap", "Gap", "text")
    note = (
        "Today, whatever the period: members listed in the directory (by country of origin, "
        "and each sector they work in) and projects open to applications."
    )
    return [
        Table(
            "coverage_countries",
            DASHBOARD_TABLES["coverage_countries"],
            (Column("country", "Country", "text"), members_column, projects_column, gap_column),
            country_rows,
            note=note,
            people=frozenset({"members"}),
        ),
        Table(
            "coverage_sectors",
            DASHBOARD_TABLES["coverage_sectors"],
            (Column("sector", "Sector", "text"), members_column, projects_column, gap_column),
            sector_rows,
            note=note,
            people=frozenset({"members"}),
        ),
    ]


def dashboard(period: Period, filters: Filters = Filters(), now: datetime | None = None) -> Report:
    """Every figure of the coordinators' dashboard for ``period`` and ``filters``
    (:func:`check_filters` first: an unknown country, sector or institution is
    :class:`Invalid`)."""
    from diaspora.services import follow_ups, freshness

    now = now or utcnow()
    check_filters(filters)
    tables = [
        *_members_tables(period, filters),
        _institutions_table(period, filters),
        *_projects_tables(period, filters),
        *_funnel_tables(period, filters, now),
        _answer_times_table(period, filters, now),
        *_engagement_tables(period, filters, now),
        *_coverage_tables(filters, now),
        follow_ups.impact_table(period, filters),
        *freshness.tables(now),
    ]
    by_key = {table.key: table for table in tables}
    return Report(period, filters, now, {key: by_key[key] for key in DASHBOARD_TABLES})


def _public_period(now: datetime) -> Period:
    """From the first institution's registration (at most :attr:`Period.MAX_MONTHS` back)
    to now."""
    first = db.session.scalar(sa.select(sa.func.min(Institution.created_at)))
    last = now.date().replace(day=1)
    earliest = last
    for _ in range(Period.MAX_MONTHS - 1):
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


def public_figures(now: datetime | None = None) -> Report:
    """The public impact page and its open-data download: network totals since the start
    (confirmed engagements, countries served, hours contributed, institutions answering,
    members listed) and engagements by country served, fit to publish.

    No figure counts fewer than :data:`SMALL_CELL` people: the engagement totals are hidden
    while fewer people than that took part, members listed while fewer are listed, and a
    country with fewer is merged into "Other countries". When that group would itself be
    small, the smallest shown countries join it until it is not (or every country is in it
    and the totals are hidden too), so no hidden figure can be worked out as a total minus
    the shown rows. Institutions are not people: their count is shown as it is."""
    now = now or utcnow()
    confirmed = Application.completion_confirmed_condition(now)
    hour_days = sa.func.coalesce(Application.hours_per_month, 0) * _engagement_days()
    by_country = db.session.execute(
        sa.select(
            Project.country,
            sa.func.count(),
            sa.func.count(Application.member_id.distinct()),
            sa.func.coalesce(sa.func.sum(hour_days), 0),
        )
        .join(Project, Project.id == Application.project_id)
        .where(confirmed)
        .group_by(Project.country)
    ).all()
    engagements = sum(row[1] for row in by_country)
    hours = round(sum(row[3] for row in by_country) / DAYS_PER_MONTH)
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
        "The network's impact",
        (MEASURE, COUNT),
        (
            ("Engagements completed", shown(engagements, people)),
            ("Countries served", shown(len(by_country), people)),
            ("Hours contributed (estimate)", shown(hours, people)),
            ("Institutions answering applicants", answering),
            ("Members listed in the directory", shown(listed, listed)),
        ),
        note=(
            "Since the network began. Engagements: completed and confirmed by both sides (or "
            "not disputed within 14 days). Countries served: the countries of their projects. "
            "Hours are an estimate: the hours per month each member offered times the months "
            "the engagement lasted. Institutions answering: those that answered at least "
            f"{ANSWERING_MINIMUM} applications received in the last 12 months. A figure "
            f"counting fewer than {SMALL_CELL} people is not shown."
        ),
    )

    ordered = sorted(by_country, key=lambda row: (-row[2], -row[1], row[0]))
    kept = [row for row in ordered if row[2] >= SMALL_CELL]
    merged = [row for row in ordered if row[2] < SMALL_CELL]
    while merged and kept and _confirmed_members(now, [row[0] for row in merged]) < SMALL_CELL:
        merged.append(kept.pop())
    rows = [
        (country_name(country), count, round(hour / DAYS_PER_MONTH))
        for country, count, _, hour in kept
    ]
    rows.sort(key=lambda row: row[0])
    if merged and _confirmed_members(now, [row[0] for row in merged]) >= SMALL_CELL:
        hour_days = sum(row[3] for row in merged)
        rows.append(
            (OTHER_COUNTRIES, sum(row[1] for row in merged), round(hour_days / DAYS_PER_MONTH))
        )
    countries = suppress(
        Table(
            "public_countries",
            "Engagements by country served",
            (
                Column("country", "Country served", "text"),
                Column("engagements", "Engagements"),
                Column("hours", "Hours contributed (estimate)", "hours"),
            ),
            tuple(rows),
            note=(
                f"Countries where fewer than {SMALL_CELL} people took part are counted "
                f'together under "{OTHER_COUNTRIES}".'
            ),
            people=frozenset({"engagements"}),
        )
    )
    return Report(
        _public_period(now),
        Filters(),
        now,
        {"public_totals": totals, "public_countries": countries},
    )
