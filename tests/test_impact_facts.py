"""The figures read from the summary rows equal the same figures worked out directly, row by
row in Python, on a generated year of history, for every filter; and two refreshes at once
neither deadlock nor double the rows."""

import threading
from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from diaspora.demo_history import generate
from diaspora.extensions import db as database
from diaspora.geo import country_name
from diaspora.models import (
    Application,
    ApplicationStatus,
    ImpactFact,
    MemberActivity,
    Profile,
    Project,
    Role,
    User,
)
from diaspora.models.application import TEAM
from diaspora.services import application_stats, impact
from diaspora.services.impact import Filters, Period
from diaspora.services.privacy import is_listed
from diaspora.services.profiles import completeness

S = ApplicationStatus
NOW = datetime(2026, 12, 7, 7, 40, tzinfo=UTC)
PERIOD = Period.parse("2026-01:2026-12")
HALF = Period.parse("2026-04:2026-09")


@pytest.fixture
def history(db):
    generate(members=150, institutions=10, projects=40, applications=500, seed=7, now=NOW)
    database.session.commit()
    impact.refresh(NOW)
    database.session.commit()


def filter_cases():
    projects = database.session.scalars(sa.select(Project)).all()
    countries = Counter(p.country for p in projects).most_common()
    sectors = Counter(p.sector for p in projects).most_common()
    institutions = Counter(p.institution_id for p in projects).most_common()
    return [
        Filters(),
        Filters(country=countries[0][0]),
        Filters(country=countries[-1][0]),
        Filters(sector=sectors[0][0]),
        Filters(institution_id=institutions[0][0]),
        Filters(country=countries[0][0], sector=sectors[0][0]),
    ]


def within(moment, period):
    return moment is not None and period.start <= moment < period.end


class Direct:
    """The figures worked out from the rows, one by one."""

    def __init__(self, period, filters):
        self.period, self.filters = period, filters
        profiles = {p.user_id: p for p in database.session.scalars(sa.select(Profile))}
        self.members = [
            (user, profiles.get(user.id))
            for user in database.session.scalars(sa.select(User).where(User.role == Role.MEMBER))
            if self.member_kept(profiles.get(user.id))
        ]
        self.projects = [
            p for p in database.session.scalars(sa.select(Project)) if self.project_kept(p)
        ]
        kept = {p.id for p in self.projects}
        self.applications = [
            a for a in database.session.scalars(sa.select(Application)) if a.project_id in kept
        ]

    def member_kept(self, profile):
        if self.filters.country and (
            profile is None or profile.origin_country != self.filters.country
        ):
            return False
        return not self.filters.sector or (
            profile is not None and self.filters.sector in (profile.sectors or [])
        )

    def project_kept(self, project):
        f = self.filters
        return (
            (not f.country or project.country == f.country)
            and (not f.sector or project.sector == f.sector)
            and (f.institution_id is None or project.institution_id == f.institution_id)
        )

    def members_table(self):
        ids = {user.id for user, _ in self.members}
        active = {
            row.user_id
            for row in database.session.scalars(sa.select(MemberActivity))
            if row.user_id in ids and self.period.first <= row.month <= self.period.last
        }
        with_profile = [(u, p) for u, p in self.members if p is not None]
        return (
            (
                "Members registered in the period",
                sum(within(u.created_at, self.period) for u, _ in self.members),
            ),
            (
                "Members with a complete profile",
                sum(not completeness(p)[1] for _, p in with_profile),
            ),
            (
                "Members listed in the directory",
                sum(is_listed(p) and u.is_active for u, p in with_profile),
            ),
            ("Members active in the period", len(active)),
            ("Members in all", len(self.members)),
        )

    def active_by_month(self):
        ids = {user.id for user, _ in self.members}
        return Counter(
            row.month
            for row in database.session.scalars(sa.select(MemberActivity))
            if row.user_id in ids and self.period.first <= row.month <= self.period.last
        )

    def projects_table(self):
        submitted = [p for p in self.projects if within(p.submitted_at, self.period)]
        return (
            ("Projects submitted", len(submitted)),
            ("Projects published", sum(within(p.published_at, self.period) for p in self.projects)),
            ("Projects flagged by screening", sum(bool(p.flagged) for p in submitted)),
            ("Projects rejected", sum(p.status.value == "rejected" for p in submitted)),
        )

    def funnel(self):
        made = [a for a in self.applications if within(a.created_at, self.period)]
        return {
            "Applied": len(made),
            "Accepted": sum(a.status in TEAM for a in made),
            "Declined": sum(a.status == S.DECLINED for a in made),
            "Withdrawn": sum(a.status == S.WITHDRAWN for a in made),
        }

    def received(self):
        grace = NOW - application_stats.ANSWER_GRACE
        counted = [
            a
            for a in self.applications
            if within(a.created_at, self.period)
            and (
                (a.first_answered_at or a.decided_at) is not None
                or (a.status != S.WITHDRAWN and a.created_at <= grace)
            )
        ]
        return len(counted)

    def engagements(self):
        first, end = self.period.first, self.period.end.date()
        return {
            "Engagements started": sum(
                a.status in TEAM and first <= a.engagement_starts < end for a in self.applications
            ),
            "Engagements completed": sum(
                a.status == S.COMPLETED and within(a.completed_at, self.period)
                for a in self.applications
            ),
        }

    def listed_by_country(self):
        return Counter(
            p.origin_country
            for u, p in self.members
            if p is not None and p.origin_country and is_listed(p) and u.is_active
        )


