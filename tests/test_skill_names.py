"""The curated skills in the site's languages: the names file, pages showing a skill in the
reader's language, suggestions in that language, names typed in any language read as the
curated skill, and search finding a skill by its name in another language."""

import csv
from collections import Counter

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from diaspora import skill_names
from diaspora.extensions import db as _db
from diaspora.models import Audience, ProjectStatus, Role, Skill, SkillKind, SkillLabel
from diaspora.services import discovery, profiles
from diaspora.services.discovery import ExpertSearch, ProjectSearch
from diaspora.services.profiles import DATA
from tests.factories import (
    filled_profile,
    make_institution,
    make_project,
    new_user,
    read_in,
    sign_in,
    speaking,
    with_profile,
)

LANGUAGES = ("fr", "es", "pt", "ar")


def rows(name):
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def skill(name):
    return _db.session.scalar(sa.select(Skill).where(Skill.key == Skill.key_for(name)))


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.fixture
def taxonomy(db):
    profiles.load_skills_taxonomy()
    _db.session.commit()


@pytest.fixture
def institution(db):
    return make_institution(new_user(Role.INSTITUTION))


def published(institution, title, skills=(), **fields):
    return make_project(
        institution,
        title=title,
        status=ProjectStatus.PUBLISHED,
        skills=[skill(name) for name in skills],
        **fields,
    )


# --------------------------------------------------------------------------- the file


def test_every_curated_skill_has_a_name_in_each_language():
    curated = [row["skill"] for row in rows("skills.csv")]
    names = rows("skill_names.csv")
    assert len(names) == len(curated) * len(LANGUAGES)
    assert Counter((row["skill"], row["language"]) for row in names) == Counter(
        {(name, language): 1 for name in curated for language in LANGUAGES}
    )
    for row in names:
        assert row["name"] and row["name"] == " ".join(row["name"].split()), row
    # No two skills share a name in a language, nor any name at all: a name typed in any
    # language stands for one skill.
    for language in LANGUAGES:
        shown = [Skill.key_for(row["name"]) for row in names if row["language"] == language]
        assert len(shown) == len(set(shown)), language
    for row in names:
        assert skill_names.curated_name(row["name"]) == row["skill"], row
    assert "ar" in skill_names.table() and len(skill_names.table()["ar"]) == len(curated)


def test_a_name_is_shown_in_the_language_asked():
    assert skill_names.skill_name("Midwifery", "es") == "Partería"
    assert skill_names.skill_name("Midwifery", "ar") == "القبالة"
    assert skill_names.skill_name("Midwifery", "en") == "Midwifery"
    assert skill_names.skill_name("Tele-ultrasound", "fr") == "Tele-ultrasound"
    free = Skill(name="Midwifery", key="midwifery", curated=False)
    assert skill_names.skill_name(free, "fr") == "Midwifery"  # a free skill stays as typed
    assert skill_names.curated_name("parteria") == "Midwifery"  # accents aside
    assert skill_names.curated_name("Tele-ultrasound") is None


# --------------------------------------------------------------------------- pages


def test_a_project_page_shows_its_skills_in_the_readers_language(client, taxonomy, institution):
    project = published(institution, "Rural maternity", skills=["Midwifery", "Public health"])
    project.skills.append(profiles.find_or_create_skill("Kangaroo care"))
    _db.session.commit()
    read_in(client, "fr")
    html = page(client, f"/projects/{project.id}")
    assert "Maïeutique (sage-femme)" in html and "Santé publique" in html
    assert ">Midwifery<" not in html
    assert "Kangaroo care" in html  # a free skill as it was typed
    read_in(client, "en")
    assert ">Midwifery<" in page(client, f"/projects/{project.id}")


def test_the_suggestions_are_in_the_readers_language(app, taxonomy):
    rep = speaking(new_user(Role.INSTITUTION), "pt")
    institution = make_institution(rep, name="Hospital Central")
    client = app.test_client()
    sign_in(client, rep)
    html = page(client, f"/projects/new/{institution.id}")
    assert '<option value="Parteria e enfermagem obstétrica">' in html
    assert '<option value="Midwifery">' not in html

    member = speaking(with_profile(new_user()), "ar")
    client = app.test_client()
    sign_in(client, member)
    html = page(client, "/profile/skills")
    assert "<option>القبالة" in html and "<option>Midwifery" not in html


