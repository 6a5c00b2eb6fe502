"""The profile editor, validation, skills taxonomy, travel windows, IDOR, export and deletion."""

import json
import re
from datetime import date

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import (
    AuditEntry,
    Education,
    InstitutionRepresentative,
    OutboxMessage,
    Profile,
    ProfileLanguage,
    ProfileSkill,
    ProjectStatus,
    Role,
    Skill,
    TravelWindow,
    User,
    audit,
)
from diaspora.services import profiles
from diaspora.validation import is_http_url, is_valid_orcid
from tests.conftest import PASSWORD
from tests.factories import MARKERS, filled_profile, make_institution, new_user, sign_in

BASIC = {"display_name": "Amina Yusuf", "headline": "Obstetrician"}


@pytest.fixture
def member(app):
    return new_user(Role.MEMBER, name="Amina Yusuf", email="amina@example.org")


@pytest.fixture
def member_client(app, member):
    client = app.test_client()
    sign_in(client, member)
    return client


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("0000-0002-1825-0097", True),
        ("https://orcid.org/0000-0002-1825-0097", True),
        ("0000-0002-1694-233X", True),
        ("0000-0002-1825-0098", False),
        ("0000-0002-1825-009", False),
        ("0000-0002-1825-00977", False),
        ("0000 0002 1825 0097", False),
        ("0000-0002-1852-0097", False),
        ("abcd-0002-1825-0097", False),
        ("", False),
    ],
)
def test_orcid_checksum(value, valid):
    assert is_valid_orcid(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("https://example.org/me", True),
        ("http://example.org", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,hi", False),
        ("//evil.example", False),
        ("ftp://example.org", False),
        ("https://", False),
        ("https://exa mple.org", False),
    ],
)
def test_links_accept_http_and_https_only(value, valid):
    assert is_http_url(value) is valid


def test_editor_saves_and_shows_completeness(member_client, member):
    page = member_client.get("/profile")
    assert page.status_code == 200
    assert "Still missing" in page.get_data(as_text=True)
    response = member_client.post(
        "/profile",
        data={
            **BASIC,
            "origin_country": "NG",
            "residence_country": "GB",
            "orcid": "0000-0002-1825-0097",
            "engagement_modes": ["remote_advice", "teaching"],
            "sectors": ["health"],
            "years_experience": "12",
            "availability_hours": "10",
        },
    )
    assert response.status_code == 302
    profile = profiles.profile_of(member)
    assert profile.origin_country == "NG" and profile.engagement_modes == [
        "remote_advice",
        "teaching",
    ]
    percent, missing = profiles.completeness(profile)
    assert (
        0 < percent < 100 and "a short bio" in missing and "your country of origin" not in missing
    )


def test_editor_refuses_bad_orcid_and_javascript_links(member_client, member):
    bad_orcid = member_client.post("/profile", data={**BASIC, "orcid": "0000-0002-1825-0098"})
    assert bad_orcid.status_code == 400 and "ORCID" in bad_orcid.get_data(as_text=True)
    for field in ("website", "professional_url"):
        response = member_client.post("/profile", data={**BASIC, field: "javascript:alert(1)"})
        assert response.status_code == 400
    assert profiles.profile_of(member) is None  # refused saves create no profile


def test_extra_form_fields_are_ignored(member_client, member):
    member_client.post(
        "/profile", data={**BASIC, "listed": "y", "public": "y", "user_id": "999", "hidden": "1"}
    )
    profile = profiles.profile_of(member)
    assert not profile.listed and not profile.public and profile.user_id == member.id


XSS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>']


@pytest.mark.parametrize("payload", XSS)
def test_xss_payloads_are_shown_as_text(member_client, member, payload):
    member_client.post(
        "/profile", data={**BASIC, "headline": payload, "bio": payload, "city": payload}
    )
    profiles.add_skill(member, payload, "have")
    profiles.set_privacy(
        member, dict.fromkeys(("headline", "bio", "location", "skills"), 4), False, True
    )
    db.session.commit()
    html = member_client.get(f"/members/{member.id}").get_data(as_text=True)
    assert payload not in html
    assert "&lt;" in html and "<img src=x" not in html and "<script>alert" not in html


