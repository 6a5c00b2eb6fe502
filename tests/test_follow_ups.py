"""Follow-ups after an engagement: the daily command (steps, skipping, who is asked, run
twice or twice at once), the one-click link and its form, and the figures they feed."""

import random
import re
import threading
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import render_template_string

from diaspora import charts
from diaspora.extensions import db as _db
from diaspora.mail import deliver_due, deliver_pending
from diaspora.models import (
    ApplicationStatus,
    FollowOn,
    FollowUp,
    FollowUpSide,
    FollowUpSkip,
    InstitutionRepresentative,
    Notification,
    OutboxMessage,
    ProjectStatus,
    Role,
    Transferred,
)
from diaspora.models.base import utcnow
from diaspora.security import make_token
from diaspora.services import accounts, deletion, follow_ups, impact, retry
from diaspora.services import applications as service
from diaspora.services.applications import Engagement
from diaspora.services.errors import Conflict, Invalid, NotFound
from diaspora.services.impact import Filters, Period
from tests.conftest import PASSWORD, first_link
from tests.factories import MOTIVATION, make_institution, make_project, sign_in, with_profile

SUBJECT = "3 months after"  # the start of the subject of a 3-month follow-up's email


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, name="Rep Alemu", email="rep@aau.example")


@pytest.fixture
def institution(rep):
    return make_institution(rep, name="Addis Ababa University")


@pytest.fixture
def project(institution):
    return make_project(
        institution, status=ProjectStatus.PUBLISHED, places=20, title="Teaching genomics"
    )


@pytest.fixture
def member(make_user):
    return with_profile(
        make_user(name="Hiwot Tesfaye", email="hiwot@example.org"), display_name="Hiwot T."
    )


def months_ago(months: int, days: int = 2) -> datetime:
    return follow_ups.add_months(utcnow(), -months) - timedelta(days=days)


def engagement(db, member, project, rep, completed: datetime, both=True):
    """A completed engagement: both sides marked it (the later mark is ``completed``), or
    one side did, then the dispute period passed."""
    application, _ = service.apply(member, project, MOTIVATION, Engagement())
    service.decide(rep, application, "accept")
    application.status = ApplicationStatus.COMPLETED
    application.completed_at = completed - timedelta(days=3) if both else completed
    application.member_completed_at = completed - timedelta(days=3)
    application.institution_completed_at = completed if both else None
    db.session.commit()
    return application


def rows(db, application):
    db.session.expire_all()
    return {
        (f.side.value, f.step): f
        for f in db.session.scalars(
            sa.select(FollowUp).where(FollowUp.application_id == application.id)
        )
    }


def follow_up_events(db, user):
    return db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == user.id, Notification.event == "follow_up"
        )
    ).all()


def token_of(db, user) -> str:
    """The token of the link in the person's latest follow-up notification."""
    note = follow_up_events(db, user)[-1]
    return note.link.rsplit("/", 1)[1]


# --------------------------------------------------------------------------- steps


def test_steps_fall_due_three_six_and_twelve_months_after_the_later_mark(db, member, project, rep):
    completed = datetime(2026, 1, 31, 12, tzinfo=utcnow().tzinfo)
    application = engagement(db, member, project, rep, completed)
    assert follow_ups.completion_of(application) == completed
    assert follow_ups.add_months(completed, 1) == completed.replace(month=2, day=28)
    assert follow_ups.due_steps(completed, completed.replace(month=4, day=29)) == []
    assert follow_ups.due_steps(completed, completed.replace(month=5)) == [3]
    assert follow_ups.due_steps(completed, completed.replace(year=2027)) == [3, 6, 12]

    assert follow_ups.send_due(now=completed + timedelta(days=80)).asked == 0
    sent = follow_ups.send_due(now=completed.replace(month=5, day=1))
    db.session.commit()
    assert (sent.asked, sent.skipped, sent.told) == (2, 0, 2)
    assert set(rows(db, application)) == {("member", 3), ("institution", 3)}
    assert rows(db, application)[("member", 3)].due_at == completed.replace(month=4, day=30)

    sent = follow_ups.send_due(now=completed.replace(month=8, day=1))
    db.session.commit()
    assert (sent.asked, sent.skipped) == (2, 0)
    assert set(rows(db, application)) == {(s, n) for s in ("member", "institution") for n in (3, 6)}


