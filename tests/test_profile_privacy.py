"""Every field group, at every audience, appears for exactly the viewers it should.

Every (group, audience, viewer) case is asked of the privacy service: the view of the profile
that the page renders shows the group exactly to its audience, and nothing else to anyone but
the owner. Over HTTP runs a sample at the edge of each audience: for each group, one viewer
who just sees it and, one audience narrower, does not; the page shows what the view holds
and no other group. The profile preview is checked the same way.

The viewers are made once for the module; the matrix changes one profile's audiences and
rolls back, and each scenario test has an owner of its own.
"""

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from diaspora.extensions import db
from diaspora.models import FIELD_GROUPS, Audience, Profile, Role
from diaspora.services import permissions, privacy, profiles
from tests.factories import MARKERS, filled_profile, make_institution, new_user, sign_in

OWNER_NAME = "Amina Yusuf"

# Each viewer kind and the narrowest audience it belongs to.
VIEWERS = {
    "owner": Audience.ONLY_ME,
    "coordinator_restricted": Audience.COORDINATORS,
    "coordinator": Audience.APPLIED,
    "institution_applied": Audience.APPLIED,
    "institution_other": Audience.SIGNED_IN,
    "member": Audience.SIGNED_IN,
    "visitor": Audience.PUBLIC,
}

PREVIEWS = {
    "public": Audience.PUBLIC,
    "member": Audience.SIGNED_IN,
    "institution_applied": Audience.APPLIED,
    "institution_other": Audience.SIGNED_IN,
    "coordinator": Audience.COORDINATORS,
}

# What ProfileView.as_dict holds for each group when it is shown.
GROUP_KEYS = {
    "headline": {"headline"},
    "bio": {"bio"},
    "location": {"origin_country", "residence_country", "city"},
    "languages": {"languages"},
    "skills": {"skills", "skills_to_develop", "sectors"},
    "education": {"education"},
    "experience": {"years_experience"},
    "engagement": {"engagement_modes", "availability_hours"},
    "links": {"website", "orcid", "professional_url"},
    "travel": {"travel_windows"},
}
ALWAYS = {"user_id", "display_name"}


def _only(group, audience):
    audiences = {g: int(Audience.ONLY_ME) for g in FIELD_GROUPS}
    audiences[group] = int(audience)
    return audiences


def _edges(kinds: dict) -> list[tuple[str, Audience, str]]:
    """For each group, in turn for each kind: the audience the kind just sees, and one
    narrower (for the next kind that can be refused: the owner sees everything)."""
    names = list(kinds)
    cases = []
    for n, group in enumerate(FIELD_GROUPS):
        turn = names[n:] + names[:n]
        cases.append((group, kinds[turn[0]], turn[0]))
        refused = next(kind for kind in turn if kinds[kind] > Audience.ONLY_ME)
        cases.append((group, Audience(kinds[refused] - 1), refused))
    return cases


PAGE_EDGES = _edges(VIEWERS)
PREVIEW_EDGES = _edges(PREVIEWS)


@pytest.fixture(scope="module")
def scene(module_app):
    """One user of each kind; an institution the owners applied to. The matrix's owner has a
    public profile with a marker in every group."""
    applied_rep = new_user(Role.INSTITUTION)
    other_rep = new_user(Role.INSTITUTION)
    applied_id = make_institution(applied_rep).id
    make_institution(other_rep, name="Other Institute")
    owner = new_user(Role.MEMBER, name=OWNER_NAME)
    owners = {owner.id}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            permissions,
            "applied_institution_ids",
            lambda member_id: {applied_id} if member_id in owners else set(),
        )
        filled_profile(owner, public=True)
        yield {
            "owner": owner,
            "owners": owners,
            "coordinator": new_user(Role.COORDINATOR),
            "institution_applied": applied_rep,
            "institution_other": other_rep,
            "member": new_user(Role.MEMBER),
        }


@pytest.fixture(autouse=True)
def _end_each_case(scene):
    """What a case leaves uncommitted is rolled back before the next one."""
    yield
    db.session.rollback()


@pytest.fixture
def owner(scene):
    """A member of the test's own, who applied to the scene's institution."""
    user = new_user(Role.MEMBER, name=OWNER_NAME)
    scene["owners"].add(user.id)
    return user


def _profile_with(scene, group, audience) -> Profile:
    """The matrix owner's profile, public, with only ``group`` open to ``audience``."""
    return profiles.set_privacy(scene["owner"], _only(group, audience), False, True)


