"""The impact pages in Chromium on a 390 px phone: the coordinators' dashboard and the public
page render with their charts visible, nothing scrolls sideways, no request leaves the site,
and the filters work without JavaScript."""

import dataclasses
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from diaspora.extensions import db
from diaspora.models import Role
from diaspora.models.follow_up import FollowUpSide
from diaspora.services import follow_ups, impact
from diaspora.services.follow_ups import Change
from diaspora.services.impact import Column, Table
from tests.browser.navigation import log_in
from tests.factories import make_institution, new_user
from tests.test_impact_pages import figures  # noqa: F401 - the handmade reports

pytestmark = pytest.mark.usefixtures("figures")


def other_origins(page, live_server) -> list[str]:
    """Start recording every request the page makes; returns the list of foreign ones."""
    site = urlsplit(live_server).netloc
    foreign = []
    page.on(
        "request",
        lambda request: (
            urlsplit(request.url).scheme not in ("data", "about")
            and urlsplit(request.url).netloc != site
            and foreign.append(request.url)
        ),
    )
    return foreign


def sideways(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - innerWidth")


def test_the_dashboard_on_a_phone(app, page, live_server, tmp_path):
    coordinator = new_user(Role.COORDINATOR, email="coord@example.org")
    make_institution(name="Korle Bu Teaching Hospital")  # in Ghana: a country to choose
    db.session.commit()
    foreign = other_origins(page, live_server)
    log_in(page, live_server, coordinator.email)
    page.goto(f"{live_server}/coordination/impact")
    expect(page.get_by_role("heading", name="Impact and network health")).to_be_visible()
    funnel = page.get_by_role("img", name="Chart: Applications")
    expect(funnel).to_be_visible()
    expect(page.get_by_role("img", name="Chart: Members month by month")).to_be_visible()
    box = funnel.bounding_box()
    assert 300 < box["width"] <= 390 and box["height"] > 50
    expect(page.locator("#table-funnel")).to_be_visible()
    assert sideways(page) <= 0

    # The filters are a plain form: choosing a country and sending it narrows the figures.
    page.get_by_label("Country served").select_option("GH")
    page.get_by_role("button", name="Show figures").click()
    expect(page).to_have_url(re.compile(r"country=GH"))
    expect(page.get_by_text("2,468")).to_be_visible()
    page.screenshot(path=tmp_path / "impact-dashboard.png", full_page=True)
    assert foreign == []


def test_the_public_page_on_a_phone(app, page, live_server, tmp_path):
    foreign = other_origins(page, live_server)
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Impact").click()
    expect(page.get_by_role("heading", name="What the network achieves")).to_be_visible()
    chart = page.get_by_role("img", name="Chart: Engagements by country served")
    expect(chart).to_be_visible()
    expect(page.get_by_role("cell", name="fewer than 5")).to_be_visible()
    expect(page.get_by_role("link", name="Download the figures as CSV")).to_be_visible()
    assert sideways(page) <= 0
    page.screenshot(path=tmp_path / "impact-public.png", full_page=True)
    assert foreign == []


def test_the_dashboard_tables_are_cards_on_a_phone(app, page, live_server, tmp_path):
    """A wide table of figures becomes a card per row: every figure is on screen next to its
    column's name, a month stays on one line, and it is still a table to a screen reader."""
    coordinator = new_user(Role.COORDINATOR, email="coord@example.org")
    db.session.commit()
    log_in(page, live_server, coordinator.email)
    page.goto(f"{live_server}/coordination/impact")
    answers = page.get_by_role("table", name="Answer times by institution")
    expect(answers).to_be_visible()
    within = answers.get_by_role("cell", name="Answered within 14 days")
    expect(within).to_be_visible()
    box = within.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    label = within.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label == '"Answered within 14 days"'
    months = page.get_by_role("table", name="Members month by month")
    january = months.get_by_role("rowheader").first
    expect(january).to_have_text(re.compile(r"^\w{3} \d{4}$"))
    line = january.evaluate("cell => parseFloat(getComputedStyle(cell).lineHeight)")
    assert january.bounding_box()["height"] < 2 * line + 10  # one line, with its padding
    assert sideways(page) <= 0
    page.screenshot(path=tmp_path / "impact-tables.png", full_page=True)
    page.locator("section.figures").nth(2).screenshot(path=tmp_path / "answer-times.png")
    months.screenshot(path=tmp_path / "months.png")


@pytest.fixture
def quoted(monkeypatch, figures):  # noqa: F811 - the handmade reports, with follow-ups
    """A follow-ups table on the handmade dashboard and one "what changed" answer written
    in two paragraphs."""
    handmade = impact.dashboard

    def dashboard(period, filters, now=None):
        report = handmade(period, filters, now)
        table = Table(
            "follow_ups",
            "Follow-ups after engagements",
            (Column("step", "Step", "text"), Column("asked", "Asked")),
            (("3 months", 12),),
        )
        return dataclasses.replace(report, tables={**report.tables, "follow_ups": table})

    answer = Change(
        datetime(2026, 11, 2, tzinfo=UTC),
        6,
        FollowUpSide.MEMBER,
        1,
        "Laboratory quality",
        "Korle Bu Teaching Hospital",
        "The lab runs its own checks now.\n\nTwo technicians train the others.",
    )
    monkeypatch.setattr(impact, "dashboard", dashboard)
    monkeypatch.setattr(follow_ups, "changes", lambda period, filters, limit: [answer])


def test_what_changed_keeps_its_paragraphs_and_the_width_on_a_phone(
    app, page, live_server, tmp_path, quoted
):
    coordinator = new_user(Role.COORDINATOR, email="coord@example.org")
    db.session.commit()
    log_in(page, live_server, coordinator.email)
    page.goto(f"{live_server}/coordination/impact")
    quote = page.locator(".changes blockquote")
    expect(quote).to_have_text(re.compile(r"checks now\.\n\nTwo technicians"))
    expect(quote).to_have_css("white-space", "pre-line")
    section = page.get_by_role("heading", name="What changed, in their words")
    assert quote.bounding_box()["x"] - section.bounding_box()["x"] < 4  # not indented
    assert sideways(page) <= 0
    page.locator(".changes").screenshot(path=tmp_path / "what-changed.png")
