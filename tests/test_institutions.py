"""Institutions: registration, verification and rejection by mail, representatives, IDOR."""

import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import (
    AuditEntry,
    Institution,
    InstitutionRepresentative,
    InstitutionStatus,
    Role,
)
from tests.conftest import first_link, text_of
from tests.factories import make_institution, new_user, sign_in

FORM = {
    "name": "University of Rwanda",
    "kind": "university",
    "country": "RW",
    "city": "Kigali",
    "website": "https://ur.ac.rw",
    "email_domain": "ur.ac.rw",
    "description": "Public university.",
    "status": "verified",
}


def _client(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def test_representative_registers_a_pending_institution(app):
    rep = new_user(Role.INSTITUTION)
    client = _client(app, rep)
    response = client.post("/institutions/new", data=FORM)
    assert response.status_code == 302
    institution = db.session.scalar(sa.select(Institution))
    assert institution.status == InstitutionStatus.PENDING and not institution.is_verified
    assert institution.has_representative(rep)
    assert "University of Rwanda" in client.get("/institutions/mine").get_data(as_text=True)
    assert app.test_client().get(f"/institutions/{institution.id}").status_code == 404
    assert client.get(f"/institutions/{institution.id}").status_code == 200
    assert "My institutions" in client.get("/").get_data(as_text=True)


def test_registration_refuses_bad_links_members_and_unconfirmed(app):
    rep = new_user(Role.INSTITUTION)
    bad = _client(app, rep).post("/institutions/new", data={**FORM, "website": "javascript:x"})
    assert bad.status_code == 200 and "http" in bad.get_data(as_text=True)
    assert (
        _client(app, new_user(Role.MEMBER)).post("/institutions/new", data=FORM).status_code == 403
    )
    _client(app, new_user(Role.INSTITUTION, confirmed=False)).post("/institutions/new", data=FORM)
    assert db.session.scalar(sa.select(sa.func.count(Institution.id))) == 0


def test_verification_email_reaches_the_representatives(mail_config, smtp_server, app):
    rep = new_user(Role.INSTITUTION, email="kwame@kbth.example")
    institution = make_institution(rep, status=InstitutionStatus.PENDING)
    coordinator = _client(app, new_user(Role.COORDINATOR))
    assert "Korle Bu" in coordinator.get("/institutions/pending").get_data(as_text=True)
    assert coordinator.get(f"/institutions/{institution.id}/review").status_code == 200
    coordinator.post(f"/institutions/{institution.id}/verify", data={"reason": "Checked by phone"})
    db.session.refresh(institution)
    assert institution.is_verified
    (message,) = smtp_server.to("kwame@kbth.example")
    assert message["Subject"] == "Your institution is verified"
    assert first_link(message, f"/institutions/{institution.id}")
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "institution.verified")
    )
    assert entry.target_id == institution.id
    page = app.test_client().get(f"/institutions/{institution.id}").get_data(as_text=True)
    assert "Verified" in page


def test_rejection_needs_a_reason_and_emails_it(mail_config, smtp_server, app):
    rep = new_user(Role.INSTITUTION, email="fake@scam.example")
    institution = make_institution(rep, status=InstitutionStatus.PENDING, name="Visa Jobs Ltd")
    coordinator = _client(app, new_user(Role.COORDINATOR))
    coordinator.post(f"/institutions/{institution.id}/reject", data={"reason": ""})
    db.session.refresh(institution)
    assert institution.status == InstitutionStatus.PENDING
    coordinator.post(
        f"/institutions/{institution.id}/reject", data={"reason": "No such registered company"}
    )
    db.session.refresh(institution)
    assert institution.status == InstitutionStatus.REJECTED
    (message,) = smtp_server.to("fake@scam.example")
    assert message["Subject"] == "Your institution could not be verified"
    assert "No such registered company" in text_of(message)


def test_only_coordinators_review(app):
    rep = new_user(Role.INSTITUTION)
    institution = make_institution(rep, status=InstitutionStatus.PENDING)
    client = _client(app, rep)
    assert client.get("/institutions/pending").status_code == 403
    assert client.get(f"/institutions/{institution.id}/review").status_code == 403
    assert client.post(f"/institutions/{institution.id}/verify").status_code == 403
    db.session.refresh(institution)
    assert institution.status == InstitutionStatus.PENDING


