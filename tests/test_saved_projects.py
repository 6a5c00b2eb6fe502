"""Saved projects and the reminders before their deadline."""

from datetime import timedelta

import sqlalchemy as sa

from diaspora.models import (
    Frequency,
    Notification,
    OutboxMessage,
    ProjectStatus,
    Role,
    SavedProject,
)
from diaspora.models.base import utcnow
from diaspora.services import notifications
from diaspora.services.saved_projects import remind_deadlines
from tests.conftest import login, text_of
from tests.factories import make_institution, make_project


def setup_project(make_user, days_left=2, status=ProjectStatus.PUBLISHED, **fields):
    institution = make_institution(make_user(role=Role.INSTITUTION))
    return make_project(
        institution,
        status=status,
        deadline=(utcnow() + timedelta(days=days_left)).date(),
        **fields,
    )


def test_save_list_and_remove(client, db, make_user):
    project = setup_project(make_user)
    member = make_user()
    login(client, member.email)
    assert b"Save for later" in client.get(f"/projects/{project.id}").data
    client.post(f"/projects/{project.id}/save")
    client.post(f"/projects/{project.id}/save")
    assert db.session.scalar(sa.select(sa.func.count(SavedProject.id))) == 1
    page = client.get("/projects/saved").get_data(as_text=True)
    assert project.title in page
    response = client.post(f"/projects/{project.id}/unsave", data={"next": "https://evil.example/"})
    assert response.location.endswith("/projects/saved")
    assert project.title not in client.get("/projects/saved").get_data(as_text=True)


def test_unpublished_projects_cannot_be_saved(client, db, make_user):
    project = setup_project(make_user, status=ProjectStatus.DRAFT)
    member = make_user()
    login(client, member.email)
    assert client.post(f"/projects/{project.id}/save").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(SavedProject.id))) == 0


def test_saved_lists_are_private(client, db, make_user):
    project = setup_project(make_user)
    owner, other = make_user(), make_user()
    db.session.add(SavedProject(user_id=owner.id, project_id=project.id))
    db.session.commit()
    login(client, other.email)
    assert project.title not in client.get("/projects/saved").get_data(as_text=True)
    client.post(f"/projects/{project.id}/unsave")
    assert db.session.scalar(sa.select(sa.func.count(SavedProject.id))) == 1


def test_deadline_reminder_once_and_by_smtp(mail_config, smtp_server, app, db, make_user, runner):
    soon = setup_project(make_user, days_left=2, title="Borehole survey")
    later = setup_project(make_user, days_left=20, title="Later project")
    member = make_user(email="saver@example.org")
    quiet = make_user(email="quiet@example.org")
    notifications.set_preference(quiet, "deadline", Frequency.OFF)
    for user in (member, quiet):
        for project in (soon, later):
            db.session.add(SavedProject(user_id=user.id, project_id=project.id))
    db.session.commit()
    result = runner.invoke(args=["notify", "deadlines"])
    assert "Sent 2 deadline reminder(s)" in result.output
    assert runner.invoke(args=["notify", "deadlines"]).output.startswith("Sent 0")
    from diaspora.mail import deliver_due

    deliver_due()
    (message,) = smtp_server.to("saver@example.org")
    assert "Applications for Borehole survey close in 2 days" in text_of(message)
    assert message["List-Unsubscribe"]
    assert smtp_server.to("quiet@example.org") == []
    notes = db.session.scalars(
        sa.select(Notification.message).where(Notification.user_id == quiet.id)
    ).all()
    assert len(notes) == 1, "still shown on the site when email is off"
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1


def test_no_reminder_for_closed_projects(app, db, make_user):
    project = setup_project(make_user, days_left=1, status=ProjectStatus.CLOSED)
    member = make_user()
    db.session.add(SavedProject(user_id=member.id, project_id=project.id))
    db.session.commit()
    assert remind_deadlines() == 0


def test_export_lists_saved_projects_and_searches(app, db, make_user):
    from diaspora.models.search import SavedSearch
    from diaspora.services.export import export_user_data

    project = setup_project(make_user)
    member, other = make_user(), make_user()
    db.session.add(SavedProject(user_id=member.id, project_id=project.id))
    db.session.add(SavedSearch(user_id=member.id, query="hydrology", filters={"country": ["ET"]}))
    db.session.add(SavedSearch(user_id=other.id, query="someone else's search"))
    db.session.commit()
    data = export_user_data(member)
    assert data["saved_projects"] == [{"project": project.title, "project_id": project.id}]
    assert [s["query"] for s in data["saved_searches"]] == ["hydrology"]
    assert "someone else" not in str(data)
