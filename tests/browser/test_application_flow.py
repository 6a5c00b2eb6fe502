"""A member applies on a phone, typing the dates in boxes; a representative accepts, the member
sees it and gets the email, in a real Chromium, everyone logging in through the login form."""

from datetime import date

from playwright.sync_api import expect

from diaspora.models import ProjectStatus, Role
from tests.browser.navigation import fill_date, log_in, log_out, menu
from tests.conftest import text_of
from tests.factories import MOTIVATION, make_institution, make_project, with_profile

PHONE = {"width": 390, "height": 844}


def test_apply_accept_and_hear_about_it(
    mail_config, smtp_server, app, make_user, page, live_server
):
    rep = make_user(role=Role.INSTITUTION, email="rep@aau.example")
    project = make_project(
        make_institution(rep), status=ProjectStatus.PUBLISHED, title="Laboratory quality training"
    )
    member = with_profile(
        make_user(name="Hiwot Tesfaye", email="hiwot@example.org"), headline="Lab scientist"
    )

    year = date.today().year + 1
    page.set_viewport_size(PHONE)
    log_in(page, live_server, member.email)
    page.goto(f"{live_server}/projects/{project.id}")
    page.get_by_role("link", name="Apply to this project").click()
    expect(page.get_by_text("What the institution will see of your profile")).to_be_visible()
    expect(page.get_by_text("Lab scientist")).to_be_visible()
    page.get_by_label("Why you, and what you would bring").fill(MOTIVATION)
    available = page.get_by_role("group", name="Available from", exact=True)
    expect(available.get_by_text("For example, 27 3 2027")).to_be_visible()
    boxes = [available.get_by_label(name) for name in ("Day", "Month", "Year")]
    tops = {round(box.bounding_box()["y"]) for box in boxes}
    assert len(tops) == 1, f"the day, month and year boxes are on {len(tops)} lines"
    fill_date(page, "Available from", 2, 3, year)
    fill_date(page, "Available until", 30, "June", year)
    page.get_by_label("Hours per month you can give").fill("12")
    page.get_by_label("I agree to share the profile shown above").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_text("The institution has not decided yet")).to_be_visible()
    expect(page.get_by_text("Applied, waiting for an answer")).to_be_visible()
    expect(page.get_by_text(f"02 Mar {year} – 30 Jun {year}")).to_be_visible()
    log_out(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    log_in(page, live_server, rep.email)
    menu(page).get_by_role("link", name="Applications").click()
    page.get_by_role("link", name="Hiwot Tesfaye").click()
    expect(page.get_by_text(MOTIVATION)).to_be_visible()
    page.get_by_label("Accept").check()
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("the applicant is told")).to_be_visible()
    log_out(page)

    log_in(page, live_server, member.email)
    menu(page).get_by_role("link", name="My applications").click()
    expect(page.locator(".badge-ok")).to_have_text("Accepted")
    expect(page.get_by_text("You are accepted on Laboratory quality training")).to_be_visible()

    (message,) = smtp_server.wait_for(member.email, "You are accepted")
    assert message["Subject"] == "You are accepted on Laboratory quality training"
    assert "/applications/" in text_of(message)
    assert MOTIVATION not in text_of(message)
