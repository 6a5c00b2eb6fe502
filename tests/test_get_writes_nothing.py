"""GET requests write nothing: reading a page never changes what the database holds.

Marking updates read and confirming an address are buttons (POST); every GET page of the
app, walked by a member, a representative and a coordinator, runs no INSERT, UPDATE or
DELETE, except the one write listed in ``ALLOWED_WRITES`` with its reason.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from diaspora.extensions import db as _db
from diaspora.mail import deliver_pending
from diaspora.models import (
    Application,
    AuditEntry,
    FollowedNetwork,
    Notification,
    OutboxMessage,
    ProjectStatus,
    RemoteProject,
    Role,
    User,
)
from diaspora.models.base import utcnow
from diaspora.security import make_token
from diaspora.services import (
    accounts,
    api_keys,
    follow_ups,
    institutions,
    interviews,
    notifications,
    profiles,
)
from diaspora.services import applications as application_service
from diaspora.services.applications import Engagement
from tests.conftest import PASSWORD
from tests.factories import (
    MOTIVATION,
    make_institution,
    make_project,
    new_user,
    sign_in,
    with_profile,
)

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.IGNORECASE)

# Writes a GET may make, each with why it must stay.
ALLOWED_WRITES = {
    # A coordinator's look at a member's page (and at the form asking why they need the
    # restricted fields) is recorded when the page is shown: the member reads it in their
    # access log, and a record made later (by a button) would miss the looks themselves.
    "audit_entries": {profiles.COORDINATOR_VIEW, profiles.RESTRICTED_FORM},
}


def _values(parameters):
    """Every value bound to a statement (one row or many, by position or by name)."""
    rows = parameters if isinstance(parameters, list) else [parameters]
    for row in rows:
        yield from row.values() if isinstance(row, dict) else row


def _allowed(statement: str, parameters) -> bool:
    match = re.match(r"\s*INSERT\s+INTO\s+\"?(\w+)", statement, re.IGNORECASE)
    if match is None or match.group(1) not in ALLOWED_WRITES:
        return False
    return bool(ALLOWED_WRITES[match.group(1)] & set(map(str, _values(parameters))))


class Writes:
    """The writing statements the app's engine runs while listening."""

    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if WRITE.match(statement) and not _allowed(statement, parameters):
            self.seen.append(statement.split("\n")[0][:120])


@pytest.fixture
def writes(app):
    listener = Writes()
    sa.event.listen(_db.engine, "before_cursor_execute", listener)
    yield listener
    sa.event.remove(_db.engine, "before_cursor_execute", listener)


def _token(template: str) -> str:
    """The token at the end of the link in the mail queued from ``template``."""
    message = _db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.template == template))
    return re.search(r"https?://\S+/([^/\s]+)", message.body_text).group(1)


@pytest.fixture
def world(app, db):
    """People and records so that every page with an id or a token has something to show."""
    rep = new_user(Role.INSTITUTION, email="rep@aau.example")
    member = with_profile(new_user(Role.MEMBER, email="member@example.org"), listed=True)
    coordinator = new_user(Role.COORDINATOR, email="coordinator@example.org")
    institution = make_institution(rep)
    project = make_project(institution, status=ProjectStatus.PUBLISHED)
    application, _ = application_service.apply(member, project, MOTIVATION, Engagement())
    application_service.post_message(rep, application, "Could you start in March?")
    application_service.decide(rep, application, "shortlist")
    soon = (datetime.now(UTC) + timedelta(days=7)).replace(tzinfo=None, microsecond=0)
    proposal = interviews.propose(rep, application, [soon], "UTC", 60, "Room 12")
    interviews.choose(member, application, proposal.slots[0].id)
    newcomer = new_user(Role.MEMBER, email="newcomer@example.org", confirmed=False)
    institutions.invite(rep, institution, "colleague@aau.example")
    accounts.request_password_reset(member.email)
    accounts.request_email_change(member, PASSWORD, "moved@example.org")
    key, _secret = api_keys.create_key(rep, "Their system", "read")
    network = FollowedNetwork(feed_url="https://dakar.example/feeds/projects.json")
    remote_url = "https://dakar.example/projects/1"
    network.projects.append(RemoteProject(remote_id=remote_url, url=remote_url, title="Midwives"))
    db.session.add(network)
    db.session.commit()
    deliver_pending()  # what the setup queued, as the request that wrote it would have sent it
    return {
        "people": {"member": member, "rep": rep, "coordinator": coordinator},
        "args": {
            "project_id": project.id,
            "application_id": application.id,
            "institution_id": institution.id,
            "user_id": member.id,
            "key_id": key.id,
            "network_id": network.id,
            "filename": "style.css",
            "key": "funnel",  # an impact dashboard table
        },
        "tokens": {
            "auth.confirm": make_token("confirm", {"uid": newcomer.id, "email": newcomer.email}),
            "auth.confirm_email_change": _token("confirm_email_change"),
            "auth.reset": _token("reset_password"),
            "institutions.accept_invitation": _token("institution_invitation"),
            "notifications.unsubscribe": notifications.unsubscribe_token(member, "message"),
            # No engagement here is followed up yet: the link is refused (its own tests
            # check that opening a real one writes nothing).
            "follow_ups.answer": follow_ups.token_for(1, member.id),
        },
    }