def test_other_institutions_cannot_be_edited_or_managed(app):
    owner = new_user(Role.INSTITUTION)
    colleague = new_user(Role.INSTITUTION)
    institution = make_institution(owner)
    db.session.add(InstitutionRepresentative(institution_id=institution.id, user_id=colleague.id))
    db.session.commit()
    rep_id = institution.representatives[0].id
    attacker = _client(app, new_user(Role.INSTITUTION))
    member = _client(app, new_user(Role.MEMBER))
    for client in (attacker, member):
        assert client.get(f"/institutions/{institution.id}/edit").status_code == 403
        assert client.post(f"/institutions/{institution.id}/edit", data=FORM).status_code == 403
        assert client.get(f"/institutions/{institution.id}/representatives").status_code == 403
        assert (
            client.post(
                f"/institutions/{institution.id}/invite", data={"email": "x@example.org"}
            ).status_code
            == 403
        )
        assert (
            client.post(
                f"/institutions/{institution.id}/representatives/{rep_id}/remove"
            ).status_code
            == 403
        )
    db.session.refresh(institution)
    assert (
        institution.name == "Korle Bu Teaching Hospital" and len(institution.representatives) == 2
    )
    pending = make_institution(owner, status=InstitutionStatus.PENDING, name="Hidden one")
    assert attacker.get(f"/institutions/{pending.id}/edit").status_code == 404


def test_edit_ignores_extra_fields(app):
    rep = new_user(Role.INSTITUTION)
    institution = make_institution(rep, status=InstitutionStatus.PENDING)
    _client(app, rep).post(f"/institutions/{institution.id}/edit", data=FORM)
    db.session.refresh(institution)
    assert institution.name == "University of Rwanda"
    assert institution.status == InstitutionStatus.PENDING


def test_invite_accept_and_remove_but_not_the_last(mail_config, smtp_server, app):
    rep = new_user(Role.INSTITUTION)
    institution = make_institution(rep)
    client = _client(app, rep)
    client.post(f"/institutions/{institution.id}/invite", data={"email": "ama@kbth.example"})
    (message,) = smtp_server.to("ama@kbth.example")
    link = first_link(message, "/institutions/invitations/")
    token = link.rsplit("/", 1)[1]
    stored = db.session.scalar(sa.text("select token_hash from institution_invitations"))
    assert token not in stored and len(stored) == 64
    path = link.split("diaspora.test", 1)[1]
    stranger = _client(app, new_user(Role.INSTITUTION, email="other@example.org"))
    stranger.post(path)
    assert len(institution.representatives) == 1
    invited = new_user(Role.INSTITUTION, email="ama@kbth.example")
    invited_client = _client(app, invited)
    assert invited_client.get(path).status_code == 200
    invited_client.post(path)
    db.session.refresh(institution)
    assert institution.has_representative(invited)
    assert invited_client.post(path).status_code == 404
    mine = next(r for r in institution.representatives if r.user_id == rep.id)
    other = next(r for r in institution.representatives if r.user_id == invited.id)
    client.post(f"/institutions/{institution.id}/representatives/{other.id}/remove")
    db.session.refresh(institution)
    assert [r.user_id for r in institution.representatives] == [rep.id]
    client.post(f"/institutions/{institution.id}/representatives/{mine.id}/remove")
    db.session.refresh(institution)
    assert [r.user_id for r in institution.representatives] == [rep.id]


def test_public_page_lists_published_projects_only(app):
    from diaspora.models import Compensation, EngagementMode, Project, ProjectStatus, WorkMode

    institution = make_institution(new_user(Role.INSTITUTION))
    for title, status in (
        ("Midwifery course", ProjectStatus.PUBLISHED),
        ("Draft plan", ProjectStatus.DRAFT),
    ):
        db.session.add(
            Project(
                institution_id=institution.id,
                title=title,
                summary="s",
                description="d",
                country="GH",
                sector="health",
                engagement_mode=EngagementMode.TEACHING,
                work_mode=WorkMode.ONSITE,
                compensation=Compensation.EXPENSES,
                status=status,
            )
        )
    db.session.commit()
    page = app.test_client().get(f"/institutions/{institution.id}").get_data(as_text=True)
    assert "Midwifery course" in page and "Draft plan" not in page


