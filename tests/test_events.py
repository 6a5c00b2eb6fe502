"""One feed of events: each event is worded once (``services.events.EVENTS``), written as one
notification per person, and read the same way from the list and the applications pages."""

import ast
from collections import Counter
from datetime import timedelta
from pathlib import Path

import jinja2
import pytest
import sqlalchemy as sa

import diaspora
from diaspora.models import Application, Notification, OutboxMessage, ProjectStatus, Role
from diaspora.models.base import utcnow
from diaspora.services import (
    application_lists,
    application_reminders,
    events,
    notifications,
    projects,
)
from diaspora.services import applications as service
from diaspora.services.applications import Engagement
from diaspora.services.deletion import delete_account
from tests.conftest import PASSWORD, login
from tests.factories import MOTIVATION, make_institution, make_project, with_profile


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, name="Rep Alemu", email="rep@aau.example")


@pytest.fixture
def other_rep(make_user, institution):
    from diaspora.models import InstitutionRepresentative

    user = make_user(role=Role.INSTITUTION, name="Rep Bekele", email="rep2@aau.example")
    service.db.session.add(
        InstitutionRepresentative(institution_id=institution.id, user_id=user.id)
    )
    service.db.session.commit()
    return user


@pytest.fixture
def institution(rep):
    return make_institution(rep)


@pytest.fixture
def project(institution):
    return make_project(institution, places=2, status=ProjectStatus.PUBLISHED)


@pytest.fixture
def member(make_user):
    return with_profile(make_user(name="Hiwot Tesfaye", email="hiwot@example.org"))


def apply(member, project):
    application, _ = service.apply(member, project, MOTIVATION, Engagement())
    service.db.session.commit()
    return application


def rows(db, **where):
    query = sa.select(Notification.user_id, Notification.application_id, Notification.event)
    for name, value in where.items():
        query = query.where(getattr(Notification, name) == value)
    return Counter(db.session.execute(query).all())


def test_every_event_has_a_notification_category_that_can_send_it():
    for name, kind in events.EVENTS.items():
        assert kind.category in notifications.KINDS, name
        assert not notifications.KINDS[kind.category].digest_only, name
        assert kind.text.strip(), name


def test_every_event_renders_its_text_subject_and_both_email_templates(
    app, db, make_user, institution, project
):
    """Told for real: the row's text, the email's subject and both bodies come from the
    registry, and no template names a value the event does not give."""
    app.jinja_env.undefined = jinja2.StrictUndefined
    user = make_user(name="Amina Diallo")
    context = {
        "project": project,
        "institution": institution,
        "decision": projects.DECISION_LABELS["request_changes"],
        "action": "request_changes",
        "reason": "Say who pays the travel.",
        "application_url": "http://diaspora.test/applications/1",
        "dashboard_url": "http://diaspora.test/projects/mine",
        "project_url": f"http://diaspora.test/projects/{project.id}",
        "institution_url": f"http://diaspora.test/institutions/{institution.id}",
        "waiting_days": 6,
        "when": "in 2 days",
        "proposed_name": "Addis Ababa University Hospital",
        "proposed_website": "https://aau-hospital.example",
        "marked_by": "The member",
        "disputed_by": "The institution",
        "until": utcnow(),
        "closed_by": "system",
        "by_system": False,
        "ended": 2,
        "why": "the application has ended",
        "months": 3,
        "answer_url": "http://diaspora.test/follow-ups/token",
        "since": utcnow(),
        "profile_url": "http://diaspora.test/profile",
    }
    for name, kind in events.EVENTS.items():
        note = events.tell(user, name, "/notifications/", **context)
        db.session.flush()
        mail = db.session.scalars(
            sa.select(OutboxMessage).order_by(OutboxMessage.id.desc())
        ).first()
        text, subject = kind.render_text(**context), kind.render_subject(**context)
        assert (note.event, note.kind, note.message) == (name, kind.category, text), name
        assert mail.subject == subject and mail.template == kind.template, name
        assert mail.body_text.startswith("Hello Amina Diallo"), name
        assert "Amina Diallo" in mail.body_html and "<title>" in mail.body_html, name
        if "{project.title}" in kind.text:
            assert project.title in text, name
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == len(events.EVENTS)


def test_an_unknown_event_is_refused(app, make_user):
    with pytest.raises(events.UnknownEvent):
        events.tell(make_user(), "everything", "/")


def test_workflows_word_events_only_through_the_registry():
    """``notify`` takes a message already worded; only ``events.tell`` calls it."""
    package = Path(diaspora.__file__).parent
    callers = set()
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "notify":
                    callers.add(path.relative_to(package).as_posix())
    assert callers == {"services/events.py"}


