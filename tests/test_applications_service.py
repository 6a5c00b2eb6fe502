"""The application workflow's rules, tested on the service functions."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.models import (
    FIELD_GROUPS,
    Application,
    ApplicationMessage,
    ApplicationStatus,
    Notification,
    OutboxMessage,
    ProjectStatus,
    Role,
    WorkMode,
)
from diaspora.models.base import utcnow
from diaspora.services import (
    application_lists,
    application_panels,
    application_reminders,
    application_stats,
    deletion,
    permissions,
    profiles,
    projects,
)
from diaspora.services import applications as service
from diaspora.services.applications import Engagement
from diaspora.services.errors import Conflict, Invalid, NotAllowed
from tests.factories import MOTIVATION, make_institution, make_project, with_profile

S = ApplicationStatus


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, name="Rep Alemu", email="rep@aau.example")


@pytest.fixture
def institution(rep):
    return make_institution(rep)


@pytest.fixture
def project(institution):
    return make_project(institution, status=ProjectStatus.PUBLISHED, places=2)


@pytest.fixture
def member(make_user):
    return with_profile(make_user(name="Hiwot Tesfaye", email="hiwot@example.org"))


def apply(member, project, motivation=MOTIVATION, **engagement):
    application, created = service.apply(member, project, motivation, Engagement(**engagement))
    service.db.session.commit()
    return application, created


def mails(db, to=None):
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if to:
        query = query.where(OutboxMessage.recipient == to)
    return db.session.scalars(query).all()


def test_apply_records_consent_and_tells_the_institution(db, member, project, rep):
    profile = profiles.profile_of(member)
    profile.audiences = dict.fromkeys(FIELD_GROUPS, 0) | {"skills": 2, "bio": 4}
    db.session.commit()
    application, created = apply(member, project, hours_per_month=12, work_mode=WorkMode.REMOTE)
    assert created
    assert application.status == S.APPLIED
    assert application.shared_profile == {"display_name": True, "groups": ["bio", "skills"]}
    assert application.consented_at is not None
    assert application.hours_per_month == 12
    (mail,) = mails(db, rep.email)
    assert mail.subject == f"New application to {project.title}"
    assert MOTIVATION not in mail.body_text
    assert f"/applications/{application.id}" in mail.body_text
    note = db.session.scalar(
        sa.select(Notification).where(Notification.application_id == application.id)
    )
    assert (note.user_id, note.event) == (rep.id, "new_application")


def test_applying_twice_returns_the_first_application(db, member, project):
    first, _ = apply(member, project)
    second, created = apply(
        member, project, motivation="A different message, long enough to count."
    )
    assert not created
    assert second.id == first.id
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 1


def test_a_duplicate_insert_is_caught_in_a_savepoint(db, member, project, monkeypatch):
    """When the unique constraint fires (the other request won), the first row is returned
    and the rest of the transaction survives."""
    first, _ = apply(member, project)
    monkeypatch.setattr(service, "existing_application", _none_then_real())
    again, created = service.apply(member, project, MOTIVATION, Engagement())
    assert not created and again.id == first.id
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 1


def _none_then_real():
    real = service.existing_application
    calls = {"n": 0}

    def fake(member, project):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(member, project)

    return fake


@pytest.mark.parametrize(
    "change",
    [
        {"status": ProjectStatus.DRAFT},
        {"status": ProjectStatus.CLOSED},
        {"deadline": (utcnow() - timedelta(days=1)).date()},
        {"places_filled": 2},
    ],
)
def test_only_open_projects_take_applications(db, member, project, change):
    for key, value in change.items():
        setattr(project, key, value)
    db.session.commit()
    with pytest.raises(Conflict, match="not open"):
        apply(member, project)


def test_unconfirmed_members_and_representatives_cannot_apply(db, make_user, project, rep):
    with pytest.raises(Conflict, match="Confirm"):
        apply(with_profile(make_user(confirmed=False)), project)
    with pytest.raises(NotAllowed):
        apply(rep, project)


@pytest.mark.parametrize("motivation", ["too short", "x" * 4001])
def test_message_length_is_bounded(db, member, project, motivation):
    with pytest.raises(Invalid):
        apply(member, project, motivation=motivation)
    assert db.session.scalar(sa.select(sa.func.count(Application.id))) == 0


def test_engagement_dates_and_hours_are_checked(db, member, project):
    today = utcnow().date()
    with pytest.raises(Invalid, match="before its start"):
        apply(member, project, available_from=today, available_until=today - timedelta(days=1))
    with pytest.raises(Invalid, match="Hours"):
        apply(member, project, hours_per_month=500)


def test_at_most_ten_open_applications(db, member, institution):
    projects = [
        make_project(institution, status=ProjectStatus.PUBLISHED, title=f"Project {n}")
        for n in range(11)
    ]
    for project in projects[:10]:
        apply(member, project)
    with pytest.raises(Conflict, match="10 applications waiting"):
        apply(member, projects[10])
    first = service.existing_application(member, projects[0])
    service.withdraw(member, first)
    apply(member, projects[10])


def test_withdraw_only_while_undecided_and_only_by_the_member(db, member, project, rep, make_user):
    application, _ = apply(member, project)
    with pytest.raises(NotAllowed):
        service.withdraw(make_user(), application)
    service.decide(rep, application, "decline")
    with pytest.raises(Conflict, match="waiting"):
        service.withdraw(member, application)
    assert application.status == S.DECLINED


def test_decisions_tell_the_member(db, member, project, rep):
    application, _ = apply(member, project)
    service.decide(rep, application, "shortlist")
    db.session.commit()
    assert application.status == S.SHORTLISTED
    assert application.decided_at is None and application.first_answered_at is not None
    service.decide(rep, application, "decline", "We chose a profile closer to the lab work.")
    db.session.commit()
    assert application.status == S.DECLINED
    assert application.decided_by_id == rep.id
    subjects = [m.subject for m in mails(db, member.email)]
    assert subjects == [
        f"Your application to {project.title} is received",
        f"You are shortlisted for {project.title}",
        f"Your application to {project.title}",
    ]
    assert "closer to the lab work" not in mails(db, member.email)[2].body_text


def test_a_rep_of_another_institution_cannot_decide(db, member, project, make_user):
    other = make_user(role=Role.INSTITUTION)
    make_institution(other, name="Jimma Hospital")
    application, _ = apply(member, project)
    with pytest.raises(NotAllowed):
        service.decide(other, application, "accept")
    assert application.status == S.APPLIED


def test_unknown_decision_and_shortlisting_a_decided_application(db, member, project, rep):
    application, _ = apply(member, project)
    with pytest.raises(Invalid):
        service.decide(rep, application, "promote")
    service.decide(rep, application, "accept")
    db.session.commit()
    with pytest.raises(Conflict, match="already accepted"):
        service.decide(rep, application, "shortlist")


def test_filling_the_last_place_closes_the_project_and_tells_those_waiting(
    db, make_user, project, rep
):
    members = [with_profile(make_user()) for _ in range(3)]
    apps = [apply(m, project)[0] for m in members]
    service.decide(rep, apps[0], "accept")
    db.session.commit()
    assert project.places_filled == 1 and project.status == ProjectStatus.PUBLISHED
    service.decide(rep, apps[1], "accept")
    db.session.commit()
    db.session.refresh(project)
    assert project.places_filled == 2
    assert project.status == ProjectStatus.CLOSED and project.closed_at is not None
    assert apps[2].status == S.CLOSED
    (closed,) = mails(db, members[2].email)[-1:]
    assert closed.subject == f"{project.title} has closed"


def test_no_acceptance_beyond_the_places(db, make_user, institution, rep):
    project = make_project(institution, status=ProjectStatus.PUBLISHED, places=1)
    first, _ = apply(with_profile(make_user()), project)
    second, _ = apply(with_profile(make_user()), project)
    service.decide(rep, first, "accept")
    db.session.commit()
    second.status = S.SHORTLISTED
    db.session.commit()
    with pytest.raises(Conflict):
        service.decide(rep, second, "accept")
    db.session.rollback()
    db.session.refresh(project)
    assert project.places_filled == 1


def test_close_expired_projects(db, member, project):
    application, _ = apply(member, project)
    project.deadline = utcnow().date() - timedelta(days=1)
    db.session.commit()
    assert projects.close_expired() == 1
    db.session.commit()
    assert project.status == ProjectStatus.CLOSED
    assert application.status == S.CLOSED
    assert mails(db, application.member.email)[-1].subject == f"{project.title} has closed"
    assert projects.close_expired() == 0


def test_closing_by_the_institution_tells_those_waiting(db, member, project, rep):
    application, _ = apply(member, project)
    projects.close(rep, project)
    db.session.commit()
    assert application.status == S.CLOSED
    assert mails(db, member.email)[-1].subject == f"{project.title} has closed"


def test_messages_notify_the_other_side_without_their_body(db, member, project, rep):
    application, _ = apply(member, project)
    service.post_message(member, application, "Is the training in Amharic or English?")
    service.post_message(rep, application, "English, with Amharic support.")
    db.session.commit()
    to_rep = [m for m in mails(db, rep.email) if m.template == "applications/message"]
    to_member = [m for m in mails(db, member.email) if m.template == "applications/message"]
    assert len(to_rep) == 1 and len(to_member) == 1
    assert to_member[0].subject == f"You have a new message about {project.title}"
    assert "Amharic" not in to_rep[0].body_text + to_rep[0].body_html
    assert "Amharic" not in to_member[0].body_text + to_member[0].body_html
    assert application.first_answered_at is not None


def test_messages_are_bounded_and_refused_to_strangers(db, member, project, make_user):
    application, _ = apply(member, project)
    with pytest.raises(Invalid):
        service.post_message(member, application, "   ")
    with pytest.raises(Invalid):
        service.post_message(member, application, "x" * 4001)
    with pytest.raises(NotAllowed):
        service.post_message(make_user(), application, "hello")
    assert db.session.scalar(sa.select(sa.func.count(ApplicationMessage.id))) == 0


def test_completion_and_feedback_count_in_both_records(db, member, project, rep, institution):
    application, _ = apply(member, project)
    with pytest.raises(Conflict):
        service.complete(member, application)
    service.decide(rep, application, "accept")
    application.decided_at = utcnow() - timedelta(days=8)  # the engagement has started
    service.complete(member, application)
    db.session.commit()
    assert application.status == S.COMPLETED
    assert mails(db, rep.email)[-1].subject == f"Is the engagement on {project.title} completed?"
    with pytest.raises(Conflict, match="both sides"):
        service.leave_feedback(member, application, 5, "Too early.")
    service.complete(rep, application)
    db.session.commit()
    assert mails(db, member.email)[-1].subject == (
        f"The engagement on {project.title} is completed"
    )
    service.leave_feedback(member, application, 5, "Well organised.")
    service.leave_feedback(rep, application, None, "")
    db.session.commit()
    with pytest.raises(Conflict, match="already"):
        service.leave_feedback(member, application, 4, "")
    with pytest.raises(Invalid, match="1 to 5"):
        service.leave_feedback(rep, application, 6, "")
    assert application_stats.completed_for_institution(institution.id) == 1
    assert application_stats.completed_for_member(member.id) == 1
    assert application_stats.institution_record(institution)["completed"] == 1


def test_median_time_to_first_answer(db, make_user, institution, rep):
    project = make_project(institution, status=ProjectStatus.PUBLISHED, places=10)
    assert application_stats.answer_time(institution) is None
    now = utcnow()
    for days in (1, 3, 8):
        application, _ = apply(with_profile(make_user()), project)
        application.created_at = now - timedelta(days=10)
        application.first_answered_at = now - timedelta(days=10 - days)
    old, _ = apply(with_profile(make_user()), project)
    old.created_at = now - timedelta(days=400)
    old.first_answered_at = now - timedelta(days=300)
    db.session.commit()
    figures = application_stats.answer_time(institution)
    assert figures.median == timedelta(days=3)
    assert figures.describe() == "Usually answers within 3 days; answered 3 of 3 applications"


def test_median_needs_three_answers(db, make_user, institution, rep):
    project = make_project(institution, status=ProjectStatus.PUBLISHED, places=10)
    for _ in range(2):
        application, _ = apply(with_profile(make_user()), project)
        service.decide(rep, application, "shortlist")
    db.session.commit()
    assert application_stats.answer_time(institution) is None
    application, _ = apply(with_profile(make_user()), project)
    service.decide(rep, application, "decline")
    db.session.commit()
    assert application_stats.answer_time(institution).within == "within a day"


def test_reminders_are_sent_once_per_five_days(db, member, project, rep):
    application, _ = apply(member, project)
    now = utcnow()
    assert application_reminders.send_reminders(now) == 0
    application.created_at = now - timedelta(days=6)
    db.session.commit()
    assert application_reminders.send_reminders(now) == 1
    db.session.commit()
    assert application_reminders.send_reminders(now + timedelta(days=1)) == 0
    assert application_reminders.send_reminders(now + timedelta(days=5)) == 1
    db.session.commit()
    reminders = [m for m in mails(db, rep.email) if m.template == "applications/reminder"]
    assert len(reminders) == 2
    assert application.reminded_at is not None


def test_answered_applications_get_no_reminder(db, member, project, rep):
    application, _ = apply(member, project)
    application.created_at = utcnow() - timedelta(days=9)
    service.post_message(rep, application, "We will decide next week.")
    db.session.commit()
    assert application_reminders.send_reminders() == 0


def test_a_profile_is_needed_and_must_not_be_hidden(db, make_user, project):
    with pytest.raises(Conflict, match="Create your profile"):
        apply(make_user(), project)
    with pytest.raises(Conflict, match="hidden"):
        apply(with_profile(make_user(), hidden=True), project)


def test_forget_member_keeps_decided_applications_anonymised(
    db, member, institution, rep, make_user
):
    decided_project = make_project(institution, status=ProjectStatus.PUBLISHED, title="Decided")
    waiting_project = make_project(institution, status=ProjectStatus.PUBLISHED, title="Waiting")
    decided, _ = apply(member, decided_project)
    waiting, _ = apply(member, waiting_project)
    service.post_message(member, decided, "My private phone is 555-0100.")
    service.post_message(rep, decided, "Thanks, noted.")
    service.decide(rep, decided, "decline")
    db.session.commit()
    decided_id, waiting_id = decided.id, waiting.id

    deletion.forget_applications(member)
    db.session.commit()

    assert db.session.get(Application, waiting_id) is None
    kept = db.session.get(Application, decided_id)
    assert kept.member_id is None and kept.status == S.DECLINED and kept.decided_at
    assert kept.motivation == "" and kept.shared_profile == {}
    entries = [(m.kind.value, m.body) for m in kept.messages]
    assert entries == [("message", "Thanks, noted."), ("declined", "")]
    assert application_lists.applicants_of(rep, decided_project) == [kept]


def test_team_is_shown_to_insiders(db, member, project, rep, make_user):
    application, _ = apply(member, project)
    service.decide(rep, application, "accept")
    db.session.commit()
    assert application_panels.team(project, member) == ["Hiwot Tesfaye"]
    assert application_panels.team(project, rep) == ["Hiwot Tesfaye"]
    assert application_panels.team(project, make_user()) is None


def test_applied_institution_ids(db, member, project, institution):
    assert permissions.applied_institution_ids(member.id) == set()
    apply(member, project)
    assert permissions.applied_institution_ids(member.id) == {institution.id}


def test_export_holds_the_members_applications_and_nobody_elses_words(db, member, project, rep):
    from diaspora.services.export import export_user_data

    application, _ = apply(member, project)
    service.post_message(member, application, "Is the training in Amharic or English?")
    service.post_message(rep, application, "English, with Tigrinya support.")
    db.session.commit()
    data = export_user_data(member)
    (exported,) = data["applications"]
    assert exported["project"] == project.title and exported["motivation"] == MOTIVATION
    assert exported["my_messages"][0]["body"] == "Is the training in Amharic or English?"
    assert exported["messages_from_institution"] == 1
    text = str(data)
    assert "Tigrinya" not in text and rep.email not in text
    assert data["notifications"], "the member's notification list is exported"


def test_answer_time_counts_the_share_answered(db, make_user, institution, rep):
    """Answered: a representative wrote or decided. Not counted: withdrawn before any
    answer, or waiting less than two weeks. Waiting longer, or closed unanswered: counted
    as not answered."""
    project = make_project(institution, status=ProjectStatus.PUBLISHED, places=10)
    now = utcnow()

    def received(days_ago, answered_after=None, status=None):
        application, _ = apply(with_profile(make_user()), project)
        application.created_at = now - timedelta(days=days_ago)
        if answered_after is not None:
            application.first_answered_at = application.created_at + answered_after
        if status is not None:
            application.status = status
        return application

    received(30, timedelta(days=2))
    received(30, timedelta(days=4))
    received(30, timedelta(days=9))
    decided = received(20, status=S.DECLINED)
    decided.decided_at = decided.created_at + timedelta(days=5)
    received(30)  # still waiting after a month: not answered
    received(25, status=S.CLOSED)  # the project closed before any answer
    received(3)  # waiting for three days: not late yet
    received(30, status=S.WITHDRAWN)  # taken back by the member
    received(500, timedelta(days=1))  # outside the last 12 months
    db.session.commit()

    figures = application_stats.answer_time(institution)
    assert (figures.answered, figures.received) == (4, 6)
    assert figures.median == timedelta(days=4, hours=12)
    assert figures.days == 5
    assert str(figures) == "Usually answers within 5 days; answered 4 of 6 applications"
    assert application_stats.institution_record(institution)["answers"] == figures
