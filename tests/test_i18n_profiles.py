"""Profile, privacy and search pages in French and Arabic: labels, plural forms, and the
language a profile says it is written in (``lang`` on its text)."""

import re

import pytest
from flask_babel import force_locale, ngettext, refresh

from diaspora import i18n
from diaspora.models import Role
from diaspora.services import discovery, profiles
from diaspora.services.discovery import ProjectSearch
from tests.factories import (
    filled_profile,
    make_institution,
    new_user,
    read_in,
    sign_in,
    speaking,
)

SIGNED_IN = 3
SHOWN = {"skills": SIGNED_IN, "headline": SIGNED_IN}


@pytest.fixture
def member(app):
    return new_user(Role.MEMBER, name="Amina Yusuf")


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def selected_option(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    chosen = re.search(r'<option[^>]*selected[^>]*value="([^"]+)"', select.group(1))
    chosen = chosen or re.search(r'<option[^>]*value="([^"]+)"[^>]*selected', select.group(1))
    return chosen.group(1) if chosen else None


# --------------------------------------------------------------------------- the editor


def test_the_profile_editor_in_french(client, member):
    sign_in(client, speaking(member, "fr"))
    html = page(client, "/profile")
    assert '<html lang="fr" dir="ltr"' in html
    for text in (
        "Mon profil",
        "À propos de moi",
        "Nom d'affichage",
        "Profil rédigé en",
        "Pays d'origine",
        "Ajouter ou retirer des langues",
        "Compétences que je possède",
        "Ajouter ou retirer des compétences",
        "Ajouter la formation",
        "Il manque encore",
        "Enregistrer",
    ):
        assert text in html, text
    assert "Save this part" not in html and "Add or remove" not in html


def test_the_languages_and_skills_pages_in_french(client, member):
    sign_in(client, speaking(member, "fr"))
    languages = page(client, "/profile/languages")
    assert '<html lang="fr" dir="ltr"' in languages
    for text in (
        "Les langues que vous parlez",
        "Aucune langue pour l'instant.",
        "Ajouter la langue",
    ):
        assert text in languages, text
    skills = page(client, "/profile/skills")
    for text in ("Vos compétences", "Compétences que je possède", "Ajouter la compétence"):
        assert text in skills, text
    assert "Your skills" not in skills and "Languages you speak" not in languages
    client.post("/profile/languages", data={"code": "am", "proficiency": "native"})
    assert "Langue enregistrée." in page(client, "/profile/languages")


def test_the_languages_and_skills_pages_in_arabic(client, member):
    sign_in(client, speaking(member, "ar"))
    languages = page(client, "/profile/languages")
    assert '<html lang="ar" dir="rtl"' in languages
    assert "اللغات التي تتحدثها" in languages and "إضافة لغة" in languages
    skills = page(client, "/profile/skills")
    assert '<html lang="ar" dir="rtl"' in skills
    assert "مهاراتك" in skills and "إضافة مهارة" in skills


def test_the_profile_editor_and_privacy_page_in_arabic(client, member):
    sign_in(client, speaking(member, "ar"))
    html = page(client, "/profile")
    assert 'dir="rtl"' in html
    assert "ملفي الشخصي" in html and "لغة كتابة الملف الشخصي" in html
    assert "إضافة لغات أو إزالتها" in html and "إضافة مهارات أو إزالتها" in html
    privacy = page(client, "/profile/privacy")
    assert "من يرى ماذا" in privacy and "إخفائي في كل مكان" in privacy
    # The audience choices of every part ("who sees what") are in Arabic too.
    assert "أنا فقط" in privacy and "المستخدمون المسجَّل دخولهم" in privacy
    assert "Only me" not in privacy


def test_each_site_language_is_offered_by_its_own_name(client, member):
    sign_in(client, speaking(member, "fr"))
    html = page(client, "/profile")
    select = re.search(r'<select[^>]*name="written_in"[^>]*>(.*?)</select>', html, re.S).group(1)
    for code, name in i18n.LANGUAGES.items():
        assert re.search(rf'value="{code}"[^>]*>{name}', select), name


# --------------------------------------------------------------------------- written_in


def test_a_new_profile_is_taken_to_be_in_the_members_interface_language(client, member):
    sign_in(client, speaking(member, "fr"))
    assert selected_option(page(client, "/profile"), "written_in") == "fr"
    response = client.post("/profile", data={"display_name": "Amina", "headline": "Sage-femme"})
    assert response.status_code == 302
    assert profiles.profile_of(member).written_in == "fr"


def test_written_in_is_saved_and_marks_the_profile_text_with_its_language(client, member):
    sign_in(client, speaking(member, "fr"))
    response = client.post(
        "/profile",
        data={
            "display_name": "Amina",
            "headline": "طبيبة توليد",
            "bio": "أعمل في مستشفى منذ عشر سنوات.",
            "written_in": "ar",
        },
    )
    assert response.status_code == 302
    assert profiles.profile_of(member).written_in == "ar"
    assert selected_option(page(client, "/profile"), "written_in") == "ar"
    html = page(client, f"/members/{member.id}")
    # The page is in French; the member's own words say they are in Arabic.
    assert '<html lang="fr"' in html
    assert re.search(r'<p class="lead"[^>]*lang="ar"[^>]*>طبيبة توليد', html)
    assert re.search(r'<div class="profile-text"[^>]*lang="ar"', html)
    assert "Profil rédigé en" in html


def test_a_bad_written_in_is_refused_on_the_form(client, member):
    sign_in(client, speaking(member, "fr"))
    client.post("/profile", data={"display_name": "Amina", "written_in": "pt"})
    refresh()
    response = client.post("/profile", data={"display_name": "Amina", "written_in": "xx"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Choisissez une langue dans la liste." in html
    assert profiles.profile_of(member).written_in == "pt"


def test_the_service_refuses_an_unsupported_language_too(app, member):
    from diaspora.services.errors import Invalid

    with pytest.raises(Invalid):
        profiles.update_profile(member, {"display_name": "Amina", "written_in": "klingon"})


# --------------------------------------------------------------------------- plural forms


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("fr", 1, "1 expert"),
        ("fr", 3, "3 experts"),
        ("ar", 1, "خبير واحد"),
        ("ar", 2, "خبيران"),
        ("ar", 3, "3 خبراء"),
        ("ar", 11, "11 خبيرًا"),
        ("ar", 100, "100 خبير"),
    ],
)
def test_result_counts_use_each_languages_plural_forms(app, language, count, expected):
    with app.test_request_context(), force_locale(language):
        assert ngettext("%(num)s expert", "%(num)s experts", count) == expected


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("fr", 1, "1 projet"),
        ("fr", 3, "3 projets"),
        ("ar", 2, "مشروعان"),
        ("ar", 11, "11 مشروعًا"),
    ],
)
def test_project_counts_too(app, language, count, expected):
    with app.test_request_context(), force_locale(language):
        assert ngettext("%(num)s project", "%(num)s projects", count) == expected


