"""Moving around the site in a browser test: the main navigation, logging in and out, and
typing a date into its boxes."""

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def menu(page):
    """The main navigation, opened first where a narrow screen folds it into "Menu"."""
    page.wait_for_load_state()
    summary = page.locator("details.menu > summary")
    if summary.is_visible() and not summary.evaluate("s => s.parentElement.open"):
        summary.click()
    return page.get_by_role("navigation", name="Main")


def log_in(page, live_server, email, password=PASSWORD):
    """Log in from the login page and wait until the navigation shows the account."""
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(menu(page).get_by_role("link", name="Account", exact=True)).to_be_visible()


def log_out(page):
    menu(page).get_by_role("button", name="Log out").click()


def fill_date(page, legend, day, month, year, time=None):
    """Type a date (and a time) into the boxes of the date field whose legend is ``legend``."""
    group = page.get_by_role("group", name=legend, exact=True)
    typed = {"Day": day, "Month": month, "Year": year, "Time": time}
    for box, value in typed.items():
        if value is not None:  # each box's name starts with its label ("Time (Time 1)")
            group.get_by_label(re.compile(f"^{box}\\b")).fill(str(value))
