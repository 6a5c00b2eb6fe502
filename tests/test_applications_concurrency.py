"""Simultaneous requests: one application per member and project, never over the places.

Each thread works in its own app context, so its own session and database connection,
as concurrent web requests do. The same tests run on PostgreSQL when TEST_DATABASE_URL is set.
"""

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from diaspora.extensions import db as _db
from diaspora.models import (
    Application,
    ApplicationStatus,
    Notification,
    Project,
    ProjectStatus,
    Role,
    User,
)
from diaspora.services import applications as service
from diaspora.services import retry
from diaspora.services.applications import Engagement
from diaspora.services.errors import Conflict, ServiceError
from tests.conftest import PG_URL, login
from tests.factories import MOTIVATION, make_institution, make_project, with_profile

S = ApplicationStatus


def run_together(app, count, work):
    """Run ``work(index)`` in ``count`` threads released at the same moment."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def target(index):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = work(index)
            except (ServiceError, OperationalError) as exc:
                _db.session.rollback()
                outcomes[index] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def setting(db, make_user):
    rep = make_user(role=Role.INSTITUTION)
    institution = make_institution(rep)
    return rep, institution


def test_simultaneous_duplicate_applications_make_one_row(app, db, make_user, setting):
    _, institution = setting
    project = make_project(institution, status=ProjectStatus.PUBLISHED)
    member = with_profile(make_user())
    member_id, project_id = member.id, project.id

    def work(_):
        who = _db.session.get(User, member_id)
        where = _db.session.get(Project, project_id)
        application, created = service.apply(who, where, MOTIVATION, Engagement())
        _db.session.commit()
        return application.id, created

    outcomes = run_together(app, 6, work)
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Application)).all()
    assert len(rows) == 1
    assert all(outcome == (rows[0].id, outcome[1]) for outcome in outcomes)
    assert sum(1 for _, created in outcomes if created) == 1


def test_simultaneous_acceptances_never_exceed_the_places(app, db, make_user, setting):
    rep, institution = setting
    project = make_project(institution, status=ProjectStatus.PUBLISHED, places=2)
    ids = []
    for _ in range(8):
        application, _ = service.apply(with_profile(make_user()), project, MOTIVATION, Engagement())
        db.session.commit()
        ids.append(application.id)
    rep_id = rep.id

    def work(index):
        application = _db.session.get(Application, ids[index])
        service.decide(_db.session.get(User, rep_id), application, "accept")
        _db.session.commit()
        return "accepted"

    outcomes = run_together(app, len(ids), work)
    db.session.expire_all()
    project = db.session.get(Project, project.id)
    accepted = db.session.scalar(
        sa.select(sa.func.count(Application.id)).where(
            Application.project_id == project.id,
            Application.status == ApplicationStatus.ACCEPTED,
        )
    )
    assert project.places_filled == 2
    assert accepted == 2
    assert outcomes.count("accepted") == 2
    assert project.status.value == "closed"


# --------------------------------------------------------------------------- over HTTP

needs_postgres = pytest.mark.skipif(
    not PG_URL, reason="row locks and deadlock detection need PostgreSQL (TEST_DATABASE_URL)"
)

APPLICANTS = 20
PLACES = 3
ROUNDS = 5
SUCCESS = (
    "Your answer is recorded and the applicant is told.",
    "Your application is withdrawn.",
)
LAST_PLACE = "All places are now filled and the project is closed."


def succeeded(message: str) -> bool:
    """The success message; the answer that took the last place says so after it."""
    return message in SUCCESS or (message.startswith(SUCCESS[0]) and LAST_PLACE in message)


def took_the_last_place(results) -> int:
    return sum(1 for _, flashed in results if LAST_PLACE in flashed[0])


REFUSED = (
    "All places on this project are already filled.",
    "Someone else has just answered this application. Reload.",
    "This application is already ",
    "Only an application waiting for a decision can be withdrawn.",
)


def post_together(app, calls):
    """POST ``calls`` (client, path, data) from one thread each, released at one moment;
    return (status, flashed messages) per call. Each thread's request gets its own app
    context, so its own session and connection, as with concurrent web requests."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def target(index):
        client, path, data = calls[index]
        barrier.wait()
        try:
            response = client.post(path, data=data)
        except Exception as exc:  # noqa: BLE001 (the testing app propagates what a 500 is)
            results[index] = (500, [repr(exc)])
            return
        with client.session_transaction() as session:
            flashed = [message for _, message in session.pop("_flashes", [])]
        results[index] = (response.status_code, flashed)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return results