# Changes of name or website on a verified institution wait for a coordinator.


def _rename(client, institution, **changes):
    data = {
        **FORM,
        "name": institution.name,
        "website": institution.website,
        "country": institution.country,
        "kind": institution.kind.value,
        **changes,
    }
    return client.post(f"/institutions/{institution.id}/edit", data=data)


def _verified_with_project(rep):
    from diaspora.models import ProjectStatus
    from tests.factories import make_project

    institution = make_institution(rep)
    institution.website = "https://kbth.example"
    db.session.commit()
    project = make_project(institution, status=ProjectStatus.PUBLISHED)
    return institution, project


def _audit_actions(institution) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.target_type == "institution", AuditEntry.target_id == institution.id)
            .order_by(AuditEntry.id)
        )
    )


def test_renaming_a_verified_institution_keeps_the_old_name_public(app):
    rep = new_user(Role.INSTITUTION)
    institution, project = _verified_with_project(rep)
    client = _client(app, rep)
    response = _rename(
        client, institution, name="Ministry of Visas", website="https://visas.example", city="Tema"
    )
    assert response.status_code == 302
    db.session.refresh(institution)
    assert institution.is_verified
    assert institution.name == "Korle Bu Teaching Hospital"
    assert institution.website == "https://kbth.example"
    assert institution.pending_name == "Ministry of Visas"
    assert institution.pending_website == "https://visas.example"
    assert institution.has_pending_change
    assert institution.city == "Tema"  # other details apply at once
    visitor = app.test_client()
    for path in (f"/institutions/{institution.id}", f"/projects/{project.id}"):
        page = visitor.get(path).get_data(as_text=True)
        assert "Korle Bu Teaching Hospital" in page
        assert "Ministry of Visas" not in page and "visas.example" not in page
    own_page = client.get(f"/institutions/{institution.id}").get_data(as_text=True)
    assert "Change waiting for review" in own_page and "Ministry of Visas" in own_page
    form_page = client.get(f"/institutions/{institution.id}/edit").get_data(as_text=True)
    assert 'value="Ministry of Visas"' in form_page
    assert _audit_actions(institution) == ["institution.change_requested"]
    coordinator = _client(app, new_user(Role.COORDINATOR))
    for path in (
        "/institutions/pending",
        "/coordination/queue",
        f"/institutions/{institution.id}/review",
    ):
        assert "Ministry of Visas" in coordinator.get(path).get_data(as_text=True)


def test_coordinator_approves_a_change_and_the_new_name_is_public(mail_config, smtp_server, app):
    from diaspora.models import Notification

    rep = new_user(Role.INSTITUTION, email="kwame@kbth.example")
    institution, project = _verified_with_project(rep)
    _rename(_client(app, rep), institution, name="Korle Bu University Hospital")
    assert (
        _client(app, rep).post(f"/institutions/{institution.id}/change/approve").status_code == 403
    )
    db.session.refresh(institution)
    assert institution.name == "Korle Bu Teaching Hospital"
    coordinator = _client(app, new_user(Role.COORDINATOR))
    coordinator.post(f"/institutions/{institution.id}/change/approve")
    db.session.refresh(institution)
    assert institution.name == "Korle Bu University Hospital"
    assert institution.website == "https://kbth.example"  # not part of the change
    assert not institution.has_pending_change and institution.pending_name is None
    page = app.test_client().get(f"/projects/{project.id}").get_data(as_text=True)
    assert "Korle Bu University Hospital" in page
    assert _audit_actions(institution)[-1] == "institution.change_approved"
    (message,) = smtp_server.to("kwame@kbth.example")
    assert message["Subject"] == "The change to your institution is approved"
    assert "Korle Bu University Hospital" in text_of(message)
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == rep.id))
    assert note.message == "The change to your institution is approved"