def test_only_the_latest_step_due_is_asked_and_the_older_ones_are_skipped(db, member, project, rep):
    application = engagement(db, member, project, rep, months_ago(13))
    sent = follow_ups.send_due()
    db.session.commit()
    assert (sent.asked, sent.skipped, sent.told) == (2, 4, 2)
    recorded = rows(db, application)
    for side in ("member", "institution"):
        assert recorded[(side, 12)].sent_at is not None and recorded[(side, 12)].skipped is None
        for step in (3, 6):
            assert recorded[(side, step)].skipped == FollowUpSkip.LATER_STEP
            assert recorded[(side, step)].sent_at is None
    assert len(follow_up_events(db, member)) == 1 and len(follow_up_events(db, rep)) == 1
    assert "12 months after Teaching genomics" in follow_up_events(db, member)[0].message
    # Nothing is left to ask: a second run finds nothing.
    assert follow_ups.send_due().asked == 0


def test_an_unconfirmed_or_undecided_engagement_is_not_followed_up(db, member, project, rep):
    application = engagement(db, member, project, rep, months_ago(4))
    application.institution_completed_at = None
    application.completed_at = utcnow() - timedelta(days=3)  # one side, dispute still open
    db.session.commit()
    assert follow_ups.send_due().asked == 0
    application.status = ApplicationStatus.ACCEPTED
    application.completed_at = months_ago(4)
    db.session.commit()
    assert follow_ups.send_due().asked == 0
    assert rows(db, application) == {}


def test_a_one_sided_completion_counts_from_its_mark_once_confirmed(db, member, project, rep):
    application = engagement(db, member, project, rep, months_ago(3), both=False)
    follow_ups.send_due()
    db.session.commit()
    assert set(rows(db, application)) == {("member", 3), ("institution", 3)}


# --------------------------------------------------------------------------- who is asked


def test_a_suspended_or_deleted_member_is_not_asked(db, make_user, member, project, rep):
    coordinator = make_user(role=Role.COORDINATOR)
    other = with_profile(make_user(name="Selam", email="selam@example.org"))
    suspended = engagement(db, member, project, rep, months_ago(3))
    deleted = engagement(db, other, project, rep, months_ago(3))
    accounts.suspend(coordinator, member, "spam")
    deletion.delete_account(other, PASSWORD)
    db.session.commit()

    sent = follow_ups.send_due()
    db.session.commit()
    assert (sent.asked, sent.nobody) == (2, 2)
    for application in (suspended, deleted):
        recorded = rows(db, application)
        assert recorded[("member", 3)].skipped == FollowUpSkip.NOBODY
        assert recorded[("member", 3)].sent_at is None
        assert recorded[("institution", 3)].sent_at is not None
    assert follow_up_events(db, member) == []
    assert len(follow_up_events(db, rep)) == 2


def test_the_institution_side_goes_to_its_active_representatives_once(
    db, make_user, member, project, rep, institution
):
    second = make_user(role=Role.INSTITUTION, email="second@aau.example")
    away = make_user(role=Role.INSTITUTION, email="away@aau.example")
    for person in (second, away):
        db.session.add(InstitutionRepresentative(institution_id=institution.id, user_id=person.id))
    away.suspended_at = utcnow()
    db.session.commit()
    application = engagement(db, member, project, rep, months_ago(3))

    sent = follow_ups.send_due()
    db.session.commit()
    assert (sent.asked, sent.told) == (2, 3)  # the member, and two active representatives
    assert len(rows(db, application)) == 2  # one follow-up per side
    assert len(follow_up_events(db, rep)) == len(follow_up_events(db, second)) == 1
    assert follow_up_events(db, away) == []

    # Either representative answers for the institution; the other's link shows that answer.
    follow_ups.answer(token_of(db, second), "yes", "partly", "planned", "A joint course.")
    db.session.commit()
    opened = follow_ups.open_link(token_of(db, rep))
    assert opened.follow_up.is_answered and opened.follow_up.answered_by_id == second.id
    assert opened.other_side == "Hiwot T."  # the applicant's name as the rep sees it


