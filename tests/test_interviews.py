"""The interview step: proposing times, picking one or asking for others, the calendar
file, and who may see or do any of it."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import icalendar
import pytest
import sqlalchemy as sa

from diaspora.mail.outbox import _build
from diaspora.models import (
    ApplicationStatus,
    InterviewProposal,
    InterviewSlot,
    InterviewStatus,
    MessageKind,
    OutboxMessage,
    ProjectStatus,
    Role,
)
from diaspora.services import applications as service
from diaspora.services import deletion, interviews, projects
from diaspora.services.applications import Engagement
from diaspora.services.errors import Conflict, Invalid, NotAllowed, NotFound
from tests.conftest import PASSWORD
from tests.factories import MOTIVATION, make_institution, make_project, sign_in, with_profile

S = ApplicationStatus
NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, name="Rep Alemu", email="rep@aau.example")


@pytest.fixture
def project(rep):
    institution = make_institution(rep)
    institution.country = "ET"
    return make_project(institution, status=ProjectStatus.PUBLISHED, title="Lab training")


@pytest.fixture
def member(make_user):
    return with_profile(make_user(name="Hiwot Tesfaye", email="hiwot@example.org"))


@pytest.fixture
def shortlisted(db, rep, member, project):
    application, _ = service.apply(member, project, MOTIVATION, Engagement())
    service.decide(rep, application, "shortlist")
    db.session.commit()
    return application


def local(day, hour, minute=0):
    return datetime(2027, 3, day, hour, minute)


def propose(rep, application, times=None, zone="Africa/Addis_Ababa", **kwargs):
    values = {"duration_minutes": 60, "place": "Room 12, Science Faculty", "note": ""}
    values.update(kwargs)
    return interviews.propose(
        rep,
        application,
        times or [local(3, 10), local(4, 14, 30)],
        zone,
        values["duration_minutes"],
        values["place"],
        values["note"],
        now=NOW,
    )


def mails(db, to):
    return db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == to).order_by(OutboxMessage.id)
    ).all()


# --------------------------------------------------------------------------- proposing


def test_times_are_stored_in_utc_and_shown_in_their_zone(db, rep, member, shortlisted):
    proposal = propose(rep, shortlisted, note="Bring your lab notes.")
    db.session.commit()
    assert proposal.status == InterviewStatus.PROPOSED
    assert proposal.timezone == "Africa/Addis_Ababa"
    db.session.expire_all()
    starts = [slot.starts_at for slot in proposal.slots]
    assert starts == [
        datetime(2027, 3, 3, 7, 0, tzinfo=UTC),
        datetime(2027, 3, 4, 11, 30, tzinfo=UTC),
    ]
    assert proposal.slots[0].local_text == (
        "Wed 03 Mar 2027, 10:00-11:00 (Africa/Addis_Ababa, UTC+03:00)"
    )
    entry = shortlisted.messages[-1]
    assert entry.kind == MessageKind.INTERVIEW_PROPOSED and entry.from_institution
    assert "Wed 03 Mar 2027, 10:00-11:00" in entry.body and "Bring your lab notes." in entry.body
    (mail,) = [m for m in mails(db, member.email) if "Interview" in m.subject]
    assert mail.subject == "Interview times proposed for Lab training"
    assert "Room 12" not in mail.body_text and f"/applications/{shortlisted.id}" in mail.body_text


@pytest.mark.parametrize(
    ("times", "zone", "kwargs", "message"),
    [
        ([], "UTC", {}, "at least one"),
        ([local(3, h) for h in range(8, 14)], "UTC", {}, "at most 5"),
        ([datetime(2027, 2, 28, 9, 0)], "UTC", {}, "future"),
        ([datetime(2029, 3, 1, 9, 0)], "UTC", {}, "within the coming year"),
        ([local(3, 10), local(3, 10)], "UTC", {}, "twice"),
        ([local(3, 10)], "Mars/Olympus", {}, "time zone"),
        ([local(3, 10)], "", {}, "time zone"),
        ([datetime(2027, 3, 28, 2, 30)], "Europe/Berlin", {}, "clocks change"),
        ([local(3, 10)], "UTC", {"duration_minutes": 5}, "duration"),
        ([local(3, 10)], "UTC", {"duration_minutes": None}, "duration"),
        ([local(3, 10)], "UTC", {"place": "  "}, "where the interview"),
        ([local(3, 10)], "UTC", {"place": "x" * 301}, "under 300"),
        ([local(3, 10)], "UTC", {"note": "x" * 1001}, "under 1000"),
    ],
)
def test_bad_proposals_are_refused(db, rep, shortlisted, times, zone, kwargs, message):
    with pytest.raises(Invalid, match=message):
        interviews.propose(
            rep,
            shortlisted,
            times,
            zone,
            kwargs.get("duration_minutes", 60),
            kwargs.get("place", "Online"),
            kwargs.get("note", ""),
            now=NOW,
        )


def test_proposing_needs_a_shortlisted_application(db, rep, member, project):
    application, _ = service.apply(member, project, MOTIVATION, Engagement())
    db.session.commit()
    with pytest.raises(Conflict, match="shortlisted"):
        propose(rep, application)
    service.decide(rep, application, "shortlist")
    service.decide(rep, application, "accept")
    db.session.commit()
    with pytest.raises(Conflict, match="shortlisted"):
        propose(rep, application)


def test_only_the_institutions_reps_propose(db, member, shortlisted, make_user):
    other_rep = make_user(role=Role.INSTITUTION, email="other@uni.example")
    make_institution(other_rep)
    for person in (member, other_rep):
        with pytest.raises(NotAllowed):
            propose(person, shortlisted)


def test_a_new_proposal_replaces_the_earlier_one(db, rep, shortlisted):
    first = propose(rep, shortlisted)
    second = propose(rep, shortlisted, times=[local(5, 9)])
    db.session.commit()
    assert first.status == InterviewStatus.REPLACED
    assert interviews.current(shortlisted) is second


def test_control_characters_are_removed_from_the_place_and_note(db, rep, shortlisted):
    proposal = propose(rep, shortlisted, place="Room\x00 12", note="See\x00 you")
    db.session.commit()
    assert proposal.place == "Room 12"
    assert "See you" in shortlisted.messages[-1].body


# --------------------------------------------------------------------------- answering


def test_the_member_picks_a_time_and_both_sides_get_the_calendar(db, rep, member, shortlisted):
    proposal = propose(rep, shortlisted)
    db.session.commit()
    second = proposal.slots[1]
    interviews.choose(member, shortlisted, second.id, now=NOW)
    db.session.commit()
    assert proposal.status == InterviewStatus.AGREED and proposal.chosen is second
    assert shortlisted.messages[-1].kind == MessageKind.INTERVIEW_AGREED
    for address in (member.email, rep.email):
        mail = mails(db, address)[-1]
        assert mail.subject == "Interview for Lab training agreed"
        assert "Thu 04 Mar 2027, 14:30-15:30 (Africa/Addis_Ababa, UTC+03:00)" in mail.body_text
        (attachment,) = mail.attachments
        assert attachment["filename"] == "interview.ics"
        event = _event(attachment["data"].encode())
        assert event.get("dtstart").dt == datetime(2027, 3, 4, 11, 30, tzinfo=UTC)
        assert event.get("dtend").dt == datetime(2027, 3, 4, 12, 30, tzinfo=UTC)


def _event(data: bytes):
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar.get("version")) == "2.0"
    assert str(calendar.get("method")) == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    return event


def test_the_calendar_file_is_rfc_5545(db, rep, member, shortlisted):
    long_place = "Room 12, Science Faculty; building B, floor 3, next to the library, Addis Ababa"
    proposal = propose(rep, shortlisted, place=long_place)
    db.session.commit()
    interviews.choose(member, shortlisted, proposal.slots[0].id, now=NOW)
    db.session.commit()
    data = interviews.agreed_calendar(member, shortlisted.id)
    lines = data.split(b"\r\n")
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-2] == b"END:VCALENDAR"
    assert all(len(line) <= 75 for line in lines)
    assert b"DTSTART:20270303T070000Z" in data and b"DTEND:20270303T080000Z" in data
    assert b"Room 12\\, Science Faculty\\; building B" in data.replace(b"\r\n ", b"")
    event = _event(data)
    assert str(event.get("uid")).startswith(f"interview-{proposal.id}-")
    assert event.get("dtstamp").dt == NOW
    assert str(event.get("summary")) == "Interview: Lab training"
    assert str(event.get("location")) == long_place
    assert f"/applications/{shortlisted.id}" in str(event.get("url"))


def test_the_outbox_sends_the_attachment(db, rep, member, shortlisted):
    proposal = propose(rep, shortlisted)
    db.session.commit()
    interviews.choose(member, shortlisted, proposal.slots[0].id, now=NOW)
    db.session.commit()
    sent = message_from_bytes(_build(mails(db, member.email)[-1]).as_bytes(), policy=policy.default)
    (part,) = list(sent.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "PUBLISH"
    assert part.get_filename() == "interview.ics"
    event = _event(part.get_content().encode("utf-8"))
    assert event.get("dtstart").dt == datetime(2027, 3, 3, 7, 0, tzinfo=UTC)


def test_picking_needs_a_waiting_proposal_and_one_of_its_times(db, rep, member, shortlisted):
    with pytest.raises(Conflict, match="No interview times"):
        interviews.choose(member, shortlisted, 1, now=NOW)
    first = propose(rep, shortlisted)
    second = propose(rep, shortlisted, times=[local(5, 9)])
    db.session.commit()
    with pytest.raises(Invalid, match="one of the times"):
        interviews.choose(member, shortlisted, first.slots[0].id, now=NOW)
    with pytest.raises(Invalid):
        interviews.choose(member, shortlisted, None, now=NOW)
    with pytest.raises(NotAllowed):
        interviews.choose(rep, shortlisted, second.slots[0].id, now=NOW)
    with pytest.raises(Conflict, match="passed"):
        interviews.choose(member, shortlisted, second.slots[0].id, now=NOW + timedelta(days=10))
    interviews.choose(member, shortlisted, second.slots[0].id, now=NOW)
    with pytest.raises(Conflict, match="No interview times"):
        interviews.choose(member, shortlisted, second.slots[0].id, now=NOW)


def test_the_member_asks_for_other_times_and_the_rep_proposes_again(db, rep, member, shortlisted):
    first = propose(rep, shortlisted)
    db.session.commit()
    with pytest.raises(Invalid):
        interviews.ask_other_times(member, shortlisted, "   ")
    with pytest.raises(NotAllowed):
        interviews.ask_other_times(rep, shortlisted, "Mornings please.")
    interviews.ask_other_times(member, shortlisted, "Mornings\x00 in the week of 8 March.")
    db.session.commit()
    assert first.status == InterviewStatus.OTHER_TIMES
    entry = shortlisted.messages[-1]
    assert (entry.kind, entry.from_institution) == (MessageKind.INTERVIEW_OTHER_TIMES, False)
    assert entry.body == "Mornings in the week of 8 March."
    assert mails(db, rep.email)[-1].subject == "Other interview times asked for Lab training"
    again = propose(rep, shortlisted, times=[local(9, 9)])
    db.session.commit()
    assert first.status == InterviewStatus.REPLACED and interviews.current(shortlisted) is again


def test_no_calendar_before_a_time_is_agreed_or_for_strangers(
    db, rep, member, shortlisted, make_user
):
    propose(rep, shortlisted)
    db.session.commit()
    with pytest.raises(NotFound):
        interviews.agreed_calendar(member, shortlisted.id)
    interviews.choose(member, shortlisted, shortlisted.interviews[-1].slots[0].id, now=NOW)
    db.session.commit()
    stranger = with_profile(make_user(email="stranger@example.org"))
    with pytest.raises(NotFound):
        interviews.agreed_calendar(stranger, shortlisted.id)
    assert interviews.agreed_calendar(rep, shortlisted.id).startswith(b"BEGIN:VCALENDAR")
    with pytest.raises(NotFound):
        interviews.agreed_calendar(member, shortlisted.id + 1000)


# --------------------------------------------------------------------------- pages


def future(days, hour=10):
    """A wall-clock time ``days`` from now, as a datetime-local box sends it."""
    return (
        (datetime.now(UTC) + timedelta(days=days))
        .replace(hour=hour, minute=0)
        .strftime("%Y-%m-%dT%H:%M")
    )


def proposal_form(**overrides):
    data = {
        "time_1": future(3),
        "time_2": future(4, 14),
        "timezone": "Africa/Addis_Ababa",
        "duration": "45",
        "place": "https://meet.example/abc",
        "note": "",
    }
    data.update(overrides)
    return data


def test_the_rep_proposes_and_the_member_picks_on_the_page(client, db, rep, member, shortlisted):
    sign_in(client, rep)
    page = client.get(f"/applications/{shortlisted.id}").get_data(as_text=True)
    assert "Propose interview times (optional)" in page
    assert 'value="Africa/Addis_Ababa"' in page  # the institution's country's zone
    response = client.post(f"/applications/{shortlisted.id}/interview", data=proposal_form())
    assert response.status_code == 302
    proposal = interviews.current(shortlisted)
    assert proposal is not None and len(proposal.slots) == 2

    sign_in(client, member)
    page = client.get(f"/applications/{shortlisted.id}").get_data(as_text=True)
    assert "(Africa/Addis_Ababa, UTC+03:00)" in page and "Confirm this time" in page
    assert "https://meet.example/abc" in page
    slot = proposal.slots[0]
    client.post(f"/applications/{shortlisted.id}/interview/choice", data={"slot": slot.id})
    db.session.expire_all()
    assert interviews.agreed(shortlisted) is not None
    page = client.get(f"/applications/{shortlisted.id}").get_data(as_text=True)
    assert "Add to calendar (.ics)" in page
    download = client.get(f"/applications/{shortlisted.id}/interview.ics")
    assert download.status_code == 200
    assert download.mimetype == "text/calendar"
    assert 'filename="interview.ics"' in download.headers["Content-Disposition"]
    assert _event(download.data).get("dtstart").dt == slot.starts_at

    sign_in(client, rep)
    assert client.get(f"/applications/{shortlisted.id}/interview.ics").status_code == 200


def test_the_member_asks_for_other_times_on_the_page(client, db, rep, member, shortlisted):
    propose(rep, shortlisted)
    db.session.commit()
    sign_in(client, member)
    client.post(
        f"/applications/{shortlisted.id}/interview/other-times",
        data={"wishes": "Any morning next week."},
    )
    db.session.expire_all()
    assert interviews.current(shortlisted).status == InterviewStatus.OTHER_TIMES
    sign_in(client, rep)
    page = client.get(f"/applications/{shortlisted.id}").get_data(as_text=True)
    assert "Any morning next week." in page and "Propose new interview times" in page


def test_interview_details_are_for_the_two_sides_only(
    app, client, db, rep, member, shortlisted, make_user
):
    proposal = propose(rep, shortlisted)
    db.session.commit()
    interviews.choose(member, shortlisted, proposal.slots[0].id, now=NOW)
    db.session.commit()
    other_rep = make_user(role=Role.INSTITUTION, email="other@uni.example")
    make_institution(other_rep)
    stranger = with_profile(make_user(email="stranger@example.org"))
    base = f"/applications/{shortlisted.id}"
    for person in (other_rep, stranger):
        sign_in(client, person)
        assert client.get(base).status_code == 404
        assert client.get(f"{base}/interview.ics").status_code == 404
        for action, data in (
            ("interview", proposal_form()),
            ("interview/choice", {"slot": proposal.slots[0].id}),
            ("interview/other-times", {"wishes": "Later."}),
        ):
            assert client.post(f"{base}/{action}", data=data).status_code == 404
    sign_in(client, member)
    assert client.get(f"/applications/{10**12}/interview.ics").status_code == 404
    assert (
        client.post(f"/applications/{10**12}/interview/choice", data={"slot": 1}).status_code == 404
    )
    visitor = app.test_client()
    assert visitor.get(f"{base}/interview.ics").status_code == 302  # to the login page
    assert len(interviews.current(shortlisted).slots) == 2


def test_the_forms_need_their_csrf_token(app, client, db, rep, member, shortlisted):
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in(client, rep)
    base = f"/applications/{shortlisted.id}"
    assert client.post(f"{base}/interview", data=proposal_form()).status_code == 400
    assert client.post(f"{base}/interview/other-times", data={"wishes": "x"}).status_code == 400
    assert client.post(f"{base}/interview/choice", data={"slot": "1"}).status_code == 400
    assert interviews.current(shortlisted) is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"time_1": "2020-01-01T10:00", "time_2": ""},
        {"time_1": "99999-01-01T10:00", "time_2": ""},
        {"time_1": "not a date", "time_2": ""},
        {"time_1": "", "time_2": ""},
        {"timezone": "Nowhere/Atlantis"},
        {"timezone": "Africa/Addis_Ababa\r\nBcc: x@example.org"},
        {"duration": "100000000000000000000"},
        {"place": "x" * 100_000},
        {"place": "Room\x00 12\nBcc: x@example.org"},
        {"note": "x" * 100_000},
    ],
)
def test_bad_proposal_forms_are_refused_without_a_500(client, db, rep, shortlisted, overrides):
    sign_in(client, rep)
    response = client.post(
        f"/applications/{shortlisted.id}/interview",
        data=proposal_form(**overrides),
        follow_redirects=True,
    )
    assert response.status_code in (200, 413)
    assert interviews.current(shortlisted) is None


def test_nul_bytes_and_huge_notes_from_the_member(client, db, rep, member, shortlisted):
    propose(rep, shortlisted)
    db.session.commit()
    sign_in(client, member)
    base = f"/applications/{shortlisted.id}/interview"
    for action, data in (
        ("other-times", {"wishes": "x" * 100_000}),
        ("choice", {"slot": "not a number"}),
        ("choice", {"slot": "999999999999999"}),
    ):
        assert client.post(f"{base}/{action}", data=data).status_code in (302, 413)
    db.session.expire_all()
    assert interviews.current(shortlisted).status == InterviewStatus.PROPOSED
    client.post(f"{base}/other-times", data={"wishes": "Mornings\x00 please."})
    db.session.expire_all()
    assert shortlisted.messages[-1].body == "Mornings please."


def test_a_refused_proposal_keeps_what_was_typed(client, db, rep, shortlisted):
    sign_in(client, rep)
    base = f"/applications/{shortlisted.id}"
    page = client.post(
        f"{base}/interview", data=proposal_form(time_2="2020-05-01T09:00", place="Room 7")
    ).get_data(as_text=True)
    assert "Every time must be in the future." in page
    assert 'value="Room 7"' in page
    assert 'id="time_2-day" name="time_2-day" value="01"' in page  # the time in its boxes
    assert 'id="time_2-year" name="time_2-year" value="2020"' in page
    assert 'id="time_2-time" name="time_2-time" value="09:00"' in page
    assert "<details open>" in page
    page = client.post(f"{base}/interview", data=proposal_form(duration="5")).get_data(as_text=True)
    assert "Number must be between 15 and 480." in page
    assert 'value="https://meet.example/abc"' in page
    assert interviews.current(shortlisted) is None


def test_a_non_latin_title_is_folded_by_octets_without_splitting_characters(
    db, rep, member, shortlisted
):
    shortlisted.project.title = "የላቦራቶሪ ጥራት ስልጠና ለአዲስ አበባ ዩኒቨርሲቲ ሆስፒታሎች"
    proposal = propose(rep, shortlisted, place="ሳይንስ ፋኩልቲ, ክፍል 12")
    db.session.commit()
    interviews.choose(member, shortlisted, proposal.slots[0].id, now=NOW)
    db.session.commit()
    data = interviews.agreed_calendar(member, shortlisted.id)
    lines = data.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # raises UnicodeDecodeError if a fold split a character
    event = _event(data)
    assert str(event.get("summary")) == f"Interview: {shortlisted.project.title}"
    assert str(event.get("location")) == "ሳይንስ ፋኩልቲ, ክፍል 12"


def test_deleting_an_account_takes_its_interviews_or_its_name(db, rep, member, shortlisted):
    proposal = propose(rep, shortlisted)
    db.session.commit()
    proposal_id = proposal.id
    deletion.delete_account(rep, PASSWORD)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(InterviewProposal, proposal_id).proposed_by_id is None

    deletion.delete_account(member, PASSWORD)  # still shortlisted: the application goes
    db.session.commit()
    assert db.session.get(InterviewProposal, proposal_id) is None
    assert db.session.scalar(sa.select(sa.func.count(InterviewSlot.id))) == 0


# --------------------------------------------------------------------------- called off


def agree(db, rep, member, application):
    proposal = propose(rep, application)
    db.session.commit()
    interviews.choose(member, application, proposal.slots[0].id, now=NOW)
    db.session.commit()
    return proposal


def cancellations(db, to):
    return [m for m in mails(db, to) if m.subject == "Interview for Lab training called off"]


def cancelling_event(message, agreed_uid):
    (attachment,) = message.attachments
    assert attachment["filename"] == "interview-cancelled.ics"
    assert "method=CANCEL" in attachment["content_type"]
    calendar = icalendar.Calendar.from_ical(attachment["data"])
    assert str(calendar.get("method")) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event.get("uid")) == agreed_uid
    assert str(event.get("status")) == "CANCELLED" and int(event.get("sequence")) == 1
    return event


@pytest.mark.parametrize("ending", ["decline", "withdraw", "close"])
def test_an_agreed_interview_is_called_off_when_the_application_ends(
    db, rep, member, shortlisted, ending
):
    """Both sides get a calendar file that removes the agreed interview; the page and the
    calendar link no longer offer it."""
    proposal = agree(db, rep, member, shortlisted)
    uid = str(
        icalendar.Calendar.from_ical(interviews.agreed_calendar(member, shortlisted.id))
        .walk("VEVENT")[0]
        .get("uid")
    )
    if ending == "decline":
        service.decide(rep, shortlisted, "decline", "We chose someone else.")
    elif ending == "withdraw":
        service.withdraw(member, shortlisted)
    else:
        projects.close(rep, shortlisted.project, "The funding ended.")
    db.session.commit()
    assert proposal.status == InterviewStatus.CANCELLED
    assert interviews.current(shortlisted) is None
    with pytest.raises(NotFound):
        interviews.agreed_calendar(member, shortlisted.id)
    for person in (member, rep):
        (message,) = cancellations(db, person.email)
        assert "will not take place: the application has ended" in message.body_text
        cancelling_event(message, uid)


def test_new_times_after_an_agreed_one_cancel_it_in_both_calendars(db, rep, member, shortlisted):
    first = agree(db, rep, member, shortlisted)
    uid = f"interview-{first.id}-{first.slots[0].id}@diaspora.test"
    again = propose(rep, shortlisted, times=[local(9, 9)])
    db.session.commit()
    assert first.status == InterviewStatus.REPLACED and interviews.current(shortlisted) is again
    for person in (member, rep):
        (message,) = cancellations(db, person.email)
        assert "new times were proposed" in message.body_text
        cancelling_event(message, uid)


def test_times_not_yet_agreed_or_already_past_are_ended_without_a_calendar_file(
    db, rep, member, shortlisted
):
    proposal = propose(rep, shortlisted)
    db.session.commit()
    service.decide(rep, shortlisted, "decline")
    db.session.commit()
    assert proposal.status == InterviewStatus.CANCELLED
    assert cancellations(db, member.email) == cancellations(db, rep.email) == []


def test_a_called_off_interview_leaves_the_page(client, db, rep, member, shortlisted):
    agree(db, rep, member, shortlisted)
    service.decide(rep, shortlisted, "decline")
    db.session.commit()
    sign_in(client, member)
    page = client.get(f"/applications/{shortlisted.id}").get_data(as_text=True)
    assert "Add to calendar" not in page
    assert client.get(f"/applications/{shortlisted.id}/interview.ics").status_code == 404


def test_each_side_reads_the_proposal_addressed_to_it(app, db, rep, member, shortlisted):
    propose(rep, shortlisted)
    db.session.commit()
    for person, wanted, other in (
        (member, "Pick one of the times below", "Waiting for the applicant"),
        (rep, "Waiting for the applicant to pick a time", "Pick one of the times below"),
    ):
        client = app.test_client()
        sign_in(client, person)
        page = client.get(f"/applications/{shortlisted.id}").get_data(as_text=True)
        assert wanted in page and other not in page, person.email
