"""The impact charts in Arabic (a right-to-left page), on a phone and on a desktop: every
text of every chart (legend, month and tick labels, bar labels and values) lies inside its
drawing, the drawing runs left to right, and the countries are named in Arabic."""

import os
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from diaspora.extensions import db
from diaspora.models import Role
from diaspora.services import impact
from diaspora.services.impact import (
    COUNT,
    DASHBOARD_TABLES,
    FUNNEL_STAGES,
    MEASURE,
    MONTH,
    OTHER_COUNTRIES_CODE,
    Column,
    Filters,
    Period,
    Report,
    Table,
)
from tests.browser.navigation import log_in
from tests.factories import new_user

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
SHOTS = os.environ.get("DIASPORA_SHOTS")  # a folder to keep the screenshots in, if given
WIDTHS = (390, 1280)


def dashboard(period: Period, filters: Filters, now=None) -> Report:
    """The real tables' words (so every one is in Arabic), with bars, lines and legends."""
    months = period.months()
    tables = [
        Table(
            "members_by_month",
            DASHBOARD_TABLES["members_by_month"],
            (MONTH, Column("registered", "Registered"), Column("active", "Active")),
            tuple((month, 10 * n, n) for n, month in enumerate(months)),
        ),
        Table(
            "funnel",
            DASHBOARD_TABLES["funnel"],
            (
                Column("stage", "Stage", "text"),
                Column("applications", "Applications"),
                Column("share", "Share of applied", "percent"),
            ),
            tuple(
                (label, count, 100.0 * count / 2400)
                for (_, label), count in zip(
                    FUNNEL_STAGES, (2400, 600, 180, 900, 120, 300, 60, 240), strict=True
                )
            ),
        ),
        Table(
            "applications_by_month",
            DASHBOARD_TABLES["applications_by_month"],
            (MONTH, *(Column(key, label) for key, label in FUNNEL_STAGES)),
            tuple((month, *(n * 7 + s for s in range(8))) for n, month in enumerate(months)),
        ),
        Table(
            "coverage_countries",
            DASHBOARD_TABLES["coverage_countries"],
            (
                Column("country", "Country", "text"),
                Column("members", "Listed members"),
                Column("open_projects", "Open projects"),
            ),
            (("Ghana", 1234, 56), ("Morocco", 987654, 3)),
        ),
    ]
    return Report(period, filters, now or NOW, {t.key: t for t in tables})


def public_figures() -> Report:
    """The public figures as :func:`impact.refresh` stores them: countries by code."""
    totals = Table(
        "public_totals",
        "The network's impact",
        (MEASURE, COUNT),
        (("Engagements completed", 1500), ("Countries served", 9)),
        note=impact.PUBLIC_TOTALS_NOTE,
    )
    countries = Table(
        "public_countries",
        "Engagements by country served",
        (
            Column("country", "Country served", "country"),
            Column("engagements", "Engagements"),
            Column("hours", "Hours contributed (estimate)", "hours"),
        ),
        (("MA", 1200, 123456), ("GH", 40, 900), (OTHER_COUNTRIES_CODE, 297, 3400)),
        note=impact.PUBLIC_COUNTRIES_NOTE,
        people=frozenset({"engagements"}),
    )
    return Report(
        Period.parse("2020-01:2026-12"),
        Filters(),
        NOW,
        {"public_totals": totals, "public_countries": countries},
    )


@pytest.fixture
def figures(monkeypatch):
    monkeypatch.setattr(impact, "dashboard", dashboard)
    monkeypatch.setattr(impact, "computed_at", lambda: NOW)
    monkeypatch.setattr(impact, "public_figures", public_figures)


OUTSIDE = """() => {
  const problems = [];
  for (const svg of document.querySelectorAll("svg.chart")) {
    const box = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll("text")) {
      const r = text.getBoundingClientRect();
      if (r.width === 0) continue;
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5
          || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) {
        problems.push(`${svg.id}: "${text.textContent}" ${Math.round(r.left - box.left)}..`
          + `${Math.round(r.right - box.left)} of ${Math.round(box.width)}`);
      }
    }
  }
  return problems;
}"""

VALUES_CLEAR_OF_BARS = """() => {
  // A bar's value starts after the bar's end, never on it.
  const problems = [];
  for (const bar of document.querySelectorAll("svg.chart rect.bar")) {
    const value = bar.nextElementSibling;
    if (!value || value.tagName !== "text") continue;
    if (value.getBoundingClientRect().left < bar.getBoundingClientRect().right - 0.5) {
      problems.push(`"${value.textContent}" overlaps its bar`);
    }
  }
  return problems;
}"""


def check_charts(page, name: str, count: int) -> None:
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(count)
    for n in range(count):
        expect(charts.nth(n)).to_be_visible()
        assert charts.nth(n).evaluate("svg => getComputedStyle(svg).direction") == "ltr"
    assert page.evaluate(OUTSIDE) == [], name
    assert page.evaluate(VALUES_CLEAR_OF_BARS) == [], name
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)
        for n in range(count):
            charts.nth(n).screenshot(path=os.path.join(SHOTS, f"{name}-chart{n}.png"))


@pytest.mark.parametrize("width", WIDTHS)
def test_the_public_charts_in_arabic_stay_inside_their_drawing(
    app, page, live_server, figures, width
):
    page.set_viewport_size({"width": width, "height": 900})
    page.context.add_cookies([{"name": "language", "value": "ar", "url": live_server}])
    page.goto(f"{live_server}/impact")
    check_charts(page, f"impact-ar-{width}", 1)
    chart = page.locator("svg.chart")
    # Countries named in Arabic, in the chart and the table, and in the note.
    expect(chart).to_contain_text("المغرب")
    expect(page.locator("#table-public_countries")).to_contain_text("المغرب")
    expect(page.locator("#table-public_countries")).to_contain_text("بلدان أخرى")
    assert "Morocco" not in page.content() and "Other countries" not in page.content()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_dashboard_charts_in_arabic_stay_inside_their_drawing(
    app, page, live_server, figures, width
):
    coordinator = new_user(Role.COORDINATOR, email="coord@example.org")
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, coordinator.email)
    coordinator.language = "ar"  # the account's language, once signed in (in English)
    db.session.commit()
    page.goto(f"{live_server}/coordination/impact")
    check_charts(page, f"dashboard-ar-{width}", 4)
