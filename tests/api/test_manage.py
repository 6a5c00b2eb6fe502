"""The endpoints with a key: an institution's projects and applications, and the moderation
queue, with exactly the permissions and rules of the site's pages."""

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from diaspora.extensions import db
from diaspora.models import (
    Application,
    ApplicationStatus,
    AuditEntry,
    InstitutionStatus,
    Project,
    ProjectStatus,
    Role,
)
from diaspora.models.base import utcnow
from diaspora.models.outbox import OutboxMessage
from diaspora.services import api_keys
from diaspora.services.applications import Engagement
from diaspora.services.applications import apply as apply_to
from diaspora.services.profiles import profile_of
from tests.factories import (
    MARKERS,
    MOTIVATION,
    filled_profile,
    make_institution,
    make_project,
    new_user,
    sign_in,
)

BIG = 2**31
MANAGE = "/api/v1/manage"


def key_for(user, scope="write"):
    _key, token = api_keys.create_key(user, "Test system", scope)
    db.session.commit()
    return token


class Caller:
    """A client that sends one key with every request."""

    def __init__(self, client, token):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path, **kwargs):
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path, json=None, **kwargs):
        return self.client.post(path, json=json, headers=self.headers, **kwargs)

    def patch(self, path, json=None, **kwargs):
        return self.client.patch(path, json=json, headers=self.headers, **kwargs)


def new_project(**overrides):
    """A complete draft as a system would send it."""
    today = utcnow().date()
    data = {
        "title": "Solar power for rural health centres",
        "summary": "Advise our engineers on sizing solar systems for twelve clinics.",
        "description": "Remote advice over three months.\n\nWe provide all drawings.",
        "country": "RW",
        "region": "Huye",
        "sector": "energy",
        "skills": ["Solar energy", "Project management, Grid design"],
        "engagement_mode": "remote_advice",
        "work_mode": "remote",
        "start_date": (today + timedelta(days=60)).isoformat(),
        "duration_weeks": 12,
        "deadline": (today + timedelta(days=30)).isoformat(),
        "places": 2,
        "compensation": "volunteer",
        "languages": ["en", "fr"],
        "contact_name": "Jean Habimana",
        "contact_role": "Head of engineering",
        "info_url": "https://ur.ac.rw/solar",
    }
    data.update(overrides)
    return data


