"""The impact figures on a small handcrafted network where every figure is known: each
table of the dashboard, each filter, period edges at month boundaries."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from diaspora import catalog
from diaspora.extensions import db as database
from diaspora.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    Institution,
    InstitutionRepresentative,
    InstitutionStatus,
    InstitutionType,
    MemberActivity,
    MessageKind,
    Profile,
    ProjectStatus,
    Role,
    User,
    WorkMode,
)
from diaspora.services import impact, profiles
from diaspora.services.errors import Invalid
from diaspora.services.impact import DASHBOARD_TABLES, Filters, Period
from tests.factories import filled_profile, make_project

S = ApplicationStatus
NOW = datetime(2026, 4, 15, 12, 0, tzinfo=UTC)
PERIOD = Period.parse("2026-01:2026-03")
JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


def dashboard(period, filters, now):
    """The dashboard as of a refresh at ``now``: the figures are read from the facts."""
    impact.refresh(now)
    database.session.commit()
    return impact.dashboard(period, filters)


def at(*args, tz=UTC):
    return datetime(*args, tzinfo=tz)


def user(name, created_at, role=Role.MEMBER):
    person = User(
        name=name,
        email=f"{name.lower()}@example.org",
        role=role,
        password_hash="-",
        created_at=created_at,
    )
    database.session.add(person)
    database.session.flush()
    return person


def institution(name, country, created_at, decided_at, rep):
    body = Institution(
        name=name,
        kind=InstitutionType.HOSPITAL,
        country=country,
        city="",
        status=InstitutionStatus.VERIFIED,
        created_at=created_at,
        decided_at=decided_at,
    )
    database.session.add(body)
    database.session.flush()
    database.session.add(InstitutionRepresentative(institution_id=body.id, user_id=rep.id))
    return body


def project(owner, status, submitted_at, published_at=None, **fields):
    made = make_project(owner, status=status, **fields)
    made.submitted_at, made.published_at = submitted_at, published_at
    return made


def application(project, member, created_at, status, **fields):
    made = Application(
        project_id=project.id,
        member_id=member.id,
        status=status,
        created_at=created_at,
        motivation="-",
        **fields,
    )
    database.session.add(made)
    database.session.flush()
    return made


@pytest.fixture
def network(db):
    """Five members, two institutions, five projects, six applications (see each line)."""
    m1 = user("Abena", at(2026, 1, 10, 9))
    filled_profile(m1, listed=True)  # complete, listed, health
    m1 = database.session.get(User, m1.id)
    profiles.profile_of(m1).origin_country = "GH"
    # 2026-03-01 01:30 at UTC+2 is 2026-02-28 23:30 UTC: February.
    m2 = user("Kofi", at(2026, 3, 1, 1, 30, tz=timezone(timedelta(hours=2))))
    database.session.add(
        Profile(user_id=m2.id, display_name="Kofi", origin_country="GH", sectors=["energy"])
    )
    database.session.flush()
    profiles.profile_of(m2).listed = True
    m3 = user("Wanjiru", at(2025, 12, 31, 23, 59, 59))  # before the period
    database.session.add(
        Profile(user_id=m3.id, display_name="Wanjiru", origin_country="KE", sectors=["health"])
    )
    m4 = user("Amara", at(2026, 3, 31, 23, 59))  # no profile, last minute of March
    m5 = user("Yaw", at(2026, 4, 1, 0, 0))  # after the period
    rep_a = user("RepA", at(2025, 1, 1), Role.INSTITUTION)
    rep_b = user("RepB", at(2025, 1, 1), Role.INSTITUTION)
    a = institution("Accra Clinic", "GH", at(2026, 1, 5), at(2026, 1, 6), rep_a)
    b = institution("Nairobi Works", "KE", at(2025, 10, 1), at(2025, 10, 2), rep_b)
    database.session.commit()

    p1 = project(
        a,
        ProjectStatus.PUBLISHED,
        at(2026, 1, 7),
        at(2026, 1, 8),
        places=3,
        places_filled=1,
        deadline=date(2026, 6, 1),
        start_date=None,
    )
    p2 = project(a, ProjectStatus.REJECTED, at(2026, 2, 1), sector="energy", flagged=True)
    project(b, ProjectStatus.PENDING, at(2026, 3, 1), country="KE")
    p4 = project(
        b,
        ProjectStatus.CLOSED,
        at(2025, 11, 1),
        at(2025, 11, 2),
        country="KE",
        start_date=date(2026, 3, 15),
        work_mode=WorkMode.REMOTE,
    )
    project(
        b,
        ProjectStatus.PUBLISHED,
        at(2025, 11, 30),
        at(2025, 12, 1),
        country="KE",
        sector="water_sanitation",
        deadline=date(2026, 5, 1),
    )
    assert p2.status == ProjectStatus.REJECTED

    # a1: answered after 5 hours, accepted, completed on site and confirmed by both sides.
    application(
        p1,
        m1,
        at(2026, 1, 10, 10),
        S.COMPLETED,
        first_answered_at=at(2026, 1, 10, 15),
        decided_at=at(2026, 1, 11, 10),
        available_from=date(2026, 2, 1),
        hours_per_month=20,
        work_mode=WorkMode.ONSITE,
        completed_at=at(2026, 3, 2, 9),
        member_completed_at=at(2026, 3, 2, 9),
        institution_completed_at=at(2026, 3, 3),
    )
    # a2: withdrawn before any answer.
    a2 = application(p1, m2, at(2026, 2, 5), S.WITHDRAWN, withdrawn_at=at(2026, 2, 6))
    # a3: never answered, waiting since February.
    application(p1, m3, at(2026, 2, 20), S.APPLIED)
    # a4: made in the last hour of March, shortlisted after 72 hours, then declined.
    a4 = application(
        p1,
        m4,
        at(2026, 3, 31, 23),
        S.DECLINED,
        first_answered_at=at(2026, 4, 3, 23),
        decided_at=at(2026, 4, 5),
    )
    # a5: the first instant of April, after the period.
    application(p4, m1, at(2026, 4, 1, 0, 0), S.APPLIED)
    # a6: made before the period, accepted, starts on the project's start day in March.
    application(p4, m2, at(2025, 12, 31, 23, 59), S.ACCEPTED, decided_at=at(2026, 1, 2))
    database.session.add_all(
        [
            ApplicationMessage(
                application_id=a4.id,
                author_id=rep_a.id,
                from_institution=True,
                kind=MessageKind.SHORTLISTED,
                created_at=at(2026, 4, 3, 23),
            ),
            ApplicationMessage(
                application_id=a2.id, author_id=m2.id, body="Hello", created_at=at(2026, 3, 5)
            ),
            ApplicationMessage(
                application_id=a2.id,
                author_id=rep_a.id,
                from_institution=True,
                body="Hello",
                created_at=at(2026, 1, 5),
            ),
            # The months the app recorded: signing in, applying, writing.
            *(
                MemberActivity(user_id=person.id, month=month)
                for person, month in (
                    (m1, JAN),
                    (m1, FEB),
                    (m1, date(2026, 4, 1)),
                    (m2, date(2025, 12, 1)),
                    (m2, FEB),
                    (m2, MAR),
                    (m3, date(2025, 12, 1)),
                    (m3, FEB),
                    (m4, MAR),
                    (rep_a, JAN),
                )
            ),
        ]
    )
    database.session.commit()
    return {"a": a.id, "b": b.id, "m5": m5.id}


def rows(report, key):
    return report.tables[key].rows


def test_every_table_is_there_in_order(network):
    report = dashboard(PERIOD, Filters(), NOW)
    assert list(report.tables) == list(DASHBOARD_TABLES)
    for key, table in report.tables.items():
        assert table.title == DASHBOARD_TABLES[key]
        assert table.note
        assert all(len(row) == len(table.columns) for row in table.rows)


def test_members(network):
    report = dashboard(PERIOD, Filters(), NOW)
    assert rows(report, "members") == (
        ("Members registered in the period", 3),
        ("Members with a complete profile", 1),
        ("Members listed in the directory", 2),
        ("Members active in the period", 4),
        ("Members in all", 5),
    )
    assert rows(report, "members_by_month") == ((JAN, 1, 1), (FEB, 1, 3), (MAR, 1, 2))


def test_institutions_and_projects(network):
    report = dashboard(PERIOD, Filters(), NOW)
    assert rows(report, "institutions") == (
        ("Institutions registered in the period", 1),
        ("Institutions verified in the period", 1),
        ("Institutions posting in the period", 2),
        ("Verified institutions in all", 2),
    )
    assert rows(report, "projects") == (
        ("Projects submitted", 3),
        ("Projects published", 1),
        ("Projects flagged by screening", 1),
        ("Projects rejected", 1),
    )
    assert rows(report, "projects_by_month") == (
        (JAN, 1, 1, 0, 0),
        (FEB, 1, 0, 1, 1),
        (MAR, 1, 0, 0, 0),
    )


def test_funnel(network):
    report = dashboard(PERIOD, Filters(), NOW)
    assert rows(report, "funnel") == (
        ("Applied", 4, 100.0),
        ("Shortlisted", 1, 25.0),
        ("Accepted", 1, 25.0),
        ("Declined", 1, 25.0),
        ("Withdrawn", 1, 25.0),
        ("Unanswered", 1, 25.0),
        ("Closed after an answer", 0, 0.0),
        ("Still waiting", 0, 0.0),
    )
    assert rows(report, "applications_by_month") == (
        (JAN, 1, 0, 1, 0, 0, 0, 0, 0),
        (FEB, 2, 0, 0, 0, 1, 1, 0, 0),
        (MAR, 1, 1, 0, 1, 0, 0, 0, 0),
    )
    # Every application made ends in exactly one of the outcomes after "Shortlisted".
    funnel = rows(report, "funnel")
    assert sum(count for _stage, count, _share in funnel[2:]) == funnel[0][1]


def test_a_recent_unanswered_application_is_not_late_yet(network):
    report = dashboard(PERIOD, Filters(), at(2026, 3, 1))
    funnel = {r[0]: r[1] for r in rows(report, "funnel")}
    assert funnel["Unanswered"] == 0
    assert funnel["Still waiting"] == 1


def test_answer_times(network):
    report = dashboard(PERIOD, Filters(), NOW)
    # A received a1, a3, a4 (a2 was withdrawn before an answer); waited 5 and 72 hours.
    assert rows(report, "answer_times") == (
        ("All institutions", 3, 2, 0.2, 3.0, 66.7),
        ("Accra Clinic", 3, 2, 0.2, 3.0, 66.7),
    )


def test_engagements(network):
    report = dashboard(PERIOD, Filters(), NOW)
    assert rows(report, "engagements") == (
        ("Engagements started", 2),
        ("Engagements completed", 1),
        ("Engagements confirmed", 1),
        ("Engagements started remote", 1),
        ("Engagements started on site", 1),
        ("Engagements started hybrid", 0),
        # 20 hours a month for the 30 days from 1 February to 2 March.
        ("Hours contributed (estimate)", 20),
        ("Days on site", 30),
    )
    assert rows(report, "engagements_by_month") == (
        (JAN, 0, 0, 0, 0),
        (FEB, 1, 0, 0, 0),
        (MAR, 1, 1, 1, 20),
    )


def test_a_hybrid_engagement_adds_hours_but_no_days_on_site(network, db):
    done = db.session.scalar(sa.select(Application).where(Application.status == S.COMPLETED))
    done.work_mode = WorkMode.HYBRID
    db.session.commit()
    report = dashboard(PERIOD, Filters(), NOW)
    assert rows(report, "engagements")[-2:] == (
        ("Hours contributed (estimate)", 20),
        ("Days on site", 0),
    )


def test_a_completion_not_yet_confirmed_adds_no_hours(network, db):
    done = db.session.scalar(sa.select(Application).where(Application.status == S.COMPLETED))
    done.institution_completed_at = None
    db.session.commit()
    report = dashboard(PERIOD, Filters(), at(2026, 3, 10))
    assert rows(report, "engagements")[1:3] == (
        ("Engagements completed", 1),
        ("Engagements confirmed", 0),
    )
    assert rows(report, "engagements")[-2:] == (
        ("Hours contributed (estimate)", 0),
        ("Days on site", 0),
    )


def test_coverage(network):
    report = dashboard(PERIOD, Filters(), NOW)
    assert rows(report, "coverage_countries") == (
        ("Ghana", 2, 1, ""),
        ("Kenya", 0, 1, "Projects but no members"),
    )
    assert rows(report, "coverage_sectors") == (
        ("Energy", 1, 0, "Members but no projects"),
        ("Health", 1, 1, ""),
        (catalog.sector_name("water_sanitation"), 0, 1, "Projects but no members"),
    )


def test_country_filter(network):
    report = dashboard(PERIOD, Filters(country="GH"), NOW)
    assert rows(report, "members") == (
        ("Members registered in the period", 2),
        ("Members with a complete profile", 1),
        ("Members listed in the directory", 2),
        ("Members active in the period", 2),
        ("Members in all", 2),
    )
    assert rows(report, "institutions")[:3] == (
        ("Institutions registered in the period", 1),
        ("Institutions verified in the period", 1),
        ("Institutions posting in the period", 1),
    )
    assert rows(report, "projects") == (
        ("Projects submitted", 2),
        ("Projects published", 1),
        ("Projects flagged by screening", 1),
        ("Projects rejected", 1),
    )
    assert rows(report, "funnel")[0] == ("Applied", 4, 100.0)
    assert rows(report, "engagements")[:5] == (
        ("Engagements started", 1),
        ("Engagements completed", 1),
        ("Engagements confirmed", 1),
        ("Engagements started remote", 0),
        ("Engagements started on site", 1),
    )
    assert rows(report, "coverage_countries") == (("Ghana", 2, 1, ""),)
    assert rows(report, "coverage_sectors") == (
        ("Energy", 1, 0, "Members but no projects"),
        ("Health", 1, 1, ""),
    )


def test_sector_filter(network):
    report = dashboard(PERIOD, Filters(sector="energy"), NOW)
    assert rows(report, "members") == (
        ("Members registered in the period", 1),
        ("Members with a complete profile", 0),
        ("Members listed in the directory", 1),
        ("Members active in the period", 1),
        ("Members in all", 1),
    )
    assert rows(report, "members_by_month") == ((JAN, 0, 0), (FEB, 1, 1), (MAR, 0, 1))
    assert rows(report, "projects") == (
        ("Projects submitted", 1),
        ("Projects published", 0),
        ("Projects flagged by screening", 1),
        ("Projects rejected", 1),
    )
    assert rows(report, "funnel")[0] == ("Applied", 0, None)
    assert rows(report, "applications_by_month") == ()
    assert rows(report, "answer_times") == ()
    assert rows(report, "coverage_sectors") == (("Energy", 1, 0, "Members but no projects"),)


def test_institution_filter(network):
    report = dashboard(PERIOD, Filters(institution_id=network["b"]), NOW)
    assert rows(report, "members")[0] == ("Members registered in the period", 3)
    assert rows(report, "institutions") == (
        ("Institutions registered in the period", 0),
        ("Institutions verified in the period", 0),
        ("Institutions posting in the period", 1),
        ("Verified institutions in all", 1),
    )
    assert rows(report, "projects")[:2] == (("Projects submitted", 1), ("Projects published", 0))
    assert rows(report, "funnel")[0] == ("Applied", 0, None)
    assert rows(report, "engagements")[:4] == (
        ("Engagements started", 1),
        ("Engagements completed", 0),
        ("Engagements confirmed", 0),
        ("Engagements started remote", 1),
    )
    # Members are not narrowed to an institution.
    assert rows(report, "coverage_countries") == (
        ("Ghana", 2, 0, "Members but no projects"),
        ("Kenya", 0, 1, "Projects but no members"),
    )


@pytest.mark.parametrize(
    ("period", "registered", "applied"),
    [("2026-02", 1, 2), ("2026-03", 1, 1), ("2026-04", 1, 1), ("2025-12", 1, 1)],
)
def test_months_end_at_midnight_utc(network, period, registered, applied):
    report = dashboard(Period.parse(period), Filters(), NOW)
    assert rows(report, "members")[0] == ("Members registered in the period", registered)
    assert rows(report, "funnel")[0] == ("Applied", applied, 100.0)


@pytest.mark.parametrize(
    "filters",
    [Filters(country="XX"), Filters(sector="astrology"), Filters(institution_id=999_999)],
)
def test_unknown_filters_are_invalid(network, filters):
    with pytest.raises(Invalid):
        dashboard(PERIOD, filters, NOW)


def test_an_empty_network_has_empty_tables(db):
    report = dashboard(PERIOD, Filters(), NOW)
    assert rows(report, "members_by_month") == ()
    assert rows(report, "funnel")[0] == ("Applied", 0, None)
    assert rows(report, "coverage_countries") == ()


@pytest.mark.parametrize(
    "missing",
    [
        "headline",
        "bio",
        "origin_country",
        "residence_country",
        "languages",
        "skills",
        "sectors",
        "education",
        "years_experience",
        "engagement_modes",
        "availability_hours",
    ],
)
def test_complete_in_sql_is_complete_on_the_profile_page(db, make_user, missing):
    member = make_user()
    filled_profile(member)
    profile = profiles.profile_of(member)

    def complete_in_sql():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Profile)
            .where(Profile.id == profile.id, profiles.complete_condition())
        )

    assert profiles.completeness(profile) == (100, [])
    assert complete_in_sql() == 1
    if missing in ("languages", "education"):
        getattr(profile, missing).clear()
    elif missing == "skills":
        profile.skill_links.clear()
    elif missing in ("sectors", "engagement_modes"):
        setattr(profile, missing, [])
    elif missing in ("years_experience", "availability_hours"):
        setattr(profile, missing, None)
    else:
        setattr(profile, missing, "")
    db.session.commit()
    assert profiles.completeness(profile)[0] < 100
    assert complete_in_sql() == 0


def test_an_engagement_without_dates_starts_a_week_after_acceptance(db):
    rep = user("RepC", at(2025, 1, 1), Role.INSTITUTION)
    member = user("Esi", at(2025, 1, 1))
    body = institution("Cape Coast Clinic", "GH", at(2025, 1, 1), at(2025, 1, 2), rep)
    database.session.commit()
    listing = project(body, ProjectStatus.CLOSED, at(2026, 4, 1), at(2026, 4, 2), start_date=None)
    application(listing, member, at(2026, 5, 1), S.ACCEPTED, decided_at=at(2026, 5, 28, 22))
    database.session.commit()

    def started(period):
        return rows(dashboard(Period.parse(period), Filters(), NOW), "engagements")[0]

    assert started("2026-05") == ("Engagements started", 0)
    assert started("2026-06") == ("Engagements started", 1)
