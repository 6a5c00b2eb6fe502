"""The interview step in a real Chromium: a representative on a desktop shortlists and
proposes two times; the member, on a phone, picks one; the calendar file arrives by email at
the SMTP server and is offered for download on the page."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from playwright.sync_api import expect

from diaspora.models import ProjectStatus, Role
from diaspora.services import applications as service
from diaspora.services.applications import Engagement
from tests.browser.navigation import fill_date, log_in, log_out
from tests.conftest import text_of
from tests.factories import MOTIVATION, make_institution, make_project, with_profile

ZONE = ZoneInfo("Africa/Addis_Ababa")
DESKTOP = {"width": 1280, "height": 900}


def _no_horizontal_overflow(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


def _event(data: bytes):
    calendar = icalendar.Calendar.from_ical(data)
    (event,) = calendar.walk("VEVENT")
    return event


def test_propose_pick_and_get_the_calendar_file(
    mail_config, smtp_server, app, db, make_user, browser, page, live_server
):
    rep = make_user(role=Role.INSTITUTION, email="rep@aau.example")
    institution = make_institution(rep)
    institution.country = "ET"
    project = make_project(
        institution, status=ProjectStatus.PUBLISHED, title="Laboratory quality training"
    )
    member = with_profile(make_user(name="Hiwot Tesfaye", email="hiwot@example.org"))
    application, _ = service.apply(member, project, MOTIVATION, Engagement())
    db.session.commit()
    day = datetime.now(ZONE).date() + timedelta(days=3)
    first = datetime(day.year, day.month, day.day, 10, 0, tzinfo=ZONE)
    second = first + timedelta(days=1, hours=4, minutes=30)

    desk = browser.new_context(viewport=DESKTOP).new_page()
    log_in(desk, live_server, rep.email)
    desk.set_viewport_size({"width": 390, "height": 844})
    desk.goto(f"{live_server}/applications/inbox")
    expect(desk.get_by_text("Waiting less than a day")).to_be_visible()
    _no_horizontal_overflow(desk)
    desk.set_viewport_size(DESKTOP)
    desk.get_by_role("link", name="Hiwot Tesfaye").click()
    desk.get_by_label("Shortlist").check()
    desk.get_by_label("Message to the applicant (optional)").fill("We would like to meet you.")
    desk.get_by_role("button", name="Send the answer").click()
    expect(desk.get_by_text("the applicant is told")).to_be_visible()

    expect(desk.get_by_label("Time zone of these times")).to_have_value("Africa/Addis_Ababa")
    desk.set_viewport_size({"width": 390, "height": 844})
    _no_horizontal_overflow(desk)  # the proposal form fits a phone too
    desk.set_viewport_size(DESKTOP)
    fill_date(desk, "Time 1", first.day, first.month, first.year, f"{first:%H:%M}")
    fill_date(desk, "Time 2 (optional)", second.day, f"{second:%b}", second.year, f"{second:%H%M}")
    desk.get_by_label("Duration in minutes").fill("45")
    desk.get_by_label("Place, or the link to join online").fill("https://meet.example/aau-lab")
    desk.get_by_role("button", name="Send the interview times").click()
    expect(desk.get_by_text("The interview times are sent to the applicant.")).to_be_visible()
    expect(desk.get_by_text("Waiting for the applicant to pick a time")).to_be_visible()
    log_out(desk)
    desk.context.close()

    (proposed,) = smtp_server.wait_for(member.email, "Interview times proposed")
    assert "/applications/" in text_of(proposed)

    log_in(page, live_server, member.email)
    page.goto(f"{live_server}/applications/{application.id}")
    expect(page.get_by_text("We would like to meet you.")).to_be_visible()
    second_label = f"{second:%a %d %b %Y, %H:%M}-{second + timedelta(minutes=45):%H:%M}"
    page.get_by_label(f"{second_label} (Africa/Addis_Ababa, UTC+03:00)").check()
    _no_horizontal_overflow(page)
    page.get_by_role("button", name="Confirm this time").click()
    expect(page.get_by_text("The interview time is agreed.")).to_be_visible()
    expect(page.get_by_text("Time agreed", exact=True)).to_be_visible()
    _no_horizontal_overflow(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    downloaded = _event(download_info.value.path().read_bytes())
    assert downloaded.get("dtstart").dt == second.astimezone(UTC)

    (agreed,) = smtp_server.wait_for(member.email, "Interview for")
    assert agreed["Subject"] == "Interview for Laboratory quality training agreed"
    assert f"{second_label} (Africa/Addis_Ababa, UTC+03:00)" in text_of(agreed)
    (attachment,) = list(agreed.iter_attachments())
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == "interview.ics"
    event = _event(attachment.get_content().encode("utf-8"))
    assert event.get("dtstart").dt == second.astimezone(UTC)
    assert event.get("dtend").dt == second.astimezone(UTC) + timedelta(minutes=45)
    assert str(event.get("location")) == "https://meet.example/aau-lab"
    assert str(event.get("summary")) == "Interview: Laboratory quality training"
    assert str(event.get("uid")) == str(downloaded.get("uid"))
    (to_rep,) = smtp_server.wait_for(rep.email, "Interview for")
    assert [p.get_filename() for p in to_rep.iter_attachments()] == ["interview.ics"]
