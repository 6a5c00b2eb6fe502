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
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from diaspora.services.errors import Invalid

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
# these (plus the follow-up and freshness tables, built by their own services); a table with
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
}


def dashboard(period: Period, filters: Filters = Filters(), now: datetime | None = None) -> Report:
    """Every figure of the coordinators' dashboard for ``period`` and ``filters``."""
    raise NotImplementedError


def public_figures(now: datetime | None = None) -> Report:
    """The public impact page and its open-data download: network totals since the start
    (confirmed engagements, countries served, hours contributed, institutions answering),
    every people cell under :data:`SMALL_CELL` suppressed."""
    raise NotImplementedError
