"""The migrations build the schema the models describe."""

import os
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from diaspora import create_app
from diaspora.extensions import db
from tests.conftest import PG_URL, _base_config


def test_upgrade_from_empty_to_head_matches_models(tmp_path, migrated_database):
    url = migrated_database if PG_URL else f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    app = create_app(_base_config(tmp_path, url))
    with app.app_context():
        if PG_URL:
            # The shared test database is already at head: check it is, then compare.
            upgrade()
        else:
            assert not sa.inspect(db.engine).get_table_names()
            upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


updates_0013 = sa.table(
    "application_updates",
    sa.column("application_id", sa.Integer()),
    sa.column("recipient_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("created_at", sa.DateTime()),
    sa.column("read_at", sa.DateTime()),
)
notifications_0013 = sa.table(
    "notifications",
    sa.column("user_id", sa.Integer()),
    sa.column("kind", sa.String()),
    sa.column("message", sa.String()),
    sa.column("link", sa.String()),
    sa.column("created_at", sa.DateTime()),
    sa.column("read_at", sa.DateTime()),
)


@pytest.fixture
def empty_database(tmp_path):
    """An empty database of its own: a SQLite file, or a new PostgreSQL database dropped
    afterwards (the shared test database stays at head)."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    base = sa.engine.make_url(PG_URL)
    name = f"{base.database}_migrations_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def test_application_updates_are_carried_into_notifications_and_back(tmp_path, empty_database):
    """0014 keeps every dashboard update as a notification (its twin, or a copy when it had
    none), with its read state; downgrading recreates the updates."""
    from diaspora.models import Application, Notification, ProjectStatus, Role, User
    from diaspora.services import application_lists
    from tests.factories import make_institution, make_project

    app = create_app(_base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade()
        rep = User(name="Rep", email="rep@aau.example", role=Role.INSTITUTION, password_hash="-")
        member = User(name="Member", email="m@example.org", role=Role.MEMBER, password_hash="-")
        db.session.add_all([rep, member])
        db.session.commit()
        project = make_project(
            make_institution(rep), status=ProjectStatus.PUBLISHED, title="Water quality survey"
        )
        application = Application(project_id=project.id, member_id=member.id)
        db.session.add(application)
        db.session.commit()
        rep_id, member_id, app_id = rep.id, member.id, application.id
        db.session.remove()

        downgrade(revision="0013")
        applied, accepted, read = (datetime(2026, 11, 2, 9, 0, m) for m in (0, 30, 45))
        link = f"/applications/{app_id}"
        with db.engine.begin() as conn:
            conn.execute(
                updates_0013.insert(),
                [
                    {
                        "application_id": app_id,
                        "recipient_id": rep_id,
                        "kind": "new_application",
                        "created_at": applied,
                        "read_at": None,
                    },
                    {
                        "application_id": app_id,
                        "recipient_id": member_id,
                        "kind": "accepted",
                        "created_at": accepted,
                        "read_at": read,
                    },
                ],
            )
            conn.execute(
                notifications_0013.insert(),
                [
                    # The twin of the "accepted" update, written in the same flush, unread.
                    {
                        "user_id": member_id,
                        "kind": "application_update",
                        "link": link,
                        "message": "You are accepted on Water quality survey",
                        "created_at": accepted + timedelta(milliseconds=3),
                        "read_at": None,
                    },
                    # Not a twin: another kind of notification, and one written too late.
                    {
                        "user_id": member_id,
                        "kind": "deadline",
                        "link": "/projects/1",
                        "message": "Applications close today",
                        "created_at": accepted,
                        "read_at": None,
                    },
                    {
                        "user_id": rep_id,
                        "kind": "new_application",
                        "link": link,
                        "message": "A later line",
                        "created_at": applied + timedelta(hours=2),
                        "read_at": None,
                    },
                ],
            )

        upgrade()
        assert "application_updates" not in sa.inspect(db.engine).get_table_names()
        notes = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
        assert [(n.user_id, n.kind, n.event, n.application_id, n.message) for n in notes] == [
            (
                member_id,
                "application_update",
                "accepted",
                app_id,
                "You are accepted on Water quality survey",
            ),
            (member_id, "deadline", None, None, "Applications close today"),
            (rep_id, "new_application", None, None, "A later line"),
            (
                rep_id,
                "new_application",
                "new_application",
                app_id,
                "New application to Water quality survey",
            ),
        ]
        assert notes[0].read_at is not None, "read on the dashboard: read in the one feed"
        assert notes[3].read_at is None and notes[3].link == link
        assert notes[3].created_at.replace(tzinfo=None) == applied
        assert application_lists.updates_for(db.session.get(User, rep_id)) == [notes[3]]
        db.session.remove()

        downgrade(revision="0013")
        with db.engine.connect() as conn:
            back = conn.execute(
                sa.select(
                    updates_0013.c.recipient_id, updates_0013.c.kind, updates_0013.c.read_at
                ).order_by(updates_0013.c.created_at)
            ).all()
            columns = {c["name"] for c in sa.inspect(conn).get_columns("notifications")}
        assert [(r.recipient_id, r.kind, r.read_at is not None) for r in back] == [
            (rep_id, "new_application", False),
            (member_id, "accepted", True),
        ]
        assert not {"event", "application_id"} & columns

        upgrade()
        count = db.session.scalar(sa.select(sa.func.count(Notification.id)))
        assert count == 4, "a second upgrade pairs the updates with their notifications"
        db.session.remove()
        db.engine.dispose()


def test_decision_messages_move_into_the_history_and_back(tmp_path, empty_database):
    """0016 keeps each decision's message as an entry of the application's history, of
    the kind of the decision; downgrading puts the latest back into the column."""
    from diaspora.models import Application, ApplicationStatus, ProjectStatus, Role, User
    from tests.factories import make_institution, make_project

    app = create_app(_base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade()
        rep = User(name="Rep", email="rep@aau.example", role=Role.INSTITUTION, password_hash="-")
        members = [
            User(name=f"M{n}", email=f"m{n}@example.org", role=Role.MEMBER, password_hash="-")
            for n in range(3)
        ]
        db.session.add_all([rep, *members])
        db.session.commit()
        project = make_project(make_institution(rep), status=ProjectStatus.PUBLISHED)
        statuses = [
            ApplicationStatus.ACCEPTED,
            ApplicationStatus.WITHDRAWN,
            ApplicationStatus.APPLIED,
        ]
        rows = [
            Application(project_id=project.id, member_id=m.id, status=s)
            for m, s in zip(members, statuses, strict=True)
        ]
        db.session.add_all(rows)
        db.session.commit()
        ids, rep_id = [a.id for a in rows], rep.id
        db.session.remove()

        downgrade(revision="0014")
        decided = datetime(2026, 11, 3, 10, 0)
        applications_0014 = sa.table(
            "applications",
            sa.column("id", sa.Integer()),
            sa.column("decision_message", sa.Text()),
            sa.column("decided_by_id", sa.Integer()),
            sa.column("decided_at", sa.DateTime()),
        )
        with db.engine.begin() as conn:
            for application_id, message in zip(
                ids, ["Welcome aboard.", "We would like to talk.", ""], strict=True
            ):
                conn.execute(
                    applications_0014.update()
                    .where(applications_0014.c.id == application_id)
                    .values(decision_message=message, decided_by_id=rep_id, decided_at=decided)
                )

        upgrade()
        history = sa.text(
            "SELECT application_id, author_id, from_institution, kind, body, created_at "
            "FROM application_messages ORDER BY application_id"
        )
        with db.engine.connect() as conn:
            entries = [tuple(row) for row in conn.execute(history)]
            columns = {c["name"] for c in sa.inspect(conn).get_columns("applications")}
        assert [(e[0], e[1], bool(e[2]), e[3], e[4]) for e in entries] == [
            (ids[0], rep_id, True, "accepted", "Welcome aboard."),
            (ids[1], rep_id, True, "shortlisted", "We would like to talk."),
        ]
        assert all(str(e[5]).startswith("2026-11-03 10:00") for e in entries)
        assert "decision_message" not in columns

        downgrade(revision="0014")
        with db.engine.connect() as conn:
            back = dict(
                conn.execute(sa.text("SELECT id, decision_message FROM applications")).all()
            )
            left = conn.execute(sa.text("SELECT count(*) FROM application_messages")).scalar()
        assert back == {ids[0]: "Welcome aboard.", ids[1]: "We would like to talk.", ids[2]: ""}
        assert left == 0
        upgrade()
        db.engine.dispose()


def test_engagements_completed_before_0017_stay_counted(tmp_path, empty_database):
    """0017 treats an engagement completed under the one-click rule as confirmed by both
    sides: it keeps counting on the institution's public record."""
    from diaspora.models import Application, ApplicationStatus, ProjectStatus, Role, User
    from diaspora.services import application_stats
    from tests.factories import make_institution, make_project

    app = create_app(_base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade()
        rep = User(name="Rep", email="rep@aau.example", role=Role.INSTITUTION, password_hash="-")
        member = User(name="Member", email="m@example.org", role=Role.MEMBER, password_hash="-")
        db.session.add_all([rep, member])
        db.session.commit()
        institution = make_institution(rep)
        project = make_project(institution, status=ProjectStatus.PUBLISHED)
        done, waiting = (
            Application(project_id=project.id, member_id=member.id),
            Application(
                project_id=make_project(
                    institution, status=ProjectStatus.PUBLISHED, title="Second"
                ).id,
                member_id=member.id,
            ),
        )
        db.session.add_all([done, waiting])
        db.session.commit()
        institution_id, done_id, waiting_id = institution.id, done.id, waiting.id
        db.session.remove()

        downgrade(revision="0014")
        applications = sa.table(
            "applications",
            sa.column("id", sa.Integer()),
            sa.column("status", sa.String()),
            sa.column("completed_at", sa.DateTime()),
        )
        completed = datetime(2026, 6, 1, 12, 0)
        with db.engine.begin() as conn:
            conn.execute(
                applications.update()
                .where(applications.c.id == done_id)
                .values(status="completed", completed_at=completed)
            )

        upgrade()
        done = db.session.get(Application, done_id)
        assert done.status == ApplicationStatus.COMPLETED
        assert done.member_completed_at.replace(tzinfo=None) == completed
        assert done.institution_completed_at.replace(tzinfo=None) == completed
        assert done.completion_confirmed()
        assert db.session.get(Application, waiting_id).member_completed_at is None
        assert application_stats.completed_for_institution(institution_id) == 1
        db.session.remove()

        downgrade(revision="0014")
        with db.engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("applications")}
            status = conn.execute(
                sa.select(applications.c.status).where(applications.c.id == done_id)
            ).scalar()
        assert not {"member_completed_at", "completion_disputed_at"} & columns
        assert status == "completed"
        db.engine.dispose()
