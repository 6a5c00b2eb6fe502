"""Applications with the rest of the site: privacy of the profile shown to institutions,
account deletion, the project and institution pages, and every email at a real SMTP server."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.models import FIELD_GROUPS, Application, ApplicationStatus, ProjectStatus, Role, User
from diaspora.models.base import utcnow
from diaspora.services import (
    application_panels,
    application_reminders,
    permissions,
    profiles,
    projects,
)
from diaspora.services import applications as service
from diaspora.services.applications import Engagement
from diaspora.services.deletion import delete_account
from diaspora.services.privacy import ProfileView
from tests.conftest import PASSWORD, text_of
from tests.factories import MOTIVATION, make_institution, make_project, with_profile

S = ApplicationStatus
SECRET_BIO = "Private bio: my family lives in Gondar"
SHARED_HEADLINE = "Clinical laboratory scientist"


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, email="rep@aau.example")


@pytest.fixture
def project(rep):
    return make_project(make_institution(rep), status=ProjectStatus.PUBLISHED)


@pytest.fixture
def member(make_user):
    """A member who shares only the headline with institutions they apply to."""
    return with_profile(
        make_user(name="Account Name", email="hiwot@example.org"),
        display_name="Hiwot T.",
        headline=SHARED_HEADLINE,
        bio=SECRET_BIO,
        audiences=dict.fromkeys(FIELD_GROUPS, 0) | {"headline": 2},
    )


def apply(member, project):
    application, _ = service.apply(member, project, MOTIVATION, Engagement())
    service.db.session.commit()
    return application


def test_the_apply_form_previews_exactly_what_is_shared(client, auth, member, project):
    auth.login(member)
    page = client.get(f"/projects/{project.id}/apply").get_data(as_text=True)
    assert SHARED_HEADLINE in page and "Hiwot T." in page
    assert SECRET_BIO not in page


def test_the_institution_sees_only_what_the_member_allowed(client, auth, db, member, project, rep):
    application = apply(member, project)
    auth.login(rep)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert SHARED_HEADLINE in page and "Hiwot T." in page
    assert SECRET_BIO not in page
    applicants = client.get(f"/projects/{project.id}/applicants").get_data(as_text=True)
    assert "Hiwot T." in applicants and "Account Name" not in applicants


def test_applying_grants_the_reps_clearance_two_and_only_them(db, member, project, make_user):
    assert permissions.applied_institution_ids(member.id) == set()
    apply(member, project)
    assert permissions.applied_institution_ids(member.id) == {project.institution_id}
    other = make_user(role=Role.INSTITUTION)
    make_institution(other, name="Jimma Hospital")
    view = ProfileView.for_viewer(profiles.profile_of(member), other)
    assert "headline" not in view.groups


def test_deleting_the_account_anonymises_decided_applications(db, member, project, rep):
    decided = apply(member, project)
    waiting = apply(
        member, make_project(project.institution, status=ProjectStatus.PUBLISHED, title="Other")
    )
    service.post_message(member, decided, "Call me on 555-0100")
    service.decide(rep, decided, "accept")
    db.session.commit()
    decided_id, waiting_id, member_id = decided.id, waiting.id, member.id

    delete_account(member, PASSWORD)
    db.session.commit()
    db.session.expire_all()

    assert db.session.get(User, member_id) is None
    assert db.session.get(Application, waiting_id) is None
    kept = db.session.get(Application, decided_id)
    assert kept.member_id is None and kept.status == S.ACCEPTED and kept.decided_at
    assert kept.motivation == ""
    # The member's messages go; the institution's record of its decision stays.
    assert [(m.from_institution, m.kind.value) for m in kept.messages] == [(True, "accepted")]
    assert "555-0100" not in " ".join(m.body for m in kept.messages)
    assert application_panels.team(project, rep) is None


def test_deleting_a_representative_keeps_the_decision(db, member, project, rep, make_user):
    application = apply(member, project)
    service.decide(rep, application, "decline")
    service.post_message(rep, application, "Thank you for applying.")
    db.session.commit()
    delete_account(rep, PASSWORD)
    db.session.commit()
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.decided_by_id is None and application.status == S.DECLINED
    assert [(m.kind.value, m.author_id) for m in application.messages] == [
        ("declined", None),
        ("message", None),
    ]


def test_project_page_offers_apply_then_shows_the_status(client, auth, db, member, project):
    auth.login(member)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Apply to this project" in page
    apply(member, project)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Apply to this project" not in page
    assert "Applied, waiting for an answer" in page


def test_team_names_show_only_to_who_may_open_the_profile(client, auth, db, member, project, rep):
    application = apply(member, project)
    service.decide(rep, application, "accept")
    db.session.commit()
    assert "Hiwot T." not in client.get(f"/projects/{project.id}").get_data(as_text=True)
    auth.login(member)
    assert "Hiwot T." in client.get(f"/projects/{project.id}").get_data(as_text=True)
    auth.logout()
    profile = profiles.profile_of(member)
    profile.public = True
    db.session.commit()
    assert client.get(f"/members/{member.id}").status_code == 404
    assert "Hiwot T." not in client.get(f"/projects/{project.id}").get_data(as_text=True)
    profile.audiences = {**(profile.audiences or {}), "headline": 4}
    db.session.commit()
    assert client.get(f"/members/{member.id}").status_code == 200
    assert "Hiwot T." in client.get(f"/projects/{project.id}").get_data(as_text=True)


def test_institution_page_shows_answer_time_and_completed(client, db, make_user, project, rep):
    now = utcnow()
    for days in (1, 2, 2):
        application = apply(with_profile(make_user()), project)
        application.created_at = now - timedelta(days=days + 1)
        application.first_answered_at = now - timedelta(days=1)
    service.decide(rep, application, "accept")
    application.decided_at = now - timedelta(days=8)  # the engagement has started
    service.complete(rep, application)
    service.complete(application.member, application)
    db.session.commit()
    page = client.get(f"/institutions/{project.institution_id}").get_data(as_text=True)
    assert "Usually answers within 2 days" in page
    assert "1 completed engagement" in page
    assert "Usually answers within 2 days" in client.get(f"/projects/{project.id}").get_data(
        as_text=True
    )


def test_every_notification_reaches_the_smtp_server_without_private_content(
    mail_config, smtp_server, app, client, auth, db, member, project, rep, make_user
):
    """Each event, sent through the web pages, arrives at the right address; no email
    carries the motivation, a message body, a decision message or a profile field."""
    auth.login(member)
    client.post(f"/projects/{project.id}/apply", data={"motivation": MOTIVATION, "consent": "y"})
    application = db.session.scalar(sa.select(Application))
    client.post(f"/applications/{application.id}/messages", data={"body": "SECRET-QUESTION"})
    auth.logout()
    auth.login(rep)
    client.post(f"/applications/{application.id}/messages", data={"body": "SECRET-ANSWER"})
    client.post(
        f"/applications/{application.id}/decide",
        data={"decision": "shortlist", "message": "SECRET-NOTE"},
    )
    client.post(f"/applications/{application.id}/decide", data={"decision": "accept"})
    db.session.refresh(application)
    application.decided_at = utcnow() - timedelta(days=8)  # the engagement has started
    db.session.commit()
    client.post(f"/applications/{application.id}/complete")
    auth.logout()
    auth.login(member)
    client.post(f"/applications/{application.id}/complete")
    auth.logout()

    waiting_member = with_profile(make_user(email="waiting@example.org"))
    other = apply(
        waiting_member,
        make_project(project.institution, status=ProjectStatus.PUBLISHED, title="Second"),
    )
    other.created_at = utcnow() - timedelta(days=6)
    db.session.commit()
    application_reminders.send_reminders()
    db.session.commit()
    projects.close(rep, other.project)
    db.session.commit()
    from diaspora.mail import deliver_due

    deliver_due()

    to_rep = {m["Subject"] for m in smtp_server.to(rep.email)}
    to_member = {m["Subject"] for m in smtp_server.to(member.email)}
    title = project.title
    assert {
        f"New application to {title}",
        f"You have a new message about {title}",
        "New application to Second",
        "An application to Second is waiting for your answer",
        f"The engagement on {title} is completed",
    } <= to_rep
    assert {
        f"You have a new message about {title}",
        f"You are shortlisted for {title}",
        f"You are accepted on {title}",
        f"Is the engagement on {title} completed?",
    } <= to_member
    assert {m["Subject"] for m in smtp_server.to("waiting@example.org")} == {
        "Your application to Second is received",
        "Second has closed",
    }
    everything = [m for entry in smtp_server.messages for m in [entry["message"]]]
    for message in everything:
        body = text_of(message) + message.get_body(preferencelist=("html",)).get_content()
        for secret in ("SECRET-", MOTIVATION, SECRET_BIO, SHARED_HEADLINE):
            assert secret not in body
        assert "http://diaspora.test/" in body
