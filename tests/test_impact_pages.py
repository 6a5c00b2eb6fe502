"""The impact pages: the coordinators' dashboard (who may open it, its filters, its charts
and tables, the CSV and JSON downloads, bad input) and the public impact page with its open
data, drawn from reports made by hand so that every figure on the page is known."""

import codecs
import csv
import dataclasses
import io
import json
import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import Institution, InstitutionStatus, Role
from diaspora.services import impact
from diaspora.services.impact import Column, Filters, Period, Report, Table, suppress
from tests.factories import make_institution, new_user, sign_in
from tests.test_impact_figures import network  # noqa: F401 - the figures' network, by name

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


def csv_text(response) -> str:
    """A CSV download's text, after the UTF-8 byte order mark every download starts with."""
    assert response.data.startswith(codecs.BOM_UTF8)
    return response.data.decode("utf-8-sig")


def measure_table(key, title, rows):
    columns = (Column("measure", "Measure", "text"), Column("count", "Count"))
    return Table(key, title, columns, tuple(rows), people=frozenset({"count"}))


def month_table(key, title, series, period, values):
    columns = (Column("month", "Month", "month"),) + tuple(Column(k, k.title()) for k in series)
    rows = tuple((month, *values(n)) for n, month in enumerate(period.months()))
    return Table(key, title, columns, rows)


def handmade(period: Period, filters: Filters, now=None) -> Report:
    """A dashboard whose figures depend on the filters, so a test can see them applied."""
    scale = 2 if filters.country == "GH" else 10
    funnel = Table(
        "funnel",
        "Applications",
        (
            Column("stage", "Stage", "text"),
            Column("applications", "Applications"),
            Column("share", "Share of applied", "percent"),
        ),
        (
            ("Applied", 120 * scale, 100.0),
            ("Shortlisted", 30 * scale, 25.0),
            ("Accepted", 9 * scale, 7.5),
        ),
        note="Shares are of the applications sent in the period.",
    )
    answers = Table(
        "answer_times",
        "Answer times by institution",
        (
            Column("institution", "Institution", "text"),
            Column("received", "Received"),
            Column("median_days", "Median", "days"),
            Column("within_promise", "Answered within 14 days", "percent"),
        ),
        (("<script>alert(1)</script> Hospital", 3, 4.5, None),),
    )
    tables = [
        measure_table("members", "Members", [("Registered", 1234 * scale), ("Active", 77)]),
        month_table(
            "members_by_month",
            "Members month by month",
            ("registered", "active"),
            period,
            lambda n: (n * scale, n + 1),
        ),
        funnel,
        answers,
        Table("coverage_sectors", "Coverage by sector", funnel.columns[:2], ()),
    ]
    return Report(period, filters, now or NOW, {t.key: t for t in tables})


def public(now=None) -> Report:
    """Totals, and a table per country served where Malta's engagements are too few to show
    and Chad's every count is (the shape of ``impact.public_figures``)."""
    totals = measure_table(
        "public_totals",
        "The network's impact",
        [
            ("Engagements completed", 142),
            ("Countries served", 9),
            ("Hours contributed (estimate)", 12400),
            ("Institutions answering applicants", 31),
            ("Members listed in the directory", None),
        ],
    )
    countries = Table(
        "public_countries",
        "Engagements by country served",
        (
            Column("country", "Country", "text"),
            Column("members", "Members"),
            Column("engagements", "Engagements"),
            Column("hours", "Hours", "hours"),
        ),
        (
            ("Ghana", 40, 120, 5000),
            ("Ethiopia", 12, 20, 900),
            ("Malta", 6, 4, 30),
            ("Chad", 2, 1, 8),
        ),
        people=frozenset({"members", "engagements"}),
    )
    tables = {"public_totals": totals, "public_countries": suppress(countries)}
    return Report(Period.parse("2020-01:2026-12"), Filters(), now or NOW, tables)


@pytest.fixture
def figures(monkeypatch):
    calls = []

    def dashboard(period, filters, now=None):
        calls.append((period, filters))
        return handmade(period, filters, now)

    monkeypatch.setattr(impact, "dashboard", dashboard)
    monkeypatch.setattr(impact, "computed_at", lambda: NOW)
    monkeypatch.setattr(impact, "public_figures", public)
    return calls