def test_the_facts_give_the_figures_worked_out_directly(history):
    cases = filter_cases()
    assert len({f.country for f in cases}) == 3
    for period in (PERIOD, HALF):
        for filters in cases:
            report = impact.dashboard(period, filters)
            direct = Direct(period, filters)
            where = f"{period} {filters}"
            if not filters.institution_id:
                assert report.tables["members"].rows == direct.members_table(), where
                by_month = {
                    row[0]: row[2] for row in report.tables["members_by_month"].rows if row[2]
                }
                assert by_month == direct.active_by_month(), where
                countries = {
                    row[0]: row[1] for row in report.tables["coverage_countries"].rows if row[1]
                }
                expected = {country_name(c): n for c, n in direct.listed_by_country().items()}
                assert countries == expected, where
            assert report.tables["projects"].rows == direct.projects_table(), where
            funnel = {row[0]: row[1] for row in report.tables["funnel"].rows}
            assert {k: funnel.get(k, 0) for k in direct.funnel()} == direct.funnel(), where
            answers = report.tables["answer_times"].rows
            assert (answers[0][1] if answers else 0) == direct.received(), where
            engagements = dict(report.tables["engagements"].rows)
            assert {k: engagements[k] for k in direct.engagements()} == direct.engagements()
    # The history is not empty: the comparison compared something.
    everything = impact.dashboard(PERIOD, Filters())
    assert dict(everything.tables["members"].rows)["Members active in the period"] > 20
    assert dict(everything.tables["engagements"].rows)["Engagements completed"] > 5


def fact_count():
    return database.session.scalar(sa.select(sa.func.count()).select_from(ImpactFact))


def test_a_refresh_replaces_the_facts_and_says_when(history):
    facts = fact_count()
    assert facts > 0 and impact.computed_at() == NOW
    later = datetime(2026, 12, 7, 7, 50, tzinfo=UTC)
    impact.refresh(later)
    database.session.commit()
    assert fact_count() == facts
    assert impact.computed_at() == later
    assert impact.dashboard(PERIOD).generated_at == later
    assert impact.public_figures().generated_at == later


def test_two_refreshes_at_once_neither_deadlock_nor_double_the_rows(app, history):
    facts = fact_count()
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            with app.app_context():
                barrier.wait()
                impact.refresh(NOW)
                database.session.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    database.session.rollback()
    assert fact_count() == facts