def problem_of(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


@pytest.fixture
def rep(db):
    return new_user(Role.INSTITUTION, name="Rep Ama")


@pytest.fixture
def institution(rep):
    return make_institution(rep)


@pytest.fixture
def api(client, rep, institution):
    return Caller(client, key_for(rep))


@pytest.fixture
def outsider(client, db):
    """A representative of another institution, with a write key."""
    other = new_user(Role.INSTITUTION, name="Rep Other")
    make_institution(other, name="Other University")
    return Caller(client, key_for(other))


@pytest.fixture
def coordinator(db):
    return new_user(Role.COORDINATOR, name="Coordinator Kofi")


@pytest.fixture
def applicant(db):
    """A member whose bio only they see, and who applied to a published project."""
    member = new_user(Role.MEMBER, name="Amina Member", email="amina@example.org")
    filled_profile(member, audiences={"bio": 0, "links": 1}, listed=True)
    return member


@pytest.fixture
def published(institution):
    return make_project(institution, status=ProjectStatus.PUBLISHED, places=2)


@pytest.fixture
def application(applicant, published):
    application, _created = apply_to(applicant, published, MOTIVATION, Engagement())
    db.session.commit()
    return application


# --------------------------------------------------------------------------- institutions


def test_a_representative_lists_the_institutions_they_represent(api, outsider, institution):
    response = api.get(f"{MANAGE}/institutions")
    assert response.status_code == 200
    assert [(i["id"], i["name"], i["status"]) for i in response.get_json()] == [
        (institution.id, institution.name, "verified")
    ]


def test_a_key_is_needed(client, institution):
    response = client.get(f"{MANAGE}/institutions")
    assert problem_of(response, 401)["status"] == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_projects_of_an_institution_in_every_status(api, outsider, institution):
    for status in (ProjectStatus.DRAFT, ProjectStatus.PENDING, ProjectStatus.CLOSED):
        make_project(institution, status=status, title=f"A {status.value} project")
    response = api.get(f"{MANAGE}/institutions/{institution.id}/projects")
    assert response.status_code == 200
    assert {p["status"] for p in response.get_json()} == {"draft", "pending_review", "closed"}
    problem_of(outsider.get(f"{MANAGE}/institutions/{institution.id}/projects"), 404)
    problem_of(api.get(f"{MANAGE}/institutions/{BIG}/projects"), 404)
    problem_of(api.get(f"{MANAGE}/institutions/0/projects"), 404)


# --------------------------------------------------------------------------- writing


def test_creating_a_draft(api, institution, rep):
    response = api.post(
        f"{MANAGE}/institutions/{institution.id}/projects",
        json=new_project(),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "draft"
    assert body["places_filled"] == 0
    assert body["institution_id"] == institution.id
    assert body["skills"] == ["Grid design", "Project management", "Solar energy"]
    project = db.session.get(Project, body["id"])
    assert project.created_by_id == rep.id
    assert project.title == "Solar power for rural health centres"


def test_a_draft_for_another_institution_is_not_found(outsider, institution):
    response = outsider.post(f"{MANAGE}/institutions/{institution.id}/projects", json=new_project())
    problem_of(response, 404)
    assert db.session.scalar(sa.select(sa.func.count(Project.id))) == 0


def test_a_read_key_cannot_create(client, rep, institution):
    reader = Caller(client, key_for(rep, scope="read"))
    response = reader.post(f"{MANAGE}/institutions/{institution.id}/projects", json=new_project())
    problem_of(response, 403)
    assert db.session.scalar(sa.select(sa.func.count(Project.id))) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": None}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Two\nlines"}, "title"),
        ({"title": "\x00\x01"}, "title"),
        ({"country": "XX"}, "country"),
        ({"sector": "astrology"}, "sector"),
        ({"compensation": "free"}, "compensation"),
        ({"places": BIG}, "places"),
        ({"places": "2"}, "places"),
        ({"places": 0}, "places"),
        ({"duration_weeks": 521}, "duration_weeks"),
        ({"deadline": "1899-12-31"}, "deadline"),
        ({"deadline": "not a date"}, "deadline"),
        ({"info_url": "javascript:alert(1)"}, "info_url"),
        ({"contact_name": ""}, "contact_name"),
        ({"languages": ["xx"]}, "languages"),
        ({"skills": [f"Skill {n}" for n in range(16)]}, "skills"),
    ],
)
def test_what_the_project_form_refuses_is_a_422_naming_the_field(api, institution, change, field):
    data = new_project(**change)
    data = {name: value for name, value in data.items() if value is not None}
    response = api.post(f"{MANAGE}/institutions/{institution.id}/projects", json=data)
    body = problem_of(response, 422)
    assert field in body["errors"]["json"], body
    assert db.session.scalar(sa.select(sa.func.count(Project.id))) == 0


def test_a_rule_of_the_service_is_a_422_too(api, institution):
    today = utcnow().date()
    response = api.post(
        f"{MANAGE}/institutions/{institution.id}/projects",
        json=new_project(
            start_date=(today + timedelta(days=5)).isoformat(),
            deadline=(today + timedelta(days=30)).isoformat(),
        ),
    )
    body = problem_of(response, 422)
    assert "deadline must come before the start date" in body["detail"]
    assert body["errors"]["json"]["_schema"]


def test_a_body_that_is_not_an_object_is_refused(api, institution):
    path = f"{MANAGE}/institutions/{institution.id}/projects"
    assert api.post(path, json=["a list"]).status_code == 422
    response = api.client.post(
        path, data="{not json", content_type="application/json", headers=api.headers
    )
    detail = problem_of(response, 400)["detail"]
    assert detail.startswith("The request could not be read: check that the body is valid JSON")
    assert "reload the page" not in detail


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_body_that_is_not_json_is_a_415(api, institution, method):
    project = make_project(institution, status=ProjectStatus.DRAFT)
    path = (
        f"{MANAGE}/institutions/{institution.id}/projects"
        if method == "post"
        else f"{MANAGE}/projects/{project.id}"
    )
    send = getattr(api.client, method)
    for content_type in ("application/x-www-form-urlencoded", "text/plain", None):
        response = send(path, data="title=Typed", content_type=content_type, headers=api.headers)
        body = problem_of(response, 415)
        assert body["detail"] == "Send the body as JSON with Content-Type: application/json."
        assert "errors" not in body
    db.session.refresh(project)
    assert project.title != "Typed"
    assert db.session.scalar(sa.select(sa.func.count(Project.id))) == 1