def test_a_skill_typed_in_spanish_is_the_curated_skill(app, taxonomy):
    member = speaking(with_profile(new_user()), "es")
    client = app.test_client()
    sign_in(client, member)
    response = client.post("/profile/skills", data={"name": "Partería", "kind": "have"})
    assert response.status_code == 302
    client.post("/profile/skills", data={"name": "  telé-ecografía ", "kind": "have"})
    profile = profiles.profile_of(member)
    _db.session.refresh(profile)
    have = {s.name: s.curated for s in profile.skills_of(SkillKind.HAVE)}
    assert have == {"Midwifery": True, "telé-ecografía": False}  # the free skill as typed
    assert (
        _db.session.scalar(sa.select(sa.func.count(Skill.id)).where(Skill.key == "partería")) == 0
    )
    html = page(client, "/profile/skills")
    assert "Partería" in html and "telé-ecografía" in html
    # Typed again in French, or in English, it is the same skill: nothing is added.
    profiles.add_skill(member, "maïeutique (sage-femme)", "have")
    profiles.add_skill(member, "midwifery", "have")
    _db.session.commit()
    _db.session.refresh(profile)
    assert len(profile.skills_of(SkillKind.HAVE)) == 2


def test_a_project_form_reads_translated_names_back(app, taxonomy, institution):
    from diaspora.services import projects

    chosen = projects.resolve_skills(["Santé publique, Salud pública", "القبالة", "Gewässerkunde"])
    assert [(s.name, s.curated) for s in chosen] == [
        ("Public health", True),
        ("Midwifery", True),
        ("Gewässerkunde", False),
    ]
    project = published(institution, "Clinic", skills=["Public health"])
    with app.test_request_context(), force_locale("fr"):
        assert projects.project_data(project).skills == ["Santé publique"]


# --------------------------------------------------------------------------- search


@pytest.mark.search_index
def test_a_search_for_a_translated_name_finds_the_project(client, taxonomy, institution):
    published(institution, "Rural maternity", skills=["Midwifery"])
    published(institution, "Roof repairs")
    for query in ("sage-femme", "Partería", "القبالة", "maïeutique"):
        result = discovery.search_projects(ProjectSearch(query=query), per_page=100)
        assert [project.title for project, _, _ in result.items] == ["Rural maternity"], query
    read_in(client, "es")
    html = page(client, "/search?q=القبالة")
    assert "Rural maternity" in html
    assert 'class="matched muted"' in html and "<strong>Partería</strong>" in html
    # A name typed as the page shows it needs no note.
    assert 'class="matched' not in page(client, "/search?q=Partería")
    # The facet shows the skill in the reader's language; its value stays the curated name.
    assert 'value="Midwifery"' in html and ">Partería</a>" in html


@pytest.mark.search_index
def test_expert_results_show_skills_in_the_readers_language(app, taxonomy):
    member = new_user(Role.MEMBER, name="Ama Mensah")
    filled_profile(member, listed=True, audiences={"skills": int(Audience.SIGNED_IN)})
    profiles.add_skill(member, "Midwifery", "have")
    _db.session.commit()
    coordinator = speaking(new_user(Role.COORDINATOR), "fr")
    found = discovery.search_experts(coordinator, ExpertSearch(filters={"skills": ["Midwifery"]}))
    assert [p.display_name for p, _ in found.items] == ["Ama Mensah"]
    client = app.test_client()
    sign_in(client, coordinator)
    html = page(client, "/experts?q=sage-femme")
    assert "Ama Mensah" in html and "Maïeutique (sage-femme)" in html
    # The skill filter takes a name in any language.
    html = page(client, "/experts?skills=Partería")
    assert "Ama Mensah" in html and 'value="Maïeutique (sage-femme)"' in html


# --------------------------------------------------------------------------- loading


def test_loading_adds_the_translations_as_labels_once(db):
    first = profiles.load_skills_taxonomy()
    _db.session.commit()
    assert first.translations > 1000
    labels = _db.session.scalars(
        sa.select(SkillLabel).where(SkillLabel.source == "translation")
    ).all()
    assert len(labels) == first.translations
    assert "Partería" in {label.label for label in skill("Midwifery").labels}
    again = profiles.load_skills_taxonomy()
    _db.session.commit()
    assert (again.created, again.updated, again.labels, again.translations) == (0, 0, 0, 0)
    count = _db.session.scalar(sa.select(sa.func.count(SkillLabel.id)))
    assert count == len(_db.session.scalars(sa.select(SkillLabel)).all())


def test_the_label_page_leaves_the_translations_out(app, taxonomy):
    coordinator = new_user(Role.COORDINATOR)
    client = app.test_client()
    sign_in(client, coordinator)
    html = page(client, "/skills/labels")
    assert "OB-GYN" in html and "Partería" not in html
