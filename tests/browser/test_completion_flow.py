"""Completing an engagement in a real Chromium: the member marks it completed after a
confirmation page, the representative sees it and confirms it, and only then does the
institution's public page count it. The emails are read at the SMTP server."""

from datetime import date, timedelta

from playwright.sync_api import expect

from diaspora.models import ProjectStatus, Role
from diaspora.services import applications as service
from diaspora.services.applications import Engagement
from tests.browser.navigation import log_in, log_out
from tests.conftest import text_of
from tests.factories import MOTIVATION, make_institution, make_project, with_profile


def test_both_sides_complete_and_only_then_it_counts(
    mail_config, smtp_server, app, db, make_user, page, live_server
):
    rep = make_user(role=Role.INSTITUTION, email="rep@aau.example")
    institution = make_institution(rep)
    project = make_project(
        institution, status=ProjectStatus.PUBLISHED, title="Laboratory quality training"
    )
    member = with_profile(make_user(name="Hiwot Tesfaye", email="hiwot@example.org"))
    application, _ = service.apply(
        member,
        project,
        MOTIVATION,
        Engagement(available_from=date.today() - timedelta(days=30)),
    )
    service.decide(rep, application, "accept")
    db.session.commit()
    institution_page = f"{live_server}/institutions/{institution.id}"

    log_in(page, live_server, member.email)
    page.goto(f"{live_server}/applications/{application.id}")
    page.get_by_role("link", name="Mark the engagement completed…").click()
    expect(page.get_by_role("heading", name="Is the engagement on")).to_be_visible()
    page.get_by_role("link", name="Not yet, go back").click()
    expect(page.locator(".badge-ok")).to_have_text("Accepted")
    page.get_by_role("link", name="Mark the engagement completed…").click()
    page.get_by_role("button", name="Yes, mark it completed").click()
    expect(page.get_by_text("The other side is asked to confirm")).to_be_visible()
    expect(page.locator(".badge").first).to_have_text("Completion waiting for confirmation")
    page.goto(institution_page)
    expect(page.locator("main")).not_to_contain_text("completed engagement")
    log_out(page)

    (asked,) = smtp_server.wait_for(rep.email, "Is the engagement")
    assert asked["Subject"] == "Is the engagement on Laboratory quality training completed?"
    assert f"/applications/{application.id}" in text_of(asked)

    log_in(page, live_server, rep.email)
    page.goto(f"{live_server}/applications/{application.id}")
    expect(page.get_by_text("The member marked the engagement completed")).to_be_visible()
    expect(page.get_by_label("What is not finished")).to_be_visible()
    page.get_by_role("link", name="Confirm it is completed…").click()
    page.get_by_role("button", name="Yes, confirm it is completed").click()
    expect(page.get_by_text("Both sides agree: the engagement is completed.")).to_be_visible()
    expect(page.locator(".badge").first).to_have_text("Engagement completed")
    expect(page.get_by_role("button", name="Leave feedback")).to_be_visible()
    page.goto(institution_page)
    expect(page.get_by_text("1 completed engagement")).to_be_visible()
    log_out(page)

    (done,) = smtp_server.wait_for(member.email, "The engagement on")
    assert done["Subject"] == "The engagement on Laboratory quality training is completed"
    assert "Both sides agree" in text_of(done)
