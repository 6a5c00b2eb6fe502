"""The site in Arabic, right to left, in a real Chromium on a phone: chosen with the footer's
switcher without JavaScript, mirrored layout, no sideways scrolling on any core page."""

import os

import pytest
from playwright.sync_api import expect

from tests.browser.navigation import log_in
from tests.browser.test_pages_for_everyone import VIEWPORTS, axe_problems, layout_problems
from tests.core_pages import PAGES, build

pytestmark = pytest.mark.search_index
SHOTS = os.path.join(os.path.dirname(__file__), "..", "..", "test-results")


@pytest.fixture
def phone_without_script(browser):
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS["phone"])
    yield context.new_page()
    context.close()


def test_a_visitor_switches_to_arabic_without_javascript_and_the_page_reads_right_to_left(
    app, phone_without_script, live_server
):
    page = phone_without_script
    page.goto(f"{live_server}/about")
    page.get_by_role("button", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.url == f"{live_server}/about", "the switcher comes back to the same page"
    width = VIEWPORTS["phone"]["width"]
    brand = page.locator(".brand").bounding_box()
    assert brand["x"] > width / 2, "the site's name sits on the right, where Arabic starts"
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, "arabic-phone-about.png"), full_page=True)
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    assert page.locator(".brand").bounding_box()["x"] < width / 2


@pytest.mark.parametrize("person", ["visitor", "member", "applicant", "rep", "coordinator"])
def test_every_core_page_in_arabic_fits_a_phone_and_passes_axe(app, page, live_server, person):
    world = build()
    page.set_viewport_size(VIEWPORTS["phone"])
    if person != "visitor":
        log_in(page, live_server, getattr(world, person).email)
    page.goto(f"{live_server}/")
    page.get_by_role("button", name="العربية").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    problems = []
    for name, who, path in PAGES:
        if (who or "visitor") != person:
            continue
        response = page.goto(f"{live_server}{path(world)}")
        assert response.status == 200, name
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        problems += axe_problems(page, name) + layout_problems(page, name)
    page.screenshot(path=os.path.join(SHOTS, f"arabic-phone-{person}.png"), full_page=True)
    assert not problems, "\n".join(problems)
