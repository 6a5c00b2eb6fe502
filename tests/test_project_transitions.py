"""Every project transition by every role: allowed ones work, others change nothing.

The expectations are written out here, independently of the service's own table.
"""

import itertools

import pytest

from diaspora.extensions import db
from diaspora.models import AuditEntry, ProjectStatus, Role, User
from diaspora.models.base import utcnow
from diaspora.services import projects
from diaspora.services.accounts import PermissionDenied
from diaspora.services.projects import InvalidTransition
from tests.conftest import PASSWORD
from tests.factories import make_institution, make_project

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


@pytest.fixture(scope="module")
def password_hash():
    """One Argon2 hash of the test password, shared: hashing per user would dominate."""
    user = User()
    user.set_password(PASSWORD)
    return user.password_hash


@pytest.fixture
def person(db, password_hash):
    """A confirmed user of ``role`` who can log in with the test password."""

    def make(role, email):
        user = User(
            name=email.split("@")[0],
            email=email,
            role=role,
            password_hash=password_hash,
            email_confirmed_at=utcnow(),
            terms_accepted_at=utcnow(),
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def world(person):
    """An institution with its rep and a project; other roles are made on demand."""
    rep = person(Role.INSTITUTION, "rep@korlebu.example")
    institution = make_institution(rep=rep)
    other_rep = person(Role.INSTITUTION, "rep@other.example")
    make_institution(rep=other_rep, name="University of Rwanda")
    return {"rep": rep, "other_rep": other_rep, "institution": institution}


ROLE_OF = {"member": Role.MEMBER, "coordinator": Role.COORDINATOR, "admin": Role.ADMIN}


def _user_for(role, world, person):
    if role in ("rep", "other_rep"):
        return world[role]
    if role == "anonymous":
        return None
    return person(ROLE_OF[role], f"{role}@diaspora.example")


def _http(client, project, action):
    data = {"reason": "Please state who pays for travel."}
    if action in ("approve", "request_changes", "reject"):
        return client.post(
            f"/coordination/projects/{project.id}/review", data={"decision": action, **data}
        )
    if action == "unpublish":
        return client.post(f"/coordination/projects/{project.id}/unpublish", data=data)
    return client.post(f"/projects/{project.id}/status/{action}", data=data)


@pytest.mark.parametrize(("status", "action", "role"), CASES)
def test_transition_over_http(status, action, role, world, client, auth, person):
    project = make_project(world["institution"], status=status)
    user = _user_for(role, world, person)
    if user is not None:
        auth.login(user)
    audit_before = db.session.query(AuditEntry).count()

    response = _http(client, project, action)

    outcome, target = expected(status, action, role)
    db.session.expire_all()
    assert db.session.get(type(project), project.id).status == target
    if outcome == "ok":
        assert response.status_code == 302
        assert db.session.query(AuditEntry).filter_by(action=f"project.{action}").count() == 1
    else:
        assert db.session.query(AuditEntry).count() == audit_before, "nothing may change"
        if outcome == "forbidden":
            assert response.status_code == 403
        elif outcome == "login":
            assert response.status_code == 302
            assert "/login" in response.headers["Location"]
        else:
            # Allowed role, wrong state: an explanation, not an error page.
            assert response.status_code in (200, 302)
            assert "/login" not in response.headers.get("Location", "")


@pytest.mark.parametrize(("status", "action", "role"), CASES)
def test_transition_in_service(status, action, role, world, person):
    project = make_project(world["institution"], status=status)
    user = _user_for(role, world, person)
    actor = user if user is not None else _Anonymous()
    outcome, target = expected(status, action, role)
    reason = "Please state who pays for travel."

    if outcome == "ok":
        projects.transition(actor, project, action, reason)
        assert project.status == target
        return
    error = PermissionDenied if outcome in ("forbidden", "login") else InvalidTransition
    with pytest.raises(error):
        projects.transition(actor, project, action, reason)
    assert project.status == status
    assert not db.session.new and not db.session.dirty


class _Anonymous:
    is_authenticated = False
    is_active = False
    is_coordinator = False
    id = None


def test_reasons_are_required_for_refusals(world, make_user):
    coordinator = make_user(role=Role.COORDINATOR)
    project = make_project(world["institution"], status=S.PENDING)
    for action in ("reject", "request_changes"):
        with pytest.raises(projects.ProjectError):
            projects.transition(coordinator, project, action, "   ")
    assert project.status == S.PENDING


def test_system_closes_but_cannot_moderate(world):
    project = make_project(world["institution"], status=S.PENDING)
    with pytest.raises(PermissionDenied):
        projects.transition(projects.SYSTEM_ACTOR, project, "approve")
    project.status = S.PUBLISHED
    projects.transition(projects.SYSTEM_ACTOR, project, "close", "deadline")
    assert project.status == S.CLOSED


def test_suspended_rep_may_not_act(world, make_user):
    rep: User = world["rep"]
    project = make_project(world["institution"], status=S.DRAFT)
    rep.suspended_at = project.created_at
    with pytest.raises(PermissionDenied):
        projects.submit(rep, project)