def test_a_saved_search_is_described_in_the_readers_language(app):
    search = ProjectSearch(query="eau", within=30)
    with app.test_request_context(), force_locale("fr"):
        assert discovery.describe(search) == "« eau », date limite dans les 30 jours"
    with app.test_request_context(), force_locale("ar"):
        assert discovery.describe(search) == "«eau»، الموعد النهائي خلال 30 يومًا"
        assert discovery.describe(ProjectSearch()) == "كل المشاريع"


# --------------------------------------------------------------------------- search pages


@pytest.mark.search_index
def test_the_expert_search_page_in_french_counts_experts(client, db):
    rep = new_user(Role.INSTITUTION)
    make_institution(rep, name="Hôpital de Kayes")
    members = [new_user(Role.MEMBER, name=f"Expert {n}") for n in range(3)]
    for member in members:
        filled_profile(member, audiences=SHOWN, listed=True)
    sign_in(client, speaking(rep, "fr"))
    html = page(client, "/experts")
    for text in ("Trouver des experts", "Secteur", "Lieu de résidence", "Séjour prévu dans"):
        assert text in html, text
    assert re.search(r'class="results-count">3 experts<', html)


@pytest.mark.search_index
def test_the_expert_search_page_in_arabic(client, db):
    rep = new_user(Role.INSTITUTION)
    make_institution(rep, name="Hospital")
    for n in range(2):
        filled_profile(new_user(Role.MEMBER, name=f"Expert {n}"), audiences=SHOWN, listed=True)
    sign_in(client, speaking(rep, "ar"))
    html = page(client, "/experts")
    assert 'dir="rtl"' in html
    assert "البحث عن خبراء" in html and "القطاع" in html
    assert re.search(r'class="results-count">خبيران<', html)


@pytest.mark.search_index
def test_the_project_search_page_in_french_and_arabic(app, client, db):
    html = page(client, "/search?q=zzzz")
    assert "Search projects" in html
    read_in(client, "fr")
    html = page(client, "/search?q=zzzz")
    assert "Rechercher des projets" in html and "Trier par" in html and "Pertinence" in html
    assert "Aucun projet ouvert ne correspond à cette recherche." in html
    assert "Dans les 30 jours" in html
    read_in(client, "ar")
    html = page(client, "/search?q=zzzz")
    assert "البحث عن مشاريع" in html and "لا يوجد مشروع مفتوح يطابق هذا البحث." in html
    assert "خلال 30 يومًا" in html and "خلال 7 أيام" in html
