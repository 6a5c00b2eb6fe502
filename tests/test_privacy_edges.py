"""Privacy at the edges: team lists, the free-skills page, coordinators' views of a member."""

import pytest

from diaspora.extensions import db
from diaspora.models import FIELD_GROUPS, Audience, AuditEntry, Institution, ProjectStatus, Role
from diaspora.services import (
    application_panels,
    application_profiles,
    applications,
    permissions,
    profiles,
)
from diaspora.services.applications import Engagement
from tests.factories import MOTIVATION, make_institution, make_project, new_user, sign_in

NAME = "Zerihun Teammate"


def _audiences(level):
    return {g: int(level) for g in FIELD_GROUPS}


@pytest.fixture
def scene(app):
    """A team member whose groups all go to institutions they applied to (no public page)."""
    member = new_user(Role.MEMBER, name=NAME)
    profiles.update_profile(member, {"display_name": NAME})
    profiles.set_privacy(member, _audiences(Audience.APPLIED), listed=True, public=True)
    applied_rep = new_user(Role.INSTITUTION)
    other_rep = new_user(Role.INSTITUTION)
    project = make_project(make_institution(applied_rep), status=ProjectStatus.PUBLISHED, places=3)
    make_institution(other_rep, name="Other Institute")
    application, _ = applications.apply(member, project, MOTIVATION, Engagement())
    applications.decide(applied_rep, application, "accept")
    db.session.commit()
    return {
        "member": member,
        "project": project,
        "application": application,
        "institution_applied": applied_rep,
        "institution_other": other_rep,
        "other_member": new_user(Role.MEMBER),
        "coordinator": new_user(Role.COORDINATOR),
    }


def _client(app, user=None):
    client = app.test_client()
    if user is not None:
        sign_in(client, user)
    return client


# Who may open the member's page, with the member's groups shown to applied institutions only.
MAY_SEE = {
    "visitor": False,
    "other_member": False,
    "institution_other": False,
    "institution_applied": True,
    "coordinator": True,
}


@pytest.mark.parametrize("viewer", list(MAY_SEE))
def test_team_shows_a_name_exactly_to_those_who_may_open_the_profile(app, scene, viewer):
    client = _client(app, scene.get(viewer))
    member_id = scene["member"].id
    profile_status = client.get(f"/members/{member_id}").status_code
    project_page = client.get(f"/projects/{scene['project'].id}").get_data(as_text=True)
    assert profile_status == (200 if MAY_SEE[viewer] else 404)
    assert (NAME in project_page) is MAY_SEE[viewer]


def test_team_names_follow_the_profile_for_other_team_members(app, scene):
    teammate = new_user(Role.MEMBER, name="Second Teammate")
    profiles.update_profile(teammate, {"display_name": "Second Teammate"})
    application, _ = applications.apply(teammate, scene["project"], MOTIVATION, Engagement())
    applications.decide(scene["institution_applied"], application, "accept")
    db.session.commit()
    assert application_panels.team(scene["project"], teammate) == [
        "A team member",
        "Second Teammate",
    ]
    page = _client(app, teammate).get(f"/projects/{scene['project'].id}").get_data(as_text=True)
    assert NAME not in page and "A team member" in page


def test_team_hides_the_name_once_the_member_hides(app, scene):
    profiles.set_hidden(scene["member"], True)
    db.session.commit()
    rep = scene["institution_applied"]
    assert application_panels.team(scene["project"], rep) == ["A team member"]
    page = _client(app, rep).get(f"/projects/{scene['project'].id}/applicants")
    assert NAME not in page.get_data(as_text=True)


def test_applicant_name_follows_the_profile(app, scene):
    rep = scene["institution_applied"]
    assert application_profiles.applicant_name(scene["application"], rep) == NAME
    assert (
        application_profiles.applicant_name(scene["application"], scene["institution_other"])
        == "A member (profile not shared)"
    )


# The free-skills page


def _member_with_skill(skill, audience=Audience.COORDINATORS, hidden=False):
    user = new_user(Role.MEMBER)
    profiles.add_skill(user, skill, "have")
    profiles.set_privacy(user, {"skills": int(audience)}, listed=False, public=False)
    profiles.set_hidden(user, hidden)
    db.session.commit()
    return user


def test_free_skills_page_lists_only_skills_shown_to_coordinators(app, scene):
    _member_with_skill("Shared-skill-A1", Audience.COORDINATORS)
    _member_with_skill("Only-me-skill-B2", Audience.ONLY_ME)
    _member_with_skill("Hidden-skill-C3", Audience.PUBLIC, hidden=True)
    shared_too = _member_with_skill("Mixed-skill-D4", Audience.ONLY_ME)
    _member_with_skill("Mixed-skill-D4", Audience.SIGNED_IN)
    html = _client(app, scene["coordinator"]).get("/skills/free").get_data(as_text=True)
    assert "Shared-skill-A1" in html and "Mixed-skill-D4" in html
    assert "Only-me-skill-B2" not in html and "Hidden-skill-C3" not in html
    assert shared_too.name not in html
    assert [s.name for s in profiles.free_skills()] == ["Mixed-skill-D4", "Shared-skill-A1"]


