"""The request boundary: a service's refusal becomes the page or the flash of its kind, with
nothing half-written left behind, and a transaction that loses a race runs again.

The views here are made for the test on the real app: each writes a row and then refuses
(or fails) the way a service would, so what is checked is the boundary, not one workflow.
"""

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import url_for

from diaspora.extensions import db as _db
from diaspora.main import errors
from diaspora.main.unit_of_work import unit_of_work
from diaspora.models import (
    Application,
    DigestRun,
    Frequency,
    Institution,
    Notification,
    OutboxMessage,
    ProjectStatus,
    Role,
    SearchChange,
)
from diaspora.models.base import utcnow
from diaspora.services import applications as application_service
from diaspora.services import notifications, retry
from diaspora.services.applications import Engagement
from diaspora.services.errors import Conflict, Invalid, NotAllowed, NotFound
from diaspora.services.indexing import indexer
from tests.conftest import login
from tests.factories import MOTIVATION, make_institution, make_project, with_profile

KINDS = {"not-allowed": NotAllowed, "not-found": NotFound, "conflict": Conflict, "invalid": Invalid}
STATUS = {"not-allowed": 403, "not-found": 404, "conflict": 409, "invalid": 400}
REASON = "The reason, in words for people."
SHOWN_ON_THE_PAGE = ("conflict", "invalid")


def _note(user_id, text="half-written"):
    _db.session.add(Notification(user_id=user_id, kind="team", message=text))
    _db.session.flush()


def notes():
    _db.session.rollback()
    return _db.session.scalar(sa.select(sa.func.count(Notification.id)))


def flashes(client):
    with client.session_transaction() as session:
        return session.pop("_flashes", [])


@pytest.fixture
def owner_id(db, make_user):
    return make_user().id


@pytest.fixture
def views(app_config, app, owner_id):
    """Add the test's views; they must exist before the app answers its first request (so
    the test takes an app of its own: ``app_config``)."""
    attempts = []

    def refuse(kind):
        def work():
            _note(owner_id)
            raise KINDS[kind](REASON)

        unit_of_work(work, back=url_for("main.about"))
        return "not reached"

    def refuse_silently(kind):
        def work():
            _note(owner_id)
            raise KINDS[kind]

        unit_of_work(work, back=url_for("main.about"))
        return "not reached"

    def refuse_back_elsewhere():
        def work():
            raise Invalid(REASON)

        unit_of_work(work, back="https://elsewhere.example/")
        return "not reached"

    def refuse_without_back():
        def work():
            raise Conflict(REASON)

        unit_of_work(work)
        return "not reached"

    def lose_races(times):
        def work():
            attempts.append(1)
            _note(owner_id, f"attempt {len(attempts)}")
            if len(attempts) <= times:
                raise sa.exc.OperationalError(
                    "INSERT", {}, sqlite3.OperationalError("database is locked")
                )
            return "done"

        return unit_of_work(work)

    app.add_url_rule("/test/refuse/<kind>", "refuse", refuse, methods=["GET", "POST"])
    app.add_url_rule("/test/silent/<kind>", "silent", refuse_silently, methods=["GET", "POST"])
    app.add_url_rule("/test/elsewhere", "elsewhere", refuse_back_elsewhere, methods=["POST"])
    app.add_url_rule("/test/no-back", "no_back", refuse_without_back, methods=["POST"])
    app.add_url_rule("/test/race/<int:times>", "race", lose_races, methods=["POST"])
    return attempts


