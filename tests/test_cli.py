"""Flask commands: users, demo data, and every scheduled command on a fresh install."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.extensions import db as _db
from diaspora.models import (
    Application,
    ApplicationStatus,
    Frequency,
    Project,
    ProjectStatus,
    Role,
    SavedProject,
    User,
)
from diaspora.models.base import utcnow
from diaspora.services import notifications
from tests.conftest import PASSWORD, text_of
from tests.factories import MOTIVATION, make_institution, make_project, with_profile


def test_users_create_and_list(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--role",
            "coordinator",
            "--email",
            "Coord@Example.org",
            "--name",
            "Leila Haddad",
            "--password",
            "a long coordinator phrase",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert user.email == "coord@example.org" and user.role == Role.COORDINATOR
    assert user.is_confirmed
    listing = runner.invoke(args=["users", "list"])
    assert "coord@example.org" in listing.output and "coordinator" in listing.output


def test_users_create_refuses_duplicates_and_weak_passwords(runner, db):
    args = ["users", "create", "--role", "admin", "--email", "a@example.org", "--name", "A"]
    assert runner.invoke(args=[*args, "--password", "password"]).exit_code != 0
    assert runner.invoke(args=[*args, "--password", "a fine long phrase"]).exit_code == 0
    again = runner.invoke(args=[*args, "--password", "a fine long phrase"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_demo_load_is_idempotent_and_prints_logins(runner, db):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    count = db.session.scalar(sa.select(sa.func.count(User.id)))
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == count
    assert "coordinator@demo.diaspora.example" in second.output
    assert "password" in second.output
    roles = set(db.session.scalars(sa.select(User.role)).all())
    assert roles == {Role.COORDINATOR, Role.ADMIN, Role.INSTITUTION, Role.MEMBER}


# --------------------------------------------------------------------------- scheduled commands

DEFAULT_SITE_URL = "http://127.0.0.1:5000"
LINK = re.compile(r"https?://[^\s<>\"')]+")


@pytest.fixture(params=[None, "https://diaspora.example.org"], ids=["default", "configured"])
def site_url(request, mail_config):
    """A configuration as on a fresh install: no SERVER_NAME, SITE_URL left at its default
    or set; mail goes to a real SMTP server on 127.0.0.1."""
    mail_config["SERVER_NAME"] = None
    mail_config.pop("SITE_URL", None)
    if request.param:
        mail_config["SITE_URL"] = request.param
    return request.param or DEFAULT_SITE_URL


def waiting_application(project, member, days_ago=0):
    application = Application(
        project_id=project.id,
        member_id=member.id,
        status=ApplicationStatus.APPLIED,
        motivation=MOTIVATION,
        created_at=utcnow() - timedelta(days=days_ago),
    )
    _db.session.add(application)
    _db.session.commit()
    return application


def run(runner, *args):
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


@pytest.mark.search_index
def test_every_scheduled_command_runs_without_server_name_and_links_to_site_url(
    site_url, app, db, runner, make_user, smtp_server
):
    assert app.config["SERVER_NAME"] is None
    rep = make_user(role=Role.INSTITUTION, email="rep@example.org")
    institution = make_institution(rep)
    expired = make_project(
        institution,
        status=ProjectStatus.PUBLISHED,
        title="Past deadline",
        deadline=(utcnow() - timedelta(days=1)).date(),
    )
    stale = make_project(
        institution,
        status=ProjectStatus.PUBLISHED,
        title="Long open",
        published_at=utcnow() - timedelta(days=61),
        deadline=(utcnow() + timedelta(days=2)).date(),
    )
    closing = with_profile(make_user(email="closing@example.org"))
    waiting_application(expired, closing)
    waiting_application(stale, with_profile(make_user()), days_ago=6)
    soon = make_user(email="soon@example.org")
    daily = make_user(email="daily@example.org")
    notifications.set_preference(daily, "deadline", Frequency.DAILY)
    for user in (soon, daily):
        db.session.add(SavedProject(user_id=user.id, project_id=stale.id))
    db.session.commit()

    assert "Sent reminders for 1" in run(runner, "applications", "remind")
    assert "Closed 1 project" in run(runner, "projects", "close-expired")
    assert "Asked about 1" in run(runner, "projects", "remind-stale")
    assert "Sent 2 deadline reminder" in run(runner, "notify", "deadlines")
    assert "Queued 1 digest" in run(runner, "notify", "digests")
    run(runner, "search", "apply")
    run(runner, "search", "prune", "--days", "30")
    assert smtp_server.messages == []  # commands queue; the worker delivers
    delivered = run(runner, "mail", "deliver")
    assert "Delivered" in delivered

    db.session.expire_all()
    assert db.session.get(Project, expired.id).status == ProjectStatus.CLOSED
    subjects = {}
    for entry in smtp_server.messages:
        message = entry["message"]
        links = LINK.findall(text_of(message))
        assert links, message["Subject"]
        assert all(link.startswith(site_url + "/") for link in links), links
        subjects.setdefault(entry["to"][0], []).append(message["Subject"])
    assert any("has closed" in s for s in subjects["closing@example.org"])
    rep_subjects = " | ".join(subjects["rep@example.org"])
    assert "waiting for your answer" in rep_subjects
    assert "still current" in rep_subjects
    assert "closed" in rep_subjects
    assert len(subjects["soon@example.org"]) == 1
    assert any("digest" in s for s in subjects["daily@example.org"])


def test_mail_sent_from_a_request_keeps_the_request_host(
    site_url, app, db, client, make_user, smtp_server
):
    rep = make_user(role=Role.INSTITUTION)
    project = make_project(make_institution(rep), status=ProjectStatus.PUBLISHED)
    member = with_profile(make_user(email="shortlisted@example.org"))
    application = waiting_application(project, member)
    host = "http://other.example.net"
    login = client.post("/login", data={"email": rep.email, "password": PASSWORD}, base_url=host)
    assert login.status_code == 302
    response = client.post(
        f"/applications/{application.id}/decide", data={"decision": "shortlist"}, base_url=host
    )
    assert response.status_code == 302
    (message,) = smtp_server.to("shortlisted@example.org")
    links = LINK.findall(text_of(message))
    assert links and all(link.startswith(host + "/") for link in links), links