def test_each_application_event_writes_one_row_per_recipient(
    db, member, project, rep, other_rep, make_user
):
    application = apply(member, project)
    assert rows(db, application_id=application.id) == Counter(
        {
            (rep.id, application.id, "new_application"): 1,
            (other_rep.id, application.id, "new_application"): 1,
            (member.id, application.id, "application_received"): 1,
        }
    )
    service.post_message(member, application, "When would the training start?")
    service.post_message(rep, application, "In March.")
    service.decide(rep, application, "shortlist")
    service.decide(rep, application, "accept")
    application.decided_at = utcnow() - timedelta(days=8)  # the engagement has started
    db.session.commit()
    service.complete(rep, application)
    service.complete(member, application)
    db.session.commit()

    leaving = with_profile(make_user(email="leaving@example.org"))
    withdrawn = apply(leaving, project)
    service.withdraw(leaving, withdrawn)
    db.session.commit()

    other_project = make_project(
        project.institution, title="Water quality survey", status=ProjectStatus.PUBLISHED
    )
    declined = apply(leaving, other_project)
    service.decide(rep, declined, "decline")
    waiting = apply(with_profile(make_user(email="waiting@example.org")), other_project)
    waiting.created_at = utcnow() - timedelta(days=6)
    db.session.commit()
    assert application_reminders.send_reminders() == 1
    projects.close(rep, other_project)
    db.session.commit()

    reps = (rep.id, other_rep.id)
    expected = Counter(
        [(r, application.id, "new_application") for r in reps]
        + [(r, application.id, "message") for r in reps]
        + [(member.id, application.id, e) for e in ("message", "shortlisted", "accepted")]
        + [(member.id, application.id, "completion_marked")]
        + [(r, application.id, "completed") for r in reps]
        + [(r, withdrawn.id, e) for r in reps for e in ("new_application", "withdrawn")]
        + [(r, declined.id, "new_application") for r in reps]
        + [(leaving.id, declined.id, e) for e in ("application_received", "declined")]
        + [(r, waiting.id, e) for r in reps for e in ("new_application", "reminder")]
        + [(waiting.member_id, waiting.id, e) for e in ("application_received", "closed")]
        + [(a.member_id, a.id, "application_received") for a in (application, withdrawn)]
    )
    about_applications = Counter({key: n for key, n in rows(db).items() if key[1] is not None})
    assert about_applications == expected
    assert set(expected.values()) == {1}


def test_the_dashboard_and_the_list_read_the_same_rows(app, db, member, project, rep, client):
    application = apply(member, project)
    service.decide(rep, application, "shortlist")
    service.decide(rep, application, "accept")
    events.tell(member, "saved_project_deadline", "/", project=project, when="today")
    db.session.commit()

    dashboard = application_lists.updates_for(member)
    assert [n.event for n in dashboard] == ["accepted", "shortlisted", "application_received"]
    assert [n.message for n in dashboard] == [
        f"You are accepted on {project.title}",
        f"You are shortlisted for {project.title} (not yet decided)",
        f"Your application to {project.title} is received",
    ]
    listed = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == member.id)
    ).all()
    assert {n.id for n in dashboard} < {n.id for n in listed}
    assert notifications.unread_count(member) == 4

    login(client, member.email)
    client.post(f"/notifications/{dashboard[1].id}/open")
    db.session.expire_all()
    assert [n.read_at is not None for n in application_lists.updates_for(member)] == [
        False,
        True,
        False,
    ]
    assert notifications.unread_count(member) == 3

    application_lists.mark_updates_read(member)
    db.session.commit()
    db.session.expire_all()
    assert all(n.read_at is not None for n in application_lists.updates_for(member))
    unread = db.session.scalars(
        sa.select(Notification.event).where(
            Notification.user_id == member.id, Notification.read_at.is_(None)
        )
    ).all()
    assert unread == ["saved_project_deadline"]
    assert notifications.unread_count(member) == 1


def test_deleting_an_account_or_an_application_takes_its_notifications(
    db, member, project, rep, make_user
):
    decided = apply(member, project)
    service.decide(rep, decided, "decline")
    waiting = apply(
        member,
        make_project(
            project.institution, title="Water quality survey", status=ProjectStatus.PUBLISHED
        ),
    )
    db.session.commit()
    decided_id, waiting_id, member_id = decided.id, waiting.id, member.id

    delete_account(member, PASSWORD)
    db.session.commit()

    assert rows(db, user_id=member_id) == Counter()
    assert rows(db, application_id=waiting_id) == Counter()
    assert rows(db, user_id=rep.id) == Counter({(rep.id, decided_id, "new_application"): 1})

    other = apply(with_profile(make_user(email="other@example.org")), project)
    other_id = other.id
    assert rows(db, application_id=other_id)
    db.session.delete(db.session.get(Application, other_id))
    db.session.commit()
    assert rows(db, application_id=other_id) == Counter()
