"""Every project transition by every role: allowed ones work, others change nothing.

The expectations are written out here, independently of the service's own table. Every case
runs against the service, as a view would run it (commit on success, rollback on refusal).
Over HTTP runs one case for each action, role and outcome that role meets for that action:
each route shows once that it turns each outcome into the right answer (a redirect, a 403, a
login redirect, an explanation).

The people are made once for the module; each case has a project of its own.
"""

import itertools

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import AuditEntry, Project, ProjectStatus, Role
from diaspora.services import projects
from diaspora.services.errors import Invalid, NotAllowed
from diaspora.services.projects import InvalidTransition
from tests.conftest import login
from tests.factories import make_institution, make_project, new_user

S = ProjectStatus
ROLES = ("anonymous", "member", "rep", "other_rep", "coordinator", "admin")
ACTIONS = (
    "submit",
    "approve",
    "request_changes",
    "reject",
    "unpublish",
    "close",
    "complete",
    "archive",
)
REASON = "Please state who pays for travel."

# (from status, action) -> (resulting status, roles that may do it)
ALLOWED = {
    (S.DRAFT, "submit"): (S.PENDING, {"rep"}),
    (S.CHANGES_REQUESTED, "submit"): (S.PENDING, {"rep"}),
    (S.PENDING, "approve"): (S.PUBLISHED, {"coordinator", "admin"}),
    (S.PENDING, "request_changes"): (S.CHANGES_REQUESTED, {"coordinator", "admin"}),
    (S.PENDING, "reject"): (S.REJECTED, {"coordinator", "admin"}),
    (S.PUBLISHED, "unpublish"): (S.CHANGES_REQUESTED, {"coordinator", "admin"}),
    (S.PUBLISHED, "close"): (S.CLOSED, {"rep", "coordinator", "admin"}),
    (S.CLOSED, "complete"): (S.COMPLETED, {"rep", "coordinator", "admin"}),
    (S.COMPLETED, "archive"): (S.ARCHIVED, {"rep", "coordinator", "admin"}),
}
# Which roles may ever take an action (in some state).
MAY = {}
for (_, action), (_, roles) in ALLOWED.items():
    MAY.setdefault(action, set()).update(roles)


def expected(status, action, role):
    """ok, login (anonymous sent to log in), forbidden (403) or conflict (wrong state)."""
    target, roles = ALLOWED.get((status, action), (None, set()))
    if role in roles:
        return "ok", target
    if role == "anonymous":
        return "login", status
    if role in MAY[action]:
        return "conflict", status
    return "forbidden", status


CASES = list(itertools.product(list(S), ACTIONS, ROLES))


def _one_case_per_outcome():
    """For each action and role, the first status (in order) of each outcome it meets."""
    chosen = {}
    for status, action, role in CASES:
        chosen.setdefault((action, role, expected(status, action, role)[0]), status)
    return [(status, action, role) for (action, role, _), status in chosen.items()]


HTTP_CASES = _one_case_per_outcome()


class _Anonymous:
    is_authenticated = False
    is_active = False
    is_coordinator = False
    id = None


@pytest.fixture(scope="module")
def world(module_app):
    """An institution with its rep, another institution's rep, and one user of each other
    role, all able to log in with the test password."""
    rep = new_user(Role.INSTITUTION, email="rep@korlebu.example")
    other_rep = new_user(Role.INSTITUTION, email="rep@other.example")
    people = {
        "rep": rep,
        "other_rep": other_rep,
        "institution": make_institution(rep=rep),
        "member": new_user(Role.MEMBER, email="member@diaspora.example"),
        "coordinator": new_user(Role.COORDINATOR, email="coordinator@diaspora.example"),
        "admin": new_user(Role.ADMIN, email="admin@diaspora.example"),
    }
    make_institution(rep=other_rep, name="University of Rwanda")
    return people


@pytest.fixture(autouse=True)
def _end_each_case(world):
    """Whatever a case leaves uncommitted is rolled back before the next one."""
    yield
    db.session.rollback()


