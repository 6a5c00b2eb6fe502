"""Completing an engagement: only once it has started, after a confirmation page, and
with both sides (or one side and a dispute period that passes). Only confirmed engagements
count publicly."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from diaspora.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    Notification,
    OutboxMessage,
    ProjectStatus,
    Role,
)
from diaspora.models.application import DISPUTE_PERIOD
from diaspora.models.base import utcnow
from diaspora.services import application_stats
from diaspora.services import applications as service
from diaspora.services.applications import Engagement
from diaspora.services.errors import Conflict, Invalid, NotAllowed
from tests.factories import MOTIVATION, make_institution, make_project, sign_in, with_profile

S = ApplicationStatus


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, name="Rep Alemu", email="rep@aau.example")


@pytest.fixture
def institution(rep):
    return make_institution(rep)


@pytest.fixture
def project(institution):
    return make_project(institution, status=ProjectStatus.PUBLISHED, places=3)


@pytest.fixture
def member(make_user):
    return with_profile(make_user(name="Hiwot Tesfaye", email="hiwot@example.org"))


def accepted(db, member, project, rep, started=True, **engagement):
    """An accepted application; ``started`` puts its start (a week after acceptance) past."""
    application, _ = service.apply(member, project, MOTIVATION, Engagement(**engagement))
    service.decide(rep, application, "accept")
    if started:
        application.decided_at = utcnow() - timedelta(days=8)
    db.session.commit()
    return application


def events_of(db, user):
    return db.session.scalars(
        sa.select(Notification.event)
        .where(Notification.user_id == user.id)
        .order_by(Notification.id)
    ).all()


def counted(institution, member):
    return (
        application_stats.completed_for_institution(institution.id),
        application_stats.completed_for_member(member.id),
    )


# --------------------------------------------------------------------------- when


def test_not_before_the_member_proposed_start(db, member, project, rep):
    application = accepted(db, member, project, rep, available_from=date.today() + timedelta(3))
    with pytest.raises(Conflict, match="once it has started"):
        service.complete(member, application)
    with pytest.raises(Conflict, match="once it has started"):
        service.complete(rep, application)
    assert application.status == S.ACCEPTED
    application.available_from = date.today()
    assert service.complete(member, application) == "mark"


def test_not_before_the_projects_start_date(db, member, project, rep):
    project.start_date = date.today() + timedelta(days=30)
    application = accepted(db, member, project, rep)
    assert application.engagement_starts == project.start_date
    with pytest.raises(Conflict, match="starts on"):
        service.complete(rep, application)
    assert application.member_completed_at is None and application.completed_at is None


def test_a_past_availability_starts_nothing_before_the_project_or_the_acceptance(
    db, member, project, rep
):
    """A member available "since last year" does not make a project that starts next month,
    nor one accepted today, already started."""
    project.start_date = date.today() + timedelta(days=30)
    application = accepted(
        db, member, project, rep, started=False, available_from=date.today() - timedelta(400)
    )
    assert application.engagement_starts == project.start_date
    with pytest.raises(Conflict, match="starts on"):
        service.complete(member, application)
    project.start_date = date.today() - timedelta(days=90)
    application.decided_at = utcnow() + timedelta(days=2)
    assert application.engagement_starts == application.decided_at.date()


def test_an_availability_that_has_already_ended_is_refused(db, member, project):
    with pytest.raises(Invalid, match="already passed"):
        service.apply(
            member,
            project,
            MOTIVATION,
            Engagement(
                available_from=date.today() - timedelta(days=400),
                available_until=date.today() - timedelta(days=30),
            ),
        )


def test_without_any_date_a_week_after_acceptance(db, member, project, rep):
    application = accepted(db, member, project, rep, started=False)
    assert application.engagement_starts == (application.decided_at + timedelta(days=7)).date()
    with pytest.raises(Conflict):
        service.complete(member, application)
    application.decided_at = utcnow() - timedelta(days=7)
    assert service.complete(member, application) == "mark"


def test_only_an_accepted_engagement_and_only_its_sides(db, member, project, rep, make_user):
    application, _ = service.apply(member, project, MOTIVATION, Engagement())
    with pytest.raises(Conflict, match="accepted"):
        service.complete(member, application)
    service.decide(rep, application, "accept")
    application.decided_at = utcnow() - timedelta(days=8)
    with pytest.raises(NotAllowed):
        service.complete(make_user(), application)
    with pytest.raises(NotAllowed):
        service.complete(make_user(role=Role.INSTITUTION), application)


# --------------------------------------------------------------------------- both sides


def test_one_mark_waits_for_the_other_side(db, member, project, rep, institution):
    application = accepted(db, member, project, rep)
    assert service.complete(member, application) == "mark"
    db.session.commit()
    assert application.status == S.COMPLETED
    assert application.member_completed_at is not None
    assert application.institution_completed_at is None
    assert not application.completion_confirmed()
    assert counted(institution, member) == (0, 0)
    assert events_of(db, rep)[-1] == "completion_marked"
    mail = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == rep.email)
    ).all()[-1]
    assert mail.subject == f"Is the engagement on {project.title} completed?"
    assert "dispute it by" in mail.body_text
    with pytest.raises(Conflict, match="already marked"):
        service.complete(member, application)
    with pytest.raises(Conflict, match="both sides"):
        service.leave_feedback(rep, application, 5, "")

    assert service.complete(rep, application) == "confirm"
    db.session.commit()
    assert application.completion_confirmed()
    assert counted(institution, member) == (1, 1)
    assert events_of(db, member)[-1] == "completed"
    with pytest.raises(Conflict, match="already"):
        service.complete(rep, application)
    service.leave_feedback(rep, application, 5, "Well organised.")


def test_the_institution_may_mark_first(db, member, project, rep, institution):
    application = accepted(db, member, project, rep)
    service.complete(rep, application)
    db.session.commit()
    assert events_of(db, member)[-1] == "completion_marked"
    assert counted(institution, member) == (0, 0)
    service.complete(member, application)
    assert counted(institution, member) == (1, 1)


# --------------------------------------------------------------------------- dispute


def test_a_dispute_within_the_period_sends_it_back(db, member, project, rep, institution):
    application = accepted(db, member, project, rep)
    service.complete(member, application)
    db.session.commit()
    with pytest.raises(Conflict, match="other side marked"):
        service.dispute_completion(member, application, "I marked it myself.")
    with pytest.raises(Invalid):
        service.dispute_completion(rep, application, "   ")
    application.completed_at = utcnow() - DISPUTE_PERIOD + timedelta(hours=1)
    service.dispute_completion(rep, application, "The final report is still missing.")
    db.session.commit()
    assert application.status == S.ACCEPTED
    assert application.completed_at is None
    assert application.member_completed_at is None
    assert application.completion_disputed_at is not None
    assert events_of(db, member)[-1] == "completion_disputed"
    note = db.session.scalars(sa.select(ApplicationMessage)).all()[-1]
    assert note.from_institution and "The final report is still missing." in note.body
    mail = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == member.email)
    ).all()[-1]
    assert "final report" not in mail.body_text  # the note stays on the site
    assert counted(institution, member) == (0, 0)
    # Marked again later, it can be confirmed as usual.
    service.complete(member, application)
    service.complete(rep, application)
    assert counted(institution, member) == (1, 1)


def test_after_the_period_without_dispute_it_counts(db, member, project, rep, institution):
    application = accepted(db, member, project, rep)
    service.complete(rep, application)
    db.session.commit()
    marked = application.completed_at
    assert counted(institution, member) == (0, 0)
    later = marked + DISPUTE_PERIOD
    assert application.completion_confirmed(later)
    assert application_stats.completed_for_institution(institution.id, now=later) == 1
    application.completed_at = marked - DISPUTE_PERIOD
    db.session.commit()
    assert application.completion_confirmed()
    assert counted(institution, member) == (1, 1)
    with pytest.raises(Conflict, match="passed"):
        service.dispute_completion(member, application, "Too late to say so.")
    with pytest.raises(Conflict, match="already completed"):
        service.complete(member, application)
    service.leave_feedback(member, application, 4, "")
    assert application.status == S.COMPLETED


# --------------------------------------------------------------------------- pages


def test_the_confirmation_page_asks_first_and_writes_nothing(client, db, member, project, rep):
    application = accepted(db, member, project, rep)
    sign_in(client, member)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert f'href="/applications/{application.id}/complete"' in page
    assert f'action="/applications/{application.id}/complete"' not in page
    confirm = client.get(f"/applications/{application.id}/complete")
    assert confirm.status_code == 200
    assert "Yes, mark it completed" in confirm.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == S.ACCEPTED

    done = client.post(f"/applications/{application.id}/complete")
    assert done.status_code == 302
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.status == S.COMPLETED and not application.completion_confirmed()
    assert "Completion waiting for confirmation" in client.get(
        f"/applications/{application.id}"
    ).get_data(as_text=True)


def test_the_confirmation_page_refuses_before_the_start(client, db, member, project, rep):
    application = accepted(db, member, project, rep, started=False)
    sign_in(client, member)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Mark the engagement completed" not in page
    assert "either side can mark it completed from then on" in page
    response = client.get(f"/applications/{application.id}/complete", follow_redirects=True)
    assert "once it has started" in response.get_data(as_text=True)
    response = client.post(f"/applications/{application.id}/complete", follow_redirects=True)
    assert "once it has started" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == S.ACCEPTED


def test_the_other_side_confirms_or_disputes_on_the_page(client, db, member, project, rep):
    application = accepted(db, member, project, rep)
    service.complete(member, application)
    db.session.commit()
    sign_in(client, rep)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Confirm it is completed" in page and "It is not completed" in page
    assert 'for="dispute_note"' in page and 'id="dispute_note"' in page
    refused = client.post(
        f"/applications/{application.id}/dispute-completion", data={"dispute_note": ""}
    )
    assert refused.status_code == 302
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == S.COMPLETED
    client.post(
        f"/applications/{application.id}/dispute-completion",
        data={"dispute_note": "The training has not happened yet."},
    )
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == S.ACCEPTED


def test_completion_forms_need_their_token_and_a_side(
    app, client, db, member, project, rep, make_user
):
    """SECURITY.md: every state change is a POST with a CSRF token; someone on neither side
    of an application gets 404 for every action."""
    application = accepted(db, member, project, rep)
    outsider = with_profile(make_user(email="outsider@example.org"))
    sign_in(client, outsider)
    assert client.get(f"/applications/{application.id}/complete").status_code == 404
    assert client.post(f"/applications/{application.id}/complete").status_code == 404
    assert (
        client.post(
            f"/applications/{application.id}/dispute-completion", data={"dispute_note": "x"}
        ).status_code
        == 404
    )
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in(client, member)
    assert client.post(f"/applications/{application.id}/complete").status_code == 400
    assert (
        client.post(
            f"/applications/{application.id}/dispute-completion", data={"dispute_note": "x"}
        ).status_code
        == 400
    )
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == S.ACCEPTED


def test_the_public_page_counts_only_confirmed(client, db, member, project, rep):
    application = accepted(db, member, project, rep)
    service.complete(member, application)
    db.session.commit()
    page = client.get(f"/institutions/{project.institution_id}").get_data(as_text=True)
    assert "completed engagement" not in page
    service.complete(rep, application)
    db.session.commit()
    page = client.get(f"/institutions/{project.institution_id}").get_data(as_text=True)
    assert "1 completed engagement" in page
