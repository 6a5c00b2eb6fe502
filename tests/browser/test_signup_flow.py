"""A newcomer signs up, confirms by the emailed link and logs in, in a real Chromium."""

from playwright.sync_api import expect

from tests.browser.navigation import menu
from tests.conftest import first_link


def test_signup_confirm_login_in_chromium(mail_config, smtp_server, app, page, live_server):
    page.goto(f"{live_server}/")
    menu(page).get_by_role("link", name="Join", exact=True).click()
    page.get_by_label("A diaspora professional offering my expertise").check()
    page.get_by_label("Your name").fill("Abebe Kebede")
    page.get_by_label("Email address").fill("abebe@example.org")
    page.get_by_label("Password", exact=True).fill("blue nile sunrise 42")
    page.get_by_label("Repeat the password").fill("blue nile sunrise 42")
    page.get_by_label("I accept the terms of use and the privacy notice").check()
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    (message,) = smtp_server.wait_for("abebe@example.org")
    assert message["Subject"] == "Confirm your email address"
    page.goto(first_link(message, "/confirm/"))
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_text("Your email address is confirmed")).to_be_visible()

    page.get_by_label("Email address").fill("abebe@example.org")
    page.get_by_label("Password").fill("blue nile sunrise 42")
    page.get_by_role("button", name="Log in").click()
    expect(menu(page).get_by_role("link", name="Account")).to_be_visible()
    expect(page.get_by_text("Please confirm your email address")).not_to_be_visible()