@pytest.mark.parametrize(
    "name", ["نور الهدى حداد", "ተስፋዬ በቀለ", "阮氏兰", "Nguyễn Thị Lan", "evil\u202eoverride"]
)
def test_non_latin_names_stored_and_shown_as_typed(member_client, member, name):
    member_client.post("/profile", data={**BASIC, "display_name": name})
    assert profiles.profile_of(member).display_name == name
    html = member_client.get(f"/members/{member.id}").get_data(as_text=True)
    assert f'<h1 dir="auto">{name}</h1>' in html


def test_languages_skills_and_education(member_client, member):
    member_client.post("/profile/languages", data={"code": "am", "proficiency": "native"})
    member_client.post("/profile/languages", data={"code": "xx", "proficiency": "native"})
    member_client.post("/profile/skills", data={"name": "Obstetrics", "kind": "have"})
    member_client.post("/profile/skills", data={"name": "  tele-ultrasound  ", "kind": "develop"})
    member_client.post(
        "/profile/education",
        data={
            "degree": "MBBS",
            "field": "Medicine",
            "institution": "University of Ibadan",
            "year": "2005",
        },
    )
    profile = profiles.profile_of(member)
    assert [lang.code for lang in profile.languages] == ["am"]
    assert [s.name for s in profile.skills_of("have")] == ["Obstetrics"]
    (free,) = profile.skills_of("develop")
    assert free.name == "tele-ultrasound" and not free.curated
    assert profile.education[0].institution == "University of Ibadan"
    skills_page = member_client.get("/profile/skills").get_data(as_text=True)
    assert 'list="skill-list"' in skills_page and "<datalist" in skills_page


def test_the_editor_shows_languages_and_skills_and_links_to_their_pages(member_client, member):
    profiles.load_skills_taxonomy()
    profiles.add_language(member, "am", "native")
    profiles.add_skill(member, "Obstetrics", "have")
    profiles.add_skill(member, "Tele-ultrasound", "develop")
    db.session.commit()
    page = member_client.get("/profile").get_data(as_text=True)
    assert "Amharic" in page and "Obstetrics" in page and "Tele-ultrasound" in page
    assert 'href="/profile/languages"' in page and "Add or remove languages" in page
    assert 'href="/profile/skills"' in page and "Add or remove skills" in page
    # The long lists to choose from are on the two pages, not on the editor.
    assert "<datalist" not in page and 'name="code"' not in page and 'name="kind"' not in page
    assert "/profile/languages/" not in page and "/profile/skills/" not in page  # no Remove


