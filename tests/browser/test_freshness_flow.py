"""A coordinator on a phone keeps the network current: opens Freshness from the menu, reads
the figures, reminds one member with one click (the member's email arrives at the SMTP
server; the row then says when it went instead of offering a second click) and asks about
every stale listing at once."""

from datetime import timedelta

from playwright.sync_api import expect

from diaspora.models import ProjectStatus, Role
from diaspora.models.base import utcnow
from tests.browser.navigation import log_in, menu
from tests.conftest import text_of
from tests.factories import make_institution, make_project, with_profile


def test_a_coordinator_reminds_from_a_phone(
    mail_config, smtp_server, app, db, make_user, page, live_server, tmp_path
):
    long_ago = utcnow() - timedelta(days=250)
    member = make_user(name="Selam Haile", email="selam@example.org")
    with_profile(member, listed=True, created_at=long_ago, updated_at=long_ago)
    rep = make_user(role=Role.INSTITUTION, email="rep@hospital.example")
    institution = make_institution(rep)
    make_project(
        institution,
        status=ProjectStatus.PUBLISHED,
        title="Neonatal care training",
        published_at=utcnow() - timedelta(days=75),
    )
    coordinator = make_user(role=Role.COORDINATOR, email="cora@example.org")

    log_in(page, live_server, coordinator.email)
    menu(page).get_by_role("link", name="Freshness").click()
    expect(page.get_by_role("heading", name="Network freshness", level=1)).to_be_visible()
    figures = page.get_by_role("table").first
    expect(figures.get_by_role("row", name="Member profiles")).to_contain_text("1")
    expect(page.get_by_role("heading", name="Stale profiles (1)")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page is {width} px wide"
    page.screenshot(path=str(tmp_path / "freshness.png"), full_page=True)

    page.get_by_role("button", name="Remind Selam Haile").click()
    expect(page.locator(".flash-success")).to_contain_text("Selam Haile is reminded")
    (mail,) = smtp_server.wait_for(member.email, "Is your profile still current?")
    assert "/profile" in text_of(mail)

    # No second click to make: the row says when the reminder went instead of a button.
    expect(page.get_by_role("button", name="Remind Selam Haile")).to_have_count(0)
    expect(page.get_by_role("row", name="Selam Haile")).to_contain_text("Reminded on")
    assert len(smtp_server.wait_for(member.email, "Is your profile", timeout=1)) == 1

    page.get_by_role("button", name="Ask about all 1 stale listing").click()
    expect(page.locator(".flash-success")).to_contain_text("Institutions asked about 1 listing.")
    expect(
        page.get_by_text("Every stale listing was asked about in the last 30 days")
    ).to_be_visible()
    (asked,) = smtp_server.wait_for(rep.email, "Is your project still current?")
    assert "/projects/mine" in text_of(asked)
