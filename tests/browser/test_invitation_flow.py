"""A representative invites a recommended member; the member reads the email, sees why on a
phone, and applies; the invitation shows as applied. Real Chromium, logging in by the form."""

from datetime import timedelta

from playwright.sync_api import expect

from diaspora.extensions import db
from diaspora.models import Audience, ProjectStatus, Role
from diaspora.models.base import utcnow
from diaspora.services import profiles
from tests.browser.navigation import log_in
from tests.conftest import first_link, text_of
from tests.factories import MOTIVATION, make_institution, make_project

SHOWN = int(Audience.SIGNED_IN)


def test_invite_a_recommended_expert_who_applies(
    mail_config, smtp_server, app, make_user, browser, live_server
):
    start = utcnow().date() + timedelta(days=60)
    rep = make_user(role=Role.INSTITUTION, email="rep@aawa.example", name="Rep Alemu")
    hydrology = profiles.find_or_create_skill("Hydrology")
    db.session.commit()
    project = make_project(
        make_institution(rep, name="Addis Ababa Water Authority"),
        status=ProjectStatus.PUBLISHED,
        title="Groundwater mapping",
        country="ET",
        sector="water_sanitation",
        skills=[hydrology],
        languages=[],
        start_date=start,
        duration_weeks=3,
    )
    member = make_user(name="Hiwot Tesfaye", email="hiwot@example.org")
    profiles.update_profile(
        member,
        {"display_name": "Hiwot Tesfaye", "origin_country": "ET", "city": "Secretville"},
    )
    profiles.add_skill(member, "Hydrology", "have")
    profiles.add_travel_window(member, "ET", start + timedelta(days=2), start + timedelta(days=9))
    # Skills and travel shown to institutions; origin and city only to coordinators.
    profiles.set_privacy(member, {"skills": SHOWN, "travel": SHOWN}, listed=True, public=False)
    db.session.commit()

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    log_in(page, live_server, rep.email)
    page.goto(f"{live_server}/projects/{project.id}")
    page.get_by_role("link", name="See recommended experts").click()
    expect(page.get_by_role("heading", name="Hiwot Tesfaye")).to_be_visible()
    expect(page.get_by_text("skills this project needs: Hydrology")).to_be_visible()
    expect(page.get_by_text("in Ethiopia", exact=False)).to_be_visible()
    expect(page.get_by_text("from Ethiopia")).to_have_count(0)
    expect(page.get_by_text("Secretville")).to_have_count(0)
    page.get_by_label("Message to Hiwot Tesfaye (optional)").fill("Your mapping work fits us.")
    page.get_by_role("button", name="Invite Hiwot Tesfaye to apply").click()
    expect(page.get_by_text("Invitation sent")).to_be_visible()
    expect(page.get_by_text("no answer yet")).to_be_visible()
    desk.close()

    (mail,) = smtp_server.wait_for(member.email)
    # A subject longer than a header line is folded; its words are what the member reads.
    assert " ".join(mail["Subject"].split()) == (
        "Addis Ababa Water Authority invites you to apply to Groundwater mapping"
    )
    assert "Your mapping work fits us" not in text_of(mail)
    link = first_link(mail, "/invitations")

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    log_in(page, live_server, member.email)
    page.goto(link)
    expect(page.get_by_role("heading", name="Groundwater mapping")).to_be_visible()
    expect(page.get_by_text("Addis Ababa Water Authority invited you")).to_be_visible()
    expect(page.get_by_text("skills this project needs: Hydrology")).to_be_visible()
    expect(page.get_by_text("Your mapping work fits us.")).to_be_visible()
    page.get_by_role("link", name="Apply to Groundwater mapping").click()
    page.get_by_label("Why you, and what you would bring").fill(MOTIVATION)
    page.get_by_label("I agree to share the profile shown above").check()
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_text("Applied, waiting for an answer")).to_be_visible()
    page.goto(f"{live_server}/invitations")
    expect(page.get_by_text("You applied")).to_be_visible()
    expect(
        page.get_by_role("button", name="Decline the invitation to Groundwater mapping")
    ).to_have_count(0)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    phone.close()

    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    log_in(page, live_server, rep.email)
    page.goto(f"{live_server}/projects/{project.id}/experts")
    expect(page.get_by_text("Hiwot Tesfaye, ")).to_contain_text("applied")
    desk.close()