@pytest.fixture
def coordinator(client, db):
    user = new_user(Role.COORDINATOR)
    sign_in(client, user)
    return user


@pytest.mark.parametrize("role", [Role.MEMBER, Role.INSTITUTION])
@pytest.mark.parametrize(
    "path", ["/coordination/impact", "/coordination/impact/funnel.csv", "/coordination/impact.json"]
)
def test_only_coordinators_see_the_dashboard(client, db, figures, role, path):
    assert client.get(path).status_code == 302  # a visitor is sent to log in
    sign_in(client, new_user(role))
    assert client.get(path).status_code == 403
    assert figures == []


def test_the_dashboard_shows_the_last_twelve_months_with_charts_and_tables(
    client, coordinator, figures
):
    response = client.get("/coordination/impact")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    ((period, filters),) = figures
    assert len(period.months()) == 12 and not filters
    # The summary, then each table with its chart where one helps, described by the table.
    assert "Registered" in html and "12,340" in html
    assert 'aria-describedby="table-members_by_month"' in html
    assert 'aria-describedby="table-funnel"' in html
    assert 'id="table-funnel"' in html and "Shares are of the applications" in html
    assert 'aria-describedby="table-answer_times"' not in html  # read, not drawn
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Hospital" in html
    assert "<script>" not in html
    assert "No data for this period." in html  # the coverage table with no rows
    assert html.count("Download CSV") == 5
    # On a phone a wide table is a card per row whose cells name their column.
    assert '<table id="table-answer_times" class="figures-table stack-table">' in html
    assert '<td data-label="Answered within 14 days" class="hidden-cell">' in html
    assert '<table id="table-members_by_month" class="figures-table">' in html  # fits as it is
    assert '<th scope="row">Jan 2026<td>0<td>1<tr>' in html


def test_filters_are_applied_and_kept_in_the_download_links(client, coordinator, figures, db):
    institution = make_institution(name="Korle Bu Teaching Hospital")
    db.session.commit()
    query = (
        "from_month=03&from_year=2025&to_month=02&to_year=2026&country=GH&sector=health"
        f"&institution={institution.id}"
    )
    html = client.get(f"/coordination/impact?{query}").get_data(as_text=True)
    ((period, filters),) = figures
    assert str(period) == "2025-03:2026-02"
    assert filters == Filters("GH", "health", institution.id)
    assert "2,468" in html  # the figure for Ghana, not the whole network's 12,340
    assert (
        "March 2025 to February 2026, narrowed to Ghana, Health, Korle Bu Teaching Hospital. "
        "Figures as of"
    ) in " ".join(html.split())
    link = "/coordination/impact/funnel.csv?from_month=03&amp;from_year=2025"
    assert link in html and "country=GH" in html
    html = client.get("/coordination/impact?sector=health").get_data(as_text=True)
    assert ", narrowed to Health. Figures as of" in " ".join(html.split())


def test_each_table_downloads_as_csv_with_the_period_in_its_name(client, coordinator, figures):
    response = client.get(
        "/coordination/impact/funnel.csv?from_month=01&from_year=2026&to_month=06&to_year=2026"
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="impact-funnel-2026-01-to-2026-06.csv"'
    )
    rows = list(csv.reader(io.StringIO(csv_text(response))))
    assert rows == [
        ["stage", "applications", "share"],
        ["Applied", "1200", "100.0"],
        ["Shortlisted", "300", "25.0"],
        ["Accepted", "90", "7.5"],
    ]
    by_month = client.get("/coordination/impact/members_by_month.csv")
    lines = csv_text(by_month).splitlines()
    assert lines[0] == "month,registered,active" and len(lines) == 13


