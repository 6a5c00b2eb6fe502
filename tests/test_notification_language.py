"""A notification line follows the reader's current language: the row keeps the values its
event's pattern shows (``notifications.params``), and the list and the applications
dashboards word it again in the language of the page. Rows without them show the line as it
was written."""

import json
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, lazy_gettext, lazy_ngettext
from flask_migrate import downgrade, upgrade

from diaspora import create_app
from diaspora.models import Application, Notification, ProjectStatus, Role
from diaspora.models.interview import InterviewProposal, InterviewSlot
from diaspora.services import events, projects
from diaspora.services.notifications import notify
from tests.conftest import _base_config, login
from tests.factories import make_institution, make_project, speaking
from tests.test_migrations import empty_database  # noqa: F401 (a fixture)


@pytest.fixture
def member(make_user):
    return speaking(make_user(name="Amina Diallo", email="amina@example.org"), "es")


@pytest.fixture
def rep(make_user):
    return speaking(make_user(role=Role.INSTITUTION, email="rep@aau.example"), "es")


@pytest.fixture
def project(rep):
    return make_project(make_institution(rep), status=ProjectStatus.PUBLISHED, title="Water GIS")


@pytest.fixture
def application(db, member, project):
    application = Application(project_id=project.id, member_id=member.id)
    db.session.add(application)
    db.session.commit()
    return application


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_member_who_switches_language_reads_old_lines_in_the_new_one(
    app, db, client, member, project, application
):
    link = f"/applications/{application.id}"
    with app.test_request_context("/"):
        events.tell(member, "accepted", link, application=application, project=project)
        events.tell(member, "follow_up", "/f", application=application, project=project, months=3)
        events.tell(member, "follow_up", "/f", project=project, months=1)
        events.tell(
            member,
            "completion_marked",
            link,
            application=application,
            project=project,
            marked_by=lazy_gettext("The member"),
            until=date(2027, 1, 5),
        )
    db.session.commit()
    stored = db.session.scalars(sa.select(Notification.message).order_by(Notification.id)).all()
    assert stored[0] == "Ha sido aceptado en Water GIS"
    assert stored[1] == "3 meses después de Water GIS: cuatro preguntas breves"

    speaking(member, "fr")
    login(client, member.email)
    for path in ("/notifications/", "/applications"):
        html = page(client, path)
        assert "Vous êtes accepté pour Water GIS" in html, path
        assert "3 mois après Water GIS : quatre questions courtes" in html, path
        assert "Le membre a indiqué" in html and "5 janv. 2027" in html, path
        assert "Ha sido aceptado" not in html and "meses después" not in html, path
    listed = page(client, "/notifications/")
    assert "1 mois après Water GIS" in listed
    # The stored message stays as written: the fallback, and what the email said.
    assert db.session.scalar(sa.select(Notification.message).limit(1)) == stored[0]

    speaking(member, "en")
    html = page(client, "/notifications/")
    assert "3 months after Water GIS: four short questions" in html
    assert "1 month after Water GIS: four short questions" in html
    assert "confirm it or dispute it by 05 Jan 2027" in html


def test_a_decision_label_is_translated_when_read(app, db, client, rep, project):
    with app.test_request_context("/"):
        note = events.tell(
            rep,
            "project_decision",
            "/projects/mine",
            project=project,
            decision=projects.DECISION_LABELS["reject"],
            action="reject",
            reason="",
            by_system=False,
            ended=0,
            dashboard_url="http://diaspora.test/projects/mine",
        )
    db.session.commit()
    assert note.message == "Water GIS: rechazado"
    assert note.params == {"decision": {"msgid": "rejected"}, "project.title": "Water GIS"}

    speaking(rep, "fr")
    login(client, rep.email)
    html = page(client, "/notifications/")
    assert "Water GIS : refusé" in html and "rechazado" not in html


