"""The coordinators' pages, the impact pages and the follow-up pages in French and Arabic:
their words come from the catalogs, numbers and months follow the language, the charts'
titles are translated, and the downloads keep their English keys whatever the language."""

import codecs
from datetime import UTC, date, datetime

import pytest

from diaspora import charts
from diaspora.models import Role
from diaspora.services import follow_ups, impact
from diaspora.services.impact import (
    COUNT,
    DASHBOARD_TABLES,
    FUNNEL_STAGES,
    MEASURE,
    MONTH,
    Column,
    Filters,
    Period,
    Report,
    Table,
    suppress,
)
from tests.factories import new_user, read_in, sign_in
from tests.test_follow_ups import (  # noqa: F401 - the follow-up fixtures, by name
    asked,
    institution,
    member,
    project,
    rep,
    token_of,
)

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
NNBSP = "\u202f"  # French groups thousands with a narrow no-break space
QUERY = "?from_month=01&from_year=2026&to_month=12&to_year=2026"


def dashboard(period: Period, filters: Filters, now=None) -> Report:
    """A dashboard built from the real tables' words, so every one has its translation."""
    members = Table(
        "members",
        DASHBOARD_TABLES["members"],
        (MEASURE, COUNT),
        (("Members registered in the period", 1234), ("Members in all", 5678)),
        people=frozenset({"count"}),
    )
    by_month = Table(
        "members_by_month",
        DASHBOARD_TABLES["members_by_month"],
        (MONTH, Column("registered", "Registered"), Column("active", "Active")),
        tuple((month, 10 * n, n) for n, month in enumerate(period.months())),
    )
    funnel = Table(
        "funnel",
        DASHBOARD_TABLES["funnel"],
        (
            Column("stage", "Stage", "text"),
            Column("applications", "Applications"),
            Column("share", "Share of applied", "percent"),
        ),
        tuple(
            (label, count, share)
            for (_, label), count, share in zip(
                FUNNEL_STAGES[:3], (2400, 600, 180), (100.0, 25.0, 7.5), strict=True
            )
        ),
        note="By the month the application was made; what became of it since.",
    )
    tables = [members, by_month, funnel]
    return Report(period, filters, now or NOW, {t.key: t for t in tables})


def public_figures() -> Report:
    totals = Table(
        "public_totals",
        "The network's impact",
        (MEASURE, COUNT),
        (
            ("Engagements completed", 1500),
            ("Countries served", 9),
            ("Hours contributed (estimate)", 12400),
            ("Institutions answering applicants", 31),
            ("Members listed in the directory", None),
        ),
        note=impact.PUBLIC_TOTALS_NOTE,
    )
    countries = Table(
        "public_countries",
        "Engagements by country served",
        (
            Column("country", "Country served", "text"),
            Column("engagements", "Engagements"),
            Column("hours", "Hours contributed (estimate)", "hours"),
        ),
        (("Ghana", 1200, 9000), ("Malta", 3, 30), (impact.OTHER_COUNTRIES, 297, 3400)),
        note=impact.PUBLIC_COUNTRIES_NOTE,
        people=frozenset({"engagements"}),
    )
    tables = {"public_totals": totals, "public_countries": suppress(countries)}
    return Report(Period.parse("2020-01:2026-12"), Filters(), NOW, tables)


@pytest.fixture
def figures(monkeypatch):
    monkeypatch.setattr(impact, "dashboard", dashboard)
    monkeypatch.setattr(impact, "computed_at", lambda: NOW)
    monkeypatch.setattr(impact, "public_figures", public_figures)


def coordinator_in(client, language: str):
    user = new_user(Role.COORDINATOR)
    user.language = language
    impact.db.session.commit()
    sign_in(client, user)
    return user


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def in_language(app, language: str):
    """A request context in ``language`` (in a fresh application context)."""
    return app.test_request_context(headers={"Accept-Language": language})


def test_the_dashboard_in_french(client, db, figures):
    coordinator_in(client, "fr")
    html = page(client, "/coordination/impact" + QUERY)
    assert '<html lang="fr" dir="ltr"' in html
    assert "Impact et santé du réseau" in html
    assert "Afficher les chiffres" in html
    assert "janvier 2026 à décembre 2026. Chiffres au 7 déc. 2026" in html
    assert "Membres inscrits pendant la période" in html and "Membres au total" in html
    assert f"1{NNBSP}234" in html and f"5{NNBSP}678" in html
    assert "Candidatures déposées" in html and "Présélectionnées" in html
    assert "25 %" in html
    assert "Part des candidatures" in html
    assert "Par mois de dépôt de la candidature" in html
    assert '<title id="chart-funnel-title">Graphique : Candidatures</title>' in html
    assert '<th scope="row">janv. 2026' in html
    assert "Télécharger le CSV" in html
    # The filter form: its labels and the months in French.
    assert "Mois de début" in html and "Tous les pays" in html and ">mars<" in html


