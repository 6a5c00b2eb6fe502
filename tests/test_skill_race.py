"""Saving a new skill: one row per skill however many people type it at the same moment.

The race tests need PostgreSQL (real concurrent transactions on several connections); the
plain ones run on both databases.
"""

import threading

import pytest
import sqlalchemy as sa

from diaspora.extensions import db as _db
from diaspora.models import Profile, ProfileSkill, Skill
from diaspora.services import profiles, projects
from diaspora.services.errors import Invalid
from tests.conftest import PG_URL, login
from tests.factories import with_profile

needs_postgres = pytest.mark.skipif(
    not PG_URL, reason="concurrent transactions on several connections need PostgreSQL"
)

RACERS = 12


def skill_rows(key):
    return _db.session.scalars(sa.select(Skill).where(Skill.key == key)).all()


def test_a_new_skill_is_added_once_and_found_again_in_any_case_or_spacing(db):
    first = profiles.find_or_create_skill("  Tele-Ultrasound  ")
    db.session.commit()
    assert (first.name, first.key, first.curated) == ("Tele-Ultrasound", "tele-ultrasound", False)
    assert first.created_at is not None
    again = profiles.find_or_create_skill("TELE-ULTRASOUND")
    assert again.id == first.id and again.name == "Tele-Ultrasound"
    assert len(skill_rows("tele-ultrasound")) == 1


def test_an_existing_curated_skill_is_reused_not_copied(db):
    db.session.add(Skill(name="Obstetrics", key="obstetrics", curated=True, sector="health"))
    db.session.commit()
    found = profiles.find_or_create_skill("obstetrics")
    assert found.curated and found.name == "Obstetrics"
    assert len(skill_rows("obstetrics")) == 1


def test_resolve_skills_keeps_order_reuses_known_ones_and_adds_new_ones(db):
    db.session.add(Skill(name="Obstetrics", key="obstetrics", curated=True))
    db.session.commit()
    skills = projects.resolve_skills(["obstetrics, Water  Engineering", "water engineering"])
    db.session.commit()
    assert [s.name for s in skills] == ["Obstetrics", "Water Engineering"]
    assert [s.curated for s in skills] == [True, False]
    assert db.session.scalar(sa.select(sa.func.count(Skill.id))) == 2
    assert projects.resolve_skills([]) == []


def test_a_skill_name_over_the_limit_is_refused(db):
    with pytest.raises(Invalid):
        profiles.find_or_create_skill("x" * 121)
    with pytest.raises(Invalid):
        projects.resolve_skills(["x" * 121])
    assert db.session.scalar(sa.select(sa.func.count(Skill.id))) == 0


def together(count, work):
    """Run ``work(index)`` in ``count`` threads released at one moment; return what each
    returned or raised."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def target(index):
        barrier.wait()
        try:
            outcomes[index] = work(index)
        except Exception as exc:  # noqa: BLE001 (the outcome is what the test checks)
            outcomes[index] = exc

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return outcomes


@needs_postgres
def test_many_members_saving_the_same_new_skill_at_once_all_succeed(app, db, make_user):
    members = [with_profile(make_user()) for _ in range(RACERS)]
    clients = []
    for member in members:
        client = app.test_client()
        assert login(client, member.email).status_code == 302
        clients.append(client)
    spellings = ["Solar Microgrids", "solar microgrids", "  SOLAR   microgrids "]

    def save(index):
        client = clients[index]
        response = client.post(
            "/profile/skills",
            data={"name": spellings[index % len(spellings)], "kind": "have"},
        )
        with client.session_transaction() as session:
            flashed = [message for _, message in session.pop("_flashes", [])]
        return response.status_code, response.headers.get("Location"), flashed

    outcomes = together(RACERS, save)
    assert outcomes == [(302, "/profile/skills", ["Skill added."])] * RACERS
    db.session.expire_all()
    (skill,) = skill_rows("solar microgrids")
    linked = db.session.scalars(
        sa.select(Profile.user_id)
        .join(ProfileSkill, ProfileSkill.profile_id == Profile.id)
        .where(ProfileSkill.skill_id == skill.id)
    ).all()
    assert sorted(linked) == sorted(m.id for m in members)


@needs_postgres
def test_projects_naming_the_same_new_skills_at_once_share_one_row_each(app, db):
    def resolve(index):
        with app.app_context():
            names = ["Grid Design", "Battery storage"][:: 1 if index % 2 else -1]
            skills = projects.resolve_skills(names)
            keys = sorted(s.key for s in skills)
            _db.session.commit()
            return keys

    outcomes = together(RACERS, resolve)
    assert outcomes == [["battery storage", "grid design"]] * RACERS
    db.session.expire_all()
    assert len(skill_rows("grid design")) == 1
    assert len(skill_rows("battery storage")) == 1