def _view(scene, profile, viewer) -> privacy.ProfileView:
    """The view the member page renders for ``viewer``."""
    if viewer == "visitor":
        return privacy.ProfileView.for_viewer(profile, AnonymousUserMixin())
    if viewer == "coordinator_restricted":
        return privacy.ProfileView.for_viewer(profile, scene["coordinator"], restricted=True)
    return privacy.ProfileView.for_viewer(profile, scene[viewer])


def _assert_shows_exactly(view, group, expected, others_hidden=True):
    """``group`` is shown (in the view and in its data) exactly when ``expected``; with
    ``others_hidden``, no other group is."""
    data = set(view.as_dict())
    assert view.shows(group) is expected
    assert (GROUP_KEYS[group] <= data) is expected
    if not others_hidden:
        return
    for other in FIELD_GROUPS:
        if other != group:
            assert not view.shows(other), other
            assert not GROUP_KEYS[other] & data, other
    assert data <= ALWAYS | GROUP_KEYS[group]


@pytest.mark.parametrize("viewer", list(VIEWERS))
@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("group", FIELD_GROUPS)
def test_group_shown_on_profile_page_exactly_to_its_audience(scene, group, audience, viewer):
    view = _view(scene, _profile_with(scene, group, audience), viewer)
    expected = audience >= VIEWERS[viewer]
    _assert_shows_exactly(view, group, expected, others_hidden=viewer != "owner")
    if expected:
        assert view.visible
        assert view.display_name == OWNER_NAME


@pytest.mark.parametrize("kind", list(PREVIEWS))
@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("group", FIELD_GROUPS)
def test_group_shown_in_preview_exactly_to_its_audience(scene, group, audience, kind):
    view = privacy.ProfileView.preview(_profile_with(scene, group, audience), kind)
    _assert_shows_exactly(view, group, audience >= PREVIEWS[kind])


def test_the_http_samples_cover_every_group_and_viewer_both_ways():
    for edges, kinds in ((PAGE_EDGES, VIEWERS), (PREVIEW_EDGES, PREVIEWS)):
        outcomes = {(group, audience >= kinds[kind]) for group, audience, kind in edges}
        assert outcomes == {(g, shown) for g in FIELD_GROUPS for shown in (True, False)}
        seen = {(kind, audience >= kinds[kind]) for _, audience, kind in edges}
        narrowest = [k for k in kinds if kinds[k] == Audience.ONLY_ME]
        assert seen == {(k, shown) for k in kinds for shown in (True, False)} - {
            (k, False) for k in narrowest
        }


def _page(app, scene, owner, viewer):
    client = app.test_client()
    if viewer == "visitor":
        return client.get(f"/members/{owner.id}")
    if viewer == "coordinator_restricted":
        sign_in(client, scene["coordinator"])
        return client.post(f"/members/{owner.id}/restricted", data={"reason": "Checking a report"})
    sign_in(client, owner if viewer == "owner" else scene[viewer])
    return client.get(f"/members/{owner.id}")


@pytest.mark.parametrize(("group", "audience", "viewer"), PAGE_EDGES)
def test_profile_page_shows_a_group_exactly_to_its_audience(
    module_app, scene, group, audience, viewer
):
    _profile_with(scene, group, audience)
    db.session.commit()
    response = _page(module_app, scene, scene["owner"], viewer)
    html = response.get_data(as_text=True)
    expected = audience >= VIEWERS[viewer]
    assert (MARKERS[group] in html) is expected, (group, audience, viewer, response.status_code)
    if expected:
        assert response.status_code == 200
        assert OWNER_NAME in html
    for other in FIELD_GROUPS:
        if other != group and viewer != "owner":
            assert MARKERS[other] not in html, other


@pytest.mark.parametrize(("group", "audience", "kind"), PREVIEW_EDGES)
def test_preview_shows_a_group_exactly_to_its_audience(module_app, scene, group, audience, kind):
    _profile_with(scene, group, audience)
    db.session.commit()
    client = module_app.test_client()
    sign_in(client, scene["owner"])
    html = client.get(f"/profile/preview?as={kind}").get_data(as_text=True)
    assert (MARKERS[group] in html) is (audience >= PREVIEWS[kind])
    for other in FIELD_GROUPS:
        if other != group:
            assert MARKERS[other] not in html