def test_the_languages_page_lists_adds_and_removes(member_client, member):
    page = member_client.get("/profile/languages").get_data(as_text=True)
    assert "<h1>Languages you speak</h1>" in page and "No languages yet." in page
    assert '<select id="code" name="code"' in page
    for code in ("am", "fr"):
        response = member_client.post(
            "/profile/languages", data={"code": code, "proficiency": "professional"}
        )
        assert response.status_code == 302
        assert response.headers["Location"] == "/profile/languages"
    page = member_client.get("/profile/languages").get_data(as_text=True)
    assert "Language saved." in page and "Amharic" in page and "French" in page
    french = next(lang for lang in profiles.profile_of(member).languages if lang.code == "fr")
    assert f'formaction="/profile/languages/{french.id}/delete"' in page
    response = member_client.post(f"/profile/languages/{french.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/profile/languages"
    page = member_client.get("/profile/languages").get_data(as_text=True)
    assert "Language removed." in page and "French" not in page.split("<h1>")[1].split("<h2>")[0]
    assert [lang.code for lang in profiles.profile_of(member).languages] == ["am"]


def test_the_languages_page_shows_what_is_wrong_and_keeps_the_choice(member_client, member):
    response = member_client.post("/profile/languages", data={"code": "", "proficiency": "native"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and 'aria-invalid="true"' in page
    assert "<h1>Languages you speak</h1>" in page
    assert re.search(r'<option selected value="native"|<option value="native" selected', page)
    response = member_client.post("/profile/languages", data={"code": "xx", "proficiency": "x"})
    assert response.status_code == 400
    assert profiles.profile_of(member) is None  # nothing saved, not even a draft


def test_the_skills_page_lists_adds_and_removes(member_client, member):
    profiles.load_skills_taxonomy()
    db.session.commit()
    page = member_client.get("/profile/skills").get_data(as_text=True)
    assert "<h1>Your skills</h1>" in page and "None yet." in page
    assert 'list="skill-list"' in page and "<option>Obstetrics" in page
    for name, kind in (("Obstetrics", "have"), ("Quetzalmancy", "develop")):
        response = member_client.post("/profile/skills", data={"name": name, "kind": kind})
        assert response.status_code == 302
        assert response.headers["Location"] == "/profile/skills"
    page = member_client.get("/profile/skills").get_data(as_text=True)
    assert "Skill added." in page
    listed = page.split("<h1>")[1].split('<form method="post" action="/profile/skills"')[0]
    assert "Obstetrics" in listed and "Quetzalmancy" in listed and "added by you" in listed
    (link,) = [s for s in profiles.profile_of(member).skill_links if s.kind.value == "have"]
    remove = f"/profile/skills/{link.skill_id}/have/delete"
    assert f'formaction="{remove}"' in page
    response = member_client.post(remove)
    assert response.status_code == 302 and response.headers["Location"] == "/profile/skills"
    assert "Skill removed." in member_client.get("/profile/skills").get_data(as_text=True)
    assert [s.name for s in profiles.profile_of(member).skills_of("have")] == []


def test_the_skills_page_shows_what_is_wrong_and_keeps_what_was_typed(member_client, member):
    response = member_client.post("/profile/skills", data={"name": "", "kind": "have"})
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    long = "Tele-ultrasound " * 10
    response = member_client.post("/profile/skills", data={"name": long, "kind": "have"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and 'aria-invalid="true"' in page
    assert f'value="{long}"' in page and "<h1>Your skills</h1>" in page
    response = member_client.post("/profile/skills", data={"name": "Hydrology", "kind": "both"})
    assert response.status_code == 400
    assert profiles.profile_of(member) is None  # nothing saved, not even a draft


def test_skills_load_is_idempotent_and_curates_free_skills(runner, app, member):
    profiles.add_skill(member, "obstetrics", "have")
    db.session.commit()
    first = runner.invoke(args=["skills", "load"])
    assert first.exit_code == 0, first.output
    count = db.session.scalar(sa.select(sa.func.count(Skill.id)))
    assert count > 300
    assert runner.invoke(args=["skills", "load"]).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count(Skill.id))) == count
    skill = db.session.scalar(sa.select(Skill).where(Skill.key == "obstetrics"))
    db.session.refresh(skill)
    assert skill.curated and skill.sector == "health"


def test_coordinator_merges_a_free_skill(app, member):
    profiles.load_skills_taxonomy()
    other = new_user(Role.MEMBER)
    profiles.add_skill(member, "Obstetric care", "have")
    profiles.add_skill(member, "Obstetrics", "have")
    profiles.add_skill(other, "Obstetric care", "develop")
    db.session.commit()
    free = db.session.scalar(sa.select(Skill).where(Skill.key == "obstetric care"))
    curated = db.session.scalar(sa.select(Skill).where(Skill.key == "obstetrics"))
    client = app.test_client()
    sign_in(client, member)
    assert (
        client.post("/skills/free", data={"free_id": free.id, "curated_id": curated.id}).status_code
        == 403
    )
    sign_in(client, new_user(Role.COORDINATOR))
    assert "Obstetric care" in client.get("/skills/free").get_data(as_text=True)
    client.post("/skills/free", data={"free_id": free.id, "curated_id": curated.id})
    db.session.expire_all()
    assert db.session.get(Skill, free.id) is None
    links = db.session.scalars(
        sa.select(ProfileSkill).where(ProfileSkill.skill_id == curated.id)
    ).all()
    assert sorted((link.profile.user_id, link.kind.value) for link in links) == sorted(
        [(member.id, "have"), (other.id, "develop")]
    )


def test_travel_windows_end_not_before_start(member_client, member):
    bad = member_client.post(
        "/profile/travel", data={"country": "NG", "start": "2030-05-10", "end": "2030-05-01"}
    )
    assert bad.status_code == 200 and "on or after" in bad.get_data(as_text=True)
    ok = member_client.post(
        "/profile/travel", data={"country": "NG", "start": "2030-05-01", "end": "2030-05-01"}
    )
    assert ok.status_code == 302
    (window,) = profiles.profile_of(member).travel_windows
    assert window.start == window.end == date(2030, 5, 1)
    member_client.post(f"/profile/travel/{window.id}/delete")
    assert profiles.profile_of(member).travel_windows == []


def test_up_to_date_is_a_post(member_client, member):
    member_client.get("/profile")
    assert member_client.get("/profile/confirm").status_code == 405
    member_client.post("/profile/confirm")
    assert profiles.profile_of(member).confirmed_at is not None


def test_privacy_form_saves_audiences_and_switches(member_client, member):
    data = {f"audience_{g}": "3" for g in MARKERS}
    data.update(audience_bio="4", listed="y", public="y")
    member_client.post("/profile/privacy", data=data)
    profile = profiles.profile_of(member)
    assert profile.listed and profile.public and profile.audience_of("bio") == 4
    member_client.post("/profile/privacy", data={**data, "audience_bio": "9"})
    assert profiles.profile_of(member).audience_of("bio") == 4


# IDOR: another member's rows, through every action that takes an id.


def test_other_members_rows_cannot_be_touched(app, member):
    filled_profile(member)
    profile = profiles.profile_of(member)
    lang, edu, window = profile.languages[0], profile.education[0], profile.travel_windows[0]
    skill_id = profile.skill_links[0].skill_id
    attacker = app.test_client()
    sign_in(attacker, new_user(Role.MEMBER))
    attempts = [
        f"/profile/languages/{lang.id}/delete",
        f"/profile/education/{edu.id}/delete",
        f"/profile/travel/{window.id}/delete",
        f"/profile/skills/{skill_id}/have/delete",
    ]
    for url in attempts:
        assert attacker.post(url).status_code in (403, 404), url
    db.session.expire_all()
    assert db.session.get(ProfileLanguage, lang.id) and db.session.get(Education, edu.id)
    assert db.session.get(TravelWindow, window.id) and len(profile.skill_links) == 1
    attacker.post("/profile", data={**BASIC, "user_id": member.id, "display_name": "Hacked"})
    assert profiles.profile_of(member).display_name == "Amina Yusuf"
    exported = json.loads(attacker.get(f"/profile/export?user_id={member.id}").data)
    assert exported["account"]["email"] != member.email
    assert MARKERS["bio"] not in json.dumps(exported)


def test_member_pages_need_login_and_the_member_role(app, member):
    visitor = app.test_client()
    for url in (
        "/profile",
        "/profile/privacy",
        "/profile/travel",
        "/profile/languages",
        "/profile/skills",
        "/profile/export",
        "/account/delete",
    ):
        response = visitor.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    rep = app.test_client()
    sign_in(rep, new_user(Role.INSTITUTION))
    assert rep.get("/profile").status_code == 403
    assert rep.post("/profile/travel", data={"country": "GH"}).status_code == 403
    for url in ("/profile/languages", "/profile/skills"):
        assert rep.get(url).status_code == 403, url
    assert rep.post("/profile/languages", data={"code": "am"}).status_code == 403
    assert rep.post("/profile/skills", data={"name": "Hydrology"}).status_code == 403


# Export.


def test_export_is_complete_and_holds_nobody_elses_data(app, member):
    filled_profile(member)
    coordinator = new_user(Role.COORDINATOR, email="coord-secret@example.org", name="Leila")
    other = new_user(Role.MEMBER, email="someone-else@example.org")
    filled_profile(other)
    audit.record(coordinator, "profile.restricted_view", "profile", 1, "report", member.id)
    audit.record(coordinator, "account.suspend", "user", other.id, "other person", other.id)
    from diaspora.mail import queue_email

    queue_email(
        member.email, "password_changed", "Your password was changed", user=member, reset_url="x"
    )
    queue_email(other.email, "password_changed", "Other subject", user=other, reset_url="x")
    db.session.commit()
    client = app.test_client()
    sign_in(client, member)
    response = client.get("/profile/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.data)
    text = json.dumps(data, ensure_ascii=False)
    assert data["account"]["email"] == "amina@example.org"
    assert "password_hash" not in text and member.password_hash not in text
    assert member.session_token not in text
    profile = data["profile"]
    assert profile["bio"].startswith(MARKERS["bio"]) and profile["city"] == MARKERS["location"]
    assert profile["languages"] == [{"code": "bi", "proficiency": "native"}]
    assert profile["skills"] == [MARKERS["skills"]]
    assert profile["education"][0]["institution"] == MARKERS["education"]
    assert profile["travel_windows"][0]["country"] == "TV"
    assert profile["orcid"] == "0000-0002-1825-0097"
    assert [m["subject"] for m in data["mail"]] == ["Your password was changed"]
    (entry,) = data["audit_entries"]
    assert entry["action"] == "profile.restricted_view"
    assert entry["by"] == {"role": "Coordinator", "name": "Leila"}
    for foreign in (
        "coord-secret@example.org",
        "someone-else@example.org",
        "Other subject",
        "other person",
    ):
        assert foreign not in text


# Deletion.


def test_delete_account_removes_everything_and_ends_sessions(app, member):
    filled_profile(member)
    institution_rep = new_user(Role.INSTITUTION)
    institution = make_institution(institution_rep)
    db.session.add(InstitutionRepresentative(institution_id=institution.id, user_id=member.id))
    coordinator = new_user(Role.COORDINATOR)
    audit.record(coordinator, "profile.restricted_view", "profile", 1, "report", member.id)
    from diaspora.mail import queue_email

    queue_email(member.email, "password_changed", "Queued", user=member, reset_url="x")
    db.session.commit()
    user_id, profile_id = member.id, profiles.profile_of(member).id
    client = app.test_client()
    sign_in(client, member)
    copied = app.test_client()
    sign_in(copied, member)
    assert copied.get("/profile").status_code == 200

    wrong = client.post("/account/delete", data={"password": "not it", "confirm": "y"})
    assert wrong.status_code == 400 and db.session.get(User, user_id) is not None
    response = client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    for column in (
        Profile.user_id,
        InstitutionRepresentative.user_id,
        OutboxMessage.user_id,
    ):
        assert db.session.scalar(sa.select(sa.func.count()).where(column == user_id)) == 0
    for model in (ProfileLanguage, ProfileSkill, Education, TravelWindow):
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(model).where(model.profile_id == profile_id)
            )
            == 0
        )
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(AuditEntry.subject_user_id == user_id))
        == 0
    )
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.recipient == "amina@example.org")
        )
        == 0
    )
    gone = copied.get("/profile")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    assert app.test_client().get(f"/members/{user_id}").status_code == 404
    assert db.session.get(User, institution_rep.id) is not None


