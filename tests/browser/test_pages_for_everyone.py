"""Pages that work for everyone, in a real Chromium: destructive buttons look destructive,
axe finds no serious problem on the pages of the core loop, and phones get a usable layout."""

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.core_pages import build

pytestmark = pytest.mark.search_index


def log_in(page, live_server, email):
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_attached()


def background(locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).backgroundColor")


def test_a_destructive_button_does_not_look_like_a_primary_one(app, page, live_server):
    world = build()
    log_in(page, live_server, world.coordinator.email)
    page.goto(f"{live_server}/institutions/{world.unverified}/review")
    verify = page.get_by_role("button", name="Verify", exact=True)
    reject = page.get_by_role("button", name="Reject", exact=True)
    expect(reject).to_have_class("button button-danger")
    assert background(reject) != background(verify)
    assert background(reject) == "rgb(164, 39, 27)"