def test_spreadsheets_read_the_csv_as_utf8_and_freshness_is_named_by_the_day(
    client, coordinator, figures, monkeypatch, app
):
    handmade_dashboard = impact.dashboard

    def dashboard(period, filters, now=None):
        report = handmade_dashboard(period, filters, now)
        kinds = (Column("kind", "Kind", "text"), Column("stale", "Stale"))
        places = (Column("country", "Country", "text"), Column("members", "Members"))
        extra = {
            "freshness": Table("freshness", "Network freshness", kinds, (("Profiles", 3),)),
            "coverage_countries": Table(
                "coverage_countries", "Coverage by country", places, (("Bogotá", 7),)
            ),
        }
        return dataclasses.replace(report, tables={**report.tables, **extra})

    monkeypatch.setattr(impact, "dashboard", dashboard)
    places = client.get("/coordination/impact/coverage_countries.csv")
    assert places.content_type == "text/csv; charset=utf-8"
    assert csv_text(places) == "country,members\nBogotá,7\n"
    assert places.headers["Content-Disposition"] == (
        'attachment; filename="impact-coverage_countries-2026-12-07.csv"'  # today's coverage
    )
    fresh = client.get(
        "/coordination/impact/freshness.csv?from_month=01&from_year=2026&to_month=06&to_year=2026"
    )
    assert fresh.headers["Content-Disposition"] == (
        'attachment; filename="impact-freshness-2026-12-07.csv"'  # the day, not the period
    )
    assert csv_text(fresh) == "kind,stale\nProfiles,3\n"
    # The command line prints the same figures for scripts, without the byte order mark.
    printed = app.test_cli_runner().invoke(args=["report", "impact", "--format", "csv"])
    assert printed.exit_code == 0 and "Bogotá,7" in printed.output
    assert not printed.output.startswith("\ufeff")


def test_the_whole_report_downloads_as_json(client, coordinator, figures):
    response = client.get(
        "/coordination/impact.json?from_month=01&from_year=2026&to_month=03&to_year=2026"
    )
    assert response.status_code == 200
    data = json.loads(response.get_data())
    assert data["period"] == "2026-01:2026-03"
    assert data["tables"]["members_by_month"]["rows"][0] == ["2026-01", 0, 1]
    assert "attachment" in response.headers["Content-Disposition"]


THIS_YEAR = datetime.now(UTC).year
MONTH = "Choose a month from January (1) to December (12)."
YEAR = "Choose a year from "  # the ten years that end with the current one

BAD = [
    ("from_month=13", MONTH),
    ("from_month=march", MONTH),
    ("to_month=%C2%B2", MONTH),
    ("from_year=twenty", YEAR),
    ("from_year=2026%00", YEAR),
    ("country=G%00H", "Choose a country from the list, or All countries."),
    ("country=XX", "Choose a country from the list, or All countries."),
    ("sector=%3Cscript%3E", "Choose a sector from the list, or All sectors."),
    (f"institution={2**64}", "Choose a verified institution from the list"),
    ("institution=-1", "Choose a verified institution from the list"),
    # Only the years a period of at most 120 months can start in are offered.
    (f"from_month=01&from_year={THIS_YEAR - 10}&to_month=12&to_year={THIS_YEAR}", YEAR),
    (
        "from_month=06&from_year=2026&to_month=01&to_year=2026",
        "The period ends before it starts: choose a last month on or after the first.",
    ),
]


@pytest.mark.parametrize(("query", "message"), BAD)
def test_bad_filters_get_a_clear_message_never_a_500(client, coordinator, figures, query, message):
    page = client.get(f"/coordination/impact?{query}")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert message in html and "There is a problem" in html
    assert 'aria-invalid="true"' in html
    download = client.get(f"/coordination/impact/funnel.csv?{query}")
    assert download.status_code == 400
    assert message in download.get_data(as_text=True)
    assert client.get(f"/coordination/impact.json?{query}").status_code == 400
    assert figures == []


def test_the_period_offers_the_years_that_fit_and_takes_months_with_or_without_a_zero(
    client, coordinator, figures
):
    html = client.get("/coordination/impact").get_data(as_text=True)
    years = re.findall(r'<option (?:selected )?value="(\d{4})"', html)
    offered = [str(year) for year in range(THIS_YEAR, THIS_YEAR - 10, -1)]
    assert years == offered * 2  # from and to
    query = f"from_month=1&from_year={THIS_YEAR - 9}&to_month=12&to_year={THIS_YEAR}"
    assert client.get(f"/coordination/impact?{query}").status_code == 200
    assert client.get(f"/coordination/impact/funnel.csv?{query}").status_code == 200
    period, _ = figures[-1]
    assert str(period) == f"{THIS_YEAR - 9}-01:{THIS_YEAR}-12"  # the longest period, 120 months
    page = client.get(f"/coordination/impact?from_year={THIS_YEAR - 10}")
    assert f"Choose a year from {THIS_YEAR - 9} to {THIS_YEAR}." in page.get_data(as_text=True)