def test_an_institution_without_an_active_representative_is_skipped(
    db, member, project, rep, make_user
):
    application = engagement(db, member, project, rep, months_ago(3))
    rep.suspended_at = utcnow()
    db.session.commit()
    sent = follow_ups.send_due()
    db.session.commit()
    assert (sent.asked, sent.nobody) == (1, 1)
    assert rows(db, application)[("institution", 3)].skipped == FollowUpSkip.NOBODY


def test_deleting_the_account_removes_the_members_words_and_keeps_the_counts(
    db, asked, member, rep
):
    follow_ups.answer(token_of(db, member), "yes", "yes", "no", "Hiwot's own words.")
    follow_ups.answer(token_of(db, rep), "yes", "partly", "no", "The institution's words.")
    db.session.commit()
    deletion.delete_account(member, PASSWORD)
    db.session.commit()
    recorded = rows(db, asked)
    mine, theirs = recorded[("member", 3)], recorded[("institution", 3)]
    assert (mine.what_changed, mine.answered_by_id, mine.asked_id) == ("", None, None)
    assert mine.transferred == Transferred.YES and mine.is_answered
    assert theirs.what_changed == "The institution's words."


# --------------------------------------------------------------------------- the command


@pytest.fixture
def mailing(mail_config):
    """Mail delivered only by the worker, as in production with an outage-proof outbox."""
    mail_config["MAIL_DELIVER_AFTER_COMMIT"] = False
    return mail_config


def test_the_command_run_twice_emails_each_person_once_per_step(
    mailing, smtp_server, runner, db, member, project, rep
):
    engagement(db, member, project, rep, months_ago(3))
    first = runner.invoke(args=["engagements", "follow-up"])
    second = runner.invoke(args=["engagements", "follow-up"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "Asked 2 follow-up(s) (2 person(s) told)" in first.output
    assert "Asked 0 follow-up(s)" in second.output
    deliver_due()
    deliver_due()

    for person in (member, rep):
        received = smtp_server.wait_for(person.email, SUBJECT)
        assert len(received) == 1, person.email
        assert received[0]["Subject"] == "3 months after Teaching genomics: how did it go?"
        link = first_link(received[0], "/follow-ups/")
        assert link.startswith("http://diaspora.test/follow-ups/")


def test_two_runs_at_once_ask_each_person_once(app, db, member, project, rep, make_user):
    """Two processes running the daily command at the same moment (two threads, each with
    its own connection): the unique constraint and ON CONFLICT DO NOTHING let one run
    create and tell, the other do nothing."""
    others = [with_profile(make_user()) for _ in range(4)]
    for person in [member, *others]:
        engagement(db, person, project, rep, months_ago(3))
    expected = sorted([p.email for p in [member, *others]] + [rep.email] * 5)
    db.session.remove()
    start = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                start.wait(timeout=10)
                sent = retry.transaction(follow_ups.send_due)
                results.append(sent.asked)
                _db.session.remove()
        except Exception as exc:  # reported below, with the thread's error
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == [0, 10]  # one run asked all ten follow-ups, the other none
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUp)) == 10
    mails = db.session.scalars(
        sa.select(OutboxMessage.recipient).where(OutboxMessage.template == "follow_up")
    ).all()
    assert sorted(mails) == expected


