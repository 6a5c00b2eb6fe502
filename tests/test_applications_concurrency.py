"""Simultaneous requests: one application per member and project, never over the places.

Each thread works in its own app context, so its own session and database connection,
as concurrent web requests do. The same tests run on PostgreSQL when TEST_DATABASE_URL is set.
"""

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from diaspora.extensions import db as _db
from diaspora.models import Application, ApplicationStatus, Project, Role, User
from diaspora.services import applications as service
from diaspora.services.applications import ApplicationError, Engagement
from tests.factories import MOTIVATION, make_institution, make_project, with_profile


def run_together(app, count, work):
    """Run ``work(index)`` in ``count`` threads released at the same moment."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def target(index):
        with app.app_context():
            barrier.wait()
            try:
                outcomes[index] = work(index)
            except (ApplicationError, OperationalError) as exc:
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
    project = make_project(institution)
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
    project = make_project(institution, places=2)
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
