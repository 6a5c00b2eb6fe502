"""Application pages: applying, the dashboard wording, decisions, the thread, access control."""

import pytest
import sqlalchemy as sa

from diaspora.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    EngagementFeedback,
    OutboxMessage,
    ProjectStatus,
    Role,
)
from diaspora.services import applications as service
from diaspora.services.applications import Engagement
from tests.factories import MOTIVATION, make_institution, make_project, with_profile

S = ApplicationStatus


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, email="rep@aau.example")


@pytest.fixture
def project(rep):
    return make_project(make_institution(rep), status=ProjectStatus.PUBLISHED)


@pytest.fixture
def member(make_user):
    return with_profile(make_user(name="Hiwot Tesfaye", email="hiwot@example.org"))


@pytest.fixture
def application(db, member, project):
    application, _ = service.apply(member, project, MOTIVATION, Engagement())
    db.session.commit()
    return application


def count(db, model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_apply_page_shows_the_preview_and_sends(client, auth, db, member, project, rep):
    auth.login(member)
    page = client.get(f"/projects/{project.id}/apply")
    assert page.status_code == 200
    assert b"What the institution will see of your profile" in page.data
    response = client.post(
        f"/projects/{project.id}/apply",
        data={
            "motivation": MOTIVATION,
            "hours_per_month": "10",
            "work_mode": "remote",
            "consent": "y",
            "status": "accepted",
            "member_id": "999",
        },
        follow_redirects=True,
    )
    assert b"The institution has not decided yet" in response.data
    application = db.session.scalar(sa.select(Application))
    assert application.member_id == member.id
    assert application.status == S.APPLIED
    assert application.hours_per_month == 10
    assert application.consented_at is not None


def test_apply_without_consent_is_refused(client, auth, db, member, project):
    auth.login(member)
    response = client.post(f"/projects/{project.id}/apply", data={"motivation": MOTIVATION})
    assert b"Agree to share your profile" in response.data
    assert count(db, Application) == 0


def test_double_submit_gives_a_friendly_message(client, auth, db, member, project):
    auth.login(member)
    data = {"motivation": MOTIVATION, "consent": "y"}
    client.post(f"/projects/{project.id}/apply", data=data)
    response = client.post(f"/projects/{project.id}/apply", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert b"You have already applied to this project" in response.data
    assert count(db, Application) == 1


def test_waiting_never_looks_accepted(client, auth, db, member, application, rep):
    auth.login(member)
    page = client.get("/applications").get_data(as_text=True)
    assert "Applied, waiting for an answer" in page
    assert "badge-wait" in page and "badge-ok" not in page
    service.decide(rep, application, "shortlist")
    db.session.commit()
    page = client.get("/applications").get_data(as_text=True)
    assert "Shortlisted, not yet decided" in page
    assert "badge-short" in page and "badge-ok" not in page
    assert "You are shortlisted for" in page
    service.decide(rep, application, "accept")
    db.session.commit()
    page = client.get("/applications").get_data(as_text=True)
    assert "badge-ok" in page and ">Accepted<" in page


def test_rep_decides_from_the_application_page(client, auth, db, application, rep, member):
    auth.login(rep)
    assert client.get("/applications/inbox").status_code == 200
    applicants = client.get(f"/projects/{application.project_id}/applicants")
    assert b"Hiwot Tesfaye" in applicants.data
    page = client.get(f"/applications/{application.id}")
    assert MOTIVATION.encode() in page.data
    client.post(
        f"/applications/{application.id}/decide", data={"decision": "accept", "message": "Welcome"}
    )
    db.session.refresh(application)
    assert application.status == S.ACCEPTED
    assert application.project.places_filled == 1


def test_messages_are_escaped(client, auth, db, application, member):
    auth.login(member)
    client.post(
        f"/applications/{application.id}/messages",
        data={"body": '<script>alert(1)</script>"><img src=x onerror=alert(2)>'},
    )
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_member_withdraws(client, auth, db, application, member):
    auth.login(member)
    client.post(f"/applications/{application.id}/withdraw")
    db.session.refresh(application)
    assert application.status == S.WITHDRAWN


def test_get_never_changes_state(client, auth, db, application, rep):
    auth.login(rep)
    for action in ("decide", "withdraw", "dispute-completion", "feedback", "messages"):
        assert client.get(f"/applications/{application.id}/{action}").status_code == 405
    # Completing asks on a page first; here it is refused (not accepted) and goes back.
    assert client.get(f"/applications/{application.id}/complete").status_code == 302
    db.session.refresh(application)
    assert application.status == S.APPLIED


# --------------------------------------------------------------------------- access control

ACTIONS = {
    "view": ("get", "/applications/{id}", {}),
    "decide": ("post", "/applications/{id}/decide", {"decision": "accept"}),
    "message": ("post", "/applications/{id}/messages", {"body": "hello"}),
    "withdraw": ("post", "/applications/{id}/withdraw", {}),
    "complete": ("post", "/applications/{id}/complete", {}),
    "complete_page": ("get", "/applications/{id}/complete", {}),
    "dispute": ("post", "/applications/{id}/dispute-completion", {"dispute_note": "not done"}),
    "feedback": ("post", "/applications/{id}/feedback", {"rating": "1", "comment": "bad"}),
}


def state(db, application):
    db.session.expire_all()
    row = db.session.get(Application, application.id)
    return (
        row.status,
        row.project.places_filled,
        count(db, ApplicationMessage),
        count(db, EngagementFeedback),
        count(db, OutboxMessage),
    )


@pytest.fixture(params=["stranger", "other_rep", "coordinator", "other_applicant"])
def intruder(request, make_user, db, project):
    if request.param == "stranger":
        return make_user()
    if request.param == "coordinator":
        return make_user(role=Role.COORDINATOR)
    if request.param == "other_rep":
        other = make_user(role=Role.INSTITUTION)
        other_project = make_project(
            make_institution(other, name="Jimma Hospital"), status=ProjectStatus.PUBLISHED
        )
        applicant = with_profile(make_user())
        service.apply(applicant, other_project, MOTIVATION, Engagement())
        db.session.commit()
        return other
    other = with_profile(make_user())
    service.apply(other, project, MOTIVATION, Engagement())
    db.session.commit()
    return other


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("accepted", [False, True])
def test_nobody_else_reads_or_acts_on_an_application(
    client, auth, db, application, rep, intruder, action, accepted
):
    if accepted:
        service.decide(rep, application, "accept")
        db.session.commit()
    before = state(db, application)
    auth.login(intruder)
    method, url, data = ACTIONS[action]
    response = getattr(client, method)(url.format(id=application.id), data=data)
    assert response.status_code in (403, 404)
    assert MOTIVATION.encode() not in response.data
    assert state(db, application) == before


def test_the_member_cannot_decide_their_own_application(client, auth, db, application, member):
    auth.login(member)
    response = client.post(f"/applications/{application.id}/decide", data={"decision": "accept"})
    assert response.status_code == 403
    db.session.refresh(application)
    assert application.status == S.APPLIED and application.project.places_filled == 0


def test_a_rep_cannot_open_another_institutions_applicants(client, auth, db, project, make_user):
    other = make_user(role=Role.INSTITUTION)
    make_institution(other, name="Jimma Hospital")
    auth.login(other)
    assert client.get(f"/projects/{project.id}/applicants").status_code == 404
    assert client.get("/projects/999999/applicants").status_code == 404


def test_members_cannot_open_the_inbox(client, auth, member):
    auth.login(member)
    assert client.get("/applications/inbox").status_code == 403


def test_visitors_are_sent_to_log_in(client, application):
    response = client.get(f"/applications/{application.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_remind_command_is_idempotent(runner, db, application):
    from datetime import timedelta

    from diaspora.models.base import utcnow

    application.created_at = utcnow() - timedelta(days=6)
    db.session.commit()
    assert "for 1 application" in runner.invoke(args=["applications", "remind"]).output
    assert "for 0 application" in runner.invoke(args=["applications", "remind"]).output


def test_close_expired_command(runner, db, application):
    from datetime import timedelta

    from diaspora.models.base import utcnow

    application.project.deadline = utcnow().date() - timedelta(days=2)
    db.session.commit()
    assert "Closed 1 project" in runner.invoke(args=["projects", "close-expired"]).output
    db.session.refresh(application)
    assert application.status == S.CLOSED