# --------------------------------------------------------------------------- the link


@pytest.fixture
def asked(db, member, project, rep):
    """A member and an institution asked their 3-month follow-up."""
    application = engagement(db, member, project, rep, months_ago(3))
    follow_ups.send_due()
    db.session.commit()
    return application


ANSWERS = {
    "in_contact": "yes",
    "transferred": "partly",
    "follow_on": "planned",
    "what_changed": "The lab runs its own sequencing now.",
}


def test_the_link_opens_the_form_without_signing_in_and_shows_little(
    app, client, db, asked, member
):
    token = token_of(db, member)
    page = client.get(f"/follow-ups/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "3 months after" in html and "Teaching genomics" in html
    assert "Addis Ababa University" in html
    assert MOTIVATION not in html and "hiwot@example.org" not in html
    for name, legend in (
        ("in_contact", "Are you still in contact with each other?"),
        ("transferred", "Were knowledge or skills transferred?"),
        ("follow_on", "Is there a follow-on project?"),
    ):
        assert f"<legend>{legend}</legend>" in html
        assert re.search(rf'<input id="{name}-0" name="{name}" required type="radio"', html)
    assert '<label for="what_changed">' in html
    assert re.search(r'<textarea [^>]*id="what_changed"', html)
    assert not any(f.is_answered for f in rows(db, asked).values())


def test_answering_saves_and_the_answers_can_be_changed_for_30_days(client, db, asked, member):
    token = token_of(db, member)
    response = client.post(f"/follow-ups/{token}", data=ANSWERS)
    assert response.status_code == 302 and response.headers["Location"].endswith(token)
    saved = rows(db, asked)[("member", 3)]
    assert saved.in_contact is True and saved.transferred == Transferred.PARTLY
    assert saved.follow_on == FollowOn.PLANNED and saved.answered_by_id == member.id
    first_answer = saved.answered_at

    page = client.get(f"/follow-ups/{token}").get_data(as_text=True)
    assert "You can\n    change your answers until" in page or "change your answers until" in page
    assert re.search(r'<input checked id="transferred-1" name="transferred"', page)
    assert "The lab runs its own sequencing now." in page

    client.post(f"/follow-ups/{token}", data={**ANSWERS, "follow_on": "yes"})
    saved = rows(db, asked)[("member", 3)]
    assert saved.follow_on == FollowOn.YES and saved.answered_at == first_answer

    saved.answered_at = utcnow() - timedelta(days=31)
    db.session.commit()
    page = client.get(f"/follow-ups/{token}").get_data(as_text=True)
    assert "can\n    no longer be changed" in page or "no longer be changed" in page
    assert '<form method="post" class="form"' not in page
    refused = client.post(f"/follow-ups/{token}", data={**ANSWERS, "follow_on": "no"})
    assert refused.status_code == 200
    assert "can no longer be changed" in refused.get_data(as_text=True)
    assert rows(db, asked)[("member", 3)].follow_on == FollowOn.YES
    with pytest.raises(Conflict):
        follow_ups.answer(token, "no", "no", "no", "")


def test_opening_the_link_writes_nothing(app, client, db, asked, member):
    token = token_of(db, member)
    deliver_pending()  # the mail the command queued, as the command itself would send it
    seen = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", statement, re.IGNORECASE):
            seen.append(statement)

    sa.event.listen(_db.engine, "before_cursor_execute", listener)
    try:
        assert client.get(f"/follow-ups/{token}").status_code == 200
        sign_in(client, member)
        assert client.get(f"/follow-ups/{token}").status_code == 200
        assert client.get("/follow-ups").status_code == 200
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", listener)
    assert seen == []


@pytest.mark.parametrize(
    "make_bad",
    [
        pytest.param(
            lambda good, ids: good[:-3] + ("abc" if good[-3:] != "abc" else "xyz"), id="tampered"
        ),
        pytest.param(lambda good, ids: "not-a-token", id="garbage"),
        pytest.param(
            lambda good, ids: make_token("unsubscribe", {"f": ids[0], "u": ids[1]}),
            id="another purpose",
        ),
        pytest.param(
            lambda good, ids: make_token("follow-up", {"f": ids[2], "u": ids[1]}),
            id="another follow-up",
        ),
        pytest.param(
            lambda good, ids: make_token("follow-up", {"f": 2**40, "u": ids[1]}), id="out of range"
        ),
        pytest.param(lambda good, ids: make_token("follow-up", ["f", ids[0]]), id="not a dict"),
    ],
)
def test_a_wrong_link_is_a_clear_404_and_saves_nothing(client, db, asked, member, make_bad):
    good = token_of(db, member)
    recorded = rows(db, asked)
    ids = (recorded[("member", 3)].id, member.id, recorded[("institution", 3)].id)
    bad = make_bad(good, ids)
    for response in (
        client.get(f"/follow-ups/{bad}"),
        client.post(f"/follow-ups/{bad}", data=ANSWERS),
    ):
        assert response.status_code == 404
        html = response.get_data(as_text=True)
        assert "This follow-up link is not valid" in html
        assert "sign in and open /follow-ups" in html  # a page that lists the valid links
    assert not any(f.is_answered for f in rows(db, asked).values())


def test_a_link_stops_working_for_a_removed_or_suspended_recipient(
    client, db, asked, rep, member, institution
):
    rep_token, member_token = token_of(db, rep), token_of(db, member)
    db.session.execute(
        sa.delete(InstitutionRepresentative).where(InstitutionRepresentative.user_id == rep.id)
    )
    member.suspended_at = utcnow()
    db.session.commit()
    for token in (rep_token, member_token):
        assert client.get(f"/follow-ups/{token}").status_code == 404
        with pytest.raises(NotFound):
            follow_ups.answer(token, "yes", "yes", "yes", "")


def test_the_form_needs_a_csrf_token(app, client, db, asked, member):
    app.config["WTF_CSRF_ENABLED"] = True
    token = token_of(db, member)
    page = client.get(f"/follow-ups/{token}").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert client.post(f"/follow-ups/{token}", data=ANSWERS).status_code == 400
    assert not rows(db, asked)[("member", 3)].is_answered


@pytest.fixture
def limited(app_config):
    """An app of its own whose token pages allow two posts per 15 minutes."""
    app_config.update(RATELIMIT_ENABLED=True, RATE_LIMIT_RESET="2 per 15 minutes")
    return app_config


def test_posting_answers_is_rate_limited(limited, client, db, asked, member):
    token = token_of(db, member)
    codes = [client.post(f"/follow-ups/{token}", data={}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert client.get(f"/follow-ups/{token}").status_code == 200  # reading is not limited


def test_only_refused_answers_count_against_the_rate_limit(limited, client, db, asked, member):
    token = token_of(db, member)
    saves = [
        client.post(f"/follow-ups/{token}", data={**ANSWERS, "what_changed": f"Try {n}"})
        for n in range(5)
    ]
    assert [r.status_code for r in saves] == [302] * 5
    assert rows(db, asked)[("member", 3)].what_changed == "Try 4"
    codes = [client.post(f"/follow-ups/{token}", data={}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ({"in_contact": "maybe"}, "Not a valid choice"),
        ({"transferred": "yes\x00"}, "Not a valid choice"),
        ({"follow_on": ""}, "Say whether there is a follow-on project."),
        ({"what_changed": "x" * 2001}, "Write at most 2000 characters."),
    ],
)
def test_bad_input_is_a_clear_error_that_keeps_what_was_typed(
    client, db, asked, member, sent, message
):
    token = token_of(db, member)
    data = {**ANSWERS, **sent}
    response = client.post(f"/follow-ups/{token}", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html and "There is a problem" in html
    typed = data["what_changed"]
    assert typed[:200] in html  # the text typed is shown again
    if data["in_contact"] == "yes":
        assert re.search(r'<input checked id="in_contact-0"', html)
    assert not rows(db, asked)[("member", 3)].is_answered


def test_missing_answers_are_each_named(client, db, asked, member):
    token = token_of(db, member)
    html = client.post(f"/follow-ups/{token}", data={"what_changed": "Kept"}).get_data(as_text=True)
    for message in (
        "Say whether you are still in contact.",
        "Say whether knowledge or skills were transferred.",
        "Say whether there is a follow-on project.",
    ):
        assert message in html
    assert "Kept</textarea>" in html


def test_nul_bytes_and_controls_are_removed_from_the_text(client, db, asked, member):
    token = token_of(db, member)
    data = {**ANSWERS, "what_changed": "New\x00 course\x07 started.\r\nSecond line."}
    assert client.post(f"/follow-ups/{token}", data=data).status_code == 302
    assert rows(db, asked)[("member", 3)].what_changed == "New course started.\r\nSecond line."


def test_the_service_refuses_values_the_form_would_not_send(db, asked, member):
    token = token_of(db, member)
    for values in (
        ("perhaps", "yes", "yes", ""),
        ("yes", "somewhat", "yes", ""),
        ("yes", "yes", "someday", ""),
        ("yes", "yes", "yes", "x" * 2001),
    ):
        with pytest.raises(Invalid):
            follow_ups.answer(token, *values)
    assert not rows(db, asked)[("member", 3)].is_answered


# --------------------------------------------------------------------------- signed in


def test_a_signed_in_person_reaches_pending_follow_ups_from_the_notification(
    client, db, asked, member, rep
):
    sign_in(client, member)
    note = follow_up_events(db, member)[0]
    notes = client.get("/notifications/").get_data(as_text=True)
    assert '<a href="/follow-ups">1 follow-up question is waiting for your answer</a>' in notes
    page = client.get(f"/applications/{asked.id}").get_data(as_text=True)
    link = re.search(r'<a href="(/follow-ups/[^"]+)">A follow-up question 3 months after', page)
    assert link  # a fresh token for the same follow-up as the notification's link
    opens = follow_ups.open_link(link.group(1).rsplit("/", 1)[1]).follow_up
    assert opens.id == follow_ups.open_link(note.link.rsplit("/", 1)[1]).follow_up.id
    opened = client.post(f"/notifications/{note.id}/open")
    assert opened.status_code == 302 and "/follow-ups/" in opened.headers["Location"]
    form = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Three short questions" in form and "Four" not in form
    listing = client.get("/follow-ups").get_data(as_text=True)
    assert "3 months after" in listing and "Teaching genomics" in listing
    client.post(opened.headers["Location"], data=ANSWERS)
    assert "No follow-up waits for your answer." in client.get("/follow-ups").get_data(as_text=True)
    assert "waiting for your answer" not in client.get("/notifications/").get_data(as_text=True)
    page = client.get(f"/applications/{asked.id}").get_data(as_text=True)
    assert "A follow-up question" not in page
    # The representative's list has the institution's follow-up, and only that one.
    sign_in(client, rep)
    waiting = follow_ups.pending_for(rep)
    assert [(f.side, f.step) for f, _token in waiting] == [(FollowUpSide.INSTITUTION, 3)]
    assert follow_ups.open_link(waiting[0][1]).follow_up.side == FollowUpSide.INSTITUTION
    listing = client.get("/follow-ups").get_data(as_text=True)
    assert listing.count('<a href="/follow-ups/') == 1 and "Teaching genomics" in listing


# --------------------------------------------------------------------------- figures


def answer_directly(follow_up, person, when, in_contact, transferred, follow_on, text=""):
    follow_up.answered_at = when
    follow_up.answered_by_id = person.id
    follow_up.in_contact = in_contact
    follow_up.transferred = Transferred(transferred)
    follow_up.follow_on = FollowOn(follow_on)
    follow_up.what_changed = text


def test_the_impact_table_counts_asked_answered_and_each_answer(
    db, make_user, project, rep, institution
):
    members = [with_profile(make_user()) for _ in range(6)]
    for person in members:
        engagement(db, person, project, rep, months_ago(3))
    other_rep = make_user(role=Role.INSTITUTION)
    elsewhere = make_project(
        make_institution(other_rep, name="Elsewhere"),
        status=ProjectStatus.PUBLISHED,
        country="KE",
        sector="education",
    )
    engagement(db, with_profile(make_user()), elsewhere, other_rep, months_ago(3))
    follow_ups.send_due()
    db.session.commit()
    today = utcnow()
    member_side = db.session.scalars(
        sa.select(FollowUp).where(FollowUp.side == FollowUpSide.MEMBER).order_by(FollowUp.id)
    ).all()
    answers = [
        (True, "yes", "yes"),
        (True, "yes", "planned"),
        (True, "partly", "no"),
        (False, "no", "no"),
        (True, "yes", "no"),
        (True, "partly", "planned"),
    ]
    for follow_up, (contact, transferred, follow_on) in zip(member_side, answers, strict=False):
        answer_directly(
            follow_up,
            follow_up.asked,
            today,
            contact,
            transferred,
            follow_on,
            f"Change {follow_up.id}",
        )
    db.session.commit()

    period = Period.of(today.date(), today.date())
    table = follow_ups.impact_table(period, Filters(country="GH"))
    assert table.key == "follow_ups"
    by_question = {
        row[0]: dict(zip([c.key for c in table.columns], row, strict=True)) for row in table.rows
    }
    assert list(by_question) == [
        "Still in contact",
        "Knowledge or skills transferred",
        "A follow-on project",
    ]
    contact = by_question["Still in contact"]
    assert (contact["after"], contact["asked"], contact["answered"]) == ("3 months", 12, 6)
    assert (contact["yes"], contact["no"]) == (5, 1)
    # "Still in contact" offers no middle answer: not asked, never a hidden small count.
    assert contact["partly"] is follow_ups.NOT_ASKED and contact["partly_share"] == ""
    assert contact["yes_share"] == 83.3 and contact["no_share"] == 16.7
    transferred = by_question["Knowledge or skills transferred"]
    assert (transferred["yes"], transferred["partly"], transferred["no"]) == (3, 2, 1)
    follow_on = by_question["A follow-on project"]
    assert (follow_on["yes"], follow_on["partly"], follow_on["no"]) == (1, 2, 3)
    assert follow_on["no_share"] == 50.0

    everywhere = follow_ups.impact_table(period)
    assert everywhere.rows[0][2] == 14 and everywhere.rows[0][3] == 6  # the other project's 2
    assert follow_ups.impact_table(period, Filters(sector="education")).rows[0][2:4] == (2, 0)
    assert follow_ups.impact_table(period, Filters(institution_id=institution.id)).rows[0][2] == 12
    last_year = Period.of(date(today.year - 2, 1, 1), date(today.year - 2, 12, 1))
    assert follow_ups.impact_table(last_year).rows == ()

    # Outside the coordinators, small answer counts are hidden, with their shares.
    public = impact.suppress(table)
    contact_row = public.rows[0]
    assert contact_row[4] == 5 and contact_row[8] is None and contact_row[9] is None
    assert contact_row[5] is None  # a share in a row where a cell was hidden
    assert contact_row[6] is follow_ups.NOT_ASKED  # not asked stays not asked
    assert contact_row[7] is follow_ups.NOT_ASKED  # and so does its share

    latest = follow_ups.changes(period, Filters(country="GH"), limit=3)
    assert [c.text for c in latest] == [f"Change {f.id}" for f in reversed(member_side[3:6])]
    assert all(c.project_title == "Teaching genomics" for c in latest)
    assert follow_ups.changes(period, Filters(country="KE")) == []
    csv = table.to_csv().splitlines()
    assert csv[0].startswith("question,after,asked,answered,yes,yes_share")
    assert csv[1] == "Still in contact,3 months,12,6,5,83.3,,,1,16.7"


def test_the_impact_table_follows_the_follow_ups_asked_in_the_period(
    app, db, make_user, project, rep
):
    """One cohort: a follow-up asked last month and answered this month counts in last
    month's row, so no row has more answered than asked."""
    members = [with_profile(make_user()) for _ in range(3)]
    for person in members:
        engagement(db, person, project, rep, months_ago(3))
    follow_ups.send_due()
    db.session.commit()
    today = utcnow()
    this_month = today.date().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    sent = datetime.combine(last_month, datetime.min.time(), tzinfo=today.tzinfo)
    sent += timedelta(days=10)
    member_side = db.session.scalars(
        sa.select(FollowUp).where(FollowUp.side == FollowUpSide.MEMBER).order_by(FollowUp.id)
    ).all()
    for follow_up in member_side:
        follow_up.sent_at = sent
    answer_directly(member_side[0], member_side[0].asked, today, True, "yes", "no", "")
    answer_directly(member_side[1], member_side[1].asked, sent, False, "no", "planned", "")
    db.session.commit()

    earlier = follow_ups.impact_table(Period.of(last_month, last_month))
    assert [row[2:4] for row in earlier.rows] == [(3, 2)] * 3
    follow_on = earlier.rows[2]
    assert (follow_on[4], follow_on[6], follow_on[8]) == (0, 1, 1)
    now = follow_ups.impact_table(Period.of(this_month, this_month))
    assert [row[2:4] for row in now.rows] == [(3, 0)] * 3  # the institution side, unanswered
    assert "whenever the answer came" in now.note

    # The pages show a question's missing answer as "not asked", the CSV leaves it empty.
    assert charts.format_value(follow_ups.NOT_ASKED, "count") == "not asked"
    assert charts.format_value(follow_ups.NOT_ASKED, "percent") == "not asked"
    assert charts.format_value(None, "count") == "fewer than 5"
    with app.test_request_context():
        html = render_template_string(
            '{% from "_impact.html" import figures_table %}{{ figures_table(t, none) }}',
            t=earlier,
        )
    contact_row = re.search(
        r"<th scope=\"row\"[^>]*>Still in contact.*?(?=<tr|</tbody>)", html, re.S
    )
    assert contact_row and contact_row.group(0).count("not asked") == 2
    assert "fewer than 5" not in contact_row.group(0)
    assert earlier.to_csv().splitlines()[1] == "Still in contact,3 months,3,2,1,50.0,,,1,50.0"


# --------------------------------------------------------------------------- demo data


def test_demo_answers_fill_due_follow_ups_without_sending_anything(db, make_user, project, rep):
    people = [with_profile(make_user()) for _ in range(12)]
    for index, person in enumerate(people):
        engagement(db, person, project, rep, months_ago(2 + index))
    outbox_before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    seeded = follow_ups.seed_demo_answers(random.Random(7))
    db.session.commit()
    assert seeded.asked > 20 and 0 < seeded.answered < seeded.asked
    assert set(seeded.steps) == {3, 6, 12}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == (
        outbox_before
    )
    assert follow_up_events(db, rep) == []
    answered = db.session.scalars(sa.select(FollowUp).where(FollowUp.answered_at.is_not(None)))
    answered = list(answered)
    assert len({(f.in_contact, f.transferred, f.follow_on) for f in answered}) > 3
    assert all(f.sent_at <= f.answered_at <= utcnow() for f in answered)
    # Run again: nothing new, and the daily command then has nothing to ask either.
    assert follow_ups.seed_demo_answers(random.Random(7)).asked == 0
    assert follow_ups.send_due().asked == 0
