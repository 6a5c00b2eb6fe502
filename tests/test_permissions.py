"""Who may do what (``services/permissions.py``): every question asked of an active, a
suspended and an unconfirmed representative, a representative of another institution, an
active and a suspended coordinator, a member, a visitor and the platform's scheduled actor;
then the workflows, at the service and over HTTP, that treat a suspended account as no one.

Over HTTP a suspended account is signed out before any view runs (the session loader refuses
it); what reached suspended representatives through a request was what others did: the
coordinators' decisions on their institution."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from diaspora.extensions import db
from diaspora.models import (
    Audience,
    Institution,
    InstitutionInvitation,
    InstitutionRepresentative,
    InstitutionStatus,
    Notification,
    OutboxMessage,
    Project,
    ProjectStatus,
    Role,
    User,
)
from diaspora.models.base import utcnow
from diaspora.services import (
    accounts,
    application_lists,
    applications,
    discovery,
    institutions,
    moderation,
    notifications,
    permissions,
    privacy,
    profiles,
    projects,
)
from diaspora.services.applications import Engagement
from diaspora.services.errors import NotAllowed, NotFound
from tests.factories import (
    MOTIVATION,
    make_institution,
    make_project,
    new_user,
    sign_in,
    with_profile,
)

EVERYONE = (
    "rep",
    "suspended_rep",
    "unconfirmed_rep",
    "other_rep",
    "coordinator",
    "suspended_coordinator",
    "admin",
    "member",
    "visitor",
    "nobody",
    "system",
)


def _suspend(user: User) -> None:
    """Suspend without the coordinator's service: the session token stays as it was, so
    what refuses a suspended account is the suspension itself."""
    user.suspended_at = utcnow()
    user.suspended_reason = "Under review"
    db.session.commit()


def _add_rep(institution: Institution, user: User) -> None:
    db.session.add(InstitutionRepresentative(institution_id=institution.id, user_id=user.id))
    db.session.commit()


@pytest.fixture
def people(app):
    """Everyone the questions are asked about, around one verified institution (``home``)
    represented by ``rep``, ``suspended_rep`` and ``unconfirmed_rep``, and ``other`` which
    ``other_rep`` represents."""
    found = {
        "rep": new_user(Role.INSTITUTION, name="Active Rep", email="rep@home.example"),
        "suspended_rep": new_user(Role.INSTITUTION, email="suspended@home.example"),
        "unconfirmed_rep": new_user(Role.INSTITUTION, confirmed=False),
        "other_rep": new_user(Role.INSTITUTION),
        "coordinator": new_user(Role.COORDINATOR),
        "suspended_coordinator": new_user(Role.COORDINATOR),
        "admin": new_user(Role.ADMIN),
        "member": new_user(Role.MEMBER),
        "visitor": AnonymousUserMixin(),
        "nobody": None,
        "system": projects.SYSTEM_ACTOR,
    }
    home = make_institution(found["rep"], name="Home Hospital")
    _add_rep(home, found["suspended_rep"])
    _add_rep(home, found["unconfirmed_rep"])
    found["home"] = home
    found["other"] = make_institution(found["other_rep"], name="Other Hospital")
    _suspend(found["suspended_rep"])
    _suspend(found["suspended_coordinator"])
    return found


def _answers(people, question) -> dict:
    return {who: question(people[who]) for who in EVERYONE}


def _expect(true_for, false_value=False, true_value=True) -> dict:
    return {who: true_value if who in true_for else false_value for who in EVERYONE}


ACTIVE_ACCOUNTS = {"rep", "unconfirmed_rep", "other_rep", "coordinator", "admin", "member"}
HOME_REPS = {"rep", "unconfirmed_rep"}
COORDINATORS = {"coordinator", "admin"}


# --------------------------------------------------------------------------- accounts


def test_only_signed_in_accounts_that_are_not_suspended_are_active(people):
    assert _answers(people, permissions.is_active) == _expect(ACTIVE_ACCOUNTS)


def test_a_suspended_coordinator_is_no_coordinator(people):
    assert _answers(people, permissions.is_coordinator) == _expect(COORDINATORS)


def test_account_kinds_count_only_while_active(people):
    assert _answers(people, permissions.is_member) == _expect({"member"})
    assert _answers(people, permissions.is_institution_account) == _expect(
        {"rep", "unconfirmed_rep", "other_rep"}
    )


def test_taking_on_an_institution_needs_a_confirmed_active_institution_account(people):
    assert _answers(people, permissions.may_represent) == _expect({"rep", "other_rep"})


# --------------------------------------------------------------------------- representing


def test_represents(people):
    home = people["home"].id
    assert _answers(people, lambda u: permissions.represents(u, home)) == _expect(HOME_REPS)
    other = people["other"].id
    assert _answers(people, lambda u: permissions.represents(u, other)) == _expect({"other_rep"})


def test_represented_institution_ids(people):
    home, other = people["home"].id, people["other"].id
    expected = _expect(HOME_REPS, set(), {home}) | {"other_rep": {other}}
    assert _answers(people, permissions.represented_institution_ids) == expected


def test_represented_institution_ids_of_verified_institutions_only(people):
    pending = make_institution(
        people["rep"], status=InstitutionStatus.PENDING, name="Pending Clinic"
    )
    assert permissions.represented_institution_ids(people["rep"]) == {people["home"].id, pending.id}
    assert permissions.represented_institution_ids(people["rep"], verified=True) == {
        people["home"].id
    }


def test_represented_institutions_by_name(people):
    second = make_institution(people["rep"], name="Abbey Clinic")
    home = people["home"]
    expected = _expect(HOME_REPS, [], [home]) | {
        "rep": [second, home],
        "other_rep": [people["other"]],
    }
    assert _answers(people, permissions.represented_institutions) == expected


def test_representatives_are_the_active_ones(people):
    home = people["home"].id
    assert permissions.representatives(home) == [people["rep"], people["unconfirmed_rep"]]
    assert permissions.representatives(people["other"].id) == [people["other_rep"]]
    people["suspended_rep"].suspended_at = None
    db.session.commit()
    assert people["suspended_rep"] in permissions.representatives(home)


# --------------------------------------------------------------------------- institutions


def test_may_manage_institution(people):
    home = people["home"]
    answers = _answers(people, lambda u: permissions.may_manage_institution(u, home))
    assert answers == _expect(HOME_REPS | COORDINATORS)


@pytest.mark.parametrize("status", [InstitutionStatus.PENDING, InstitutionStatus.REJECTED])
def test_unverified_institutions_are_seen_by_those_who_manage_them(people, status):
    home = people["home"]
    assert _answers(people, lambda u: permissions.may_view_institution(u, home)) == _expect(
        EVERYONE
    )
    home.status = status
    db.session.commit()
    answers = _answers(people, lambda u: permissions.may_view_institution(u, home))
    assert answers == _expect(HOME_REPS | COORDINATORS)


# --------------------------------------------------------------------------- projects


@pytest.mark.parametrize(
    "status", [ProjectStatus.DRAFT, ProjectStatus.PENDING, ProjectStatus.CLOSED]
)
def test_unpublished_projects_are_seen_by_their_reps_and_coordinators(people, status):
    project = make_project(people["home"], status=ProjectStatus.PUBLISHED)
    assert _answers(people, lambda u: permissions.may_view_project(u, project)) == _expect(EVERYONE)
    project.status = status
    db.session.commit()
    answers = _answers(people, lambda u: permissions.may_view_project(u, project))
    assert answers == _expect(HOME_REPS | COORDINATORS)


def test_the_transition_roles_come_from_the_same_answers(people):
    project = make_project(people["home"], status=ProjectStatus.PUBLISHED)
    roles = _answers(people, lambda u: projects.roles_of(u, project))
    assert roles == {
        "rep": {projects.REP},
        "suspended_rep": set(),
        "unconfirmed_rep": {projects.REP},
        "other_rep": set(),
        "coordinator": {projects.COORDINATOR},
        "suspended_coordinator": set(),
        "admin": {projects.COORDINATOR},
        "member": set(),
        "visitor": set(),
        "nobody": set(),
        "system": {projects.SYSTEM},
    }


# --------------------------------------------------------------------------- applications


def _apply(member: User, project: Project):
    if profiles.profile_of(member) is None:
        with_profile(member)
    application, _ = applications.apply(member, project, MOTIVATION, Engagement())
    db.session.commit()
    return application


def test_side_of_an_application(people):
    application = _apply(
        people["member"], make_project(people["home"], status=ProjectStatus.PUBLISHED)
    )
    expected = _expect({"member"}, None, permissions.MEMBER_SIDE) | dict.fromkeys(
        HOME_REPS, permissions.INSTITUTION_SIDE
    )
    assert _answers(people, lambda u: permissions.side_of(u, application)) == expected
    assert _answers(people, lambda u: permissions.is_applicant(u, application)) == _expect(
        {"member"}
    )
    _suspend(people["member"])
    assert permissions.side_of(people["member"], application) is None
    assert not permissions.is_applicant(people["member"], application)


def test_applied_institution_ids_leave_out_withdrawn_applications(people):
    member, second = people["member"], new_user(Role.MEMBER)
    assert permissions.applied_institution_ids(member.id) == set()
    _apply(member, make_project(people["home"], status=ProjectStatus.PUBLISHED))
    withdrawn = _apply(member, make_project(people["other"], status=ProjectStatus.PUBLISHED))
    _apply(second, make_project(people["other"], title="Second", status=ProjectStatus.PUBLISHED))
    home, other = people["home"].id, people["other"].id
    assert permissions.applied_institution_ids(member.id) == {home, other}
    applications.withdraw(member, withdrawn)
    db.session.commit()
    assert permissions.applied_institution_ids(member.id) == {home}
    assert permissions.applied_institution_ids_of([member.id, second.id, people["rep"].id]) == {
        member.id: {home},
        second.id: {other},
    }


def test_represents_institution_applied_to(people):
    member = people["member"]
    _apply(member, make_project(people["home"], status=ProjectStatus.PUBLISHED))
    answers = _answers(
        people, lambda u: permissions.represents_institution_applied_to(u, member.id)
    )
    assert answers == _expect(HOME_REPS)


# --------------------------------------------------------------------------- notifications


def test_a_notification_is_opened_only_by_its_active_recipient(people):
    notes = {}
    for who in ("rep", "suspended_rep", "member"):
        note = notifications.notify(people[who], "moderation", "Something happened", "/")
        db.session.commit()
        notes[who] = note
    for who, note in notes.items():
        answers = _answers(people, lambda u, note=note: permissions.is_recipient(u, note))
        assert answers == _expect({who} - {"suspended_rep"}), who


# --------------------------------------------------------------------------- one rule, two forms


@pytest.mark.parametrize("status", list(ProjectStatus))
def test_project_is_open_is_one_rule_in_python_and_sql(people, status):
    today = utcnow().date()
    cases = []
    for deadline in (None, today - timedelta(days=1), today, today + timedelta(days=1)):
        for filled in (0, 1, 2):
            project = make_project(
                people["home"],
                title=f"{deadline} {filled}",
                places=2,
                deadline=deadline,
                status=ProjectStatus.PUBLISHED,
            )
            project.places_filled, project.status = filled, status
            cases.append(project)
    db.session.commit()
    in_sql = set(db.session.scalars(sa.select(Project.id).where(Project.is_open(today))))
    in_python = {project.id for project in cases if project.is_open(today)}
    assert in_sql == in_python
    expected = status == ProjectStatus.PUBLISHED
    assert bool(in_python) is expected
    assert len(in_python) == (6 if expected else 0)  # deadline none, today or later; a place
    listed = set(db.session.scalars(projects.listed_query(today).with_only_columns(Project.id)))
    assert listed == in_python


def test_user_is_active_is_one_rule_in_python_and_sql(people):
    users = db.session.scalars(sa.select(User)).all()
    in_sql = set(db.session.scalars(sa.select(User.id).where(User.is_active)))
    assert in_sql == {user.id for user in users if user.is_active}
    assert people["suspended_rep"].id not in in_sql and people["rep"].id in in_sql


# --------------------------------------------------------------------------- workflows


FORM = {
    "name": "Renamed Hospital",
    "kind": "hospital",
    "country": "GH",
    "city": "Accra",
    "website": "",
    "email_domain": "",
    "description": "",
}


@pytest.mark.parametrize("who", ["suspended_rep", "suspended_coordinator"])
def test_suspended_managers_cannot_change_an_institution(people, who):
    """Editing, inviting and removing representatives let both through before."""
    home, actor = people["home"], people[who]
    colleague = db.session.scalar(
        sa.select(InstitutionRepresentative).where(
            InstitutionRepresentative.user_id == people["unconfirmed_rep"].id
        )
    )
    with pytest.raises(NotAllowed):
        institutions.update(actor, home, FORM)
    with pytest.raises(NotAllowed):
        institutions.invite(actor, home, "someone@home.example")
    with pytest.raises(NotAllowed):
        institutions.remove_representative(actor, home, colleague.id)
    db.session.rollback()
    assert home.name == "Home Hospital" and len(home.representatives) == 3
    institutions.update(people["rep"], home, FORM)
    assert home.has_pending_change  # the active representative still may


def test_suspended_coordinators_cannot_decide(people):
    """Verifying institutions, suspending accounts and the restricted view of a profile let
    them through before."""
    actor = people["suspended_coordinator"]
    profile = profiles.profile_of(with_profile(people["member"]))
    pending = make_institution(people["rep"], status=InstitutionStatus.PENDING, name="New")
    project = make_project(people["home"], status=ProjectStatus.PENDING)
    refused = [
        lambda: institutions.verify(actor, pending),
        lambda: projects.decide(actor, project, "approve"),
        lambda: moderation.queue(actor),
        lambda: accounts.suspend(actor, people["member"], "spam"),
        lambda: profiles.record_restricted_view(actor, profile, "Checking a report"),
        lambda: discovery.expert_clearance(actor),
    ]
    for attempt in refused:
        with pytest.raises(NotAllowed):
            attempt()
        db.session.rollback()
    assert pending.status == InstitutionStatus.PENDING and project.status == ProjectStatus.PENDING
    assert people["member"].is_active


def test_a_suspended_representative_acts_on_no_application(people):
    """Their inbox listed the institution's waiting applications before."""
    member, rep, suspended = people["member"], people["rep"], people["suspended_rep"]
    application = _apply(member, make_project(people["home"], status=ProjectStatus.PUBLISHED))
    assert application_lists.inbox_of(rep) == [application]
    assert application_lists.inbox_of(suspended) == []
    with pytest.raises(NotFound):
        application_lists.applicants_of(suspended, application.project)
    with pytest.raises(NotAllowed):
        applications.decide(suspended, application, "accept")
    with pytest.raises(NotFound):
        applications.get_application(suspended, application.id)
    assert discovery.may_search_experts(rep) and not discovery.may_search_experts(suspended)
    _suspend(member)
    with pytest.raises(NotAllowed):
        applications.withdraw(member, application)


