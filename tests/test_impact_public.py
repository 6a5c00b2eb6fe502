"""The public impact figures on small networks: what is shown, what is hidden, and that no
hidden figure can be worked out from the shown ones."""

from datetime import UTC, date, datetime, timedelta

import pytest

from diaspora.extensions import db as database
from diaspora.models import (
    Application,
    ApplicationStatus,
    Institution,
    InstitutionStatus,
    InstitutionType,
    Profile,
    ProjectStatus,
    Role,
    User,
)
from diaspora.services.impact import OTHER_COUNTRIES_CODE, public_figures, refresh
from tests.factories import make_project

NOW = datetime(2026, 10, 1, tzinfo=UTC)


class Network:
    """Confirmed engagements in chosen countries: each by a new member unless told."""

    def __init__(self):
        self.institution = Institution(
            name="Network Hospital",
            kind=InstitutionType.HOSPITAL,
            country="GH",
            status=InstitutionStatus.VERIFIED,
        )
        database.session.add(self.institution)
        database.session.commit()
        self.projects = {}
        self.people = 0

    def member(self, listed=False):
        self.people += 1
        person = User(
            name=f"Member {self.people}",
            email=f"member{self.people}@example.org",
            role=Role.MEMBER,
            password_hash="-",
        )
        database.session.add(person)
        database.session.flush()
        database.session.add(Profile(user_id=person.id, display_name=person.name, listed=listed))
        return person

    def engage(self, country, count, member=None, hours_per_month=10):
        """``count`` engagements in ``country`` of 30 days each (start to completion)."""
        for _ in range(count):
            project = make_project(
                self.institution,
                status=ProjectStatus.CLOSED,
                country=country,
                start_date=date(2026, 3, 1),
            )
            database.session.add(
                Application(
                    project_id=project.id,
                    member_id=(member or self.member()).id,
                    status=ApplicationStatus.COMPLETED,
                    hours_per_month=hours_per_month,
                    decided_at=datetime(2026, 2, 1, tzinfo=UTC),
                    completed_at=datetime(2026, 3, 30, tzinfo=UTC),
                    member_completed_at=datetime(2026, 3, 30, tzinfo=UTC),
                    institution_completed_at=datetime(2026, 3, 30, tzinfo=UTC),
                )
            )
        database.session.commit()


def figures(now=NOW):
    refresh(now)
    database.session.commit()
    report = public_figures()
    return dict(report.tables["public_totals"].rows), report.tables["public_countries"].rows


@pytest.fixture
def network(db):
    return Network()


def test_three_in_one_country_and_six_in_another_show_only_a_merged_group(network):
    network.engage("GH", 3)
    network.engage("KE", 6)
    totals, countries = figures()
    assert totals["Engagements completed"] == 9
    assert totals["Countries served"] == 2
    # 9 engagements of 30 days at 10 hours a month: 10 x 30 / 30.4375 hours each, rounded.
    assert totals["Hours contributed (estimate)"] == 9 * round(10 * 30 / 30.4375)
    # Kenya alone would leave Ghana's 3 as the total minus the Kenya row: both merge.
    assert countries == ((OTHER_COUNTRIES_CODE, 9, 9 * round(10 * 30 / 30.4375)),)


def test_a_small_country_takes_the_smallest_shown_one_into_other(network):
    network.engage("GH", 5)
    network.engage("KE", 6)
    network.engage("RW", 2)
    totals, countries = figures()
    assert totals["Engagements completed"] == 13
    assert totals["Countries served"] == 3
    assert countries == (
        ("KE", 6, 6 * round(300 / 30.4375)),
        (OTHER_COUNTRIES_CODE, 7, 7 * round(300 / 30.4375)),
    )
    assert "GH" not in {row[0] for row in countries}
    assert "RW" not in {row[0] for row in countries}


def test_countries_of_five_people_or_more_are_shown(network):
    network.engage("GH", 5)
    network.engage("KE", 7)
    _, countries = figures()
    hours = round(10 * 30 / 30.4375)
    assert countries == (("GH", 5, 5 * hours), ("KE", 7, 7 * hours))


def test_five_engagements_of_one_person_do_not_make_a_country_shown(network):
    network.engage("GH", 5, member=network.member())
    network.engage("KE", 5)
    totals, countries = figures()
    assert totals["Engagements completed"] == 10
    # Ghana's five engagements are one person's: Ghana cannot stand alone, and Kenya
    # merges with it so that Ghana cannot be worked out.
    assert countries == ((OTHER_COUNTRIES_CODE, 10, 10 * round(300 / 30.4375)),)


def test_fewer_than_five_people_hide_every_engagement_figure(network):
    network.engage("GH", 4)
    totals, countries = figures()
    assert totals["Engagements completed"] is None
    assert totals["Countries served"] is None
    assert totals["Hours contributed (estimate)"] is None
    assert countries == ()


def test_members_listed_and_institutions_answering(network, make_user):
    for _ in range(4):
        network.member(listed=True)
    database.session.commit()
    totals, _ = figures()
    assert totals["Members listed in the directory"] is None
    network.member(listed=True)
    database.session.commit()
    totals, _ = figures()
    assert totals["Members listed in the directory"] == 5

    assert totals["Institutions answering applicants"] == 0
    project = make_project(network.institution, status=ProjectStatus.PUBLISHED)
    for days in range(5):
        database.session.add(
            Application(
                project_id=project.id,
                member_id=network.member().id,
                created_at=NOW - timedelta(days=30 + days),
                first_answered_at=NOW - timedelta(days=29),
            )
        )
    database.session.commit()
    totals, _ = figures()
    assert totals["Institutions answering applicants"] == 1
    # Answers to applications older than 12 months do not count.
    totals, _ = figures(NOW + timedelta(days=400))
    assert totals["Institutions answering applicants"] == 0


def test_an_empty_network(db):
    totals, countries = figures()
    assert totals == {
        "Engagements completed": None,
        "Countries served": None,
        "Hours contributed (estimate)": None,
        "Institutions answering applicants": 0,
        "Members listed in the directory": None,
    }
    assert countries == ()