def test_free_skills_of_a_member_who_is_gone_are_not_listed(app, scene):
    from diaspora.services.deletion import delete_account
    from tests.conftest import PASSWORD

    leaver = _member_with_skill("Leaver-skill-E5", Audience.PUBLIC)
    delete_account(leaver, PASSWORD)
    db.session.commit()
    html = _client(app, scene["coordinator"]).get("/skills/free").get_data(as_text=True)
    assert "Leaver-skill-E5" not in html


# Coordinators' views of a member


def _log_entries(member):
    return db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.subject_user_id == member.id)
    ).all()


def test_restricted_form_shows_no_name_and_is_audited(app, scene):
    member = scene["member"]
    profiles.set_hidden(member, True)
    db.session.commit()
    coordinator = _client(app, scene["coordinator"])
    form = coordinator.get(f"/members/{member.id}/restricted")
    assert form.status_code == 200
    assert NAME not in form.get_data(as_text=True)
    assert [e.action for e in _log_entries(member)] == [profiles.RESTRICTED_FORM]
    refused = coordinator.post(f"/members/{member.id}/restricted", data={"reason": ""})
    assert NAME not in refused.get_data(as_text=True)
    shown = coordinator.post(f"/members/{member.id}/restricted", data={"reason": "Report 7"})
    assert NAME in shown.get_data(as_text=True)
    log = _client(app, member).get("/profile/access-log").get_data(as_text=True)
    assert "Opened the restricted-view form" in log and "Report 7" in log
    assert scene["coordinator"].name in log


def test_every_ordinary_coordinator_view_is_in_the_access_log(app, scene):
    newcomer = new_user(Role.MEMBER, name="Brand New")
    profiles.get_or_create_profile(newcomer)
    db.session.commit()
    coordinator = _client(app, scene["coordinator"])
    assert coordinator.get(f"/members/{newcomer.id}").status_code == 200
    assert coordinator.get(f"/members/{newcomer.id}").status_code == 200
    assert [e.action for e in _log_entries(newcomer)] == [profiles.COORDINATOR_VIEW] * 2
    log = _client(app, newcomer).get("/profile/access-log").get_data(as_text=True)
    assert log.count("Viewed your profile") == 2 and scene["coordinator"].name in log


def test_views_by_others_write_nothing(app, scene):
    member = scene["member"]
    for viewer in ("institution_applied", "other_member"):
        _client(app, scene[viewer]).get(f"/members/{member.id}")
    _client(app, member).get(f"/members/{member.id}")
    assert _log_entries(member) == []


# Expert search


def _experts(user, text):
    from diaspora.services import discovery

    page = discovery.search_experts(user, discovery.ExpertSearch(query=text))
    return [profile.user_id for profile, _ in page.items]


@pytest.mark.search_index
def test_expert_search_shows_no_card_the_searcher_may_not_open(app, scene):
    member = scene["member"]
    other = scene["institution_other"]
    assert _client(app, other).get(f"/members/{member.id}").status_code == 404
    assert _experts(other, "Zerihun") == []
    html = _client(app, other).get("/experts?q=Zerihun").get_data(as_text=True)
    assert NAME not in html
    assert ">0 experts<" in html, "the count must not reveal a member the searcher cannot open"
    browse = _client(app, other).get("/experts").get_data(as_text=True)
    assert NAME not in browse and ">0 experts<" in browse
    assert _experts(scene["institution_applied"], "Zerihun") == [member.id]
    assert _experts(scene["coordinator"], "Zerihun") == [member.id]
    profiles.set_privacy(member, {"headline": int(Audience.SIGNED_IN)}, listed=True, public=True)
    db.session.commit()
    assert _experts(other, "Zerihun") == [member.id]


@pytest.mark.search_index
def test_expert_search_forgets_the_member_after_withdrawal(app, scene):
    member, other = scene["member"], scene["institution_other"]
    institution_id = permissions.represented_institution_ids(other).pop()
    project = make_project(
        db.session.get(Institution, institution_id),
        status=ProjectStatus.PUBLISHED,
        title="Other project",
    )
    application, _ = applications.apply(member, project, MOTIVATION, Engagement())
    db.session.commit()
    assert _experts(other, "Zerihun") == [member.id]
    applications.withdraw(member, application)
    db.session.commit()
    assert _experts(other, "Zerihun") == []
    assert _client(app, other).get(f"/members/{member.id}").status_code == 404
