"""Pages that work for everyone, in a real Chromium: destructive buttons look destructive,
axe finds no serious problem on the pages of the core loop, and phones get a usable layout."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.core_pages import PAGES, build

pytestmark = pytest.mark.search_index
AXE = Axe()


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


# --------------------------------------------------------------------------- axe

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
PEOPLE = sorted({who or "visitor" for _, who, _ in PAGES})


def axe_problems(page, name: str) -> list[str]:
    """axe's serious and critical violations on the open page, one readable line each."""
    results = AXE.run(page)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        lines.append(
            f"{name}: {violation['impact']} {violation['id']}: {violation['help']} [{targets}]"
        )
    return lines


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("person", PEOPLE)
def test_axe_finds_no_serious_problem_on_the_core_pages(app, page, live_server, person, viewport):
    world = build()
    page.set_viewport_size(VIEWPORTS[viewport])
    if person != "visitor":
        log_in(page, live_server, getattr(world, person).email)
    problems = []
    for name, who, path in PAGES:
        if (who or "visitor") != person:
            continue
        response = page.goto(f"{live_server}{path(world)}")
        assert response.status == 200, name
        problems += axe_problems(page, name)
    assert not problems, "\n".join(problems)