def test_a_write_without_a_body_needs_no_content_type(api, institution, published):
    response = api.client.post(
        f"{MANAGE}/projects/{published.id}/close",
        content_type="application/x-www-form-urlencoded",
        headers=api.headers,
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_method_not_allowed_is_told_in_the_words_of_an_api(api, institution):
    response = api.client.delete(
        f"{MANAGE}/institutions/{institution.id}/projects", data="x", headers=api.headers
    )
    body = problem_of(response, 405)
    assert body["detail"] == (
        "This method is not allowed here: the Allow header lists those that are."
    )
    assert "POST" in response.headers["Allow"]


def test_nul_bytes_are_removed_from_text(api, institution):
    response = api.post(
        f"{MANAGE}/institutions/{institution.id}/projects",
        json=new_project(title="Solar\x00 power", description="Remote\x00 advice."),
    )
    assert response.status_code == 201
    assert response.get_json()["title"] == "Solar power"
    assert response.get_json()["description"] == "Remote advice."


def test_lone_surrogates_are_removed_from_text(api, institution):
    path = f"{MANAGE}/institutions/{institution.id}/projects"
    body = json.dumps(new_project(title="Solar\ud800 power", skills=["Grid\udfff design"]))
    response = api.client.post(
        path, data=body, content_type="application/json", headers=api.headers
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["title"] == "Solar power"
    assert response.get_json()["skills"] == ["Grid design"]


def test_editing_changes_only_what_is_sent(api, institution):
    project = make_project(institution, status=ProjectStatus.DRAFT, duration_weeks=8)
    response = api.patch(
        f"{MANAGE}/projects/{project.id}", json={"title": "A better title", "places": 3}
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["title"], body["places"]) == ("A better title", 3)
    assert body["summary"] == "Two weeks of hands-on teaching in the neonatal unit."
    assert body["duration_weeks"] == 8
    assert body["contact_name"] == "Dr Ama Owusu"
    cleared = api.patch(f"{MANAGE}/projects/{project.id}", json={"duration_weeks": None})
    assert cleared.get_json()["duration_weeks"] is None
    refused = api.patch(f"{MANAGE}/projects/{project.id}", json={"deadline": None})
    assert "deadline" in problem_of(refused, 422)["errors"]["json"]


@pytest.mark.parametrize("method", ["post", "patch"])
def test_unknown_or_read_only_fields_are_a_422_naming_them(api, institution, method):
    project = make_project(institution, status=ProjectStatus.DRAFT)
    sent = {"titel": "typo", "status": "published", "places_filled": 2, "institution_id": 9}
    if method == "post":
        path = f"{MANAGE}/institutions/{institution.id}/projects"
        response = api.post(path, json=new_project(**sent))
    else:
        path = f"{MANAGE}/projects/{project.id}"
        response = api.patch(path, json=sent)
    body = problem_of(response, 422)
    assert set(body["errors"]["json"]) == set(sent)
    assert body["detail"] == "Check the fields named in errors."
    db.session.refresh(project)
    assert project.status == ProjectStatus.DRAFT
    assert db.session.scalar(sa.select(sa.func.count(Project.id))) == 1


def test_the_document_says_input_bodies_take_no_other_fields(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("ProjectInput", "ProjectPatch", "Reason", "Decision"):
        assert schemas[name]["additionalProperties"] is False


def test_a_decision_or_a_reason_with_an_unknown_field_is_refused(api, application, published):
    decided = api.post(
        f"{MANAGE}/applications/{application.id}/decision",
        json={"decision": "accept", "mesage": "Welcome"},
    )
    assert set(problem_of(decided, 422)["errors"]["json"]) == {"mesage"}
    closed = api.post(f"{MANAGE}/projects/{published.id}/close", json={"reasn": "x"})
    assert set(problem_of(closed, 422)["errors"]["json"]) == {"reasn"}
    db.session.refresh(application)
    assert application.status == ApplicationStatus.APPLIED


def test_a_published_project_cannot_be_edited(api, published):
    response = api.patch(f"{MANAGE}/projects/{published.id}", json={"title": "Changed"})
    problem_of(response, 409)
    db.session.refresh(published)
    assert published.title == "Training nurses in neonatal care"


def test_another_institutions_project_is_not_found(api, outsider, published):
    for response in (
        outsider.get(f"{MANAGE}/projects/{published.id}"),
        outsider.patch(f"{MANAGE}/projects/{published.id}", json={"title": "Mine now"}),
        outsider.post(f"{MANAGE}/projects/{published.id}/submit"),
        outsider.post(f"{MANAGE}/projects/{published.id}/close", json={}),
        outsider.get(f"{MANAGE}/projects/{published.id}/applications"),
    ):
        problem_of(response, 404)
    db.session.refresh(published)
    assert published.status == ProjectStatus.PUBLISHED
    assert api.get(f"{MANAGE}/projects/{published.id}").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        f"{MANAGE}/projects/{BIG}",
        f"{MANAGE}/projects/{BIG}/applications",
        f"{MANAGE}/applications/{BIG}",
        f"{MANAGE}/institutions/{BIG}/projects",
        f"{MANAGE}/projects/%00",
        f"{MANAGE}/applications/-1",
        f"{MANAGE}/projects/99999999999999999999",
    ],
)
def test_ids_beyond_the_database_range_are_not_found(api, path):
    problem_of(api.get(path), 404)


def test_writes_to_ids_beyond_the_range_are_not_found(api):
    problem_of(api.post(f"{MANAGE}/projects/{BIG}/submit"), 404)
    problem_of(api.post(f"{MANAGE}/applications/{BIG}/decision", json={"decision": "accept"}), 404)


def test_an_unverified_institution_cannot_submit(client, rep):
    pending = make_institution(rep, status=InstitutionStatus.PENDING, name="Waiting College")
    draft = make_project(pending, status=ProjectStatus.DRAFT)
    api = Caller(client, key_for(rep))
    body = problem_of(api.post(f"{MANAGE}/projects/{draft.id}/submit"), 409)
    assert "verified by a coordinator" in body["detail"]
    db.session.refresh(draft)
    assert draft.status == ProjectStatus.DRAFT


def test_submitting_screens_the_listing(api, institution):
    draft = make_project(
        institution,
        status=ProjectStatus.DRAFT,
        description="Applicants pay a registration fee of 200 dollars. Visa guaranteed.",
    )
    response = api.post(f"{MANAGE}/projects/{draft.id}/submit")
    assert response.status_code == 200
    assert response.get_json()["status"] == "pending_review"
    assert response.get_json()["flagged"] is True


def test_closing_needs_a_published_project(api, institution, published):
    draft = make_project(institution, status=ProjectStatus.DRAFT)
    problem_of(api.post(f"{MANAGE}/projects/{draft.id}/close", json={}), 409)
    too_long = api.post(f"{MANAGE}/projects/{published.id}/close", json={"reason": "x" * 2001})
    assert "reason" in problem_of(too_long, 422)["errors"]["json"]
    response = api.post(f"{MANAGE}/projects/{published.id}/close")
    assert response.status_code == 200
    assert response.get_json()["status"] == "closed"


# --------------------------------------------------------------------------- applications


def test_the_applicant_is_shown_only_as_the_member_shares(api, application, applicant):
    response = api.get(f"{MANAGE}/applications/{application.id}")
    assert response.status_code == 200
    body = response.get_json()
    text = response.get_data(as_text=True)
    assert body["applicant"]["name"] == "Amina Member"
    profile = body["applicant"]["profile"]
    assert profile["headline"] == MARKERS["headline"]
    assert "bio" not in profile  # only the member sees it
    assert "website" not in profile  # only coordinators see it
    assert MARKERS["bio"] not in text
    assert MARKERS["links"] not in text
    assert applicant.email not in text
    assert "user_id" not in profile


def test_the_page_and_the_api_agree_on_what_is_hidden(client, rep, application, applicant):
    sign_in(client, rep)
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert MARKERS["headline"] in page
    assert MARKERS["bio"] not in page
    assert applicant.email not in page


def test_a_hidden_profile_shows_no_name(api, application, applicant):
    profile_of(applicant).hidden = True
    db.session.commit()
    body = api.get(f"{MANAGE}/applications/{application.id}").get_json()
    assert body["applicant"]["profile"] is None
    assert "Amina" not in body["applicant"]["name"]


def test_the_applications_of_a_project_page_by_page(api, published, application):
    for number in range(3):
        member = new_user(Role.MEMBER, name=f"Member {number}")
        filled_profile(member)
        apply_to(member, published, MOTIVATION, Engagement())
    db.session.commit()
    path = f"{MANAGE}/projects/{published.id}/applications"
    first = api.get(path, query_string={"per_page": 3}).get_json()
    assert (first["total"], first["page"], len(first["items"])) == (4, 1, 3)
    assert first["items"][0]["id"] == application.id
    second = api.get(path, query_string={"per_page": 3, "page": 2}).get_json()
    assert len(second["items"]) == 1
    beyond = api.get(path, query_string={"page": 100000}).get_json()
    assert beyond["items"] == []
    none = api.get(path, query_string={"status": "accepted"}).get_json()
    assert none["total"] == 0
    for query in ({"page": 0}, {"per_page": 101}, {"page": BIG}, {"status": "withdrawn"}):
        assert "query" in problem_of(api.get(path, query_string=query), 422)["errors"]


@pytest.mark.parametrize("decision", ["shortlist", "accept", "decline"])
def test_deciding_as_on_the_application_page(api, application, decision):
    response = api.post(
        f"{MANAGE}/applications/{application.id}/decision",
        json={"decision": decision, "message": "Thank\x00 you."},
    )
    assert response.status_code == 200, response.get_json()
    expected = {"shortlist": "shortlisted", "accept": "accepted", "decline": "declined"}
    assert response.get_json()["status"] == expected[decision]
    db.session.refresh(application)
    assert application.messages[-1].body == "Thank you."
    assert db.session.scalar(
        sa.select(sa.func.count(OutboxMessage.id)).where(
            OutboxMessage.recipient == "amina@example.org"
        )
    )


def test_a_decision_is_checked_like_the_form(api, outsider, application):
    path = f"{MANAGE}/applications/{application.id}/decision"
    assert "decision" in problem_of(api.post(path, json={}), 422)["errors"]["json"]
    assert (
        "decision" in problem_of(api.post(path, json={"decision": "maybe"}), 422)["errors"]["json"]
    )
    long = {"decision": "accept", "message": "x" * 2001}
    assert "message" in problem_of(api.post(path, json=long), 422)["errors"]["json"]
    problem_of(outsider.post(path, json={"decision": "accept"}), 404)
    problem_of(outsider.get(f"{MANAGE}/applications/{application.id}"), 404)
    assert api.post(path, json={"decision": "decline"}).status_code == 200
    problem_of(api.post(path, json={"decision": "accept"}), 409)
    db.session.refresh(application)
    assert application.status == ApplicationStatus.DECLINED


# --------------------------------------------------------------------------- moderation


def test_the_moderation_queue_is_for_coordinators(client, api, coordinator, institution):
    pending = make_project(institution, status=ProjectStatus.PENDING, flagged=True)
    make_institution(name="New College", status=InstitutionStatus.PENDING)
    problem_of(api.get("/api/v1/moderation/queue"), 403)
    staff = Caller(client, key_for(coordinator, scope="read"))
    response = staff.get("/api/v1/moderation/queue")
    assert response.status_code == 200
    body = response.get_json()
    assert [p["id"] for p in body["projects"]] == [pending.id]
    assert body["projects"][0]["flagged"] is True
    assert [i["name"] for i in body["institutions"]] == ["New College"]
    assert body["reports"] == []


# --------------------------------------------------------------------------- a whole life


def test_the_whole_life_of_a_project_through_the_api(
    client, api, institution, coordinator, applicant
):
    created = api.post(f"{MANAGE}/institutions/{institution.id}/projects", json=new_project())
    assert created.status_code == 201
    project_id = created.get_json()["id"]

    edited = api.patch(f"{MANAGE}/projects/{project_id}", json={"title": "Solar clinics"})
    assert edited.get_json()["title"] == "Solar clinics"
    submitted = api.post(f"{MANAGE}/projects/{project_id}/submit")
    assert submitted.get_json()["status"] == "pending_review"

    site = client.application.test_client()
    sign_in(site, coordinator)
    approved = site.post(
        f"/coordination/projects/{project_id}/review", data={"decision": "approve"}
    )
    assert approved.status_code == 302
    assert api.get(f"{MANAGE}/projects/{project_id}").get_json()["status"] == "published"

    project = db.session.get(Project, project_id)
    application, _created = apply_to(applicant, project, MOTIVATION, Engagement())
    other = new_user(Role.MEMBER, name="Second Applicant")
    filled_profile(other)
    second, _created = apply_to(other, project, MOTIVATION, Engagement())
    db.session.commit()

    listed = api.get(f"{MANAGE}/projects/{project_id}/applications").get_json()
    assert [item["id"] for item in listed["items"]] == [application.id, second.id]

    accepted = api.post(
        f"{MANAGE}/applications/{application.id}/decision",
        json={"decision": "accept", "message": "Welcome to the team."},
    )
    assert accepted.get_json()["status"] == "accepted"
    assert api.get(f"{MANAGE}/projects/{project_id}").get_json()["places_filled"] == 1

    closed = api.post(f"{MANAGE}/projects/{project_id}/close", json={"reason": "Team complete."})
    assert closed.get_json()["status"] == "closed"
    # The application still waiting ends, and its applicant is told.
    assert db.session.get(Application, second.id).status == ApplicationStatus.CLOSED
    assert db.session.get(Application, application.id).status == ApplicationStatus.ACCEPTED
    problem_of(api.post(f"{MANAGE}/projects/{project_id}/close"), 409)
    actions = [
        entry.action
        for entry in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.target_type == "project")
        )
    ]
    assert actions == ["project.create", "project.submit", "project.approve", "project.close"]
