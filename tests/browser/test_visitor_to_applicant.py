"""A visitor on a phone finds a project, creates an account on the way to applying,
confirms by the emailed link, creates a profile when asked, and lands back on the apply
form of that project, in a real Chromium."""

import re

from playwright.sync_api import expect

from diaspora.models import ProjectStatus
from tests.conftest import first_link
from tests.factories import MOTIVATION, make_institution, make_project

PHRASE = "blue nile sunrise 42"


def test_visitor_becomes_applicant_without_losing_the_project(
    mail_config, smtp_server, app, page, live_server
):
    project = make_project(
        make_institution(), status=ProjectStatus.PUBLISHED, title="Laboratory quality training"
    )
    apply_url = re.compile(re.escape(f"{live_server}/projects/{project.id}/apply") + "$")

    page.goto(f"{live_server}/projects/{project.id}")
    page.get_by_role("link", name="Apply to this project").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_role("link", name="Create an account").click()

    page.get_by_label("A diaspora professional offering my expertise").check()
    page.get_by_label("Your name").fill("Abebe Kebede")
    page.get_by_label("Email address").fill("abebe@example.org")
    page.get_by_label("Password", exact=True).fill(PHRASE)
    page.get_by_label("Repeat the password").fill(PHRASE)
    page.get_by_label("I accept the terms of use and the privacy notice").check()
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    (message,) = smtp_server.wait_for("abebe@example.org", "Confirm your email address")
    page.goto(first_link(message, "/confirm/"))
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_text("Your email address is confirmed")).to_be_visible()

    page.get_by_label("Email address").fill("abebe@example.org")
    page.get_by_label("Password").fill(PHRASE)
    page.get_by_role("button", name="Log in").click()

    # Signed in and confirmed, the member is back on the way to applying: a profile first.
    expect(page).to_have_url(apply_url)
    expect(page.get_by_role("heading", name="Create your profile to apply")).to_be_visible()
    page.get_by_role("link", name="Create my profile").click()
    expect(page.get_by_text("you go back to your application")).to_be_visible()
    page.get_by_label("Headline").fill("Laboratory scientist")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page).to_have_url(apply_url)
    expect(page.get_by_text("Your profile is saved")).to_be_visible()
    expect(page.get_by_role("heading", name="Apply to Laboratory quality training")).to_be_visible()
    page.get_by_label("Why you, and what you would bring").fill(MOTIVATION)
    page.get_by_label("I agree to share the profile shown above").check()
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_text("The institution has not decided yet")).to_be_visible()


def test_error_summary_links_move_to_the_field(app, page, live_server):
    page.goto(f"{live_server}/signup")
    page.get_by_label("Your name").fill("Abebe Kebede")
    page.get_by_label("Email address").fill("not an address")
    page.get_by_role("button", name="Create my account").click()

    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    expect(summary).to_be_visible()
    summary.get_by_role("link", name="Enter a valid email address.").click()
    expect(page.get_by_label("Email address")).to_be_focused()
    expect(page.get_by_label("Email address")).to_have_value("not an address")
    expect(page.get_by_label("Your name")).to_have_value("Abebe Kebede")
    summary.get_by_role("link", name="You must accept the terms to join.").click()
    expect(page.get_by_label("I accept the terms of use and the privacy notice")).to_be_focused()
