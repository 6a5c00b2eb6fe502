"""When the last place is taken the project closes by itself: the wording says so (the
institution accepted enough people) and never lends the coordinators a reason they did not
give; before that, the representative is warned that the other applications will end."""

import pytest
import sqlalchemy as sa

from diaspora.mail import deliver_due
from diaspora.models import Application, ApplicationStatus, ProjectStatus, Role
from diaspora.services import applications as service
from diaspora.services import projects
from diaspora.services.applications import Engagement
from tests.conftest import text_of
from tests.factories import MOTIVATION, make_institution, make_project, sign_in, with_profile

S = ApplicationStatus


@pytest.fixture
def rep(make_user):
    return make_user(role=Role.INSTITUTION, name="Rep Alemu", email="rep@aau.example")


@pytest.fixture
def project(rep):
    return make_project(make_institution(rep), status=ProjectStatus.PUBLISHED, places=1)


def applicants(db, project, make_user, count):
    applications = []
    for n in range(count):
        member = with_profile(make_user(email=f"applicant{n}@example.org"))
        application, _ = service.apply(member, project, MOTIVATION, Engagement())
        applications.append(application)
    db.session.commit()
    return applications


def bodies(message) -> str:
    return text_of(message) + message.get_body(preferencelist=("html",)).get_content()


def test_the_accept_form_warns_before_the_last_place(client, db, project, rep, make_user):
    first, *_ = applicants(db, project, make_user, 3)
    sign_in(client, rep)
    page = client.get(f"/applications/{first.id}").get_data(as_text=True)
    assert "Accepting this applicant fills the last place" in page
    assert "the 2 other applications still waiting end" in page

    done = client.post(
        f"/applications/{first.id}/decide", data={"decision": "accept"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "All places are now filled and the project is closed." in done
    assert "The 2 other applications still waiting have ended" in done
    assert db.session.scalars(sa.select(Application.status).order_by(Application.id)).all() == [
        S.ACCEPTED,
        S.CLOSED,
        S.CLOSED,
    ]


def test_no_warning_while_places_remain_or_for_a_shortlist(client, db, project, rep, make_user):
    project.places = 2
    first, second = applicants(db, project, make_user, 2)
    sign_in(client, rep)
    assert "fills the last place" not in client.get(f"/applications/{first.id}").get_data(
        as_text=True
    )
    done = client.post(
        f"/applications/{first.id}/decide", data={"decision": "shortlist"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "All places are now filled" not in done
    client.post(f"/applications/{first.id}/decide", data={"decision": "accept"})
    page = client.get(f"/applications/{second.id}").get_data(as_text=True)
    assert "Accepting this applicant fills the last place: the project then closes." in page


def test_the_places_filled_emails_say_what_happened(
    mail_config, smtp_server, app, client, db, project, rep, make_user
):
    first, second = applicants(db, project, make_user, 2)
    sign_in(client, rep)
    client.post(f"/applications/{first.id}/decide", data={"decision": "accept"})
    deliver_due()

    [closed] = smtp_server.wait_for("applicant1@example.org", f"{project.title} has closed")
    text = bodies(closed)
    assert "All places are filled: the institution has accepted as many people" in text
    assert "coordinators" not in text

    [decision] = [m for m in smtp_server.to(rep.email) if m["Subject"] == "Your project was closed"]
    text = bodies(decision)
    assert "What happened:" in text and "All places are filled" in text
    assert "Reason given by the coordinators" not in text
    assert "The 1 application still waiting for an answer was closed" in text


def test_a_coordinators_close_and_an_institutions_close_name_who_closed(
    mail_config, smtp_server, app, db, project, rep, make_user
):
    [waiting] = applicants(db, project, make_user, 1)
    coordinator = make_user(role=Role.COORDINATOR)
    projects.close(coordinator, project, "The listing duplicates another one.")
    db.session.commit()
    other = make_project(project.institution, status=ProjectStatus.PUBLISHED, title="Second")
    member = with_profile(make_user(email="second@example.org"))
    service.apply(member, other, MOTIVATION, Engagement())
    db.session.commit()
    projects.close(rep, other, "We found the funding elsewhere.")
    db.session.commit()
    deliver_due()

    text = bodies(smtp_server.wait_for(waiting.member.email, f"{project.title} has closed")[0])
    assert "The network's coordinators closed it. Reason given by the coordinators:" in text
    assert "The listing duplicates another one." in text
    [to_rep] = [m for m in smtp_server.to(rep.email) if m["Subject"] == "Your project was closed"]
    assert "Reason given by the coordinators:" in bodies(to_rep)
    assert "What happened" not in bodies(to_rep)

    text = bodies(smtp_server.wait_for("second@example.org", "Second has closed")[0])
    assert "The institution closed it. Reason given by the institution:" in text
    assert "We found the funding elsewhere." in text and "coordinators" not in text


def test_the_team_still_reads_the_project_it_filled(app, client, db, project, rep, make_user):
    """The last place closes the project; the member accepted on it keeps reading it (what
    to do, whom to contact); the other applicant, another member and visitors do not."""
    accepted, ended = applicants(db, project, make_user, 2)
    service.decide(rep, accepted, "accept")
    db.session.commit()
    assert project.status == ProjectStatus.CLOSED
    path = f"/projects/{project.id}"
    assert client.get(path).status_code == 404
    for member, expected in (
        (accepted.member, 200),
        (ended.member, 404),
        (with_profile(make_user(email="other@example.org")), 404),
    ):
        reader = app.test_client()
        sign_in(reader, member)
        response = reader.get(path)
        assert response.status_code == expected, member.email
        if expected == 200:
            assert project.title in response.get_data(as_text=True)