def test_new_profile_is_private_unlisted_and_narrow(module_app, scene, owner):
    profile = filled_profile(owner)
    assert not profile.listed and not profile.public and not profile.hidden
    assert not privacy.is_listed(profile)
    assert all(profile.audience_of(g) <= Audience.APPLIED for g in FIELD_GROUPS)
    assert module_app.test_client().get(f"/members/{owner.id}").status_code == 404
    member = module_app.test_client()
    sign_in(member, scene["member"])
    assert member.get(f"/members/{owner.id}").status_code == 404


def test_public_audience_needs_the_public_page_switch(module_app, scene, owner):
    everything_public = {g: int(Audience.PUBLIC) for g in FIELD_GROUPS}
    filled_profile(owner, audiences=everything_public, public=False)
    assert module_app.test_client().get(f"/members/{owner.id}").status_code == 404
    member = module_app.test_client()
    sign_in(member, scene["member"])
    assert MARKERS["bio"] in member.get(f"/members/{owner.id}").get_data(as_text=True)


def test_hide_me_everywhere_closes_the_page_to_all_but_owner_and_audited_view(
    module_app, scene, owner
):
    everything_public = {g: int(Audience.PUBLIC) for g in FIELD_GROUPS}
    profile = filled_profile(owner, audiences=everything_public, public=True, listed=True)
    owner_client = module_app.test_client()
    sign_in(owner_client, owner)
    owner_client.post("/profile/hide", data={"hidden": "1"})
    db.session.refresh(profile)
    assert profile.hidden and not privacy.is_listed(profile)
    listed = sa.select(sa.func.count()).where(privacy.listed_condition())
    assert db.session.scalar(listed.where(Profile.user_id == owner.id)) == 0
    for viewer in ("visitor", "member", "institution_applied", "coordinator"):
        assert _page(module_app, scene, owner, viewer).status_code == 404, viewer
    assert owner_client.get(f"/members/{owner.id}").status_code == 200
    restricted = _page(module_app, scene, owner, "coordinator_restricted")
    assert MARKERS["bio"] in restricted.get_data(as_text=True)
    owner_client.post("/profile/hide", data={"hidden": "0"})
    db.session.refresh(profile)
    assert privacy.is_listed(profile)
    assert _page(module_app, scene, owner, "visitor").status_code == 200


def test_past_travel_windows_are_hidden_from_others(module_app, scene, owner):
    from datetime import timedelta

    from diaspora.models.base import utcnow

    filled_profile(owner, audiences={"travel": int(Audience.SIGNED_IN)})
    today = utcnow().date()
    profiles.add_travel_window(owner, "NR", today - timedelta(days=30), today - timedelta(days=20))
    db.session.commit()
    member = module_app.test_client()
    sign_in(member, scene["member"])
    html = member.get(f"/members/{owner.id}").get_data(as_text=True)
    assert "Tuvalu" in html and "Nauru" not in html
    owner_client = module_app.test_client()
    sign_in(owner_client, owner)
    assert "Nauru" in owner_client.get(f"/members/{owner.id}").get_data(as_text=True)


def test_restricted_view_is_audited_and_shown_in_the_access_log(module_app, scene, owner):
    filled_profile(owner, audiences=_only("bio", Audience.COORDINATORS))
    coordinator = module_app.test_client()
    sign_in(coordinator, scene["coordinator"])
    form = coordinator.get(f"/members/{owner.id}/restricted")
    assert form.status_code == 200 and MARKERS["bio"] not in form.get_data(as_text=True)
    refused = coordinator.post(f"/members/{owner.id}/restricted", data={"reason": ""})
    assert MARKERS["bio"] not in refused.get_data(as_text=True)
    shown = coordinator.post(f"/members/{owner.id}/restricted", data={"reason": "Fraud report 42"})
    assert MARKERS["bio"] in shown.get_data(as_text=True)
    owner_client = module_app.test_client()
    sign_in(owner_client, owner)
    log = owner_client.get("/profile/access-log").get_data(as_text=True)
    assert "Fraud report 42" in log and scene["coordinator"].name in log
    assert scene["coordinator"].email not in log
    member = module_app.test_client()
    sign_in(member, scene["member"])
    assert (
        member.post(f"/members/{owner.id}/restricted", data={"reason": "curious"}).status_code
        == 403
    )


def test_profile_view_as_dict_holds_only_visible_groups(scene, owner):
    profile = filled_profile(owner, audiences=_only("bio", Audience.SIGNED_IN))
    data = privacy.ProfileView.for_viewer(profile, scene["member"]).as_dict()
    assert data["bio"].startswith(MARKERS["bio"])
    assert set(data) == {"user_id", "display_name", "bio"}
