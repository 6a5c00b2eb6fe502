"""Moderation: the queue, reviews with screening, emails, reports and the audit log."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import (
    AuditEntry,
    InstitutionStatus,
    ProjectReport,
    ProjectStatus,
    ReportStatus,
    Role,
)
from diaspora.models.base import utcnow
from diaspora.services import moderation, projects
from diaspora.services.errors import Conflict, Invalid, NotAllowed
from tests.conftest import first_link, text_of
from tests.factories import make_institution, make_project

S = ProjectStatus
FEE_TEXT = "Selected candidates pay a registration fee of $200 before the mission starts."


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, email="kwame@kbth.example", name="Kwame Mensah")


@pytest.fixture
def institution(rep):
    return make_institution(rep=rep)


@pytest.fixture
def coordinator(make_user):
    return make_user(role=Role.COORDINATOR, email="leila@diaspora.example", name="Leila Haddad")


def _submitted(rep, institution, **fields):
    project = make_project(institution, status=S.DRAFT, **fields)
    projects.submit(rep, project)
    db.session.commit()
    return project


# --------------------------------------------------------------------------- screening


def test_fee_listing_is_flagged_and_highlighted_on_review(
    client, auth, db, rep, institution, coordinator
):
    project = _submitted(rep, institution, description=FEE_TEXT)
    assert project.status == S.PENDING
    assert project.flagged
    assert project.screening[0]["rule_id"] == "applicant-fees"
    assert project.screening[0]["matches"][0]["field"] == "description"

    auth.login(coordinator)
    queue = client.get("/coordination/queue").get_data(as_text=True)
    assert "Flagged" in queue and "Fees charged to applicants" in queue
    review = client.get(f"/coordination/projects/{project.id}/review").get_data(as_text=True)
    assert '<mark class="flag"' in review
    assert ">registration fee</mark>" in review or "registration fee</mark>" in review
    assert "ILO General Principles" in review  # the rule's plain-language explanation


def test_clean_listing_is_not_flagged_but_still_needs_approval(
    client, auth, db, rep, institution, coordinator
):
    project = _submitted(rep, institution)
    assert project.status == S.PENDING
    assert not project.flagged and project.screening == []
    assert client.get("/projects/").get_data(as_text=True).count("project-card") == 0
    auth.login(coordinator)
    review = client.get(f"/coordination/projects/{project.id}/review").get_data(as_text=True)
    assert "<mark" not in review and "No screening matches" in review


def test_flagged_listings_come_first_then_oldest(db, rep, institution, coordinator):
    clean = _submitted(rep, institution, title="Clean one")
    flagged = _submitted(rep, institution, title="Fee one", description=FEE_TEXT)
    clean.submitted_at = utcnow() - timedelta(days=3)
    older_clean = _submitted(rep, institution, title="Older clean")
    older_clean.submitted_at = utcnow() - timedelta(days=5)
    db.session.commit()
    ordered = [p.title for p in moderation.queue(coordinator).projects]
    assert ordered == [flagged.title, older_clean.title, clean.title]


def test_highlighted_text_is_escaped(client, auth, db, rep, institution, coordinator):
    project = _submitted(
        rep, institution, description="<script>alert(1)</script> registration fee of $200"
    )
    auth.login(coordinator)
    review = client.get(f"/coordination/projects/{project.id}/review").get_data(as_text=True)
    assert "<script>alert(1)" not in review
    assert "&lt;script&gt;" in review


# --------------------------------------------------------------------------- queue


def test_queue_lists_institutions_projects_reports_with_count_in_nav(
    client, auth, db, rep, institution, coordinator, make_user
):
    make_institution(status=InstitutionStatus.PENDING, name="Hôpital de Kigali")
    _submitted(rep, institution)
    published = make_project(institution, status=S.PUBLISHED, title="Published one")
    member = make_user()
    moderation.report_project(member, published, "scam", "The phone number is foreign.")
    db.session.commit()

    auth.login(coordinator)
    page = client.get("/coordination/queue").get_data(as_text=True)
    assert 'Queue <span class="count">(3)</span>' in page
    assert "Hôpital de Kigali" in page
    assert "The phone number is foreign." in page
    assert "Looks like a scam" in page


def test_institution_link_only_when_institutions_review_exists(client, auth, db, coordinator, app):
    make_institution(status=InstitutionStatus.PENDING, name="Pending Clinic")
    auth.login(coordinator)
    page = client.get("/coordination/queue").get_data(as_text=True)
    if "institutions.review" in app.view_functions:
        assert "/review" in page.split("Pending Clinic")[0].rsplit("<li", 1)[1]
    else:
        assert '<span dir="auto">Pending Clinic</span>' in page


@pytest.mark.parametrize("role", [Role.MEMBER, Role.INSTITUTION])
def test_moderation_pages_are_for_coordinators_only(client, auth, db, make_user, role, institution):
    project = make_project(institution, status=S.PENDING)
    auth.login(make_user(role=role))
    for url in (
        "/coordination/queue",
        "/coordination/audit",
        f"/coordination/projects/{project.id}/review",
    ):
        assert client.get(url).status_code == 403
    assert "Queue" not in client.get("/").get_data(as_text=True)
    with pytest.raises(NotAllowed):
        moderation.queue(make_user(role=role))


# --------------------------------------------------------------------------- decisions + mail


@pytest.mark.parametrize(
    ("decision", "status", "words"),
    [
        ("approve", S.PUBLISHED, "approved and published"),
        ("request_changes", S.CHANGES_REQUESTED, "sent back for changes"),
        ("reject", S.REJECTED, "rejected"),
    ],
)
def test_decisions_reach_the_reps_by_real_smtp(
    mail_config,
    smtp_server,
    app,
    client,
    auth,
    db,
    rep,
    institution,
    coordinator,
    decision,
    status,
    words,
):
    project = _submitted(rep, institution, title="Cardiology mentoring")
    auth.login(coordinator)
    response = client.post(
        f"/coordination/projects/{project.id}/review",
        data={"decision": decision, "reason": "Please name who pays for travel."},
    )
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.status == status
    [message] = smtp_server.to(rep.email)
    body = text_of(message)
    assert "Cardiology mentoring" in body
    assert words in body and words in message["Subject"]
    assert "Please name who pays for travel." in body
    assert first_link(message, "/projects/mine").startswith("http://diaspora.test/")
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == f"project.{decision}")
    ).one()
    assert (entry.actor_id, entry.target_id) == (coordinator.id, project.id)

    auth.logout()
    auth.login(rep)
    dashboard = client.get("/projects/mine").get_data(as_text=True)
    assert "Cardiology mentoring" in dashboard
    if decision != "approve":
        assert "Please name who pays for travel." in dashboard


def test_unpublish_with_reason(
    mail_config, smtp_server, app, client, auth, db, rep, institution, coordinator
):
    project = make_project(institution, status=S.PUBLISHED, title="Old listing")
    auth.login(coordinator)
    assert client.post(f"/coordination/projects/{project.id}/unpublish", data={}).status_code == 302
    db.session.refresh(project)
    assert project.status == S.PUBLISHED, "no reason, no change"
    client.post(
        f"/coordination/projects/{project.id}/unpublish",
        data={"reason": "Reports say the contact is unreachable."},
    )
    db.session.refresh(project)
    assert project.status == S.CHANGES_REQUESTED
    assert "Old listing" not in client.get("/projects/").get_data(as_text=True)
    assert "unreachable" in text_of(smtp_server.to(rep.email)[0])


def test_rejecting_needs_a_reason(client, auth, db, rep, institution, coordinator):
    project = _submitted(rep, institution)
    auth.login(coordinator)
    page = client.post(
        f"/coordination/projects/{project.id}/review", data={"decision": "reject", "reason": ""}
    ).get_data(as_text=True)
    assert "Give a reason" in page
    db.session.refresh(project)
    assert project.status == S.PENDING


# --------------------------------------------------------------------------- reports


def test_report_once_and_resolve(client, auth, db, institution, coordinator, make_user):
    project = make_project(institution, status=S.PUBLISHED)
    member = make_user()
    auth.login(member)
    assert client.get(f"/projects/{project.id}/report").status_code == 200
    client.post(f"/projects/{project.id}/report", data={"reason": "fees", "comment": "Asks $50"})
    again = client.post(
        f"/projects/{project.id}/report",
        data={"reason": "scam", "comment": "again"},
        follow_redirects=True,
    )
    assert "already reported" in again.get_data(as_text=True)
    report = db.session.scalars(sa.select(ProjectReport)).one()
    assert (report.reason.value, report.comment, report.status) == (
        "fees",
        "Asks $50",
        ReportStatus.OPEN,
    )

    auth.logout()
    auth.login(coordinator)
    client.post(
        f"/coordination/reports/{report.id}/resolve",
        data={"outcome": "act", "note": "Fee confirmed.", "unpublish": "y"},
    )
    db.session.refresh(report)
    db.session.refresh(project)
    assert report.status == ReportStatus.ACTIONED and report.resolved_by_id == coordinator.id
    assert project.status == S.CHANGES_REQUESTED
    assert project.status_reason == "Fee confirmed."
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"report.act", "project.unpublish"} <= actions


def test_report_validation(db, institution, make_user, coordinator):
    project = make_project(institution, status=S.PUBLISHED)
    member = make_user()
    with pytest.raises(Invalid):
        moderation.report_project(member, project, "not-a-reason")
    draft = make_project(institution, status=S.DRAFT)
    with pytest.raises(NotAllowed):
        moderation.report_project(member, draft, "fees")
    report = moderation.report_project(member, project, "other", "x")
    db.session.commit()
    with pytest.raises(NotAllowed):
        moderation.resolve_report(member, report, "dismiss", "no")
    with pytest.raises(Invalid):
        moderation.resolve_report(coordinator, report, "dismiss", " ")
    moderation.resolve_report(coordinator, report, "dismiss", "Nothing wrong.")
    assert report.status == ReportStatus.DISMISSED
    with pytest.raises(Conflict):
        moderation.resolve_report(coordinator, report, "act", "twice")


def test_anonymous_cannot_report(client, db, institution):
    project = make_project(institution, status=S.PUBLISHED)
    response = client.post(f"/projects/{project.id}/report", data={"reason": "fees"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(sa.select(sa.func.count(ProjectReport.id))) == 0


# --------------------------------------------------------------------------- audit log


def test_audit_log_filters(client, auth, db, rep, institution, coordinator, make_user):
    other = make_user(role=Role.COORDINATOR, name="Samuel Okafor")
    first = _submitted(rep, institution, title="First")
    second = _submitted(rep, institution, title="Second")
    projects.decide(coordinator, first, "approve")
    projects.decide(other, second, "reject", "Out of scope.")
    db.session.commit()

    auth.login(coordinator)
    page = client.get("/coordination/audit?action=project.reject").get_data(as_text=True)
    assert "Out of scope." in page and "Project published by a coordinator</td>" not in page
    page = client.get("/coordination/audit?actor=leila").get_data(as_text=True)
    assert "Project published by a coordinator</td>" in page and "Out of scope." not in page
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    page = client.get(f"/coordination/audit?since={tomorrow}").get_data(as_text=True)
    assert "No entries match." in page
    today = utcnow().date().isoformat()
    page = client.get(f"/coordination/audit?since={today}&until={today}").get_data(as_text=True)
    assert "Out of scope." in page
    assert client.get("/coordination/audit?since=not-a-date&page=999999").status_code == 200
