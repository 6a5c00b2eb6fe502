"""Weekly "projects for you": the right projects, the right reasons, nothing unasked for."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from diaspora.extensions import db as _db
from diaspora.mail import deliver_due
from diaspora.models import Frequency, Profile, ProjectStatus, Role, Skill
from diaspora.models.base import utcnow
from diaspora.models.profile import Proficiency, ProfileLanguage, ProfileSkill, SkillKind
from diaspora.services import notifications
from diaspora.services.recommendations import projects_for
from tests.conftest import text_of
from tests.factories import make_institution, make_project, with_profile

MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def skill(name, sector="water_sanitation"):
    row = Skill(name=name, key=Skill.key_for(name), sector=sector, curated=True)
    _db.session.add(row)
    _db.session.commit()
    return row


def published(institution, **fields):
    """A published project; it asks for no language unless told (a shared language is one
    of the reasons a project is recommended)."""
    return make_project(institution, status=ProjectStatus.PUBLISHED, **{"languages": [], **fields})


def member_with(make_user, email, skills=(), sectors=(), origin="", languages=("en",)):
    user = with_profile(make_user(email=email), sectors=list(sectors), origin_country=origin)
    profile = _db.session.scalar(sa.select(Profile).where(Profile.user_id == user.id))
    for row in skills:
        _db.session.add(ProfileSkill(profile_id=profile.id, skill_id=row.id, kind=SkillKind.HAVE))
    for code in languages:
        _db.session.add(
            ProfileLanguage(profile_id=profile.id, code=code, proficiency=list(Proficiency)[0])
        )
    _db.session.commit()
    return user


def test_projects_for_you_matches_skills_sectors_languages_and_origin(app, db, make_user):
    hydrology, gis, surgery = skill("Hydrology"), skill("GIS"), skill("Surgery", "health")
    institution = make_institution(make_user(role=Role.INSTITUTION))
    water = published(
        institution,
        title="Groundwater mapping",
        country="ET",
        sector="water_sanitation",
        skills=[hydrology, gis],
    )
    clinic = published(
        institution,
        title="Rural surgery week",
        sector="health",
        skills=[surgery],
        country="ET",
    )
    home = published(
        institution,
        title="Water utility reform",
        country="ET",
        sector="water_sanitation",
    )
    french = published(
        institution,
        title="Forages au Sahel",
        country="ET",
        sector="water_sanitation",
        skills=[hydrology],
        languages=["fr"],
    )
    old = published(
        institution,
        title="Old borehole survey",
        skills=[hydrology],
        published_at=utcnow() - timedelta(days=20),
    )
    member = member_with(
        make_user,
        "tesfaye@example.org",
        skills=[hydrology, gis],
        sectors=["water_sanitation"],
        origin="ET",
    )
    found = {p.title: reasons for p, reasons in projects_for(member, utcnow() - timedelta(days=7))}
    assert set(found) == {water.title, home.title}
    assert found[water.title][0] == "matches your skills: GIS, Hydrology"
    assert "in your country of origin" in found[home.title]
    assert clinic.title not in found and french.title not in found and old.title not in found


def test_only_a_language_the_member_lists_can_rule_a_project_out(app, db, make_user):
    """A member who lists no language yet is not told that no project fits them: an unknown
    language rules nothing out; a listed one that differs does."""
    hydrology = skill("Hydrology")
    institution = make_institution(make_user(role=Role.INSTITUTION))
    french = published(institution, title="Forages au Sahel", skills=[hydrology], languages=["fr"])
    silent = member_with(make_user, "silent@example.org", skills=[hydrology], languages=())
    english = member_with(make_user, "english@example.org", skills=[hydrology])
    since = utcnow() - timedelta(days=7)
    ((project, reasons),) = projects_for(silent, since)
    assert project.title == french.title and "in a language you speak" not in reasons
    assert projects_for(english, since) == []


def test_weekly_digest_has_the_right_projects_and_reasons_once(
    mail_config, smtp_server, app, db, make_user
):
    app.config["MAIL_DELIVER_AFTER_COMMIT"] = False
    hydrology = skill("Hydrology")
    institution = make_institution(make_user(role=Role.INSTITUTION))
    published(
        institution,
        title="Groundwater mapping",
        skills=[hydrology],
        published_at=MONDAY - timedelta(days=2),
    )
    member_with(make_user, "keen@example.org", skills=[hydrology])
    off = member_with(make_user, "off@example.org", skills=[hydrology])
    notifications.set_preference(off, "projects_for_you", Frequency.OFF)
    unmatched = member_with(make_user, "other@example.org", skills=[skill("Surgery", "health")])
    db.session.commit()
    assert notifications.send_digests(now=MONDAY) == 1
    assert notifications.send_digests(now=MONDAY) == 0
    deliver_due()
    (digest,) = smtp_server.to("keen@example.org")
    body = text_of(digest)
    assert "Groundwater mapping (matches your skills: Hydrology)" in body
    assert "/projects/" in body
    assert smtp_server.to(off.email) == [] and smtp_server.to(unmatched.email) == []