def _skill_keys() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(Skill.key)))


def test_delete_account_drops_the_free_skills_only_the_member_used(app, member):
    from tests.factories import make_project

    profiles.load_skills_taxonomy()
    other = new_user(Role.MEMBER)
    for name in ("Quetzalmancy tutoring", "Shared beekeeping", "Project dowsing", "Obstetrics"):
        profiles.add_skill(member, name, "have")
    profiles.add_skill(member, "Quetzalmancy tutoring", "develop")
    profiles.add_skill(other, "Shared beekeeping", "develop")
    dowsing = db.session.scalar(sa.select(Skill).where(Skill.key == "project dowsing"))
    make_project(
        make_institution(new_user(Role.INSTITUTION)), status=ProjectStatus.DRAFT, skills=[dowsing]
    )
    db.session.commit()
    before = _skill_keys()

    client = app.test_client()
    sign_in(client, member)
    assert (
        client.post("/account/delete", data={"password": PASSWORD, "confirm": "y"}).status_code
        == 302
    )

    assert before - _skill_keys() == {"quetzalmancy tutoring"}
    assert db.session.get(User, member.id) is None


def test_removing_a_free_skill_drops_it_once_nobody_uses_it(member_client, member):
    profiles.load_skills_taxonomy()
    other = new_user(Role.MEMBER)
    for name in ("Quetzalmancy tutoring", "Shared beekeeping", "Obstetrics"):
        profiles.add_skill(member, name, "have")
    profiles.add_skill(member, "Quetzalmancy tutoring", "develop")
    profiles.add_skill(other, "Shared beekeeping", "have")
    db.session.commit()
    ids = {s.key: s.id for s in db.session.scalars(sa.select(Skill))}

    def remove(key, kind="have"):
        url = f"/profile/skills/{ids[key]}/{kind}/delete"
        assert member_client.post(url).status_code == 302

    remove("quetzalmancy tutoring")
    assert "quetzalmancy tutoring" in _skill_keys()  # still wanted as a skill to develop
    remove("quetzalmancy tutoring", "develop")
    remove("shared beekeeping")
    remove("obstetrics")
    keys = _skill_keys()
    assert "quetzalmancy tutoring" not in keys
    assert {"shared beekeeping", "obstetrics"} <= keys
    assert profiles.profile_of(member).skill_links == []


