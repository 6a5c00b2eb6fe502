"""Projects: writing, submitting, visibility, listings, freshness and hostile input."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.models import (
    InstitutionStatus,
    OutboxMessage,
    Project,
    ProjectStatus,
    Role,
    Skill,
    User,
)
from diaspora.models.base import utcnow
from diaspora.services import projects
from diaspora.services.errors import Conflict, Invalid
from tests.factories import form_data, make_institution, make_project

S = ProjectStatus


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, email="rep@ur.example", name="Jean Habimana")


@pytest.fixture
def institution(rep):
    return make_institution(rep=rep, name="University of Rwanda")


def _only_project(db):
    return db.session.scalars(sa.select(Project)).one()


def test_rep_creates_a_draft_with_skills_and_languages(client, auth, db, rep, institution):
    db.session.add(Skill(name="Solar energy", key="solar energy", sector="energy", curated=True))
    db.session.commit()
    auth.login(rep)
    page = client.get(f"/projects/new/{institution.id}").get_data(as_text=True)
    assert 'list="skills-list"' in page and '<option value="Solar energy">' in page

    response = client.post(f"/projects/new/{institution.id}", data=form_data())

    assert response.status_code == 302
    project = _only_project(db)
    assert project.status == S.DRAFT
    assert project.institution_id == institution.id
    assert [s.name for s in project.skills] == ["Grid design", "Project management", "Solar energy"]
    curated = {s.name: s.curated for s in project.skills}
    assert curated == {"Solar energy": True, "Project management": False, "Grid design": False}
    assert project.languages == ["en", "fr"]
    assert project.duration_weeks == 12


def test_extra_form_fields_are_ignored(client, auth, db, rep, institution, make_user):
    other = make_institution(rep=make_user(role=Role.INSTITUTION), name="Other")
    auth.login(rep)
    hostile = form_data(
        status="published",
        institution_id=str(other.id),
        places_filled="2",
        published_at="2020-01-01T00:00:00",
        flagged="y",
        created_by_id="999",
    )
    client.post(f"/projects/new/{institution.id}", data=hostile)
    project = _only_project(db)
    assert project.status == S.DRAFT
    assert project.institution_id == institution.id
    assert project.places_filled == 0
    assert project.published_at is None
    assert project.created_by_id == rep.id

    client.post(f"/projects/{project.id}/edit", data=hostile | {"title": "Edited"})
    db.session.refresh(project)
    assert project.title == "Edited"
    assert (project.status, project.institution_id, project.places_filled) == (
        S.DRAFT,
        institution.id,
        0,
    )


def test_rep_of_another_institution_cannot_create_or_edit(client, auth, db, institution, make_user):
    outsider = make_user(role=Role.INSTITUTION)
    make_institution(rep=outsider, name="Outsider Clinic")
    project = make_project(institution, status=S.DRAFT)
    auth.login(outsider)
    assert client.post(f"/projects/new/{institution.id}", data=form_data()).status_code == 403
    assert client.get(f"/projects/{project.id}/edit").status_code == 404
    assert client.post(f"/projects/{project.id}/edit", data=form_data()).status_code == 404
    db.session.refresh(project)
    assert project.title == "Training nurses in neonatal care"


def test_unverified_institution_cannot_submit(client, auth, db, make_user):
    rep = make_user(role=Role.INSTITUTION)
    pending = make_institution(rep=rep, status=InstitutionStatus.PENDING, name="New NGO")
    auth.login(rep)
    client.post(f"/projects/new/{pending.id}", data=form_data())
    project = _only_project(db)

    response = client.post(f"/projects/{project.id}/status/submit", follow_redirects=True)

    assert "must be verified" in response.get_data(as_text=True)
    db.session.refresh(project)
    assert project.status == S.DRAFT
    assert project.submitted_at is None


def test_unconfirmed_rep_cannot_submit(db, make_user):
    rep = make_user(role=Role.INSTITUTION, confirmed=False)
    project = make_project(make_institution(rep=rep), status=S.DRAFT)
    with pytest.raises(Conflict, match="Confirm your email"):
        projects.submit(rep, project)
    assert project.status == S.DRAFT


def test_submitting_past_deadline_is_refused(db, rep, institution):
    project = make_project(
        institution, status=S.DRAFT, deadline=utcnow().date() - timedelta(days=1)
    )
    with pytest.raises(Conflict, match="deadline"):
        projects.submit(rep, project)


@pytest.mark.parametrize("status", [S.PENDING, S.PUBLISHED, S.REJECTED, S.CLOSED])
def test_only_drafts_and_changes_requested_are_editable(client, auth, db, rep, institution, status):
    project = make_project(institution, status=status)
    auth.login(rep)
    response = client.post(f"/projects/{project.id}/edit", data=form_data(title="Sneaky edit"))
    assert "can be edited" in response.get_data(as_text=True)
    db.session.refresh(project)
    assert project.title != "Sneaky edit"
    assert project.status == status


def test_resubmission_after_changes_is_screened_again(db, rep, institution):
    project = make_project(institution, status=S.CHANGES_REQUESTED)
    projects.update_project(
        rep,
        project,
        projects.ProjectData(
            **vars(projects.project_data(project))
            | {"description": "Selected candidates must pay a registration fee of $200."}
        ),
    )
    projects.submit(rep, project)
    assert project.status == S.PENDING
    assert project.flagged
    assert project.screening[0]["rule_id"] == "applicant-fees"


def test_form_errors_are_shown_next_to_fields(client, auth, db, rep, institution):
    auth.login(rep)
    response = client.post(
        f"/projects/new/{institution.id}",
        data=form_data(title="", country="XX", sector="astrology", places="0"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="error"') >= 4
    assert db.session.scalar(sa.select(sa.func.count(Project.id))) == 0


def test_too_many_skills_is_a_clear_error(client, auth, db, rep, institution):
    auth.login(rep)
    many = ", ".join(f"Skill {n}" for n in range(20))
    response = client.post(f"/projects/new/{institution.id}", data=form_data(**{"skills-0": many}))
    assert "at most 15 skills" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Project.id))) == 0


# --------------------------------------------------------------------------- visibility


@pytest.mark.parametrize("status", [s for s in S if s != S.PUBLISHED])
def test_unpublished_projects_are_404_for_the_public(
    client, auth, db, institution, status, rep, make_user
):
    project = make_project(institution, status=status)
    assert client.get(f"/projects/{project.id}").status_code == 404
    auth.login(make_user())
    assert client.get(f"/projects/{project.id}").status_code == 404
    auth.logout()
    auth.login(rep)
    assert client.get(f"/projects/{project.id}").status_code == 200
    auth.logout()
    auth.login(make_user(role=Role.COORDINATOR))
    assert client.get(f"/projects/{project.id}").status_code == 200


def test_published_page_shows_what_a_member_needs_and_the_apply_button(client, db, institution):
    project = make_project(
        institution, status=S.PUBLISHED, places=3, places_filled=1, info_url="https://kbth.gov.gh"
    )
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    for expected in (
        project.title,
        institution.name,
        "Verified institution",
        "2 left of 3",
        project.deadline.strftime("%d %b %Y"),
        "Ghana",
        "Expenses covered",
        "English",
        "Dr Ama Owusu",
        'href="https://kbth.gov.gh"',
    ):
        assert expected in page
    assert f'href="/projects/{project.id}/apply">Apply to this project' in page


def test_public_list_paginates_and_home_shows_newest(client, db, institution):
    for n in range(25):
        make_project(institution, status=S.PUBLISHED, title=f"Project number {n:02d}")
    make_project(institution, status=S.DRAFT, title="Secret draft")
    first = client.get("/projects/").get_data(as_text=True)
    second = client.get("/projects/?page=2").get_data(as_text=True)
    assert first.count('class="card project-card"') == 20
    assert second.count('class="card project-card"') == 5
    assert "Page 1 of 2" in first
    assert "Secret draft" not in first + second
    assert client.get("/projects/?page=1000000000").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert home.count('class="card project-card"') == 3
    assert "Project number 24" in home


def test_past_deadline_projects_vanish_at_once_and_cli_closes_them(client, db, institution, runner):
    yesterday = utcnow().date() - timedelta(days=1)
    expired = make_project(
        institution, status=S.PUBLISHED, title="Expired call", deadline=yesterday
    )
    make_project(institution, status=S.PUBLISHED, title="Open call")
    make_project(institution, status=S.PUBLISHED, title="Full call", places=1, places_filled=1)
    listing = client.get("/projects/").get_data(as_text=True)
    assert "Open call" in listing
    assert "Expired call" not in listing and "Full call" not in listing
    assert "Expired call" not in client.get("/").get_data(as_text=True)

    result = runner.invoke(args=["projects", "close-expired"])
    assert result.exit_code == 0
    assert "Closed 1 project(s)" in result.output
    db.session.refresh(expired)
    assert expired.status == S.CLOSED and expired.closed_at is not None

    again = runner.invoke(args=["projects", "close-expired"])
    assert "Closed 0 project(s)" in again.output


def test_long_open_projects_are_asked_about_once_per_30_days(
    client, auth, db, rep, institution, runner
):
    long_ago = utcnow() - timedelta(days=61)
    project = make_project(institution, status=S.PUBLISHED, published_at=long_ago)
    make_project(institution, status=S.PUBLISHED, title="Fresh one")

    assert "Asked about 1" in runner.invoke(args=["projects", "remind-stale"]).output
    assert "Asked about 0" in runner.invoke(args=["projects", "remind-stale"]).output
    mails = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.template == "project_still_current")
    ).all()
    assert [m.recipient for m in mails] == [rep.email]
    assert "/projects/mine" in mails[0].body_text

    later = utcnow() + timedelta(days=31)
    assert projects.remind_stale(now=later) == 1

    auth.login(rep)
    dashboard = client.get("/projects/mine").get_data(as_text=True)
    assert "still current?" in dashboard
    assert client.get(f"/projects/{project.id}/still-current").status_code == 405
    client.post(f"/projects/{project.id}/still-current")
    db.session.refresh(project)
    assert project.confirmed_current_at is not None
    assert "still current?" not in client.get("/projects/mine").get_data(as_text=True)
    assert projects.remind_stale(now=utcnow() + timedelta(days=40)) == 0


def test_only_reps_confirm_still_current(client, auth, db, institution, make_user):
    project = make_project(institution, status=S.PUBLISHED)
    auth.login(make_user(role=Role.INSTITUTION))
    assert client.post(f"/projects/{project.id}/still-current").status_code == 403
    db.session.refresh(project)
    assert project.confirmed_current_at is None


def test_dashboard_shows_projects_by_status_with_feedback(
    client, auth, db, rep, institution, make_user
):
    make_project(institution, status=S.DRAFT, title="A draft")
    make_project(
        institution,
        status=S.CHANGES_REQUESTED,
        title="Needs work",
        status_reason="Say who pays for the flights.",
    )
    make_project(
        make_institution(rep=make_user(role=Role.INSTITUTION), name="Else"),
        status=S.DRAFT,
        title="Not mine",
    )
    auth.login(rep)
    page = client.get("/projects/mine").get_data(as_text=True)
    assert "Draft (1)" in page and "Changes requested (1)" in page
    assert "Say who pays for the flights." in page
    assert "Not mine" not in page
    assert "My projects" in page


# --------------------------------------------------------------------------- hostile input

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_xss_in_every_text_field_renders_as_text(client, auth, db, rep, institution):
    auth.login(rep)
    text_fields = ("title", "summary", "description", "region", "contact_name", "contact_role")
    data = form_data(**{name: f"{name} {XSS}" for name in text_fields}, **{"skills-0": XSS})
    data["title"] = "title " + XSS.replace('"', "")
    assert client.post(f"/projects/new/{institution.id}", data=data).status_code == 302
    project = _only_project(db)
    project.status = S.PUBLISHED
    project.published_at = utcnow()
    db.session.commit()
    for url in (f"/projects/{project.id}", "/projects/", "/", "/projects/mine"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in page, url
        assert "<img src=x" not in page, url
    assert "&lt;script&gt;" in client.get(f"/projects/{project.id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,x",
        "//evil.example",
        "ftp://files.example",
    ],
)
def test_non_http_links_are_refused(client, auth, db, rep, institution, link):
    auth.login(rep)
    response = client.post(f"/projects/new/{institution.id}", data=form_data(info_url=link))
    assert "must start with http" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Project.id))) == 0
    with pytest.raises(Invalid):
        projects.check_link(link)


def test_line_breaks_in_single_line_fields_are_refused(client, auth, db, rep, institution):
    auth.login(rep)
    response = client.post(
        f"/projects/new/{institution.id}", data=form_data(title="Nice\r\nBcc: x@evil.example")
    )
    assert "Line breaks are not allowed" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Project.id))) == 0


def test_demo_load_creates_projects_once(runner, db):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "6 new project(s)" in first.output
    assert "0 new project(s)" in runner.invoke(args=["demo", "load"]).output
    from diaspora.demo import DEMO_PROJECTS

    titles = [fields["title"] for _institution, _status, fields in DEMO_PROJECTS]
    by_title = {
        p.title: p for p in db.session.scalars(sa.select(Project).where(Project.title.in_(titles)))
    }
    assert len(by_title) == 6
    hydrology = by_title["Hydrology field course in the Nyabarongo basin"]
    assert {s.name for s in hydrology.skills} == {"Hydrology", "GIS for water networks"}
    assert by_title["Guest lecturers in water engineering"].flagged
    assert by_title["Mentoring paediatric cardiology residents"].status == S.PUBLISHED
    assert by_title["Mentoring paediatric cardiology residents"].institution.has_representative(
        db.session.scalar(sa.select(User).where(User.email.startswith("kwame.mensah")))
    )
