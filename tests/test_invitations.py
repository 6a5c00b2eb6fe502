"""Recommended experts and invitations: who fits a project and why (only from what each
member shows the institution), who may invite whom, the limits, and the member's answer."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.extensions import db as _db
from diaspora.models import (
    Audience,
    InstitutionRepresentative,
    InstitutionStatus,
    Invitation,
    InvitationStatus,
    Notification,
    OutboxMessage,
    Project,
    ProjectStatus,
    Role,
    User,
)
from diaspora.models.base import utcnow
from diaspora.services import applications, invitations, profiles, recommendations
from diaspora.services.applications import Engagement
from diaspora.services.errors import Conflict, Invalid, NotAllowed, NotFound
from tests.factories import MOTIVATION, make_institution, make_project, sign_in
from tests.test_applications_concurrency import needs_postgres, run_together

SHOWN = int(Audience.SIGNED_IN)  # what any signed-in institution may see
HIDDEN = int(Audience.COORDINATORS)
TODAY = utcnow().date()
START = TODAY + timedelta(days=60)


GROUPS = ("skills", "location", "languages", "engagement", "travel")


def expert(
    make_user,
    name,
    *,
    skills=("Hydrology",),
    sector="water_sanitation",
    origin="ET",
    travel="ET",
    shown=GROUPS,
):
    """A listed member who fits the water project on every point; an institution sees the
    field groups in ``shown`` (the others only coordinators see)."""
    user = make_user(name=name)
    profiles.update_profile(
        user,
        {
            "display_name": name,
            "origin_country": origin,
            "sectors": [sector],
            "engagement_modes": ["short_mission"],
            "availability_hours": 20,
        },
    )
    for skill in skills:
        profiles.add_skill(user, skill, "have")
    profiles.add_language(user, "am", "native")
    if travel:
        profiles.add_travel_window(
            user, travel, START + timedelta(days=2), START + timedelta(days=22)
        )
    audiences = {group: SHOWN if group in shown else HIDDEN for group in GROUPS}
    profiles.set_privacy(user, audiences, listed=True, public=False)
    _db.session.commit()
    return user


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, name="Rep Alemu", email="rep@aau.example")


@pytest.fixture
def project(rep):
    hydrology = profiles.find_or_create_skill("Hydrology")
    _db.session.commit()
    return make_project(
        make_institution(rep, name="Addis Ababa Water Authority"),
        status=ProjectStatus.PUBLISHED,
        title="Groundwater mapping",
        country="ET",
        sector="water_sanitation",
        skills=[hydrology],
        languages=["am"],
        start_date=START,
        duration_weeks=3,
        engagement_mode="short_mission",
    )


def names(found):
    return [e.name for e in found]


# --------------------------------------------------------------------------- fit and reasons


def test_a_fitting_member_is_recommended_with_every_reason(app, make_user, rep, project):
    expert(make_user, "Hiwot Tesfaye")
    (found,) = recommendations.experts_for(rep, project)
    assert found.name == "Hiwot Tesfaye"
    window = f"{START + timedelta(days=2):%d %b} to {START + timedelta(days=22):%d %b %Y}"
    assert found.reasons == [
        "skills this project needs: Hydrology",
        "works in Water and sanitation",
        "from Ethiopia",
        "offers short mission in the country, 20 hours a month",
        f"in Ethiopia {window}",
        "speaks Amharic",
    ]


def test_best_fit_first_and_the_list_is_capped(app, make_user, rep, project):
    expert(make_user, "Only sector and home", skills=())
    expert(make_user, "Skills too")
    expert(make_user, "Unrelated", skills=("Surgery",), sector="health", origin="GH", travel="")
    assert names(recommendations.experts_for(rep, project)) == [
        "Skills too",
        "Only sector and home",
    ]
    assert names(recommendations.experts_for(rep, project, limit=1)) == ["Skills too"]


def test_the_pool_read_is_bounded_by_freshness_alone(app, make_user, rep, project, monkeypatch):
    """A project reads at most CANDIDATE_POOL possible fits, the most recently updated first:
    never ranked by the fit itself, whose fields a representative may not all see. Members
    who cannot fit (another sector, no shared skill) are not read at all."""
    older = expert(make_user, "Skills too")
    expert(make_user, "Only sector and home", skills=())
    profiles.profile_of(older).updated_at = utcnow() - timedelta(days=30)
    _db.session.commit()
    assert names(recommendations.experts_for(rep, project)) == [
        "Skills too",
        "Only sector and home",
    ]
    monkeypatch.setattr(recommendations, "CANDIDATE_POOL", 1)
    assert names(recommendations.experts_for(rep, project)) == ["Only sector and home"]
    monkeypatch.setattr(recommendations, "CANDIDATE_POOL", 5)
    expert(make_user, "Unrelated", skills=("Surgery",), sector="health", origin="GH", travel="")
    pool = _db.session.scalars(recommendations._candidates(project, rep)).all()
    assert sorted(p.display_name for p in pool) == ["Only sector and home", "Skills too"]


def test_a_travel_window_that_misses_the_project_dates_is_no_reason(app, make_user, rep, project):
    member = expert(make_user, "Away", travel="")
    profiles.add_travel_window(member, "ET", START + timedelta(days=40), START + timedelta(days=50))
    _db.session.commit()
    (found,) = recommendations.experts_for(rep, project)
    assert not [r for r in found.reasons if r.startswith("in Ethiopia")]


def test_a_project_in_a_language_the_member_does_not_speak_fits_nobody(
    app, make_user, rep, project
):
    expert(make_user, "Hiwot")
    project.languages = ["fr"]
    _db.session.commit()
    assert recommendations.experts_for(rep, project) == []


def test_the_member_side_reads_the_same_rule(app, make_user, project):
    member = expert(make_user, "Hiwot")
    ((found, reasons),) = recommendations.recommended_projects(member)
    assert found.id == project.id
    assert reasons[0] == "matches your skills: Hydrology"
    assert "in your country of origin" in reasons and "in a language you speak" in reasons
    assert any(r.startswith("you will be in Ethiopia") for r in reasons)
    applications.apply(member, project, MOTIVATION, Engagement())
    _db.session.commit()
    assert recommendations.recommended_projects(member) == []


# --------------------------------------------------------------------------- privacy


def test_a_reason_never_reveals_a_hidden_group(app, make_user, rep, project, client):
    """Origin, languages, ways of helping and travel shown to coordinators only: the skills
    still recommend the member, and no reason (nor the page) names what is hidden."""
    expert(make_user, "Hiwot", shown=("skills",))
    (found,) = recommendations.experts_for(rep, project)
    assert found.reasons == [
        "skills this project needs: Hydrology",
        "works in Water and sanitation",
    ]
    sign_in(client, rep)
    page = client.get(f"/projects/{project.id}/experts").get_data(as_text=True)
    assert "Hydrology" in page
    for hidden in ("from Ethiopia", "Amharic", "short mission", "20 hours", "in Ethiopia"):
        assert hidden not in page


def test_a_member_whose_fitting_fields_are_hidden_is_not_recommended(app, make_user, rep, project):
    """The skills hidden, origin and travel hidden: nothing they show fits, so they are not
    listed (being left out must not depend on hidden fields either)."""
    expert(make_user, "Hiwot", shown=("languages",))
    assert recommendations.experts_for(rep, project) == []


def test_an_institution_the_member_applied_to_sees_the_applied_audience(
    app, make_user, rep, project
):
    member = expert(make_user, "Hiwot", shown=())
    profiles.set_privacy(member, {"skills": int(Audience.APPLIED)}, listed=True, public=False)
    _db.session.commit()
    assert recommendations.experts_for(rep, project) == []
    other = make_project(project.institution, status=ProjectStatus.PUBLISHED, title="Other")
    applications.apply(member, other, MOTIVATION, Engagement())
    _db.session.commit()
    assert names(recommendations.experts_for(rep, project)) == ["Hiwot"]


@pytest.mark.parametrize("case", ["unlisted", "hidden", "suspended", "unconfirmed", "applied"])
def test_who_is_never_recommended(app, make_user, rep, project, case):
    member = expert(make_user, "Hiwot")
    profile = profiles.profile_of(member)
    if case == "unlisted":
        profile.listed = False
    elif case == "hidden":
        profile.hidden = True
    elif case == "suspended":
        member.suspended_at = utcnow()
    elif case == "unconfirmed":
        member.email_confirmed_at = None
    else:
        applications.apply(member, project, MOTIVATION, Engagement())
    _db.session.commit()
    assert recommendations.experts_for(rep, project) == []


def test_only_the_institutions_active_representatives_see_recommendations(
    app, make_user, rep, project, client
):
    expert(make_user, "Hiwot")
    other_rep = make_user(role=Role.INSTITUTION)
    make_institution(other_rep, name="Another institution")
    member = make_user()
    for person in (other_rep, member):
        assert recommendations.experts_for(person, project) == []
        sign_in(client, person)
        assert client.get(f"/projects/{project.id}/experts").status_code == 403
    rep.suspended_at = utcnow()
    _db.session.commit()
    assert recommendations.experts_for(rep, project) == []


def test_the_project_page_links_its_representatives_to_the_experts(app, rep, project, client):
    sign_in(client, rep)
    assert f"/projects/{project.id}/experts" in client.get(f"/projects/{project.id}").text
    client.post("/logout")
    assert "/experts" not in client.get(f"/projects/{project.id}").text


# --------------------------------------------------------------------------- inviting


def test_invite_tells_the_member_and_applying_answers_it(app, make_user, rep, project):
    member = expert(make_user, "Hiwot")
    invitation = invitations.invite(rep, project, member.id, "We would love your help.")
    _db.session.commit()
    assert invitation.status == InvitationStatus.SENT
    note = _db.session.scalar(sa.select(Notification).where(Notification.user_id == member.id))
    assert note.event == "invited" and note.link.endswith("/invitations")
    assert note.message == "Addis Ababa Water Authority invites you to apply to Groundwater mapping"
    mail = _db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == member.email)
    )
    assert "/invitations" in mail.body_text and "/invitations" in mail.body_html
    assert "We would love your help" not in mail.body_text + mail.body_html

    (received,) = invitations.received_by(member)
    assert received.reasons[0] == "skills this project needs: Hydrology"
    assert recommendations.experts_for(rep, project) == []  # invited: not recommended again
    assert [p for p, _ in recommendations.recommended_projects(member)] == [project]
    assert recommendations.recommended_projects(member, without_invitations=True) == []

    applications.apply(member, project, MOTIVATION, Engagement())
    _db.session.commit()
    _db.session.refresh(invitation)
    assert invitation.status == InvitationStatus.APPLIED and invitation.answered_at


def test_one_invitation_per_member_and_project_ever(app, make_user, rep, project):
    member = expert(make_user, "Hiwot")
    invitation = invitations.invite(rep, project, member.id)
    _db.session.commit()
    with pytest.raises(Conflict, match="already invited"):
        invitations.invite(rep, project, member.id)
    invitations.decline(member, invitation.id)
    _db.session.commit()
    with pytest.raises(Conflict, match="already invited"):
        invitations.invite(rep, project, member.id)
    with pytest.raises(Conflict, match="already answered"):
        invitations.decline(member, invitation.id)


def test_the_open_invitations_of_a_project_are_limited(app, make_user, rep, project, monkeypatch):
    monkeypatch.setattr(invitations, "MAX_OPEN_PER_PROJECT", 2)
    first, second, third = (expert(make_user, f"Expert {n}") for n in range(3))
    one = invitations.invite(rep, project, first.id)
    invitations.invite(rep, project, second.id)
    with pytest.raises(Conflict, match="2 invitations waiting"):
        invitations.invite(rep, project, third.id)
    invitations.decline(first, one.id)  # an answer makes room
    invitations.invite(rep, project, third.id)


def test_the_invitations_of_an_institution_are_limited_per_week(
    app, make_user, rep, project, monkeypatch
):
    monkeypatch.setattr(invitations, "MAX_PER_INSTITUTION_WEEK", 2)
    other = make_project(
        project.institution, status=ProjectStatus.PUBLISHED, title="Other", languages=[]
    )
    first, second, third = (expert(make_user, f"Expert {n}") for n in range(3))
    old = invitations.invite(rep, project, first.id)
    invitations.invite(rep, other, second.id)
    with pytest.raises(Conflict, match="in the last seven days"):
        invitations.invite(rep, other, third.id)
    old.created_at = utcnow() - timedelta(days=8)
    _db.session.flush()
    invitations.invite(rep, other, third.id)


def test_a_member_who_turned_invitations_off_is_not_invited(app, make_user, rep, project, client):
    member = expert(make_user, "Hiwot")
    profiles.set_privacy(member, {}, listed=True, public=False, invitations_open=False)
    _db.session.commit()
    with pytest.raises(Conflict, match="does not take invitations"):
        invitations.invite(rep, project, member.id)
    sign_in(client, rep)
    page = client.get(f"/projects/{project.id}/experts").text
    assert "does not take invitations" in page and "Invite" not in page


def test_the_invitations_page_says_whether_invitations_are_on(app, make_user, client):
    member = expert(make_user, "Hiwot")
    sign_in(client, member)
    page = client.get("/invitations").text
    assert "You can turn invitations off" in page and "turned invitations off" not in page
    profiles.set_privacy(member, {}, listed=True, public=False, invitations_open=False)
    _db.session.commit()
    page = client.get("/invitations").text
    assert "You have turned invitations off" in page and "You can turn" not in page


@pytest.mark.parametrize("case", ["unlisted", "hidden", "suspended", "not visible", "unknown"])
def test_a_member_the_representative_may_not_see_listed_is_not_found(
    app, make_user, rep, project, case
):
    member = expert(make_user, "Hiwot")
    profile = profiles.profile_of(member)
    member_id = member.id
    if case == "unlisted":
        profile.listed = False
    elif case == "hidden":
        profile.hidden = True
    elif case == "suspended":
        member.suspended_at = utcnow()
    elif case == "not visible":
        profiles.set_privacy(member, dict.fromkeys(profile.audiences, HIDDEN), True, False)
    else:
        member_id = 2**31 - 1
    _db.session.commit()
    with pytest.raises(NotFound):
        invitations.invite(rep, project, member_id)
    assert _db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_only_an_active_representative_of_a_verified_institution_invites_to_an_open_project(
    app, make_user, rep, project
):
    member = expert(make_user, "Hiwot")
    with pytest.raises(NotAllowed):
        invitations.invite(make_user(role=Role.INSTITUTION), project, member.id)
    with pytest.raises(NotAllowed):
        invitations.invite(make_user(), project, member.id)
    project.institution.status = InstitutionStatus.PENDING
    _db.session.commit()
    with pytest.raises(Conflict, match="verified"):
        invitations.invite(rep, project, member.id)
    project.institution.status = InstitutionStatus.VERIFIED
    project.status = ProjectStatus.CLOSED
    _db.session.commit()
    with pytest.raises(Conflict, match="open to applications"):
        invitations.invite(rep, project, member.id)
    project.status = ProjectStatus.PUBLISHED
    rep.suspended_at = utcnow()
    _db.session.commit()
    with pytest.raises(NotAllowed):
        invitations.invite(rep, project, member.id)


def test_a_long_message_is_refused(app, make_user, rep, project):
    member = expert(make_user, "Hiwot")
    with pytest.raises(Invalid):
        invitations.invite(rep, project, member.id, "x" * (invitations.MESSAGE_MAX + 1))


# --------------------------------------------------------------------------- pages


def test_the_member_sees_the_invitation_and_declines_it(app, make_user, rep, project, client):
    member = expert(make_user, "Hiwot")
    invitations.invite(rep, project, member.id, "Come and map with us.")
    _db.session.commit()
    sign_in(client, member)
    assert "(1 waiting for your answer)" in client.get("/applications").text
    page = client.get("/invitations").text
    for shown in (
        "Addis Ababa Water Authority",
        "Groundwater mapping",
        "skills this project needs: Hydrology",
        "Come and map with us.",
        f"/projects/{project.id}/apply",
    ):
        assert shown in page
    (invitation,) = _db.session.scalars(sa.select(Invitation)).all()
    response = client.post(f"/invitations/{invitation.id}/decline")
    assert response.status_code == 302 and response.headers["Location"] == "/invitations"
    _db.session.refresh(invitation)
    assert invitation.status == InvitationStatus.DECLINED
    assert "You declined" in client.get("/invitations").text


def test_someone_elses_invitation_cannot_be_declined(app, make_user, rep, project, client):
    member = expert(make_user, "Hiwot")
    invitation = invitations.invite(rep, project, member.id)
    _db.session.commit()
    for person in (make_user(), rep):
        sign_in(client, person)
        assert client.post(f"/invitations/{invitation.id}/decline").status_code == 404
    sign_in(client, member)
    assert client.post(f"/invitations/{2**31 - 1}/decline").status_code == 404
    _db.session.refresh(invitation)
    assert invitation.status == InvitationStatus.SENT


def test_the_representative_invites_from_the_experts_page(app, make_user, rep, project, client):
    member = expert(make_user, "Hiwot")
    sign_in(client, rep)
    page = client.get(f"/projects/{project.id}/experts").text
    assert 'Invite <span dir="auto">Hiwot</span> to apply' in page
    response = client.post(
        f"/projects/{project.id}/experts/{member.id}/invite",
        data={"message": "Welcome\x00 aboard"},
    )
    assert response.status_code == 302
    (invitation,) = _db.session.scalars(sa.select(Invitation)).all()
    assert invitation.message == "Welcome aboard" and invitation.invited_by_id == rep.id
    page = client.get(f"/projects/{project.id}/experts").text
    assert "Invitation sent" in page and "no answer yet" in page


def test_a_huge_message_is_a_form_error_and_nothing_is_sent(app, make_user, rep, project, client):
    member = expert(make_user, "Hiwot")
    sign_in(client, rep)
    response = client.post(
        f"/projects/{project.id}/experts/{member.id}/invite",
        data={"message": "x" * 100_000},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "Check the form" in response.text
    assert _db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_inviting_for_someone_elses_project_is_refused(app, make_user, rep, project, client):
    member = expert(make_user, "Hiwot")
    other_rep = make_user(role=Role.INSTITUTION)
    make_institution(other_rep, name="Another institution")
    sign_in(client, other_rep)
    response = client.post(f"/projects/{project.id}/experts/{member.id}/invite", data={})
    assert response.status_code == 403
    assert client.post(f"/projects/{2**31 - 1}/experts/{member.id}/invite").status_code == 404
    assert _db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


def test_the_invitation_forms_need_their_csrf_token(app, make_user, rep, project):
    app.config["WTF_CSRF_ENABLED"] = True
    member = expert(make_user, "Hiwot")
    client = app.test_client()
    sign_in(client, rep)
    page = client.get(f"/projects/{project.id}/experts").text
    assert re.search(r'/experts/\d+/invite" class="form">\s*<input[^>]*name="csrf_token"', page)
    assert client.post(f"/projects/{project.id}/experts/{member.id}/invite").status_code == 400
    assert _db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0
    invitation = invitations.invite(rep, project, member.id)
    _db.session.commit()
    sign_in(client, member)
    assert client.post(f"/invitations/{invitation.id}/decline").status_code == 400
    _db.session.refresh(invitation)
    assert invitation.status == InvitationStatus.SENT


def test_the_privacy_page_turns_invitations_off(app, make_user, client):
    member = expert(make_user, "Hiwot")
    sign_in(client, member)
    page = client.get("/profile/privacy").text
    assert "Let institutions invite me to apply" in page and "they see nothing more" in page
    data = {f"audience_{g}": str(SHOWN) for g in profiles.FIELD_GROUPS}
    data["listed"] = "y"
    assert client.post("/profile/privacy", data=data).status_code == 302
    assert profiles.profile_of(member).invitations_open is False
    data["invitations_open"] = "y"
    client.post("/profile/privacy", data=data)
    assert profiles.profile_of(member).invitations_open is True


def test_after_a_decline_the_application_page_offers_other_projects(
    app, make_user, rep, project, client
):
    member = expert(make_user, "Hiwot")
    other = make_project(
        project.institution,
        status=ProjectStatus.PUBLISHED,
        title="Borehole survey",
        country="ET",
        sector="water_sanitation",
        skills=list(project.skills),
        languages=[],
    )
    application, _ = applications.apply(member, project, MOTIVATION, Engagement())
    _db.session.commit()
    sign_in(client, member)
    page = client.get(f"/applications/{application.id}").text
    assert "Other projects that need your expertise" not in page
    applications.decide(rep, application, "decline", "")
    _db.session.commit()
    page = client.get(f"/applications/{application.id}").text
    assert "Other projects that need your expertise" in page
    assert other.title in page and "matches your skills: Hydrology" in page
    assert "Projects that need your expertise" in client.get("/invitations").text


def test_the_demo_data_holds_one_invitation_once(runner, db):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0 and "is invited to" in first.output
    (invitation,) = _db.session.scalars(sa.select(Invitation)).all()
    assert invitation.status == InvitationStatus.SENT and invitation.message
    assert "already there" in runner.invoke(args=["demo", "load"]).output
    assert _db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 1


def test_deleting_an_account_removes_its_invitations_or_the_inviters_name(
    app, make_user, rep, project
):
    from diaspora.services.deletion import delete_account
    from tests.conftest import PASSWORD

    member, other = expert(make_user, "Hiwot"), expert(make_user, "Tesfaye")
    invitations.invite(rep, project, member.id)
    kept = invitations.invite(rep, project, other.id)
    _db.session.commit()
    delete_account(member, PASSWORD)
    delete_account(rep, PASSWORD)
    _db.session.commit()
    assert _db.session.scalars(sa.select(Invitation)).all() == [kept]
    _db.session.refresh(kept)
    assert kept.invited_by_id is None and kept.member_id == other.id
    (received,) = invitations.received_by(other)
    assert received.reasons == []  # nobody represents the institution any more


def test_the_batch_and_single_answers_of_who_applied_agree(app, make_user, rep, project):
    """Recommendations ask for many members at once what a profile page asks for one."""
    from diaspora.services import permissions, privacy

    applied, other = expert(make_user, "Applied"), expert(make_user, "Other")
    applications.apply(applied, project, MOTIVATION, Engagement())
    _db.session.commit()
    batch = permissions.applied_to_institutions_of(rep, [applied.id, other.id])
    assert batch == {applied.id}
    for member in (applied, other):
        assert permissions.represents_institution_applied_to(rep, member.id) == (member.id in batch)
    found = privacy.views_for([profiles.profile_of(m) for m in (applied, other)], rep)
    assert [v.clearance for v in found] == [Audience.APPLIED, Audience.SIGNED_IN]
    assert permissions.applied_to_institutions_of(make_user(), [applied.id]) == set()


def test_the_new_pages_write_nothing_when_read(app, make_user, rep, project):
    """With experts to recommend, an invitation and a declined application to show, reading
    the pages of this feature runs no INSERT, UPDATE or DELETE."""
    from diaspora.mail import deliver_pending
    from tests.test_get_writes_nothing import Writes

    member = expert(make_user, "Hiwot")
    expert(make_user, "Tesfaye")
    invitations.invite(rep, project, member.id, "Come.")
    other = make_project(project.institution, status=ProjectStatus.PUBLISHED, title="Other")
    application, _ = applications.apply(member, other, MOTIVATION, Engagement())
    applications.decide(rep, application, "decline", "")
    _db.session.commit()
    deliver_pending()  # what the setup queued, as the requests that wrote it would have sent it
    pages = {
        rep: [f"/projects/{project.id}", f"/projects/{project.id}/experts"],
        member: ["/invitations", "/applications", f"/applications/{application.id}"],
    }
    listener = Writes()
    sa.event.listen(_db.engine, "before_cursor_execute", listener)
    try:
        for person, paths in pages.items():
            client = app.test_client()
            sign_in(client, person)
            for path in paths:
                response = client.get(path)
                assert response.status_code == 200, path
                assert "Hydrology" in response.text or path == "/applications", path
    finally:
        sa.event.remove(_db.engine, "before_cursor_execute", listener)
    assert listener.seen == []


@needs_postgres
def test_invitations_racing_past_the_weekly_limit_are_one_too_few_never_one_too_many(
    app, make_user, rep, project, monkeypatch
):
    """Two representatives invite to two projects of one institution at the same moment, with
    one invitation left this week: the institution's row lock lets exactly one through."""
    monkeypatch.setattr(invitations, "MAX_PER_INSTITUTION_WEEK", 1)
    second_rep = make_user(role=Role.INSTITUTION, email="second@aawa.example")
    _db.session.add(
        InstitutionRepresentative(institution_id=project.institution_id, user_id=second_rep.id)
    )
    other = make_project(
        project.institution, status=ProjectStatus.PUBLISHED, title="Other", languages=[]
    )
    members = [expert(make_user, f"Expert {n}") for n in range(2)]
    _db.session.commit()
    calls = [(rep.id, project.id, members[0].id), (second_rep.id, other.id, members[1].id)]

    def work(index):
        rep_id, project_id, member_id = calls[index]
        invitation = invitations.invite(
            _db.session.get(User, rep_id), _db.session.get(Project, project_id), member_id
        )
        _db.session.commit()
        return invitation.id

    outcomes = run_together(app, 2, work)
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "int"], outcomes
    assert _db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 1