def signed_in(app, user):
    client = app.test_client()
    response = login(client, user.email)
    assert response.status_code == 302
    return client


@pytest.fixture
def applicants(db, make_user):
    return [with_profile(make_user()) for _ in range(APPLICANTS)]


def open_round(project_title, institution, members, places=PLACES):
    project = make_project(
        institution, status=ProjectStatus.PUBLISHED, title=project_title, places=places
    )
    ids = []
    for member in members:
        application, _ = service.apply(member, project, MOTIVATION, Engagement())
        ids.append(application.id)
    _db.session.commit()
    return project.id, ids


def assert_clear(results):
    """Every answer is the success message or a clear refusal: never an error page."""
    for status, flashed in results:
        assert status == 302, (status, flashed)
        assert len(flashed) == 1, flashed
        assert succeeded(flashed[0]) or flashed[0].startswith(REFUSED), flashed


def updates_by_member(project_id):
    """(member id, kind) of every dashboard update members got about the project's
    answers (the receipt each got on applying, before the race, is left out)."""
    return _db.session.execute(
        sa.select(Application.member_id, Notification.event)
        .join(Notification, Notification.application_id == Application.id)
        .where(
            Application.project_id == project_id,
            Notification.user_id == Application.member_id,
            Notification.event != "application_received",
        )
    ).all()


def statuses(project_id):
    return dict(
        _db.session.execute(
            sa.select(Application.id, Application.status).where(
                Application.project_id == project_id
            )
        ).all()
    )


@needs_postgres
def test_simultaneous_acceptances_over_http_fill_the_places_without_errors(
    app, db, setting, applicants
):
    rep, institution = setting
    reps = [signed_in(app, rep) for _ in range(APPLICANTS)]
    for round_ in range(ROUNDS):
        project_id, ids = open_round(f"Round {round_}", institution, applicants)
        results = post_together(
            app,
            [
                (client, f"/applications/{aid}/decide", {"decision": "accept"})
                for client, aid in zip(reps, ids, strict=True)
            ],
        )
        assert_clear(results)
        db.session.expire_all()
        project = db.session.get(Project, project_id)
        assert project.places_filled == PLACES
        assert project.status == ProjectStatus.CLOSED
        final = statuses(project_id)
        assert sorted(final.values()).count(S.ACCEPTED) == PLACES
        assert sum(1 for s in final.values() if s == S.CLOSED) == APPLICANTS - PLACES
        accepted_answers = sum(1 for _, flashed in results if succeeded(flashed[0]))
        assert accepted_answers == PLACES
        assert took_the_last_place(results) == 1
        told = updates_by_member(project_id)
        assert len(told) == APPLICANTS, told
        assert len({member for member, _ in told}) == APPLICANTS
        assert {kind for _, kind in told} == {"accepted", "closed"}
        notes = db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id.in_([m.id for m in applicants]),
                Notification.message.contains(f"Round {round_}"),
                Notification.event != "application_received",
            )
        )
        assert notes == APPLICANTS