def test_a_suspended_representative_gets_no_clearance(people):
    member = people["member"]
    with_profile(member, headline="Shared with institutions I applied to")
    profile = profiles.profile_of(member)
    profile.public = True
    db.session.commit()
    _apply(member, make_project(people["home"], status=ProjectStatus.PUBLISHED))
    clearance = {
        who: privacy.viewer_clearance(profile, people[who])
        for who in ("rep", "suspended_rep", "other_rep", "coordinator", "visitor")
    }
    assert clearance == {
        "rep": Audience.APPLIED,
        "suspended_rep": Audience.PUBLIC,
        "other_rep": Audience.SIGNED_IN,
        "coordinator": Audience.APPLIED,
        "visitor": Audience.PUBLIC,
    }
    assert privacy.viewer_clearance(profile, people["suspended_coordinator"], True) is None


# --------------------------------------------------------------------------- over HTTP


def _signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def test_http_a_suspended_representative_is_refused_on_every_institution_page(app, people):
    """Signed in before the suspension: each management page and form turns them away
    (to the login page) and changes nothing; an active colleague gets through. The session
    loader refuses them first; the services behind these pages refuse them too (above)."""
    home = people["home"]
    client = _signed_in(app, people["rep"])
    assert client.get(f"/institutions/{home.id}/representatives").status_code == 200
    _suspend(people["rep"])
    colleague = next(r for r in home.representatives if r.user_id == people["unconfirmed_rep"].id)
    attempts = [
        client.get(f"/institutions/{home.id}/edit"),
        client.post(f"/institutions/{home.id}/edit", data=FORM),
        client.get(f"/institutions/{home.id}/representatives"),
        client.post(f"/institutions/{home.id}/invite", data={"email": "new@home.example"}),
        client.post(f"/institutions/{home.id}/representatives/{colleague.id}/remove"),
        client.get("/institutions/mine"),
        client.get("/projects/mine"),
        client.get("/applications/inbox"),
    ]
    for response in attempts:
        assert response.status_code == 302 and "/login" in response.location
    db.session.refresh(home)
    assert home.name == "Home Hospital" and not home.has_pending_change
    assert len(home.representatives) == 3
    assert db.session.scalar(sa.select(sa.func.count(InstitutionInvitation.id))) == 0
    active = _signed_in(app, people["unconfirmed_rep"])
    assert active.get(f"/institutions/{home.id}/edit").status_code == 200