def test_an_unknown_table_is_not_found(client, coordinator, figures):
    for key in ("nothing", "members%00", "..%2Fsecret", "x" * 300):
        response = client.get(f"/coordination/impact/{key}.csv")
        assert response.status_code == 404, key


def test_coordinators_find_the_dashboard_in_their_menu_others_do_not(client, coordinator, figures):
    assert 'href="/coordination/impact"' in client.get("/").get_data(as_text=True)
    other = client.application.test_client()
    sign_in(other, new_user(Role.MEMBER))
    assert 'href="/coordination/impact"' not in other.get("/").get_data(as_text=True)


def test_everyone_sees_the_public_page_with_small_numbers_hidden(client, db, figures):
    assert 'href="/impact"' in client.get("/").get_data(as_text=True)  # the footer
    response = client.get("/impact")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert (
        "142 engagements completed and confirmed, in 9 countries, about 12,400 hours "
        "contributed. 31 institutions have answered at least 5 applications in the last 12 months."
    ) in " ".join(html.split())
    assert "Ghana" in html and "Ethiopia" in html
    assert "Malta" in html and "fewer than 5" in html
    assert "Chad" not in html  # a row with only small counts is left out
    assert "CC BY 4.0" in html and "Figures as of 7 Dec 2026, 09:30 UTC" in html
    assert 'aria-describedby="table-public_countries"' in html


def test_open_data_has_the_same_figures_with_hidden_cells_empty(client, db, figures):
    response = client.get("/impact/data.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="diaspora-impact-2026-12-07.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(csv_text(response))))
    assert {
        "table": "public_totals",
        "row": "Countries served",
        "column": "count",
        "value": "9",
    } in rows
    malta = [r for r in rows if r["row"] == "Malta"]
    assert malta == [
        {"table": "public_countries", "row": "Malta", "column": "members", "value": "6"},
        {"table": "public_countries", "row": "Malta", "column": "engagements", "value": ""},
        {"table": "public_countries", "row": "Malta", "column": "hours", "value": "30"},
    ]
    assert not [r for r in rows if r["row"] == "Chad"]

    data = json.loads(client.get("/impact/data.json").get_data())
    assert data["licence"] == "CC BY 4.0"
    assert data["generated_at"].startswith("2026-12-07")
    assert ["Malta", 6, None, 30] in data["tables"]["public_countries"]["rows"]


def test_impact_pages_write_nothing(client, coordinator, figures, db):
    from diaspora.models import AuditEntry, Notification, OutboxMessage

    def counts():
        return [
            db.session.query(model).count() for model in (AuditEntry, Notification, OutboxMessage)
        ]

    before = counts()
    for path in (
        "/coordination/impact",
        "/coordination/impact/funnel.csv",
        "/impact",
        "/impact/data.csv",
    ):
        assert client.get(path).status_code == 200
    assert counts() == before


def test_a_period_is_read_from_whole_months():
    assert Period.of(date(2026, 1, 15), date(2026, 3, 2)).months()[-1] == date(2026, 3, 1)


# --------------------------------------------------------------------------- real figures

FIRST_QUARTER = "from_month=01&from_year=2026&to_month=03&to_year=2026"


def summary_figure(html: str, label: str) -> str:
    """The figure beside ``label`` in the page's summary cards."""
    match = re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", html)
    assert match, label
    return match.group(1)


