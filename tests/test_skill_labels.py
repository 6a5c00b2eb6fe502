"""Other names of skills: the bundled labels, coordinators adding and removing them, merges
keeping the merged name, and search finding projects and experts by any name of a skill."""

import csv
import threading

import pytest
import sqlalchemy as sa

from diaspora.extensions import db as _db
from diaspora.models import Audience, AuditEntry, ProjectStatus, Role, Skill, SkillLabel
from diaspora.search.synonyms import label_tokens
from diaspora.services import discovery, profiles
from diaspora.services.discovery import ExpertSearch, ProjectSearch
from diaspora.services.errors import Conflict, Invalid, NotAllowed, NotFound
from diaspora.services.profiles import DATA
from tests.conftest import PG_URL
from tests.factories import filled_profile, make_institution, make_project, new_user, sign_in


def skill(name):
    return _db.session.scalar(sa.select(Skill).where(Skill.key == Skill.key_for(name)))


def labels_of(name):
    return sorted(label.label for label in skill(name).labels)


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


@pytest.fixture
def taxonomy(db):
    profiles.load_skills_taxonomy()
    _db.session.commit()


@pytest.fixture
def coordinator(db):
    return new_user(Role.COORDINATOR)


@pytest.fixture
def coordinator_client(app, coordinator):
    client = app.test_client()
    sign_in(client, coordinator)
    return client


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


def found(text):
    result = discovery.search_projects(ProjectSearch(query=text), per_page=100)
    return [project.title for project, _, _ in result.items], result


# --------------------------------------------------------------------------- the bundled labels


def test_every_bundled_label_names_a_curated_skill_and_loads_once(taxonomy):
    with (DATA / "skill_labels.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with (DATA / "skills.csv").open(newline="", encoding="utf-8") as handle:
        names = {Skill.key_for(row["skill"]) for row in csv.DictReader(handle)}
    assert len(rows) >= 200
    assert {Skill.key_for(row["skill"]) for row in rows} <= names
    distinct = {(Skill.key_for(row["skill"]), label_tokens(row["label"])) for row in rows}
    stored = _db.session.scalars(sa.select(SkillLabel)).all()
    assert len([label for label in stored if label.source == "taxonomy"]) == len(distinct)
    # The names in the other languages (skill_names.csv) load as labels of their own source.
    assert {label.source for label in stored} == {"taxonomy", "translation"}
    again = profiles.load_skills_taxonomy()
    assert (again.created, again.updated, again.labels, again.translations) == (0, 0, 0, 0)
    for name, label in [
        ("Family medicine", "GP"),
        ("Obstetrics", "OB-GYN"),
        ("Monitoring and evaluation", "M&E"),
        ("Solar photovoltaic design", "PV"),
    ]:
        assert label in labels_of(name)


def test_the_load_command_reports_the_labels(runner, db):
    result = runner.invoke(args=["skills", "load"])
    assert result.exit_code == 0, result.output
    assert "new label(s)" in result.output
    assert _db.session.scalar(sa.select(sa.func.count(SkillLabel.id))) > 0


# --------------------------------------------------------------------------- search


@pytest.mark.search_index
def test_projects_are_found_by_any_name_of_their_skills(client, taxonomy, institution):
    published(institution, "District hospital doctors", skills=["Family medicine"])
    published(institution, "Health post support", description="A general practitioner, weekly.")
    published(institution, "Rural maternity", skills=["Obstetrics"])
    published(institution, "Roof repairs")
    titles, result = found("GP")
    assert sorted(titles) == ["District hospital doctors", "Health post support"]
    assert found("ob/gyn")[0] == ["Rural maternity"]
    assert found("family medicine")[0][0] == "District hospital doctors"
    html = page(client, "/search?q=GP")
    note = '“<span dir="auto">GP</span>” matched the skill <strong>Family medicine</strong>'
    assert note in html
    # The project that only mentions the other name has no skill to explain.
    assert html.count("matched the skill") == 1


@pytest.mark.search_index
def test_a_coordinator_adds_and_removes_a_label_and_search_follows(
    client, coordinator_client, coordinator, taxonomy, institution
):
    published(institution, "Clean water for Gulu", skills=["Water treatment"])
    assert found("potabilisation")[0] == []
    target = skill("Water treatment")
    response = coordinator_client.post(
        "/skills/labels", data={"skill_id": target.id, "label": "  Potabilisation "}
    )
    assert response.status_code == 302
    assert "Potabilisation" in labels_of("Water treatment")
    assert found("potabilisation")[0] == ["Clean water for Gulu"]
    listing = page(coordinator_client, "/skills/labels")
    assert "Potabilisation" in listing and "Other names of skills" in listing
    entry = _db.session.scalar(sa.select(SkillLabel).where(SkillLabel.key == "potabilisation"))
    assert entry.source == "coordinator"
    assert f'name="label_id" value="{entry.id}"' in listing
    removed = coordinator_client.post("/skills/labels/remove", data={"label_id": entry.id})
    assert removed.status_code == 302
    assert found("potabilisation")[0] == []
    actions = _db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.actor_id == coordinator.id)
    ).all()
    assert actions.count("skill.label_add") == 1 and actions.count("skill.label_remove") == 1
    again = coordinator_client.post("/skills/labels/remove", data={"label_id": entry.id})
    assert again.status_code == 404
    for bad in ("", "abc", "-1", "2147483648", "9223372036854775808", "1\x00"):
        answer = coordinator_client.post("/skills/labels/remove", data={"label_id": bad})
        assert answer.status_code == 400