def test_http_a_suspended_coordinator_is_refused(app, people):
    pending = make_institution(people["other_rep"], status=InstitutionStatus.PENDING, name="P")
    client = _signed_in(app, people["suspended_coordinator"])
    for response in (
        client.get("/institutions/pending"),
        client.post(f"/institutions/{pending.id}/verify", data={"reason": "ok"}),
        client.get(f"/institutions/{pending.id}"),
    ):
        assert response.status_code in (302, 404)
    db.session.refresh(pending)
    assert pending.status == InstitutionStatus.PENDING


def _told(user: User) -> tuple[int, int]:
    """How many notifications and emails ``user`` has."""
    notes = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user.id)
    )
    mails = db.session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(OutboxMessage.recipient == user.email)
    )
    return notes, mails


def test_http_decisions_on_an_institution_reach_only_its_active_representatives(app, people):
    """A coordinator's decisions on the institution (verification, a refused change of name)
    used to reach suspended representatives too."""
    home, rep, suspended = people["home"], people["rep"], people["suspended_rep"]
    home.status = InstitutionStatus.PENDING
    db.session.commit()
    coordinator = _signed_in(app, people["coordinator"])
    coordinator.post(f"/institutions/{home.id}/verify", data={"reason": "Checked by phone"})
    db.session.refresh(home)
    assert home.is_verified
    assert _told(rep) == (1, 1)
    institutions.update(rep, home, FORM)
    db.session.commit()
    coordinator.post(f"/institutions/{home.id}/change/reject", data={"reason": "Not the name"})
    db.session.refresh(home)
    assert not home.has_pending_change
    assert _told(rep) == (2, 2)
    assert _told(suspended) == (0, 0)


def test_http_project_and_application_notices_skip_suspended_representatives(app, people):
    """Every path that tells an institution something asks the same list."""
    home, rep, suspended = people["home"], people["rep"], people["suspended_rep"]
    project = make_project(home, status=ProjectStatus.PENDING)
    coordinator = _signed_in(app, people["coordinator"])
    coordinator.post(
        f"/coordination/projects/{project.id}/review", data={"decision": "approve", "reason": ""}
    )
    db.session.refresh(project)
    assert project.status == ProjectStatus.PUBLISHED
    assert _told(rep)[0] == 1
    _apply(people["member"], project)
    assert _told(rep)[0] == 2
    assert _told(suspended) == (0, 0)
