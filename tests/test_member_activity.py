"""Member activity: one row per person and month, recorded on sign-in, applying and writing
in an application's thread, safely when two requests race."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from diaspora.models import Application, ApplicationMessage, MemberActivity, ProjectStatus, Role
from diaspora.models.activity import month_of, record_activity
from diaspora.services import accounts, deletion, export
from diaspora.services import applications as service
from diaspora.services.applications import Engagement
from tests.conftest import PASSWORD
from tests.factories import MOTIVATION, make_institution, make_project, with_profile
from tests.test_migrations import empty_database  # noqa: F401 (a fixture)


def months_of(db, user):
    return db.session.scalars(
        sa.select(MemberActivity.month)
        .where(MemberActivity.user_id == user.id)
        .order_by(MemberActivity.month)
    ).all()


@pytest.fixture
def member(make_user):
    return with_profile(make_user(name="Hiwot Tesfaye", email="hiwot@example.org"))


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, name="Rep Alemu", email="rep@aau.example")


@pytest.fixture
def project(rep):
    return make_project(make_institution(rep), status=ProjectStatus.PUBLISHED)


def at(*args):
    return datetime(*args, tzinfo=UTC)


def this_month():
    return month_of(datetime.now(UTC))


def test_month_of_is_the_first_day_of_the_month():
    assert month_of(datetime(2026, 3, 31, 23, 59, tzinfo=UTC)) == date(2026, 3, 1)
    assert month_of(date(2026, 12, 1)) == date(2026, 12, 1)


def test_signing_in_records_the_month_once(db, member):
    assert accounts.authenticate(member.email, PASSWORD) is member
    db.session.commit()
    assert accounts.authenticate(member.email, PASSWORD) is member
    db.session.commit()
    assert months_of(db, member) == [this_month()]


def test_a_failed_sign_in_records_nothing(db, member):
    assert accounts.authenticate(member.email, "not the password") is None
    db.session.commit()
    assert months_of(db, member) == []


def test_signing_in_through_the_form_records_the_month(client, db, member):
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 302
    assert months_of(db, member) == [this_month()]


def test_applying_and_writing_record_both_sides(db, member, rep, project):
    application, created = service.apply(member, project, MOTIVATION, Engagement())
    db.session.commit()
    assert created
    assert months_of(db, member) == [this_month()]
    assert months_of(db, rep) == []
    service.post_message(rep, application, "Could you start in May?")
    service.post_message(member, application, "Yes, in May.")
    db.session.commit()
    assert months_of(db, rep) == [this_month()]
    assert months_of(db, member) == [this_month()]


def test_two_inserts_for_the_same_month_leave_one_row(db, member):
    record_activity(member.id, datetime(2026, 5, 2, 8, 0, tzinfo=UTC))
    record_activity(member.id, datetime(2026, 5, 30, 22, 0, tzinfo=UTC))
    record_activity(member.id, datetime(2026, 6, 1, 0, 0, tzinfo=UTC))
    db.session.commit()
    assert months_of(db, member) == [date(2026, 5, 1), date(2026, 6, 1)]


def test_a_concurrent_insert_of_the_same_month_does_not_fail(app, db, member):
    # Another connection records the same month first, as a simultaneous request would.
    with db.engine.begin() as other:
        other.execute(sa.insert(MemberActivity).values(user_id=member.id, month=date(2026, 7, 1)))
    record_activity(member.id, datetime(2026, 7, 15, tzinfo=UTC))
    db.session.commit()
    assert months_of(db, member) == [date(2026, 7, 1)]


def test_activity_is_in_the_export_and_goes_with_the_account(db, member):
    record_activity(member.id, datetime(2026, 2, 3, tzinfo=UTC))
    db.session.commit()
    assert export.export_user_data(member)["months_active"] == ["2026-02"]
    deletion.delete_account(member, PASSWORD)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(MemberActivity.id))) == 0


def test_0018_backfills_the_month_of_the_last_sign_in(tmp_path, empty_database):  # noqa: F811
    """Upgrading to 0018 records the months the data shows activity in: each account's last
    sign-in, the applications made and the messages written."""
    from flask_migrate import downgrade, upgrade

    from diaspora import create_app
    from diaspora.extensions import db as database
    from tests.conftest import _base_config

    users = sa.table(
        "users",
        sa.column("id", sa.Integer()),
        sa.column("name", sa.String()),
        sa.column("email", sa.String()),
        sa.column("password_hash", sa.String()),
        sa.column("role", sa.String()),
        sa.column("session_token", sa.String()),
        sa.column("created_at", sa.DateTime()),
        sa.column("password_changed_at", sa.DateTime()),
        sa.column("email_failures", sa.Integer()),
        sa.column("last_login_at", sa.DateTime()),
    )
    app = create_app(_base_config(tmp_path, empty_database))
    with app.app_context():
        upgrade(revision="0017")
        moment = datetime(2026, 4, 30, 23, 30)
        with database.engine.begin() as conn:
            for number, last_login_at in ((1, moment), (2, None)):
                conn.execute(
                    users.insert().values(
                        id=number,
                        name=f"Person {number}",
                        email=f"p{number}@example.org",
                        password_hash="-",
                        role="member",
                        session_token=f"token-{number}",
                        created_at=moment,
                        password_changed_at=moment,
                        email_failures=0,
                        last_login_at=last_login_at,
                    )
                )
        # Today's model writes a column a later migration (0022) adds: lend it for the insert.
        later = sa.text("ALTER TABLE projects ADD COLUMN written_in VARCHAR(8) DEFAULT 'en'")
        with database.engine.begin() as conn:
            conn.execute(later)
        project = make_project(make_institution(), status=ProjectStatus.PUBLISHED)
        application = Application(
            project_id=project.id, member_id=2, created_at=at(2026, 6, 3), motivation="-"
        )
        database.session.add(application)
        database.session.flush()
        database.session.add_all(
            [
                ApplicationMessage(
                    application_id=application.id, author_id=2, created_at=at(2026, 6, 30)
                ),
                ApplicationMessage(
                    application_id=application.id, author_id=2, created_at=at(2026, 7, 1)
                ),
            ]
        )
        database.session.commit()
        database.session.remove()
        with database.engine.begin() as conn:
            conn.execute(sa.text("ALTER TABLE projects DROP COLUMN written_in"))
        upgrade()
        rows = database.session.execute(
            sa.select(MemberActivity.user_id, MemberActivity.month).order_by(
                MemberActivity.user_id, MemberActivity.month
            )
        ).all()
        assert [tuple(row) for row in rows] == [
            (1, date(2026, 4, 1)),
            (2, date(2026, 6, 1)),
            (2, date(2026, 7, 1)),
        ]
        database.session.remove()
        downgrade(revision="0017")
        with database.engine.connect() as conn:
            assert "member_activity" not in sa.inspect(conn).get_table_names()
        database.engine.dispose()