@pytest.mark.parametrize("kind", KINDS)
def test_a_refusal_on_a_get_is_the_page_of_its_kind_and_writes_nothing(views, client, kind):
    response = client.get(f"/test/refuse/{kind}")
    assert response.status_code == STATUS[kind]
    assert REASON in response.get_data(as_text=True)
    assert 'class="site-header"' in response.get_data(as_text=True)
    assert notes() == 0
    assert flashes(client) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_refused_form_goes_back_with_the_message_or_is_the_page(views, client, kind):
    response = client.post(f"/test/refuse/{kind}")
    if kind in SHOWN_ON_THE_PAGE:
        assert response.status_code == 302
        assert response.headers["Location"] == "/about"
        assert flashes(client) == [("error", REASON)]
    else:  # who may not do it, or where there is nothing, has no form to go back to
        assert response.status_code == STATUS[kind]
        assert REASON in response.get_data(as_text=True)
        assert flashes(client) == []
    assert notes() == 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_refusal_without_words_says_what_its_kind_means(views, client, kind):
    page = client.get(f"/test/silent/{kind}")
    assert page.status_code == STATUS[kind]
    general = {
        "not-allowed": "You do not have permission to do this.",
        "not-found": "There is nothing at this address.",
        "conflict": "That change conflicts with the current data.",
        "invalid": "The request could not be understood.",
    }[kind]
    assert general in page.get_data(as_text=True)
    if kind in SHOWN_ON_THE_PAGE:
        client.post(f"/test/silent/{kind}")
        ((category, message),) = flashes(client)
        assert category == "error" and message.startswith(general)
    assert notes() == 0


def test_a_refusal_asked_for_as_json_answers_json(views, client):
    response = client.get("/test/refuse/conflict", headers={"Accept": "application/json"})
    assert response.status_code == 409
    assert response.json == {"error": "Conflict", "message": REASON}


def test_a_refusal_never_redirects_off_the_site(views, client):
    response = client.post("/test/elsewhere")
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert REASON in response.get_data(as_text=True)


def test_a_refused_form_whose_view_names_no_page_is_the_page(views, client):
    response = client.post("/test/no-back")
    assert response.status_code == 409
    assert REASON in response.get_data(as_text=True)
    assert flashes(client) == []


def test_the_page_a_form_came_from_is_forgotten_between_requests(views, client):
    client.post("/test/refuse/invalid")  # names /about as its page
    flashes(client)
    response = client.post("/test/no-back")
    assert response.status_code == 409  # not sent back to the previous request's page


def test_a_lost_race_is_run_again_and_written_once(views, client):
    response = client.post("/test/race/1")
    assert response.status_code == 200 and response.get_data(as_text=True) == "done"
    assert len(views) == 2
    assert _db.session.scalars(sa.select(Notification.message)).all() == ["attempt 2"]


def test_a_race_lost_every_time_is_the_busy_page_and_writes_nothing(views, client, monkeypatch):
    monkeypatch.setattr(retry, "backoff", lambda attempt: 0)
    monkeypatch.setattr(errors, "outages", errors.OutageLog())
    response = client.post(f"/test/race/{retry.ATTEMPTS}")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert "The site is busy; try again in a moment" in response.get_data(as_text=True)
    assert len(views) == retry.ATTEMPTS
    assert notes() == 0


# --------------------------------------------------------------------------- real views


def test_a_conflict_on_a_form_is_shown_with_the_form(client, db, make_user):
    """An unconfirmed representative registering an institution: the form comes back with
    the reason, and nothing is registered."""
    rep = make_user(role=Role.INSTITUTION, confirmed=False)
    login(client, rep.email)
    response = client.post(
        "/institutions/new",
        data={"name": "University of Rwanda", "kind": "university", "country": "RW"},
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Confirm your email address before registering an institution." in page
    assert 'value="University of Rwanda"' in page  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count(Institution.id))) == 0


def test_an_invalid_value_on_a_form_is_shown_on_its_field(client, db, make_user):
    user = make_user()
    login(client, user.email)
    response = client.post(
        "/account/password",
        data={"current_password": "not the password", "password": "x" * 20, "confirm": "x" * 20},
    )
    assert response.status_code == 400
    assert "Your current password is not correct." in response.get_data(as_text=True)


# --------------------------------------------------------------------------- commands commit