def _stored_status(project):
    return db.session.scalar(sa.select(Project.status).where(Project.id == project.id))


def _audit_count(**filters):
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry).filter_by(**filters)
    )


@pytest.mark.parametrize(("status", "action", "role"), CASES)
def test_transition_in_service(status, action, role, world):
    project = make_project(world["institution"], status=status)
    actor = world[role] if role != "anonymous" else _Anonymous()
    outcome, target = expected(status, action, role)
    audit_before = _audit_count()

    if outcome == "ok":
        projects.transition(actor, project, action, REASON)
        assert project.status == target
        db.session.commit()
        assert _stored_status(project) == target
        entries = db.session.scalars(
            sa.select(AuditEntry).filter_by(action=f"project.{action}", target_id=project.id)
        ).all()
        assert len(entries) == 1
        assert entries[0].actor_id == actor.id
        assert entries[0].reason == REASON
        return
    error = NotAllowed if outcome in ("forbidden", "login") else InvalidTransition
    with pytest.raises(error) as raised:
        projects.transition(actor, project, action, REASON)
    if outcome == "conflict":  # the explanation a view shows names the project's state
        assert status.label.lower() in str(raised.value)
    assert project.status == status
    assert not db.session.new
    assert not db.session.dirty
    db.session.rollback()
    assert _stored_status(project) == status
    assert _audit_count() == audit_before, "nothing may change"


def test_the_http_sample_meets_every_outcome_of_every_action():
    outcomes = {(action, expected(status, action, role)[0]) for status, action, role in CASES}
    sampled = {(action, expected(status, action, role)[0]) for status, action, role in HTTP_CASES}
    assert sampled == outcomes
    assert {role for _, _, role in HTTP_CASES} == set(ROLES)


def _http(client, project, action):
    data = {"reason": REASON}
    if action in ("approve", "request_changes", "reject"):
        return client.post(
            f"/coordination/projects/{project.id}/review", data={"decision": action, **data}
        )
    if action == "unpublish":
        return client.post(f"/coordination/projects/{project.id}/unpublish", data=data)
    return client.post(f"/projects/{project.id}/status/{action}", data=data)


@pytest.mark.parametrize(("status", "action", "role"), HTTP_CASES)
def test_transition_over_http(status, action, role, world, module_app):
    project = make_project(world["institution"], status=status)
    client = module_app.test_client()
    if role != "anonymous":
        login(client, world[role].email)
    audit_before = _audit_count()

    response = _http(client, project, action)

    outcome, target = expected(status, action, role)
    db.session.expire_all()
    assert db.session.get(Project, project.id).status == target
    if outcome == "ok":
        assert response.status_code == 302
        assert _audit_count(action=f"project.{action}", target_id=project.id) == 1
    else:
        assert _audit_count() == audit_before, "nothing may change"
        if outcome == "forbidden":
            assert response.status_code == 403
        elif outcome == "login":
            assert response.status_code == 302
            assert "/login" in response.headers["Location"]
        else:
            # Allowed role, wrong state: an explanation, not an error page.
            assert response.status_code in (200, 302)
            assert "/login" not in response.headers.get("Location", "")


def test_reasons_are_required_for_refusals(world):
    project = make_project(world["institution"], status=S.PENDING)
    for action in ("reject", "request_changes"):
        with pytest.raises(Invalid):
            projects.transition(world["coordinator"], project, action, "   ")
    assert project.status == S.PENDING


def test_system_closes_but_cannot_moderate(world):
    project = make_project(world["institution"], status=S.PENDING)
    with pytest.raises(NotAllowed):
        projects.transition(projects.SYSTEM_ACTOR, project, "approve")
    project.status = S.PUBLISHED
    projects.transition(projects.SYSTEM_ACTOR, project, "close", "deadline")
    assert project.status == S.CLOSED


def test_suspended_rep_may_not_act(world):
    rep = world["rep"]
    project = make_project(world["institution"], status=S.DRAFT)
    rep.suspended_at = project.created_at
    with pytest.raises(NotAllowed):
        projects.submit(rep, project)
