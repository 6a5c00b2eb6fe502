"""Project and institution pages in French and Arabic: labels, statuses, sectors, history and
flashes come from the catalogs under ``diaspora/translations``, plurals follow each language's
rules, and a listing says which language it is written in (``lang`` on its own text)."""

import re
from html import unescape

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from diaspora import catalog
from diaspora.models import Project, ProjectStatus, Role
from diaspora.services import projects
from tests.factories import form_data, make_institution, make_project, read_in, sign_in, speaking

S = ProjectStatus


@pytest.fixture
def rep(make_user, db):
    return make_user(role=Role.INSTITUTION, email="rep@ur.example", name="Jean Habimana")


@pytest.fixture
def institution(rep):
    return make_institution(rep=rep, name="University of Rwanda")


def visitor_page(app, path: str, language: str) -> str:
    client = app.test_client()
    read_in(client, language)
    response = client.get(path)
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def text(page: str) -> str:
    """The page's words without tags, spaces squeezed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_project_page_in_french_translates_labels_and_plural_forms(app, db, institution):
    one = make_project(institution, status=S.PUBLISHED, places=1, duration_weeks=1)
    three = make_project(institution, status=S.PUBLISHED, places=3, duration_weeks=3)

    page = text(visitor_page(app, f"/projects/{one.id}", "fr"))
    assert "1 place restante" in page
    assert "pour 1 semaine" in page
    assert "Date limite de candidature" in page and "À propos du projet" in page
    assert "Institution vérifiée" in page
    assert "Santé" in page and "Sur place" in page and "Frais pris en charge" in page
    assert "Enseignement ou conférences" in page
    assert "1 restante sur 1" in page

    page = text(visitor_page(app, f"/projects/{three.id}", "fr"))
    assert "3 places restantes" in page and "pour 3 semaines" in page
    assert "3 restantes sur 3" in page


def test_project_page_in_arabic_uses_the_dual_and_the_counted_forms(app, db, institution):
    two = make_project(institution, status=S.PUBLISHED, places=2, duration_weeks=2)
    eleven = make_project(institution, status=S.PUBLISHED, places=11, duration_weeks=11)

    page = text(visitor_page(app, f"/projects/{two.id}", "ar"))
    assert "يتبقى مكانان" in page and "لمدة أسبوعين" in page
    assert "الموعد النهائي للتقديم" in page and "عن المشروع" in page
    assert "الصحة" in page and "حضوري" in page and "مؤسسة موثّقة" in page

    page = text(visitor_page(app, f"/projects/{eleven.id}", "ar"))
    assert "يتبقى 11 مكانًا" in page and "لمدة 11 أسبوعًا" in page


def test_listing_cards_in_french_and_arabic(app, db, institution):
    make_project(institution, status=S.PUBLISHED, places=1)
    page = text(visitor_page(app, "/projects/", "fr"))
    assert "1 place restante" in page and "Vérifiée" in page and "Santé" in page
    page = text(visitor_page(app, "/projects/", "ar"))
    assert "يتبقى مكان واحد" in page and "موثّقة" in page and "الصحة" in page


def test_draft_page_shows_status_actions_and_history_in_french(client, db, rep, institution):
    speaking(rep, "fr")
    sign_in(client, rep)
    response = client.post(
        f"/projects/new/{institution.id}", data=form_data(written_in="fr"), follow_redirects=True
    )
    page = text(unescape(response.get_data(as_text=True)))
    assert "Brouillon enregistré. Soumettez-le à l'examen quand il sera prêt." in page
    assert "Brouillon" in page
    assert "Seuls les représentants de l'institution et les coordinateurs" in page
    assert "Soumettre à l'examen" in page and "Gérer ce projet" in page
    assert "Historique" in page and "Créé comme brouillon (désormais brouillon)" in page

    project = db.session.scalars(sa.select(Project)).one()
    response = client.post(f"/projects/{project.id}/status/submit", follow_redirects=True)
    page = text(unescape(response.get_data(as_text=True)))
    assert "Le projet est désormais : en attente d'examen." in page
    assert "Soumis à l'examen (désormais en attente d'examen)" in page


def test_draft_page_in_arabic(client, db, rep, institution):
    speaking(rep, "ar")
    project = make_project(institution, status=S.CHANGES_REQUESTED, status_reason="Fix it.")
    sign_in(client, rep)
    page = text(unescape(client.get(f"/projects/{project.id}").get_data(as_text=True)))
    assert "مطلوب تعديلات" in page and "إدارة هذا المشروع" in page
    assert "من المنسقين:" in page and "Fix it." in page


def test_project_form_in_french_and_arabic(client, db, rep, institution):
    speaking(rep, "fr")
    sign_in(client, rep)
    page = unescape(client.get(f"/projects/new/{institution.id}").get_data(as_text=True))
    assert "Nouveau projet" in page and "Enregistrer le brouillon" in page
    assert "Annonce rédigée en" in page and "Compétences recherchées" in page
    assert "Choisissez un secteur" in page and '<option value="health">Santé' in page
    assert "Frais pris en charge" in page and "Sur place" in page
    # The listing's language starts as the representative's, each named in itself.
    assert re.search(r'<option selected value="fr">Français', page)
    assert '<option value="ar">العربية' in page

    speaking(rep, "ar")
    page = unescape(client.get(f"/projects/new/{institution.id}").get_data(as_text=True))
    assert "مشروع جديد" in page and "لغة الإعلان" in page and "حفظ المسودة" in page
    assert re.search(r'<option selected value="ar">العربية', page)


def test_written_in_is_saved_and_marks_the_listing_text(client, app, db, rep, institution):
    sign_in(client, rep)
    response = client.post(f"/projects/new/{institution.id}", data=form_data(written_in="fr"))
    assert response.status_code == 302
    project = db.session.scalars(sa.select(Project)).one()
    assert project.written_in == "fr"

    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert '<h1 dir="auto" lang="fr">' in page
    assert '<p class="lead" dir="auto" lang="fr">' in page
    assert '<div dir="auto" lang="fr">' in page
    assert "Listing written in" in page and "French" in page

    edit = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    assert re.search(r'<option selected value="fr">Français', edit)
    client.post(f"/projects/{project.id}/edit", data=form_data(written_in="ar"))
    db.session.refresh(project)
    assert project.written_in == "ar"
    assert projects.project_data(project).written_in == "ar"


@pytest.mark.parametrize("bad", ["xx", "", "english", "fr-FR"])
def test_a_bad_listing_language_is_a_form_error(client, db, rep, institution, bad):
    sign_in(client, rep)
    response = client.post(f"/projects/new/{institution.id}", data=form_data(written_in=bad))
    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    assert "Choose the language the listing is written in." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0

    speaking(rep, "fr")
    response = client.post(f"/projects/new/{institution.id}", data=form_data(written_in=bad))
    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    assert "Choisissez la langue dans laquelle l'annonce est rédigée." in page


def test_the_service_refuses_a_language_the_site_does_not_speak(app, db, rep, institution):
    data = projects.ProjectData(
        title="T",
        summary="S",
        description="D",
        country="RW",
        sector="energy",
        engagement_mode="remote_advice",
        work_mode="remote",
        compensation="volunteer",
        written_in="de",
    )
    with pytest.raises(projects.Invalid, match="language the listing"):
        projects.create_project(rep, institution, data)


def test_institution_page_in_french_and_arabic(app, db, institution):
    make_project(institution, status=S.PUBLISHED, written_in="fr", title="Former des infirmiers")
    page = text(visitor_page(app, f"/institutions/{institution.id}", "fr"))
    assert "Hôpital ou clinique" in page and "Vérifiée" in page
    assert "Projets publiés" in page and "Pays" in page
    raw = visitor_page(app, f"/institutions/{institution.id}", "fr")
    assert '<li dir="auto" lang="fr">' in raw

    page = text(visitor_page(app, f"/institutions/{institution.id}", "ar"))
    assert "مستشفى أو عيادة" in page and "موثّقة" in page and "المشاريع المنشورة" in page


def test_institution_form_and_dashboard_in_french(client, db, rep, institution):
    speaking(rep, "fr")
    sign_in(client, rep)
    page = text(unescape(client.get(f"/institutions/{institution.id}/edit").get_data(as_text=True)))
    assert "Domaine de messagerie officiel" in page and "Choisissez un pays" in page
    assert "Hôpital ou clinique" in page and "Enregistrer" in page
    make_project(institution, status=S.DRAFT)
    page = text(unescape(client.get("/projects/mine").get_data(as_text=True)))
    assert "Mes projets" in page and "Brouillon (1)" in page and "Nouveau projet" in page
    page = text(unescape(client.get("/institutions/mine").get_data(as_text=True)))
    assert "Mes institutions" in page and "Vérifiée" in page


def test_sector_names_are_translated_where_shown(app):
    with app.test_request_context():
        with force_locale("fr"):
            assert catalog.sector_name("health") == "Santé"
            assert dict(catalog.sector_choices())["water_sanitation"] == "Eau et assainissement"
        with force_locale("ar"):
            assert catalog.sector_name("ict") == "تكنولوجيا المعلومات والاتصالات"
        with force_locale("en"):
            assert catalog.sector_name("health") == "Health"
        assert catalog.sectors()["health"] == "Health"  # the stored names stay English
        assert catalog.sector_name("unknown") == "unknown"


def test_skill_limit_uses_plural_forms(app):
    with app.test_request_context():
        too_many = [f"skill {n}" for n in range(16)]
        with force_locale("fr"), pytest.raises(projects.Invalid, match="maximum 15 compétences"):
            projects.resolve_skills(too_many)
        with force_locale("ar"), pytest.raises(projects.Invalid, match="أدرج 15 مهارة على الأكثر"):
            projects.resolve_skills(too_many)