@needs_postgres
def test_accepts_declines_and_withdrawals_racing_each_get_one_outcome(app, db, setting, applicants):
    rep, institution = setting
    reps = [signed_in(app, rep) for _ in range(APPLICANTS)]
    members = [signed_in(app, member) for member in applicants]
    for round_ in range(ROUNDS):
        project_id, ids = open_round(f"Mixed {round_}", institution, applicants)
        calls = []
        for index, aid in enumerate(ids):
            kind = index % 4
            if kind == 3:
                calls.append((members[index], f"/applications/{aid}/withdraw", {}))
            else:
                decision = "decline" if kind == 2 else "accept"
                calls.append((reps[index], f"/applications/{aid}/decide", {"decision": decision}))
        results = post_together(app, calls)
        assert_clear(results)
        db.session.expire_all()
        project = db.session.get(Project, project_id)
        final = statuses(project_id)
        accepted = sum(1 for s in final.values() if s == S.ACCEPTED)
        assert accepted == project.places_filled == PLACES
        assert project.status == ProjectStatus.CLOSED
        assert took_the_last_place(results) == 1
        for index, aid in enumerate(ids):
            wanted = {3: S.WITHDRAWN, 2: S.DECLINED}.get(index % 4, S.ACCEPTED)
            answered = succeeded(results[index][1][0])
            assert final[aid] == (wanted if answered else S.CLOSED), (index, results[index])
        told = updates_by_member(project_id)
        withdrawn = {aid for aid, s in final.items() if s == S.WITHDRAWN}
        assert len(told) == APPLICANTS - len(withdrawn), told
        assert len({member for member, _ in told}) == len(told)


# --------------------------------------------------------------------------- retried transactions


def crossed_locks(app, project_ids, member_id, attempts):
    """Two workers lock the two projects in opposite orders, both holding their first lock
    before taking the second: PostgreSQL ends one of them as a deadlock. Each writes a
    notification before the crossing, as an outcome would. Returns (outcomes, calls)."""
    barrier = threading.Barrier(2, timeout=30)
    calls = [0, 0]
    outcomes = [None, None]

    def lock(project_id):
        _db.session.execute(
            sa.select(Project.id).where(Project.id == project_id).with_for_update()
        ).one()

    def worker(index):
        first, second = project_ids if index == 0 else project_ids[::-1]

        def work():
            calls[index] += 1
            lock(first)
            note = Notification(user_id=member_id, kind="team", message=f"outcome {index}")
            _db.session.add(note)
            _db.session.flush()
            if calls[index] == 1:
                barrier.wait()
            lock(second)
            return index

        with app.app_context():
            try:
                outcomes[index] = retry.transaction(work, attempts=attempts)
            except OperationalError as exc:
                outcomes[index] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes, calls


def outcome_messages():
    _db.session.expire_all()
    return sorted(_db.session.scalars(sa.select(Notification.message)).all())


@needs_postgres
def test_a_transaction_that_loses_a_deadlock_is_run_again_and_writes_once(
    app, db, setting, make_user
):
    _, institution = setting
    ids = (
        make_project(institution, status=ProjectStatus.PUBLISHED, title="A").id,
        make_project(institution, status=ProjectStatus.PUBLISHED, title="B").id,
    )
    member_id = make_user().id
    outcomes, calls = crossed_locks(app, ids, member_id, attempts=retry.ATTEMPTS)
    assert outcomes == [0, 1]
    assert sorted(calls) == [1, 2]  # the loser ran once more, from the start
    assert outcome_messages() == ["outcome 0", "outcome 1"]


@needs_postgres
def test_the_last_lost_attempt_is_raised_and_leaves_nothing(app, db, setting, make_user):
    _, institution = setting
    ids = (
        make_project(institution, status=ProjectStatus.PUBLISHED, title="A").id,
        make_project(institution, status=ProjectStatus.PUBLISHED, title="B").id,
    )
    member_id = make_user().id
    outcomes, calls = crossed_locks(app, ids, member_id, attempts=1)
    (lost,) = [o for o in outcomes if isinstance(o, OperationalError)]
    assert lost.orig.sqlstate == "40P01" and retry.is_retryable(lost)
    (won,) = [o for o in outcomes if not isinstance(o, OperationalError)]
    assert calls == [1, 1]
    assert outcome_messages() == [f"outcome {won}"]


def test_a_refusal_is_rolled_back_at_once_not_retried(db, make_user):
    member_id = make_user().id
    calls = []

    def work():
        calls.append(1)
        _db.session.add(Notification(user_id=member_id, kind="team", message="refused"))
        _db.session.flush()
        raise Conflict("This application is already accepted.")

    with pytest.raises(Conflict):
        retry.transaction(work)
    assert calls == [1]
    assert outcome_messages() == []