def test_the_page_shows_the_networks_own_figures_filtered(client, coordinator, request):
    """The small network of the figures' tests, through the page and its downloads."""
    ids = request.getfixturevalue("network")
    before = client.get(f"/coordination/impact?{FIRST_QUARTER}").get_data(as_text=True)
    assert "The figures are not computed yet" in before
    assert 'action="/coordination/impact/refresh"' in before
    assert "Compute the figures now" in before
    computed = client.post("/coordination/impact/refresh", follow_redirects=True)
    assert "The figures are computed." in computed.get_data(as_text=True)
    everyone = client.get(f"/coordination/impact?{FIRST_QUARTER}").get_data(as_text=True)
    assert "not computed yet" not in everyone
    assert re.search(r"Figures as of \d{1,2} \w{3} \d{4}, \d\d:\d\d UTC", everyone)
    assert summary_figure(everyone, "Members registered in the period") == "3"
    assert summary_figure(everyone, "Projects submitted") == "3"
    ghana = client.get(f"/coordination/impact?{FIRST_QUARTER}&country=GH")
    html = ghana.get_data(as_text=True)
    assert ghana.status_code == 200 and "narrowed to Ghana" in html
    assert summary_figure(html, "Members registered in the period") == "2"
    assert summary_figure(html, "Projects submitted") == "2"
    assert summary_figure(html, "Engagements confirmed") == "1"
    assert 'aria-describedby="table-funnel"' in html  # four applications: a chart

    kenya = f"/coordination/impact/funnel.csv?{FIRST_QUARTER}&country=KE"
    funnel = list(csv.reader(io.StringIO(csv_text(client.get(kenya)))))
    assert funnel[1] == ["Applied", "0", ""]
    coverage = client.get(f"/coordination/impact/coverage_countries.csv?{FIRST_QUARTER}&country=GH")
    assert csv_text(coverage) == (
        "country,members,open_projects,gap\nGhana,2,0,Members but no projects\n"
    )  # coverage counts today: the Ghanaian project closed in June

    by_institution = client.get(f"/coordination/impact?{FIRST_QUARTER}&institution={ids['a']}")
    html = by_institution.get_data(as_text=True)
    assert "narrowed to Accra Clinic" in html
    assert summary_figure(html, "Projects submitted") == "2"


def test_an_institution_that_is_not_verified_is_not_a_choice(client, coordinator, request):
    ids = request.getfixturevalue("network")
    db.session.get(Institution, ids["b"]).status = InstitutionStatus.PENDING
    db.session.commit()
    response = client.get(f"/coordination/impact?institution={ids['b']}")
    refusal = "Choose a verified institution from the list, or All institutions."
    assert response.status_code == 400 and refusal in response.get_data(as_text=True)


def test_a_small_network_shows_no_one_on_the_public_page(client, request):
    """One confirmed engagement (in Ghana): the totals and its country stay hidden, on the
    page and in the open data, and nothing names a member, an institution or a project."""
    request.getfixturevalue("network")
    impact.refresh()
    db.session.commit()
    html = " ".join(client.get("/impact").get_data(as_text=True).split())
    assert "Fewer than 5 people have completed an engagement so far" in html
    assert "Ghana" not in html and "Accra Clinic" not in html and "Abena" not in html
    assert "No data for this period." not in html and "Nothing to show yet." in html
    data = json.loads(client.get("/impact/data.json").get_data())
    totals = dict(data["tables"]["public_totals"]["rows"])
    assert totals["Engagements completed"] is None and totals["Countries served"] is None
    assert data["tables"]["public_countries"]["rows"] == []
    text = csv_text(client.get("/impact/data.csv"))
    assert "public_totals,Engagements completed,count,\n" in text
    assert "Ghana" not in text and "Abena" not in text


def test_computing_the_figures_needs_a_coordinator_and_a_csrf_token(app, client, db):
    assert client.post("/coordination/impact/refresh").status_code in (302, 401)
    sign_in(client, new_user(Role.MEMBER))
    assert client.post("/coordination/impact/refresh").status_code == 403
    app.config["WTF_CSRF_ENABLED"] = True
    sign_in(client, new_user(Role.COORDINATOR))
    client.post("/coordination/impact/refresh")
    assert impact.computed_at() is None


def test_the_public_page_before_the_first_refresh(client, db):
    response = client.get("/impact")
    assert response.status_code == 200
    assert "The figures are not computed yet" in response.get_data(as_text=True)


def test_a_refresh_without_the_database_is_the_sites_503(client, db, monkeypatch):
    def database_gone(now=None):
        raise sa.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    monkeypatch.setattr(impact, "refresh", database_gone)
    sign_in(client, new_user(Role.COORDINATOR))
    response = client.post("/coordination/impact/refresh")
    assert response.status_code == 503
    assert response.headers.get("Retry-After")