def test_only_coordinators_curate_labels(app, taxonomy):
    target = skill("Water treatment")
    for role in (Role.MEMBER, Role.INSTITUTION):
        client = app.test_client()
        sign_in(client, new_user(role))
        assert client.get("/skills/labels").status_code == 403
        post = client.post("/skills/labels", data={"skill_id": target.id, "label": "WT"})
        assert post.status_code == 403
    visitor = app.test_client().get("/skills/labels")
    assert visitor.status_code == 302 and "/login" in visitor.headers["Location"]
    with pytest.raises(NotAllowed):
        profiles.add_skill_label(new_user(Role.MEMBER), target.id, "WT")
    assert "WT" not in labels_of("Water treatment")


@pytest.mark.parametrize(
    ("label", "error"),
    [
        ("", "Type the other name"),
        ("   ", "Type the other name"),
        ("x" * 81, "under 80 characters"),
        ("&&", "needs a letter or a digit"),
        ("it", "too common a word"),
        ("water-treatment", "the skill&#39;s own name"),
        ("Hydrology", "is a skill of its own"),
        ("desalinisation", None),
    ],
)
def test_a_label_that_cannot_be_one_gets_a_clear_answer(coordinator_client, taxonomy, label, error):
    target = skill("Water treatment")
    before = labels_of("Water treatment")
    response = coordinator_client.post(
        "/skills/labels", data={"skill_id": target.id, "label": label}
    )
    if error is None:
        assert response.status_code == 302
        assert labels_of("Water treatment") == sorted([*before, label])
        return
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)
    assert labels_of("Water treatment") == before


def test_the_same_label_in_another_spelling_is_already_there(coordinator, taxonomy):
    target = skill("Obstetrics")
    assert "OB-GYN" in labels_of("Obstetrics")
    for spelling in ("ob/gyn", "OB GYN", "Ob-Gyn"):
        with pytest.raises(Conflict, match="already a label"):
            profiles.add_skill_label(coordinator, target.id, spelling)


def test_hostile_label_input_is_cleaned_or_refused(coordinator_client, coordinator, taxonomy):
    target = skill("Water treatment")
    response = coordinator_client.post(
        "/skills/labels", data={"skill_id": target.id, "label": "Pota\x00ble water"}
    )
    assert response.status_code == 302
    assert "Potable water" in labels_of("Water treatment")
    for bad_id in ("2147483648", "9223372036854775808", "-1", "abc"):
        answer = coordinator_client.post("/skills/labels", data={"skill_id": bad_id, "label": "X1"})
        assert answer.status_code == 200
        assert 'class="error"' in answer.get_data(as_text=True)
    assert "X1" not in {label.label for label in _db.session.scalars(sa.select(SkillLabel))}
    free = profiles.find_or_create_skill("Drone mapping")
    _db.session.commit()
    with pytest.raises(Invalid, match="curated skill"):
        profiles.add_skill_label(coordinator, free.id, "UAV mapping")
    with pytest.raises(Invalid, match="curated skill"):
        profiles.add_skill_label(coordinator, 2**31, "UAV mapping")
    with pytest.raises(NotFound):
        profiles.remove_skill_label(coordinator, 2**63)