def test_delete_account_is_on_the_account_page_and_needs_a_post(member_client, member):
    page = member_client.get("/account").get_data(as_text=True)
    assert "/account/delete" in page and "/profile/export" in page
    assert member_client.get("/account/delete").status_code == 200
    assert db.session.get(User, member.id) is not None


def test_demo_load_builds_profiles_and_institutions_once(runner, app):
    from diaspora.demo import ACCOUNTS
    from diaspora.demo_profiles import INSTITUTIONS
    from diaspora.models import Institution, InstitutionStatus

    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    # The hand-written demo people and institutions (the generated year of history adds
    # more, counted by its own tests).
    demo_emails = [email for email, _name, _role in ACCOUNTS]
    demo_profiles = (
        sa.select(sa.func.count(Profile.id)).join(User).where(User.email.in_(demo_emails))
    )
    names = [entry[1] for entry in INSTITUTIONS]
    demo_institutions = sa.select(Institution).where(Institution.name.in_(names))
    assert db.session.scalar(demo_profiles) == 6
    assert len(db.session.scalars(demo_institutions).all()) == 3
    counts = [
        db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Profile, Institution)
    ]
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    again = [
        db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Profile, Institution)
    ]
    assert again == counts
    statuses = sorted(s.status.value for s in db.session.scalars(demo_institutions))
    assert statuses == [
        InstitutionStatus.PENDING,
        InstitutionStatus.VERIFIED,
        InstitutionStatus.VERIFIED,
    ]
    nour = db.session.scalar(sa.select(Profile).where(Profile.display_name == "نور الهدى حداد"))
    assert nour is not None and not nour.public and not nour.listed
    public = db.session.scalar(sa.select(sa.func.count()).where(Profile.public.is_(True)))
    assert public >= 2


def test_opening_the_profile_editor_creates_nothing(member_client, member):
    response = member_client.get("/profile")
    assert response.status_code == 200 and member.name.encode() in response.data
    assert profiles.profile_of(member) is None
    for page in ("/profile/travel", "/profile/privacy", "/profile/preview?as=member"):
        assert member_client.get(page).status_code == 200, page
        assert profiles.profile_of(member) is None, page
    assert member_client.post("/profile", data=BASIC).status_code == 302
    assert profiles.profile_of(member) is not None


def test_every_get_page_of_a_member_without_a_profile_writes_no_row(app, member_client, member):
    """GET never changes state: walk every GET page of the member's own area and compare
    the row counts of every table before and after."""
    import sqlalchemy as sa

    from diaspora.extensions import db as _db

    def counts():
        return {
            table.name: _db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in _db.metadata.sorted_tables
        }

    before = counts()
    pages = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.arguments
        and rule.rule.startswith(("/profile", "/account", "/notifications", "/applications"))
    ]
    assert "/profile/travel" in pages and "/profile/privacy" in pages
    for page in pages:
        assert member_client.get(page).status_code < 500, page
    _db.session.rollback()
    assert counts() == before