def test_lazy_counts_and_interview_times_are_worded_again(app, db, member, project):
    """A value written in words (the days left, an interview time) is stored as what words
    it, not as the words of the day it was told."""
    proposal = InterviewProposal(timezone="Africa/Addis_Ababa", duration_minutes=60)
    slot = InterviewSlot(proposal=proposal, starts_at=datetime(2027, 3, 2, 7, 0, tzinfo=UTC))
    with app.test_request_context("/"):
        deadline = events.tell(
            member,
            "saved_project_deadline",
            "/projects/1",
            project=SimpleNamespace(title="Water GIS", deadline=date(2027, 3, 1)),
            when=lazy_ngettext("in %(num)d day", "in %(num)d days", 3),
        )
        agreed = events.tell(member, "interview_agreed", "/a", project=project, when=slot.when)
        db.session.commit()
        assert (
            deadline.message == "Las candidaturas para Water GIS se cierran en 3 días (1 mar 2027)."
        )
        with force_locale("fr"):
            assert deadline.line == (
                "Les candidatures pour Water GIS se clôturent dans 3 jours (1 mars 2027)."
            )
            assert agreed.line.startswith("Entretien pour Water GIS convenu : mar. 2 mars 2027")
        with force_locale("en"):
            assert agreed.line == (
                "Interview for Water GIS agreed: Tue 02 Mar 2027, 10:00-11:00 "
                "(Africa/Addis_Ababa, UTC+03:00)"
            )


def test_english_lines_are_the_stored_messages(app, db, make_user, project):
    """Worded again in English, every event reads as the message written in English."""
    user = make_user(name="Amina Diallo")
    institution = project.institution
    context = {
        "project": project,
        "institution": institution,
        "decision": projects.DECISION_LABELS["request_changes"],
        "when": "in 2 days",
        "marked_by": lazy_gettext("The member"),
        "disputed_by": lazy_gettext("The institution"),
        "until": datetime(2027, 1, 5, 23, 30, tzinfo=UTC),
        "months": 12,
        "since": date(2026, 3, 5),
        "action": "request_changes",
        "reason": "",
        "by_system": False,
        "ended": 0,
        "why": "",
        "waiting_days": 6,
    }
    with app.test_request_context("/"):
        for name in events.EVENTS:
            note = events.tell(user, name, "/notifications/", **context)
            db.session.flush()
            assert note.params is not None, name
            assert note.line == note.message, name


def test_a_row_without_params_shows_its_stored_text(app, db, client, member, project):
    notify(member, "message", "Línea escrita antes", "/notifications/")
    with app.test_request_context("/"):
        told = events.tell(member, "accepted", "/applications/1", project=project)
    told.params = None  # as every row written before the values were kept
    db.session.commit()
    speaking(member, "fr")
    login(client, member.email)
    html = page(client, "/notifications/")
    assert "Línea escrita antes" in html
    assert "Ha sido aceptado en Water GIS" in html and "Vous êtes accepté" not in html


def test_the_stored_values_are_plain_data_without_nul(app, db, member):
    # Forms refuse NUL before anything is told; the stored values drop it all the same.
    params = events.params_for(
        "follow_up", {"project": SimpleNamespace(title="Water\x00 GIS"), "months": 6}
    )
    assert params == {"months": 6, "project.title": "Water GIS"}
    context = {"project": SimpleNamespace(title="Water GIS"), "months": 6}
    with app.test_request_context("/"):
        note = events.tell(member, "follow_up", "/f", **context)
    db.session.commit()
    raw = db.session.execute(
        sa.text("SELECT params FROM notifications WHERE id = :id"), {"id": note.id}
    ).scalar_one()
    text = raw if isinstance(raw, str) else json.dumps(raw)
    assert "\\u0000" not in text and "\x00" not in text
    assert json.loads(text) == {"months": 6, "project.title": "Water GIS"}


def test_migration_0023_adds_and_drops_the_params_column(tmp_path, empty_database):  # noqa: F811
    from diaspora.extensions import db

    app = create_app(_base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0022")

        def columns():
            with db.engine.connect() as conn:
                return {c["name"] for c in sa.inspect(conn).get_columns("notifications")}

        assert "params" not in columns()
        upgrade(revision="0023")
        assert "params" in columns()
        downgrade(revision="0022")
        assert "params" not in columns()
        upgrade()
        assert "params" in columns()
        db.engine.dispose()
