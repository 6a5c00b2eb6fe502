"""Every field group, at every audience, appears for exactly the viewers it should."""

import pytest

from diaspora.extensions import db
from diaspora.models import FIELD_GROUPS, Audience, Role
from diaspora.services import privacy
from tests.factories import (
    MARKERS,
    filled_profile,
    make_institution,
    new_user,
    sign_in,
)

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


def _only(group, audience):
    audiences = {g: int(Audience.ONLY_ME) for g in FIELD_GROUPS}
    audiences[group] = int(audience)
    return audiences


@pytest.fixture
def scene(app, monkeypatch):
    """A public member profile and one user of each kind; an institution the member applied to."""
    owner = new_user(Role.MEMBER, name="Amina Yusuf")
    applied_rep = new_user(Role.INSTITUTION)
    other_rep = new_user(Role.INSTITUTION)
    applied = make_institution(applied_rep)
    make_institution(other_rep, name="Other Institute")
    monkeypatch.setattr(
        privacy,
        "_applied_sources",
        [lambda user_id: {applied.id} if user_id == owner.id else set()],
    )
    return {
        "owner": owner,
        "coordinator": new_user(Role.COORDINATOR),
        "institution_applied": applied_rep,
        "institution_other": other_rep,
        "member": new_user(Role.MEMBER),
    }


def _page(app, scene, viewer):
    client = app.test_client()
    owner = scene["owner"]
    if viewer == "visitor":
        return client.get(f"/members/{owner.id}")
    if viewer == "coordinator_restricted":
        sign_in(client, scene["coordinator"])
        return client.post(f"/members/{owner.id}/restricted", data={"reason": "Checking a report"})
    sign_in(client, scene[viewer])
    return client.get(f"/members/{owner.id}")


@pytest.mark.parametrize("viewer", list(VIEWERS))
@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("group", FIELD_GROUPS)
def test_group_shown_on_profile_page_exactly_to_its_audience(app, scene, group, audience, viewer):
    filled_profile(scene["owner"], audiences=_only(group, audience), public=True)
    response = _page(app, scene, viewer)
    html = response.get_data(as_text=True)
    expected = audience >= VIEWERS[viewer]
    assert (MARKERS[group] in html) is expected, (group, audience, viewer, response.status_code)
    if expected:
        assert response.status_code == 200
        assert "Amina Yusuf" in html
    for other in FIELD_GROUPS:
        if other != group and viewer != "owner":
            assert MARKERS[other] not in html, other


@pytest.mark.parametrize("kind", list(PREVIEWS))
@pytest.mark.parametrize("audience", list(Audience))
@pytest.mark.parametrize("group", FIELD_GROUPS)
def test_group_shown_in_preview_exactly_to_its_audience(app, scene, group, audience, kind):
    filled_profile(scene["owner"], audiences=_only(group, audience), public=True)
    client = app.test_client()
    sign_in(client, scene["owner"])
    html = client.get(f"/profile/preview?as={kind}").get_data(as_text=True)
    assert (MARKERS[group] in html) is (audience >= PREVIEWS[kind])
    for other in FIELD_GROUPS:
        if other != group:
            assert MARKERS[other] not in html


def test_new_profile_is_private_unlisted_and_narrow(app, scene):
    profile = filled_profile(scene["owner"])
    assert not profile.listed and not profile.public and not profile.hidden
    assert not privacy.is_listed(profile)
    assert all(profile.audience_of(g) <= Audience.APPLIED for g in FIELD_GROUPS)
    assert app.test_client().get(f"/members/{scene['owner'].id}").status_code == 404
    member = app.test_client()
    sign_in(member, scene["member"])
    assert member.get(f"/members/{scene['owner'].id}").status_code == 404