def _get_pages(app, world):
    """Every GET address of the app, with the world's ids and tokens in its arguments."""
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {
            name: world["tokens"][rule.endpoint] if name == "token" else world["args"][name]
            for name in rule.arguments
        }
        pages.append(rule.build(values)[1])
    return sorted(pages)


@pytest.mark.search_index
@pytest.mark.parametrize("role", ["member", "rep", "coordinator"])
def test_no_get_page_writes(app, world, writes, role):
    client = app.test_client()
    sign_in(client, world["people"][role])
    pages = _get_pages(app, world)
    assert len(pages) > 50
    assert "/applications" in pages and f"/members/{world['args']['user_id']}" in pages
    for page in pages:
        response = client.get(page)
        assert response.status_code < 500, page
        assert writes.seen == [], f"GET {page} as {role} wrote: {writes.seen}"


def test_a_coordinators_look_is_the_one_write_and_is_recorded(app, world, writes):
    """The exception above is real: a coordinator's GET of a member's page is in the
    member's access log."""
    client = app.test_client()
    sign_in(client, world["people"]["coordinator"])
    member_id = world["args"]["user_id"]
    assert client.get(f"/members/{member_id}").status_code == 200
    assert client.get(f"/members/{member_id}/restricted").status_code == 200
    _db.session.rollback()
    actions = _db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.subject_user_id == member_id)
    ).all()
    assert sorted(actions) == sorted([profiles.COORDINATOR_VIEW, profiles.RESTRICTED_FORM])
    assert writes.seen == []


# --------------------------------------------------------------------------- updates read


def _read_at(user):
    _db.session.rollback()
    return dict(
        _db.session.execute(
            sa.select(Notification.id, Notification.read_at).where(
                Notification.user_id == user.id, Notification.application_id.is_not(None)
            )
        ).all()
    )


@pytest.mark.parametrize(
    ("role", "page"), [("member", "/applications"), ("rep", "/applications/inbox")]
)
def test_the_updates_page_leaves_them_unread_until_the_button(app, world, role, page):
    person = world["people"][role]
    other = world["people"]["rep" if role == "member" else "member"]
    client = app.test_client()
    sign_in(client, person)
    before, others_before = _read_at(person), _read_at(other)
    assert before and all(read_at is None for read_at in before.values())

    shown = client.get(page)
    assert shown.status_code == 200
    assert "Mark all as read" in shown.get_data(as_text=True)
    assert shown.get_data(as_text=True).count('class="unread"') == len(before)
    client.get(page)
    assert _read_at(person) == before

    response = client.post("/applications/updates/read")
    assert response.status_code == 302 and response.headers["Location"] == page
    after = _read_at(person)
    assert after.keys() == before.keys() and all(after.values())
    assert _read_at(other) == others_before  # only the person's own
    again = client.get(page).get_data(as_text=True)
    assert 'class="unread"' not in again and "Mark all as read" not in again


def test_marking_updates_read_is_a_form_with_its_token(app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    sign_in(client, world["people"]["member"])
    page = client.get("/applications").get_data(as_text=True)
    form = re.search(r'action="/applications/updates/read">\s*<input[^>]*name="csrf_token"', page)
    assert form is not None
    assert client.post("/applications/updates/read").status_code == 400  # no token
    assert all(read_at is None for read_at in _read_at(world["people"]["member"]).values())


# --------------------------------------------------------------------------- links in mail


def test_opening_a_confirmation_link_confirms_nothing_until_the_button(app, world):
    client = app.test_client()
    newcomer = _db.session.scalar(sa.select(User).where(User.email == "newcomer@example.org"))
    link = f"/confirm/{world['tokens']['auth.confirm']}"
    page = client.get(link)
    assert page.status_code == 200
    assert "newcomer@example.org" in page.get_data(as_text=True)
    _db.session.refresh(newcomer)
    assert not newcomer.is_confirmed
    assert client.post(link).status_code == 302
    _db.session.refresh(newcomer)
    assert newcomer.is_confirmed


def test_opening_an_address_change_link_changes_nothing_until_the_button(app, world):
    member = world["people"]["member"]
    client = app.test_client()
    link = f"/account/email/confirm/{world['tokens']['auth.confirm_email_change']}"
    page = client.get(link)
    assert page.status_code == 200 and "moved@example.org" in page.get_data(as_text=True)
    _db.session.refresh(member)
    assert member.email == "member@example.org" and member.pending_email == "moved@example.org"
    assert client.post(link).status_code == 302
    _db.session.refresh(member)
    assert member.email == "moved@example.org" and member.pending_email is None


# --------------------------------------------------------------------------- completion


@pytest.mark.parametrize("role", ["member", "rep"])
def test_the_completion_page_asks_and_writes_nothing(app, world, writes, role):
    """The walk above sees the completion page refuse a waiting application; here it is
    shown for real, for an accepted engagement that has started, on both sides."""
    application = _db.session.get(Application, world["args"]["application_id"])
    application_service.decide(world["people"]["rep"], application, "accept")
    application.decided_at = utcnow() - timedelta(days=8)
    _db.session.commit()
    deliver_pending()  # what the setup queued, as the request that wrote it would have sent it
    writes.seen.clear()
    client = app.test_client()
    sign_in(client, world["people"][role])
    page = client.get(f"/applications/{application.id}/complete")
    assert page.status_code == 200
    assert "Yes, mark it completed" in page.get_data(as_text=True)
    assert writes.seen == []
    _db.session.expire_all()
    assert _db.session.get(Application, application.id).member_completed_at is None
