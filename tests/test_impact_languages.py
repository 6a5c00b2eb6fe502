"""The impact figures in the reader's language: charts drawn left to right with their labels
read right to left in Arabic, countries stored by code and named at display (in English in
the open data), counts with the right plural, and "Received" as a date or as a count."""

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from flask_babel import force_locale

from diaspora import charts
from diaspora.services import impact
from diaspora.services.impact import (
    DASHBOARD_TABLES,
    OTHER_COUNTRIES_CODE,
    Column,
    Filters,
    Period,
    Report,
    Table,
)
from tests.factories import new_user, read_in, sign_in
from tests.test_i18n_coordination import NOW, QUERY
from tests.test_i18n_coordination import dashboard as handmade

SVG = "{http://www.w3.org/2000/svg}"
RLI, PDI = "\u2067", "\u2069"


def countries_table() -> Table:
    return Table(
        "public_countries",
        "Engagements by country served",
        (
            Column("country", "Country served", "country"),
            Column("engagements", "Engagements"),
            Column("hours", "Hours contributed (estimate)", "hours"),
        ),
        (("MA", 1200, 9000), ("DE", 40, 900), (OTHER_COUNTRIES_CODE, 297, 3400)),
        note=impact.PUBLIC_COUNTRIES_NOTE,
        people=frozenset({"engagements"}),
    )


def public_figures() -> Report:
    return Report(
        Period.parse("2020-01:2026-12"),
        Filters(),
        NOW,
        {"public_countries": countries_table()},
    )


def with_answer_times(period, filters, now=None):
    report = handmade(period, filters, now)
    answers = Table(
        "answer_times",
        DASHBOARD_TABLES["answer_times"],
        (
            Column("institution", "Institution", "text"),
            Column("received", "Received"),
        ),
        (("Korle Bu", 12),),
        note=impact.ANSWER_TIMES_NOTE,
    )
    return Report(
        report.period, filters, report.generated_at, {**report.tables, "answers": answers}
    )


@pytest.fixture
def figures(monkeypatch):
    monkeypatch.setattr(impact, "public_figures", public_figures)
    monkeypatch.setattr(impact, "computed_at", lambda: NOW)
    monkeypatch.setattr(impact, "dashboard", with_answer_times)


def svg_of(markup):
    return ET.fromstring(str(markup))  # noqa: S314 - our own output


@pytest.mark.parametrize("language", ["en", "ar"])
def test_charts_run_left_to_right_and_anchor_every_text(app, language):
    table = countries_table()
    with app.test_request_context(), force_locale(language):
        svg = svg_of(charts.chart(table, "t"))
        month = Table(
            "m",
            "Members month by month",
            (Column("month", "Month", "month"), Column("a", "Registered"), Column("b", "Active")),
            tuple((date(2026, n, 1), n, 2 * n) for n in range(1, 13)),
        )
        lines = svg_of(charts.chart(month, "t2"))
    for drawing in (svg, lines):
        assert drawing.get("direction") == "ltr"
        for text in drawing.iter(f"{SVG}text"):
            assert text.get("text-anchor") in ("start", "middle", "end"), text.text
            words = "".join(text.itertext())
            # In Arabic each label is an isolate of its own, so it reads right to left.
            assert (words.startswith(RLI) and words.endswith(PDI)) == (language == "ar")
    labels = ["".join(t.itertext()).strip(RLI + PDI) for t in svg.iter(f"{SVG}text")]
    if language == "ar":
        assert "المغرب" in labels and "ألمانيا" in labels and "بلدان أخرى" in labels
    else:
        assert "Morocco" in labels and "Germany" in labels and "Other countries" in labels


def test_the_public_page_names_countries_in_the_readers_language(client, db, figures):
    read_in(client, "fr")
    html = client.get("/impact").get_data(as_text=True)
    assert "Maroc" in html and "Allemagne" in html and "Autres pays" in html
    assert "Morocco" not in html and "Other countries" not in html
    # The note names the group in French, with the plural of "personne".
    assert "moins de 5 personnes ont participé sont regroupés sous « Autres pays »" in html
    # In the reader's alphabet order, "Other countries" last.
    table = html[html.index('id="table-public_countries"') :]
    assert table.index("Allemagne") < table.index("Maroc") < table.index("Autres pays")
    read_in(client, "es")
    html = client.get("/impact").get_data(as_text=True)
    assert "Marruecos" in html and "Alemania" in html and "Otros países" in html


def test_the_open_data_keeps_english_names_and_adds_stable_codes(client, db, figures):
    read_in(client, "ar")
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/impact/data.csv").get_data(as_text=True).lstrip("\ufeff"))
        )
    )
    morocco = [r for r in rows if r["row"] == "Morocco"]
    assert {r["column"]: r["value"] for r in morocco} == {
        "engagements": "1200",
        "hours": "9000",
        "country_code": "MA",
    }
    assert {
        "table": "public_countries",
        "row": "Other countries",
        "column": "country_code",
        "value": "other",
    } in rows
    data = json.loads(client.get("/impact/data.json").get_data())
    table = data["tables"]["public_countries"]
    assert table["columns"] == ["country", "engagements", "hours", "country_code"]
    assert ["Morocco", 1200, 9000, "MA"] in table["rows"]
    assert ["Other countries", 297, 3400, "other"] in table["rows"]


def test_the_stored_figures_hold_codes(db):
    from tests.test_impact_public import Network
    from tests.test_impact_public import figures as refreshed

    network = Network()
    network.engage("MA", 5)
    network.engage("DE", 2)
    network.engage("KE", 6)
    _, countries = refreshed()
    assert [row[0] for row in countries] == ["KE", OTHER_COUNTRIES_CODE]


def test_waits_in_arabic_say_two_days_with_the_dual(client, db, figures):
    coordinator = new_user(impact.Role.COORDINATOR)
    coordinator.language = "ar"
    db.session.commit()
    sign_in(client, coordinator)
    html = client.get("/coordination/impact" + QUERY).get_data(as_text=True)
    assert "خلال أول يومين" in html and "خلال أول 2 أيام" not in html
    assert "أقل من 14 يومًا" in html  # 14: the singular accusative


@pytest.mark.parametrize(
    ("language", "count", "date"),
    [
        ("fr", "Reçues", "Reçue le"),
        ("es", "Recibidas", "Recibida"),
        ("pt", "Recebidas", "Recebida"),
        ("ar", "الواردة", "تاريخ الاستلام"),
    ],
)
def test_received_as_a_count_and_as_a_date(app, language, count, date):
    with app.test_request_context(), force_locale(language):
        column = Column("received", impact.NP_("applications counted", "Received"))
        assert column.text == count
        assert (
            app.jinja_env.from_string(
                '{{ pgettext("date an application came in", "Received") }}'
            ).render()
            == date
        )


def test_freshness_is_called_by_what_it_measures(client, db):
    coordinator = new_user(impact.Role.COORDINATOR)
    db.session.commit()
    sign_in(client, coordinator)
    for language, nav, title in (
        ("fr", "Fraîcheur des données", "Fraîcheur des données du réseau"),
        ("es", "Vigencia de los datos", "Vigencia de los datos de la red"),
        ("pt", "Atualidade dos dados", "Atualidade dos dados da rede"),
        ("ar", "تحديث البيانات", "تحديث بيانات الشبكة"),
    ):
        coordinator.language = language
        db.session.commit()
        html = client.get("/coordination/freshness").get_data(as_text=True)
        assert f">{nav}</a>" in html and f"<title>{title}" in html, language