def test_public_audience_needs_the_public_page_switch(app, scene):
    everything_public = {g: int(Audience.PUBLIC) for g in FIELD_GROUPS}
    filled_profile(scene["owner"], audiences=everything_public, public=False)
    assert app.test_client().get(f"/members/{scene['owner'].id}").status_code == 404
    member = app.test_client()
    sign_in(member, scene["member"])
    assert MARKERS["bio"] in member.get(f"/members/{scene['owner'].id}").get_data(as_text=True)


def test_hide_me_everywhere_closes_the_page_to_all_but_owner_and_audited_view(app, scene):
    everything_public = {g: int(Audience.PUBLIC) for g in FIELD_GROUPS}
    profile = filled_profile(scene["owner"], audiences=everything_public, public=True, listed=True)
    owner = app.test_client()
    sign_in(owner, scene["owner"])
    owner.post("/profile/hide", data={"hidden": "1"})
    db.session.refresh(profile)
    assert profile.hidden and not privacy.is_listed(profile)
    assert db.session.scalar(db.select(db.func.count()).where(privacy.listed_condition())) == 0
    for viewer in ("visitor", "member", "institution_applied", "coordinator"):
        assert _page(app, scene, viewer).status_code == 404, viewer
    assert owner.get(f"/members/{scene['owner'].id}").status_code == 200
    assert MARKERS["bio"] in _page(app, scene, "coordinator_restricted").get_data(as_text=True)
    owner.post("/profile/hide", data={"hidden": "0"})
    db.session.refresh(profile)
    assert privacy.is_listed(profile)
    assert _page(app, scene, "visitor").status_code == 200


def test_past_travel_windows_are_hidden_from_others(app, scene):
    from datetime import timedelta

    from diaspora.models.base import utcnow
    from diaspora.services import profiles

    filled_profile(scene["owner"], audiences={"travel": int(Audience.SIGNED_IN)})
    today = utcnow().date()
    profiles.add_travel_window(
        scene["owner"], "NR", today - timedelta(days=30), today - timedelta(days=20)
    )
    db.session.commit()
    member = app.test_client()
    sign_in(member, scene["member"])
    html = member.get(f"/members/{scene['owner'].id}").get_data(as_text=True)
    assert "Tuvalu" in html and "Nauru" not in html
    owner = app.test_client()
    sign_in(owner, scene["owner"])
    assert "Nauru" in owner.get(f"/members/{scene['owner'].id}").get_data(as_text=True)


def test_restricted_view_is_audited_and_shown_in_the_access_log(app, scene):
    filled_profile(scene["owner"], audiences=_only("bio", Audience.COORDINATORS))
    coordinator = app.test_client()
    sign_in(coordinator, scene["coordinator"])
    form = coordinator.get(f"/members/{scene['owner'].id}/restricted")
    assert form.status_code == 200 and MARKERS["bio"] not in form.get_data(as_text=True)
    refused = coordinator.post(f"/members/{scene['owner'].id}/restricted", data={"reason": ""})
    assert MARKERS["bio"] not in refused.get_data(as_text=True)
    shown = coordinator.post(
        f"/members/{scene['owner'].id}/restricted", data={"reason": "Fraud report 42"}
    )
    assert MARKERS["bio"] in shown.get_data(as_text=True)
    owner = app.test_client()
    sign_in(owner, scene["owner"])
    log = owner.get("/profile/access-log").get_data(as_text=True)
    assert "Fraud report 42" in log and scene["coordinator"].name in log
    assert scene["coordinator"].email not in log
    member = app.test_client()
    sign_in(member, scene["member"])
    assert (
        member.post(
            f"/members/{scene['owner'].id}/restricted", data={"reason": "curious"}
        ).status_code
        == 403
    )


def test_profile_view_as_dict_holds_only_visible_groups(app, scene):
    profile = filled_profile(scene["owner"], audiences=_only("bio", Audience.SIGNED_IN))
    data = privacy.ProfileView.for_viewer(profile, scene["member"]).as_dict()
    assert data["bio"].startswith(MARKERS["bio"])
    assert set(data) == {"user_id", "display_name", "bio"}