def test_the_dashboard_in_arabic(client, db, figures):
    coordinator_in(client, "ar")
    html = page(client, "/coordination/impact" + QUERY)
    assert '<html lang="ar" dir="rtl"' in html
    assert "الأثر وصحة الشبكة" in html
    assert "الأعضاء المسجلون خلال الفترة" in html
    assert "رسم بياني: الطلبات" in html


def test_the_csv_keeps_its_english_keys_in_every_language(client, db, figures):
    downloads = {}
    for language in ("en", "fr", "ar"):
        other = client.application.test_client()
        coordinator_in(other, language)
        with other.application.app_context():
            response = other.get("/coordination/impact/funnel.csv" + QUERY)
        assert response.status_code == 200
        downloads[language] = response.data.decode("utf-8-sig")
        assert response.data.startswith(codecs.BOM_UTF8)
    for text in downloads.values():
        assert text.splitlines()[0] == "stage,applications,share"
        assert "Applied,2400,100.0" in text
    assert downloads["fr"] == downloads["en"] == downloads["ar"]


def test_the_public_page_in_french_and_arabic(client, db, figures):
    read_in(client, "fr")
    html = page(client, "/impact")
    assert "Ce que le réseau accomplit" in html
    assert "Comment les petits nombres sont masqués" in html
    assert "Engagements par pays servi" in html and "Autres pays" in html
    assert "moins de 5" in html
    assert f"12{NNBSP}400" in html
    assert "Chiffres au 7 déc. 2026" in html
    assert "Graphique : Engagements par pays servi" in html
    read_in(client, "ar")
    html = page(client, "/impact")
    assert '<html lang="ar" dir="rtl"' in html
    assert "ما تحققه الشبكة" in html and "أقل من 5" in html and "بلدان أخرى" in html


def test_the_moderation_queue_in_french_and_arabic(client, db):
    coordinator_in(client, "fr")
    html = page(client, "/coordination/queue")
    assert "File d'attente de modération" in html
    assert "0 élément en attente, du plus ancien au plus récent." in html
    assert "Journal d'audit" in html and "Projets en attente d'examen (0)" in html
    other = client.application.test_client()
    coordinator_in(other, "ar")
    html = page(other, "/coordination/queue")
    assert "قائمة انتظار الإشراف" in html and "لا توجد عناصر بالانتظار." in html


def test_the_follow_up_page_in_french_and_arabic(client, db, asked, member):  # noqa: F811
    token = token_of(db, member)
    read_in(client, "fr")
    html = page(client, f"/follow-ups/{token}")
    assert "3 mois après" in html
    assert "Êtes-vous toujours en contact ?" in html
    assert "Oui, nous sommes toujours en contact" in html
    assert "Envoyer mes réponses" in html
    read_in(client, "ar")
    html = page(client, f"/follow-ups/{token}")
    assert "بعد 3 أشهر من" in html and "هل ما زلتم على تواصل؟" in html


def test_follow_up_figures_and_plural_forms(app, db):
    table = follow_ups.impact_table(Period.parse("2026-01:2026-12"))
    assert table.title_text == "Follow-ups after engagements"
    with app.app_context(), in_language(app, "fr"):
        assert table.title_text == "Suivis après les engagements"
        assert impact.translate(follow_ups.AFTER[12]) == "12 mois"
        assert [c.text for c in table.columns[:2]] == ["Question", "Après"]
    with app.app_context(), in_language(app, "ar"):
        assert impact.translate(follow_ups.AFTER[12]) == "12 شهرًا"
        assert charts.format_value(None, "count") == "أقل من 5"


def test_numbers_months_and_periods_follow_the_language(app):
    with app.app_context(), in_language(app, "fr"):
        assert charts.format_value(1234567, "count") == f"1{NNBSP}234{NNBSP}567"
        assert charts.format_value(4.5, "days") == "4,5 jours"
        assert charts.format_value(date(2026, 3, 1), "month") == "mars 2026"
        assert charts.format_value(None, "count") == "moins de 5"
        assert Period.parse("2026-01:2026-12").label == "janvier 2026 à décembre 2026"
    with app.app_context(), in_language(app, "en"):
        assert charts.format_value(1234567, "count") == "1,234,567"
        assert Period.parse("2026-01:2026-12").label == "January 2026 to December 2026"


def test_the_freshness_page_and_mail_page_in_french(client, db):
    coordinator_in(client, "fr")
    html = page(client, "/coordination/freshness")
    assert "Fraîcheur des données du réseau" in html and "Profils de membres" in html
    assert "Annonces de projets" in html and "À relancer maintenant" in html
    html = page(client, "/coordination/mail")
    assert "Envoi des e-mails" in html and "Aucun envoi en échec." in html
    html = page(client, "/coordination/audit")
    assert "Journal d'audit" in html and "Toutes les actions" in html
