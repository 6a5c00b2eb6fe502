"""Internal names never reach people: project histories, the audit log, saved searches,
institution and mail statuses are worded as people read them."""

import re

import pytest

from diaspora.extensions import db
from diaspora.models import AuditEntry, InstitutionStatus, ProjectStatus, Role
from diaspora.models.audit import action_label, status_change
from diaspora.models.outbox import OutboxStatus
from diaspora.services import projects
from diaspora.services.notifications import Frequency, set_preference
from tests.factories import make_institution, make_project, new_user, sign_in

S = ProjectStatus
RAW = re.compile(r"pending_review|changes_requested|\w+ -> \w+|project\.\w+|-&gt;")


@pytest.fixture
def moderated(app):
    """A project submitted by its representative, then published by a coordinator, then
    closed on schedule."""
    rep = new_user(role=Role.INSTITUTION, name="Ama Owusu")
    coordinator = new_user(role=Role.COORDINATOR, name="Leila Haddad")
    project = make_project(make_institution(rep), status=S.DRAFT)
    projects.submit(rep, project)
    projects.decide(coordinator, project, "approve")
    projects.close(projects.SYSTEM_ACTOR, project, "The application deadline passed.")
    db.session.commit()
    return rep, coordinator, project


def history_text(page: str) -> str:
    return page.split("<h2>History</h2>", 1)[1].split("</section>", 1)[0]


def test_history_says_what_happened_in_words_and_status_labels(moderated):
    rep, coordinator, project = moderated
    entries = projects.history(project)
    assert [e.what for e in entries] == [
        "Closed to applications",
        "Published by a coordinator",
        "Submitted for review",
    ]
    assert [e.status for e in entries] == [S.CLOSED, S.PUBLISHED, S.PENDING]
    assert [e.reason for e in entries] == ["The application deadline passed.", "", ""]
    assert [e.by for e in entries] == ["The platform", "Leila Haddad", "Ama Owusu"]


def test_project_page_history_shows_no_internal_names(client, moderated):
    rep, coordinator, project = moderated
    sign_in(client, rep)
    history = history_text(client.get(f"/projects/{project.id}").get_data(as_text=True))
    assert "Submitted for review (now awaiting review)" in history
    assert "Published by a coordinator (now published)" in history
    assert "The application deadline passed." in history
    assert not RAW.search(history), RAW.search(history)


def test_review_page_history_names_who_acted_in_words(client, moderated):
    rep, coordinator, project = moderated
    sign_in(client, coordinator)
    page = client.get(f"/coordination/projects/{project.id}/review").get_data(as_text=True)
    history = history_text(page)
    assert "Leila Haddad</span> · Published by a coordinator" in history
    assert "The platform</span> · Closed to applications" in history
    assert not RAW.search(history), RAW.search(history)


def test_audit_log_shows_actions_and_status_changes_in_words(client, moderated):
    rep, coordinator, project = moderated
    sign_in(client, coordinator)
    page = client.get("/coordination/audit").get_data(as_text=True)
    table = page.split("<tbody>", 1)[1]
    assert "<td>Project submitted for review</td>" in table
    assert "Draft to Awaiting review" in table
    assert not RAW.search(table), RAW.search(table)
    assert '<option value="project.submit">Project submitted for review' in page


def test_an_older_entry_keeps_a_reason_someone_wrote():
    entry = AuditEntry(action="project.reject", target_type="project", reason="a -> b")
    assert entry.reason_text == "a -> b"  # not project statuses: what someone wrote
    assert status_change("draft -> pending_review") == (S.DRAFT, S.PENDING)
    assert status_change("draft -> nowhere") is None


def test_unknown_actions_are_worded_from_their_names():
    assert action_label("invitation.sent_again") == "Invitation: sent again"


@pytest.mark.parametrize(
    "frequency, wording",
    [
        (Frequency.DAILY, "reach you by email in your daily digest."),
        (Frequency.WEEKLY, "reach you by email in your weekly digest."),
        (Frequency.OFF, "You get no email about new projects matching these searches."),
    ],
)
def test_saved_searches_page_says_how_often_in_plain_words(client, app, frequency, wording):
    member = new_user()
    set_preference(member, "saved_search", frequency)
    db.session.commit()
    sign_in(client, member)
    page = client.get("/search/saved").get_data(as_text=True)
    assert wording in page
    assert "digest digest" not in page and "off digest" not in page.lower()


def test_saved_projects_and_saved_searches_link_to_each_other(client, app):
    sign_in(client, new_user())
    assert 'href="/search/saved"' in client.get("/projects/saved").get_data(as_text=True)
    assert 'href="/projects/saved"' in client.get("/search/saved").get_data(as_text=True)


def test_dashboard_words_an_institution_waiting_for_verification(client, app):
    rep = new_user(role=Role.INSTITUTION)
    make_institution(rep, status=InstitutionStatus.PENDING)
    sign_in(client, rep)
    page = client.get("/projects/mine").get_data(as_text=True)
    assert "Waiting for verification" in page
    assert ">Pending<" not in page


def test_mail_page_words_each_delivery_status(client, app):
    sign_in(client, new_user(role=Role.COORDINATOR))
    page = client.get("/coordination/mail").get_data(as_text=True)
    stats = page.split('<ul class="stats">', 1)[1].split("</ul>", 1)[0]
    for status in OutboxStatus:
        assert f"</strong> {status.label}</li>" in stats
    assert "</strong> queued</li>" not in stats