def test_coordinator_refuses_a_change_with_a_reason_the_representative_receives(
    mail_config, smtp_server, app
):
    from diaspora.models import Notification

    rep = new_user(Role.INSTITUTION, email="kwame@kbth.example")
    institution, _ = _verified_with_project(rep)
    _rename(_client(app, rep), institution, website="https://kbth-jobs.example")
    db.session.refresh(institution)
    assert institution.pending_name is None
    assert institution.pending_website == "https://kbth-jobs.example"
    coordinator = _client(app, new_user(Role.COORDINATOR))
    coordinator.post(f"/institutions/{institution.id}/change/reject", data={"reason": " "})
    db.session.refresh(institution)
    assert institution.has_pending_change
    assert smtp_server.to("kwame@kbth.example") == []
    coordinator.post(
        f"/institutions/{institution.id}/change/reject",
        data={"reason": "This domain is not registered to the hospital"},
    )
    db.session.refresh(institution)
    assert not institution.has_pending_change and institution.pending_website is None
    assert institution.website == "https://kbth.example" and institution.is_verified
    (message,) = smtp_server.to("kwame@kbth.example")
    assert message["Subject"] == "The change to your institution was not approved"
    body = text_of(message)
    assert "This domain is not registered to the hospital" in body
    assert "https://kbth-jobs.example" in body
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == rep.id))
    assert note.message == "The change to your institution was not approved"
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "institution.change_rejected")
    )
    assert entry.target_id == institution.id
    assert "not registered to the hospital" in entry.reason


def test_a_second_change_replaces_the_waiting_one_and_the_current_values_withdraw_it(app):
    rep = new_user(Role.INSTITUTION)
    institution, _ = _verified_with_project(rep)
    client = _client(app, rep)
    _rename(client, institution, name="First new name")
    _rename(client, institution, name="Second new name", website="https://second.example")
    db.session.refresh(institution)
    assert institution.pending_name == "Second new name"
    assert institution.pending_website == "https://second.example"
    assert institution.name == "Korle Bu Teaching Hospital"
    _rename(client, institution, name="Korle Bu Teaching Hospital", website="https://kbth.example")
    db.session.refresh(institution)
    assert not institution.has_pending_change
    assert (institution.pending_name, institution.pending_website) == (None, None)
    assert _audit_actions(institution) == [
        "institution.change_requested",
        "institution.change_requested",
        "institution.change_withdrawn",
    ]


def test_a_change_with_a_line_break_is_refused_at_the_form(app):
    rep = new_user(Role.INSTITUTION)
    institution, _ = _verified_with_project(rep)
    client = _client(app, rep)
    for changes in (
        {"name": "Korle Bu\r\nBcc: all@example.org"},
        {"name": "Korle Bu\u2028Hospital"},
        {"website": "https://kbth.example\r\nX: y"},
    ):
        response = _rename(client, institution, **changes)
        assert response.status_code == 200
        db.session.refresh(institution)
        assert not institution.has_pending_change
        assert institution.name == "Korle Bu Teaching Hospital"


def test_unverified_institution_and_coordinators_change_the_name_at_once(app):
    rep = new_user(Role.INSTITUTION)
    pending = make_institution(rep, status=InstitutionStatus.PENDING, name="Old pending")
    _rename(_client(app, rep), pending, name="New pending")
    db.session.refresh(pending)
    assert pending.name == "New pending" and not pending.has_pending_change
    verified, _ = _verified_with_project(rep)
    _rename(_client(app, new_user(Role.COORDINATOR)), verified, name="Corrected by staff")
    db.session.refresh(verified)
    assert verified.name == "Corrected by staff" and not verified.has_pending_change


def test_deciding_a_change_needs_a_waiting_change_and_a_coordinator(app):
    import pytest

    from diaspora.services import institutions
    from diaspora.services.errors import Conflict, NotAllowed

    rep = new_user(Role.INSTITUTION)
    institution, _ = _verified_with_project(rep)
    coordinator = new_user(Role.COORDINATOR)
    with pytest.raises(Conflict):
        institutions.approve_change(coordinator, institution)
    with pytest.raises(Conflict):
        institutions.reject_change(coordinator, institution, "No")
    institutions.update(rep, institution, {**FORM, "name": "Renamed", "country": "GH"})
    with pytest.raises(NotAllowed):
        institutions.approve_change(rep, institution)
    assert institution.name == "Korle Bu Teaching Hospital"