@pytest.mark.search_index
def test_a_merged_free_skill_stays_as_a_label(app, coordinator_client, taxonomy, institution):
    member = new_user(Role.MEMBER)
    profiles.add_skill(member, "Obs and gynae", "have")
    _db.session.commit()
    free = skill("Obs and gynae")
    target = skill("Obstetrics")
    response = coordinator_client.post(
        "/skills/free", data={"free_id": free.id, "curated_id": target.id}, follow_redirects=True
    )
    assert "Search now reads “Obs and gynae” as this skill." in response.get_data(as_text=True)
    (kept,) = [label for label in skill("Obstetrics").labels if label.label == "Obs and gynae"]
    assert kept.source == "merge"
    published(institution, "Maternity ward", skills=["Obstetrics"])
    assert found("obs and gynae")[0] == ["Maternity ward"]


@pytest.mark.search_index
def test_experts_are_found_by_a_label_only_where_their_skills_show(app, taxonomy, institution):
    shown = new_user(Role.MEMBER, name="Ama Shown")
    hidden = new_user(Role.MEMBER, name="Kofi Hidden")
    for user, audience in ((shown, Audience.SIGNED_IN), (hidden, Audience.ONLY_ME)):
        filled_profile(user, listed=True, audiences={"skills": int(audience)})
        profiles.add_skill(user, "Solar photovoltaic design", "have")
    _db.session.commit()
    coordinator = new_user(Role.COORDINATOR)
    result = discovery.search_experts(coordinator, ExpertSearch(query="PV"))
    assert [profile.display_name for profile, _ in result.items] == ["Ama Shown"]
    assert result.matched == {shown.id: [("PV", "Solar photovoltaic design")]}
    client = app.test_client()
    sign_in(client, coordinator)
    html = page(client, "/experts?q=solar+PV")
    assert "matched the skill <strong>Solar photovoltaic design</strong>" in html
    assert "Kofi Hidden" not in html


def test_the_thesaurus_is_read_again_when_labels_change(app, coordinator, taxonomy):
    first = discovery.thesaurus()
    assert discovery.thesaurus() is first
    entry = profiles.add_skill_label(coordinator, skill("Hydrology").id, "Gewässerkunde")
    _db.session.commit()
    second = discovery.thesaurus()
    assert second is not first and second.find("gewasserkunde")
    profiles.remove_skill_label(coordinator, entry.id)
    _db.session.commit()
    assert not discovery.thesaurus().find("gewasserkunde")


needs_postgres = pytest.mark.skipif(
    not PG_URL, reason="concurrent transactions on several connections need PostgreSQL"
)


@needs_postgres
def test_two_coordinators_adding_the_same_label_at_once_get_one_row(app, taxonomy):
    coordinators = [new_user(Role.COORDINATOR) for _ in range(4)]
    target_id = skill("Hydrology").id
    barrier = threading.Barrier(len(coordinators))
    outcomes = [None] * len(coordinators)

    def add(index):
        with app.app_context():
            actor = _db.session.get(type(coordinators[index]), coordinators[index].id)
            barrier.wait()
            try:
                profiles.add_skill_label(actor, target_id, "Gewässerkunde")
                _db.session.commit()
                outcomes[index] = "added"
            except Conflict as exc:
                _db.session.rollback()
                outcomes[index] = str(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(len(coordinators))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert outcomes.count("added") == 1
    assert all("already a label" in outcome for outcome in outcomes if outcome != "added")
    _db.session.expire_all()
    assert labels_of("Hydrology").count("Hydrologie") == 1
