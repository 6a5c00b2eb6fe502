"""A representative submits a project, a coordinator approves it, a visitor finds it."""

from datetime import timedelta

from playwright.sync_api import expect

from diaspora.models import Role
from diaspora.models.base import utcnow
from tests.browser.navigation import fill_date, menu
from tests.conftest import PASSWORD
from tests.factories import make_institution


def _log_in(page, base, user):
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_submit_approve_and_see_on_projects(app, browser, live_server, make_user):
    rep = make_user(role=Role.INSTITUTION, email="marie@ur.example", name="Marie Uwimana")
    institution = make_institution(rep=rep, name="University of Rwanda")
    coordinator = make_user(role=Role.COORDINATOR, email="leila@diaspora.example")
    deadline = utcnow().date() + timedelta(days=20)

    contexts = [browser.new_context(viewport={"width": 360, "height": 800}) for _ in range(3)]
    rep_page, coord_page, visitor = (context.new_page() for context in contexts)
    _log_in(rep_page, live_server, rep)
    menu(rep_page).get_by_role("link", name="My projects").click()
    rep_page.get_by_role("link", name="New project").click()
    assert institution.name in rep_page.content()
    rep_page.get_by_label("Title").fill("Biostatistics for clinical trials")
    rep_page.get_by_label("Summary").fill("Teach biostatistics to our clinical research staff.")
    rep_page.get_by_label("Description").fill("Six remote sessions.\n\nMaterials provided.")
    rep_page.get_by_label("Country").select_option("RW")
    rep_page.get_by_label("Sector").select_option("research")
    rep_page.get_by_label("Skill 1").fill("Biostatistics")
    rep_page.get_by_label("Engagement").select_option("teaching")
    rep_page.get_by_label("Remote").check()
    fill_date(rep_page, "Application deadline", deadline.day, deadline.month, deadline.year)
    rep_page.get_by_label("Number of places").fill("2")
    rep_page.get_by_label("Compensation").select_option("volunteer")
    rep_page.get_by_label("Languages required").select_option(["en", "fr"])
    rep_page.get_by_label("Contact person", exact=True).fill("Dr Alice Mukamana")
    rep_page.get_by_role("button", name="Save draft").click()
    expect(rep_page.get_by_text("Draft saved")).to_be_visible()
    rep_page.get_by_role("button", name="Submit for review").click()
    expect(rep_page.get_by_text("The project is now awaiting review")).to_be_visible()

    _log_in(coord_page, live_server, coordinator)
    menu(coord_page).get_by_role("link", name="Queue (1)").click()
    coord_page.get_by_role("link", name="Biostatistics for clinical trials").click()
    coord_page.get_by_label("Approve and publish").check()
    coord_page.get_by_role("button", name="Record the decision").click()
    expect(coord_page.get_by_text("Decision recorded: published")).to_be_visible()

    visitor.goto(f"{live_server}/projects/")
    visitor.get_by_role("link", name="Biostatistics for clinical trials").click()
    expect(visitor.get_by_text("Verified institution")).to_be_visible()
    expect(visitor.get_by_text("2 left of 2")).to_be_visible()
    assert visitor.get_by_role("button", name="Apply").count() == 0
    for context in contexts:
        context.close()
