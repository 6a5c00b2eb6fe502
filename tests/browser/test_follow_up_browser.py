"""Answering a follow-up in a real Chromium on a phone, JavaScript off, signed out: the daily
command emails the member a link, the link opens the questions, the answers are saved
and can be changed. The email is read at the SMTP server."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from diaspora.mail import deliver_due
from diaspora.models import ApplicationStatus, FollowOn, FollowUp, ProjectStatus, Role, Transferred
from diaspora.models.base import utcnow
from diaspora.services import applications as service
from diaspora.services import follow_ups
from diaspora.services.applications import Engagement
from tests.conftest import first_link
from tests.factories import MOTIVATION, make_institution, make_project, with_profile


@pytest.fixture
def browser_context_args(browser_context_args):
    """The phone of the other browser tests, with JavaScript turned off."""
    return {**browser_context_args, "java_script_enabled": False}


def test_a_member_answers_from_the_emailed_link_on_a_phone(
    mail_config, smtp_server, app, db, make_user, runner, page, live_server
):
    app.config.update(SITE_URL=live_server, WTF_CSRF_ENABLED=True)
    rep = make_user(role=Role.INSTITUTION, email="rep@aau.example")
    institution = make_institution(rep, name="Addis Ababa University")
    project = make_project(
        institution, status=ProjectStatus.PUBLISHED, title="Laboratory quality training"
    )
    member = with_profile(make_user(name="Hiwot Tesfaye", email="hiwot@example.org"))
    application, _ = service.apply(member, project, MOTIVATION, Engagement())
    service.decide(rep, application, "accept")
    completed = follow_ups.add_months(utcnow(), -3) - timedelta(days=1)
    application.status = ApplicationStatus.COMPLETED
    application.completed_at = application.member_completed_at = completed
    application.institution_completed_at = completed
    db.session.commit()

    result = runner.invoke(args=["engagements", "follow-up"])
    assert "Asked 2 follow-up(s)" in result.output, result.output
    deliver_due()
    (mail,) = smtp_server.wait_for(member.email, "3 months after")
    link = first_link(mail, "/follow-ups/")
    assert link.startswith(f"{live_server}/follow-ups/")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "3 months after Laboratory quality training"
    )
    expect(page.locator("main")).to_contain_text("Addis Ababa University")
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits), "the page scrolls sideways on a 390 px screen"
    names = page.locator("main input[type=radio]").evaluate_all(
        "inputs => inputs.map(i => i.labels[0].textContent.trim())"
    )
    assert len(names) == 8 and len(set(names)) == 8, names  # each control its own name

    # Two answers forgotten: the page names them and keeps what was typed.
    page.get_by_label("Yes, we are still in contact").check()
    page.get_by_label("What changed because of the engagement?").fill(
        "The lab runs its own quality checks now."
    )
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Say whether knowledge or skills were transferred."
    )
    expect(page.get_by_label("What changed because of the engagement?")).to_have_value(
        "The lab runs its own quality checks now."
    )
    contact = page.get_by_role("group", name="Are you still in contact with each other?")
    expect(contact.get_by_label("Yes, we are still in contact")).to_be_checked()

    page.get_by_label("Partly transferred").check()
    page.get_by_label("A follow-on project is planned").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_text("Thank you: your answers are saved.")).to_be_visible()
    expect(page.get_by_text("change your answers until")).to_be_visible()

    # Changed within the 30 days: the same link, the same form, filled in.
    follow_on = page.get_by_role("group", name="Is there a follow-on project?")
    expect(follow_on.get_by_label("A follow-on project is planned")).to_be_checked()
    follow_on.get_by_label("Yes, there is a follow-on project").check()
    page.get_by_role("button", name="Save the changes").click()
    expect(page.get_by_text("Thank you: your answers are saved.")).to_be_visible()

    db.session.rollback()
    answered = db.session.scalar(
        sa.select(FollowUp).where(
            FollowUp.application_id == application.id, FollowUp.answered_at.is_not(None)
        )
    )
    assert answered.side.value == "member" and answered.answered_by_id == member.id
    assert (answered.in_contact, answered.transferred, answered.follow_on) == (
        True,
        Transferred.PARTLY,
        FollowOn.YES,
    )
    assert answered.what_changed == "The lab runs its own quality checks now."

    page.goto(link[:-4] + "AAAA")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.locator("main")).to_contain_text("This follow-up link is not valid")
