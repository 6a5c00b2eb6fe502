"""What each side sees along an application: the received page and email, the
representative's inbox, and the history of every message and decision."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.models import (
    ApplicationStatus,
    MessageKind,
    OutboxMessage,
    ProjectStatus,
    Role,
)
from diaspora.models.base import utcnow
from diaspora.services import application_lists, export, permissions, profiles
from diaspora.services import applications as service
from diaspora.services.applications import Engagement
from diaspora.services.errors import Conflict
from tests.factories import MOTIVATION, make_institution, make_project, sign_in, with_profile

S = ApplicationStatus


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, name="Rep Alemu", email="rep@aau.example")


@pytest.fixture
def project(rep):
    return make_project(make_institution(rep), status=ProjectStatus.PUBLISHED, places=2)


@pytest.fixture
def member(make_user):
    return with_profile(make_user(name="Hiwot Tesfaye", email="hiwot@example.org"))


def apply(member, project):
    application, _ = service.apply(member, project, MOTIVATION, Engagement())
    service.db.session.commit()
    return application


def mails(db, to):
    return db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == to).order_by(OutboxMessage.id)
    ).all()


# --------------------------------------------------------------------------- received


def test_the_applicant_is_told_the_application_is_received(db, member, project):
    application = apply(member, project)
    (mail,) = mails(db, member.email)
    assert mail.template == "applications/application_received"
    assert mail.subject == f"Your application to {project.title} is received"
    assert MOTIVATION not in mail.body_text and MOTIVATION not in mail.body_html
    assert f"/applications/{application.id}" in mail.body_text
    assert "email at each step" in mail.body_text
    assert "withdraw" in mail.body_html


def test_applying_again_sends_nothing_more(db, member, project):
    apply(member, project)
    apply(member, project)
    assert len(mails(db, member.email)) == 1


def test_after_applying_the_page_says_what_happens_next(client, db, member, project):
    sign_in(client, member)
    response = client.post(
        f"/projects/{project.id}/apply",
        data={"motivation": MOTIVATION, "consent": "y"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Your application is received: what happens next" in page
    assert "is told of your application" in page
    assert "has not answered enough applications yet to show how quickly" in page
    assert "the institution is reminded" in page
    assert "email at each step" in page
    assert "Withdraw my application" in page


def test_the_next_steps_are_for_the_applicant_only(client, db, member, project, rep):
    application = apply(member, project)
    sign_in(client, rep)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "what happens next" not in page


# --------------------------------------------------------------------------- inbox


@pytest.fixture
def three_waiting(db, make_user, project, member):
    """Three applications sent 1, 9 and 4 days ago; the middle one shortlisted."""
    others = [
        with_profile(make_user(name="Dawit Bekele", email="dawit@example.org")),
        with_profile(make_user(name="Sara Haile", email="sara@example.org")),
    ]
    applications = [apply(person, project) for person in (member, *others)]
    for application, days in zip(applications, (1, 9, 4), strict=True):
        application.created_at = utcnow() - timedelta(days=days, hours=2)
    service.decide(project_rep(project), applications[1], "shortlist")
    db.session.commit()
    return applications


def project_rep(project):
    return permissions.representatives(project.institution_id)[0]


def test_the_inbox_names_applicants_and_puts_the_longest_waiting_first(db, rep, three_waiting):
    rows = application_lists.inbox_rows(rep)
    assert [row.name for row in rows] == ["Dawit Bekele", "Sara Haile", "Hiwot Tesfaye"]
    assert [row.waited_days for row in rows] == [9, 4, 1]
    assert [row.waited for row in rows] == ["9 days", "4 days", "1 day"]
    assert rows[0].application.status == S.SHORTLISTED


def test_the_inbox_names_only_what_the_member_shows(db, rep, member, three_waiting):
    profiles.profile_of(member).hidden = True
    db.session.commit()
    names = [row.name for row in application_lists.inbox_rows(rep)]
    assert "Hiwot Tesfaye" not in names
    assert names[-1] == "A member (profile not shared)"


def test_decided_applications_leave_the_inbox(db, rep, three_waiting):
    service.decide(rep, three_waiting[0], "decline")
    db.session.commit()
    assert [row.name for row in application_lists.inbox_rows(rep)] == [
        "Dawit Bekele",
        "Sara Haile",
    ]


def test_the_inbox_page_lists_names_and_waiting_times(client, db, rep, three_waiting):
    sign_in(client, rep)
    page = client.get("/applications/inbox").get_data(as_text=True)
    assert "<table" not in page
    assert page.index("Dawit Bekele") < page.index("Sara Haile") < page.index("Hiwot Tesfaye")
    assert "Waiting 9 days" in page and "Waiting 1 day" in page
    for application in three_waiting:
        assert f'href="/applications/{application.id}"' in page


# --------------------------------------------------------------------------- history


def test_every_decision_and_its_message_stays_in_the_history(db, rep, member, project):
    application = apply(member, project)
    service.post_message(member, application, "When would it start?")
    service.decide(rep, application, "shortlist", "We would like to talk to you.")
    service.decide(rep, application, "accept", "Welcome to the team.")
    db.session.commit()
    db.session.expire_all()
    history = [(m.kind, m.from_institution, m.author_id, m.body) for m in application.messages]
    assert history == [
        (MessageKind.MESSAGE, False, member.id, "When would it start?"),
        (MessageKind.SHORTLISTED, True, rep.id, "We would like to talk to you."),
        (MessageKind.ACCEPTED, True, rep.id, "Welcome to the team."),
    ]


def test_a_decision_without_a_message_is_in_the_history_too(db, rep, member, project):
    application = apply(member, project)
    service.decide(rep, application, "decline")
    db.session.commit()
    (entry,) = application.messages
    assert (entry.kind, entry.body) == (MessageKind.DECLINED, "")


def test_a_refused_decision_leaves_no_entry(db, rep, member, project):
    application = apply(member, project)
    service.decide(rep, application, "decline", "Not this time.")
    db.session.commit()
    with pytest.raises(Conflict):
        service.decide(rep, application, "accept", "Actually yes.")
    db.session.rollback()
    assert [m.body for m in application.messages] == ["Not this time."]


@pytest.mark.parametrize("side", ["member", "rep"])
def test_both_sides_read_the_whole_history_in_order(client, db, rep, member, project, side):
    application = apply(member, project)
    service.decide(rep, application, "shortlist", "We would like to talk to you.")
    service.post_message(member, application, "Happy to talk.")
    service.decide(rep, application, "accept", "Welcome to the team.")
    db.session.commit()
    sign_in(client, member if side == "member" else rep)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    order = [
        "Answer: shortlisted, not yet decided",
        "We would like to talk to you.",
        "Happy to talk.",
        "Answer: accepted",
        "Welcome to the team.",
    ]
    positions = [page.index(text) for text in order]
    assert positions == sorted(positions)


def test_the_export_names_the_kind_of_each_entry(db, rep, member, project):
    application = apply(member, project)
    service.post_message(member, application, "A question.")
    db.session.commit()
    data = export.export_user_data(member)
    (exported,) = [a for a in data["applications"] if a["project"] == project.title]
    assert exported["my_messages"][0]["kind"] == "message"