TUESDAY = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def _daily_reader(make_user, email):
    user = make_user(email=email)
    notifications.set_preference(user, "message", Frequency.DAILY)
    notifications.notify(user, "message", "New message about Hydrology survey.", "/notifications/")
    return user


def _runs():
    _db.session.rollback()
    return dict(_db.session.execute(sa.select(DigestRun.user_id, DigestRun.period)).all())


def test_digests_are_committed_by_their_command_not_by_the_service(db, make_user, runner):
    user = _daily_reader(make_user, "keen@example.org")
    db.session.commit()
    assert notifications.send_digests(now=TUESDAY) == 1
    assert _runs() == {}  # the service left the commit to its caller
    result = runner.invoke(args=["notify", "digests"])
    assert "Queued 1 digest(s)." in result.output
    assert list(_runs()) == [user.id]


def test_a_digest_another_run_wrote_meanwhile_is_skipped_and_the_others_are_kept(
    db, make_user, monkeypatch
):
    """Two runs at once: the other run writes one person's digest after this run looked
    and before it writes; that person is skipped, and nobody else's digest is lost."""
    people = [_daily_reader(make_user, f"reader{n}@example.org") for n in range(3)]
    db.session.commit()
    period = notifications.period_key(Frequency.DAILY, TUESDAY)
    raced = []

    def other_run(user, frequency, since):
        if not raced:
            raced.append(user.id)
            with db.engine.begin() as conn:
                conn.execute(
                    sa.insert(DigestRun).values(
                        user_id=user.id, frequency=frequency, period=period, items=1
                    )
                )
        return []

    monkeypatch.setattr(notifications, "_extra_sources", [other_run])
    assert notifications.send_digests(now=TUESDAY) == len(people) - 1
    db.session.commit()
    assert set(_runs()) == {p.id for p in people}
    queued = db.session.scalars(
        sa.select(OutboxMessage.recipient).where(OutboxMessage.template == "digest")
    ).all()
    (skipped,) = [p.email for p in people if p.id == raced[0]]
    assert sorted(queued) == sorted(p.email for p in people if p.email != skipped)


@pytest.mark.search_index
def test_the_search_prune_is_committed_by_its_command(app, db, make_user, runner):
    make_project(make_institution(make_user(role=Role.INSTITUTION)), status=ProjectStatus.PUBLISHED)
    assert runner.invoke(args=["search", "apply"]).exit_code == 0
    db.session.execute(sa.update(SearchChange).values(created_at=utcnow() - timedelta(days=40)))
    db.session.commit()
    changes = sa.select(sa.func.count()).select_from(SearchChange)
    before = db.session.scalar(changes)
    assert before > 0
    assert indexer.prune(30) == before - 1  # the newest row stays
    db.session.rollback()
    assert db.session.scalar(changes) == before  # the service left the commit to its caller
    assert "Pruned" in runner.invoke(args=["search", "prune", "--days", "30"]).output
    db.session.rollback()
    assert db.session.scalar(changes) == 1


def test_a_savepoint_written_first_goes_with_the_rollback(db, make_user):
    """``begin_nested()`` as the first write of a unit of work (applying, adding a label)
    stays inside the transaction: on SQLite too, its rows go when the unit rolls back."""
    owner_id = make_user().id
    with db.session.begin_nested():
        db.session.add(Notification(user_id=owner_id, kind="team", message="in a savepoint"))
    db.session.rollback()
    assert notes() == 0


def test_an_application_is_not_half_written_when_its_unit_of_work_fails(db, make_user):
    """The application row (written in a savepoint) and its notices stand or fall together."""
    rep = make_user(role=Role.INSTITUTION)
    project = make_project(make_institution(rep), status=ProjectStatus.PUBLISHED)
    member = with_profile(make_user())

    def work():
        application_service.apply(member, project, MOTIVATION, Engagement())
        raise OSError("the disk is full")

    with pytest.raises(OSError):
        retry.transaction(work)
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0
