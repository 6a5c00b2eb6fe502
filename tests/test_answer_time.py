"""How quickly an institution answers, shown where an applicant decides: its page, each of
its project pages and the apply form; nothing until three applications were answered."""

from datetime import timedelta

import pytest

from diaspora.models import ProjectStatus, Role
from diaspora.models.base import utcnow
from diaspora.services import applications as service
from diaspora.services.applications import Engagement
from tests.factories import MOTIVATION, make_institution, make_project, sign_in, with_profile

FIGURES = "Usually answers within 3 days; answered 3 of 4 applications"


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, email="rep@aau.example")


@pytest.fixture
def project(rep):
    return make_project(make_institution(rep), status=ProjectStatus.PUBLISHED, places=10)


def received(db, project, make_user, answered_after_days):
    now = utcnow()
    for days in answered_after_days:
        application, _ = service.apply(with_profile(make_user()), project, MOTIVATION, Engagement())
        application.created_at = now - timedelta(days=20)
        if days is not None:
            application.first_answered_at = application.created_at + timedelta(days=days)
    db.session.commit()


def pages(client, project):
    return {
        "institution": client.get(f"/institutions/{project.institution_id}"),
        "project": client.get(f"/projects/{project.id}"),
    }


def test_shown_on_the_institution_and_project_pages(client, db, project, make_user):
    received(db, project, make_user, [1, 3, 6, None])
    for name, page in pages(client, project).items():
        assert page.status_code == 200, name
        assert FIGURES in page.get_data(as_text=True), name


def test_the_apply_form_says_what_to_expect(client, db, project, make_user):
    received(db, project, make_user, [1, 3, 6, None])
    applicant = with_profile(make_user(email="next@example.org"))
    sign_in(client, applicant)
    page = client.get(f"/projects/{project.id}/apply").get_data(as_text=True)
    assert "What to expect after applying" in page
    assert "usually answers within 3 days; over the last 12 months it answered 3 of 4" in page


def test_the_application_page_says_when_to_expect_an_answer(client, db, project, make_user):
    received(db, project, make_user, [1, 3, 6, None])
    applicant = with_profile(make_user(email="next@example.org"))
    sign_in(client, applicant)
    response = client.post(
        f"/projects/{project.id}/apply",
        data={"motivation": MOTIVATION, "consent": "y"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Your application is received: what happens next" in page
    assert "It usually answers within 3 days; over the last 12 months it answered 3 of 4" in page


def test_nothing_shown_below_three_answers(client, db, project, make_user):
    received(db, project, make_user, [1, 3, None, None])
    for name, page in pages(client, project).items():
        assert "Usually answers" not in page.get_data(as_text=True), name
    sign_in(client, with_profile(make_user(email="next@example.org")))
    page = client.get(f"/projects/{project.id}/apply").get_data(as_text=True)
    assert "has not answered enough applications yet" in page
