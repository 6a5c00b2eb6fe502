"""Pages that work for everyone, in a real Chromium: destructive buttons look destructive,
axe finds no serious problem on the pages of the core loop, and phones get a usable layout."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.navigation import log_in, menu
from tests.core_pages import PAGES, build

pytestmark = pytest.mark.search_index
AXE = Axe()


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


def layout_problems(page, name: str) -> list[str]:
    """On a phone: no sideways scrolling, and the folded menu keeps the header to one line."""
    width, inner, header = page.evaluate(
        "[document.documentElement.scrollWidth, innerWidth,"
        " document.querySelector('.site-header').getBoundingClientRect().height]"
    )
    problems = []
    if width > inner:
        problems.append(f"{name}: the page is {width} px wide on a {inner} px screen")
    if header > 70:
        problems.append(f"{name}: the header is {header} px high")
    return problems


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
def test_core_pages_pass_axe_and_fit_a_phone(app, page, live_server, person, viewport):
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
        if viewport == "phone":
            problems += layout_problems(page, name)
    assert not problems, "\n".join(problems)


def test_on_a_phone_results_and_the_apply_button_come_first(app, page, live_server):
    world = build()
    screen = VIEWPORTS["phone"]["height"]
    page.goto(f"{live_server}/search?q=neonatal")
    first = page.locator("article.result").first
    expect(first).to_be_visible()
    assert first.bounding_box()["y"] < screen
    expect(page.get_by_role("checkbox").first).to_be_hidden()
    page.get_by_text("Filter results").click()
    expect(page.get_by_role("checkbox").first).to_be_visible()

    log_in(page, live_server, world.applicant.email)
    page.goto(f"{live_server}/projects/{world.project}")
    apply = page.get_by_role("link", name="Apply to this project")
    expect(apply).to_be_visible()
    assert apply.bounding_box()["y"] + apply.bounding_box()["height"] < screen
    expect(menu(page).get_by_role("link", name="Saved projects")).to_be_visible()


def test_a_long_address_does_not_widen_the_check_your_inbox_page(app, page, live_server):
    address = "firstname.middlename.lastname.department@" + "faculty." * 6 + "example.org"
    page.goto(f"{live_server}/signup")
    page.get_by_label("A diaspora professional offering my expertise").check()
    page.get_by_label("Your name").fill("Abebe Kebede")
    page.get_by_label("Email address").fill(address)
    page.get_by_label("Password", exact=True).fill("blue nile sunrise 42")
    page.get_by_label("Repeat the password").fill("blue nile sunrise 42")
    page.get_by_label("I accept the terms of use and the privacy notice").check()
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    # Waits for the layout to settle (a loaded machine may measure it mid-way); fails if the
    # page stays wider than the screen.
    page.wait_for_function("document.documentElement.scrollWidth <= innerWidth", timeout=10_000)


def test_each_remove_button_on_the_profile_removes_its_own_row(app, page, live_server):
    world = build()
    log_in(page, live_server, world.member.email)
    page.goto(f"{live_server}/profile")
    page.get_by_role("link", name="Add or remove skills").click()
    expect(page.get_by_role("heading", name="Your skills", level=1)).to_be_visible()
    rows = page.locator("ul.rows li")
    expect(rows.filter(has_text="Hydrology")).to_have_count(1)
    page.get_by_role("button", name="Remove Hydrology from skills I have").click()
    expect(page.get_by_text("Skill removed.")).to_be_visible()
    expect(page).to_have_url(f"{live_server}/profile/skills")
    expect(rows.filter(has_text="Hydrology")).to_have_count(0)
    expect(rows.filter(has_text="Statistics")).to_have_count(1)
    page.get_by_role("link", name="Back to my profile").click()
    page.get_by_role("link", name="Add or remove languages").click()
    page.get_by_role("button", name="Remove language French").click()
    expect(page.get_by_text("Language removed.")).to_be_visible()
    expect(page).to_have_url(f"{live_server}/profile/languages")
    expect(page.locator("ul.rows li").filter(has_text="French")).to_have_count(0)
    expect(page.locator("ul.rows li").filter(has_text="Amharic")).to_have_count(1)
    page.goto(f"{live_server}/profile")
    expect(page.locator("#skills li").filter(has_text="Hydrology")).to_have_count(0)
    expect(page.locator("#languages li").filter(has_text="French")).to_have_count(0)
    expect(page.locator("#languages li").filter(has_text="Amharic")).to_have_count(1)
